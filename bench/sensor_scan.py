"""Benchmark: one radar scan of 1,000 targets by 50 sensors (45 ground/naval radars, 5 AEW on
racetrack orbits), fully vectorised over sensors x targets by the scan core.

Prints one JSON line: ``targets``, ``sensors``, ``ms_per_scan`` (median of 20 repetitions after
a warm-up: platform positions, target geodetic conversion, coverage, line of sight, RCS by
aspect, Pd, detection draws and measurements of the detected pairs), ``detections`` per scan,
and the peer ratio measured in the same run: ``loop_ms_per_scan``, a plain per-pair Python
reference (:mod:`shieldwall.sensors.reference`) timed on a random subsample of pairs and scaled
to all pairs, and ``speedup``. Notional sensors and targets; ``python bench/sensor_scan.py``.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from shieldwall.geo import geodetic_to_ecef
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.sensors import Observers, RadarParams, Targets, radar_scan, sensor_array
from shieldwall.sensors.placement import rcs_aspect_table_m2
from shieldwall.sensors.platform import platform_frames, platform_lat_lon
from shieldwall.sensors.reference import ScalarRadar, look

N_TARGETS, N_GROUND, N_AEW, REPEATS, LOOP_PAIRS = 1000, 45, 5, 20, 2000
GROUND_TYPES = ("tpy-2", "green-pine", "spy-1", "patriot-mpq-65", "elm-2084")
THREAT_TYPES = ("shahed-136", "paveh", "emad", "kheibar-shekan")


def build_sensors(rng: np.random.Generator):
    """50 placed sensors in a 9 x 17 degree box (Levant to Iran), from the built-in catalog."""
    sensors = [
        {"id": f"g{i}", "type": GROUND_TYPES[i % len(GROUND_TYPES)], "owner": "A",
         "lat_deg": round(rng.uniform(28.5, 36.5), 2), "lon_deg": round(rng.uniform(32.5, 48.5), 2),
         "azimuth_deg": round(rng.uniform(0, 360), 0)}
        for i in range(N_GROUND)
    ] + [
        {"id": f"aew{i}", "type": "e-3-awacs", "owner": "A", "lat_deg": 30.0 + i,
         "lon_deg": 36.0 + 2 * i,
         "orbit": {"heading_deg": 30 * i, "length_km": 100, "width_km": 30, "speed_m_s": 160}}
        for i in range(N_AEW)
    ]  # fmt: skip
    sc = load_scenario(
        {"name": "bench", "region": {"lat_min": 25, "lat_max": 40, "lon_min": 30, "lon_max": 50},
         "nations": [{"id": "A", "name": "A"}],
         "assets": [{"id": "x", "owner": "A", "lat_deg": 31.0, "lon_deg": 35.0}],
         "sensors": sensors,
         "raid": {"salvos": [{"id": "s", "threat": "paveh", "count": 1, "window_s": [0, 0],
                              "launch": {"lat_deg": 33.0, "lon_deg": 45.0}, "aim": ["x"]}]}}
    )  # fmt: skip
    return sc, sensor_array(sc)


def build_targets(sc, rng: np.random.Generator):
    """1,000 notional targets: drones at 300 m, cruise missiles at 50 m, BMs 5-300 km up."""
    kind = rng.integers(0, len(THREAT_TYPES), N_TARGETS)
    alt = np.select([kind == 0, kind == 1], [300.0, 50.0], rng.uniform(5e3, 300e3, N_TARGETS))
    lat, lon = rng.uniform(28.0, 37.0, N_TARGETS), rng.uniform(32.0, 49.0, N_TARGETS)
    pos = geodetic_to_ecef(lat, lon, alt)
    speed = np.select([kind == 0, kind == 1], [50.0, 240.0], 2500.0)
    vel = rng.standard_normal((N_TARGETS, 3))
    vel *= (speed / np.linalg.norm(vel, axis=1))[:, None]
    types = np.array(THREAT_TYPES)[kind]
    rcs = np.array([sc.catalog.threat_types[t].rcs_m2 for t in types])
    return pos, vel, rcs, rcs_aspect_table_m2(sc, types, rcs)


def scan(sensors, targets, t_s: float, rngs: list[np.random.Generator]):
    """One scan of every sensor at ``t_s``, vectorised over sensors (S, 1) x targets (1, N);
    the draws come from each sensor's own stream."""
    idx = np.arange(sensors.n)[:, None]
    obs = Observers(*platform_frames(sensors, idx, t_s))
    pos, vel, rcs, table = targets
    tgt = Targets.at(pos[None], vel[None], rcs[None], table[None])
    u = np.stack([g.random(N_TARGETS) for g in rngs])
    normals = np.stack([g.standard_normal((N_TARGETS, 3)) for g in rngs])
    return radar_scan(obs, tgt, RadarParams.of(sensors, idx), u, normals)


def loop_scan_ms(sensors, targets, t_s: float, rng: np.random.Generator) -> float:
    """Per-pair plain-Python reference on ``LOOP_PAIRS`` random pairs, scaled to all pairs."""
    pos, vel, rcs, table = targets
    s_idx = rng.integers(0, sensors.n, LOOP_PAIRS)
    j_idx = rng.integers(0, N_TARGETS, LOOP_PAIRS)
    lat, lon = platform_lat_lon(sensors, s_idx, np.full(LOOP_PAIRS, t_s))
    fields = [f for f in ScalarRadar.__slots__ if f not in ("lat_deg", "lon_deg", "alt_m")]
    radars = [
        ScalarRadar(float(lat[k]), float(lon[k]), float(sensors.alt_m[s]),
                    *(float(getattr(sensors, f)[s]) for f in fields))
        for k, s in enumerate(s_idx.tolist())
    ]  # fmt: skip
    args = [(pos[j].tolist(), vel[j].tolist(), float(rcs[j]), table[j].tolist()) for j in j_idx]
    u, normals = rng.random(LOOP_PAIRS).tolist(), rng.standard_normal((LOOP_PAIRS, 3)).tolist()
    t0 = time.perf_counter()
    for k in range(LOOP_PAIRS):
        look(radars[k], *args[k], u[k], normals[k])
    elapsed = time.perf_counter() - t0
    return 1e3 * elapsed * sensors.n * N_TARGETS / LOOP_PAIRS


def main() -> None:
    rng = np.random.default_rng(2024)
    sc, sensors = build_sensors(rng)
    targets = build_targets(sc, rng)
    rngs = [stream(1, "sensor", i) for i in sensors.ids]
    looks = scan(sensors, targets, 0.0, rngs)  # warm-up
    times = []
    for k in range(REPEATS):
        t0 = time.perf_counter()
        looks = scan(sensors, targets, 10.0 * k, rngs)
        times.append(1e3 * (time.perf_counter() - t0))
    ms = statistics.median(times)
    loop_ms = loop_scan_ms(sensors, targets, 0.0, rng)
    out = {
        "targets": N_TARGETS,
        "sensors": sensors.n,
        "ms_per_scan": round(ms, 2),
        "detections": int(looks.detected.sum()),
        "loop_ms_per_scan": round(loop_ms, 1),
        "speedup": round(loop_ms / ms, 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
