"""Benchmark: truth for the whole built-in ``april-2024`` raid (320 threats: 120 ballistic
missiles solved and flown with boost, drag, J2 and Earth rotation; 200 cruise missiles and
drones on great-circle routes), and the ballistic flights against a per-missile peer.

Prints one JSON line: ``scenario``, ``threats``, ``ballistic``, ``cold_s`` (first build in a
fresh process: includes tabulating the minimum-energy pitch of each missile type),
``warm_s`` (median of 5 further builds, tables cached), ``flight_s`` (one batched propagation
of the ballistic missiles with their solved controls, vectorised RK4), ``peer_flight_s`` (the
same flights one missile at a time with scipy's DOP853 at rtol 1e-9:
:mod:`shieldwall.threats.reference`) and ``speedup`` = peer_flight_s / flight_s. Target:
``cold_s`` under 2 s. ``python bench/truth_build.py``.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.threats import build_raid, build_truth
from shieldwall.threats.flight import down_range_unit, propagate
from shieldwall.threats.raid import CLASS_CODES
from shieldwall.threats.reference import reference_flight
from shieldwall.threats.targeting import launch_frame, solve
from shieldwall.threats.truth import _vehicles


def _timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main() -> None:
    sc = load_scenario("april-2024")
    threats = build_raid(sc, stream(7, "raid"))
    _, cold = _timed(lambda: build_truth(sc, threats))
    warm = statistics.median(_timed(lambda: build_truth(sc, threats))[1] for _ in range(5))
    bal = np.flatnonzero(threats.class_code == CLASS_CODES["ballistic"])
    veh, max_range = _vehicles(sc, threats, bal)
    lat, lon = threats.launch_lat_deg[bal], threats.launch_lon_deg[bal]
    sol = solve(lat, lon, threats.impact_lat_deg[bal], threats.impact_lon_deg[bal], veh,
                max_range)  # fmt: skip
    r0, up = launch_frame(lat, lon)
    ctl = sol.controls
    flight = min(_timed(lambda: propagate(r0, up, veh, ctl))[1] for _ in range(3))
    down = down_range_unit(up, ctl.az_rad)
    t0 = time.perf_counter()
    worst_m = 0.0
    for i in range(bal.size):
        _, impact, _ = reference_flight(
            r0[:, i], up[:, i], down[:, i], veh.boost_s[i], veh.mass_ratio[i],
            veh.beta_kg_m2[i], ctl.ve_m_s[i], ctl.theta_rad[i], rtol=1e-9,
        )  # fmt: skip
        worst_m = max(worst_m, float(np.linalg.norm(impact - sol.flight.impact_ecef_m[i])))
    peer = time.perf_counter() - t0
    row = {
        "scenario": "april-2024", "threats": threats.n, "ballistic": int(bal.size),
        "cold_s": round(cold, 3), "warm_s": round(warm, 3), "flight_s": round(flight, 4),
        "peer_flight_s": round(peer, 3), "speedup": round(peer / flight, 1),
        "max_impact_difference_m": round(worst_m, 2),
    }  # fmt: skip
    print(json.dumps(row))


if __name__ == "__main__":
    main()
