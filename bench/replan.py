"""Benchmark: one dynamic re-plan of 500 threats x 60 batteries, and the assignment rules.

**Re-plan.** A notional defense of 60 batteries of every catalog type (upper and lower tiers)
owned by four nations with different authorities (one may engage drones only) around seven
defended sites, and a picture of 500 tracked threats: 150 re-entry vehicles descending on
the sites and 350 drones and cruise missiles inbound at low level. One call of the
simulator's decision cycle (:meth:`~shieldwall.engagement.Engagements.assign`: threat
evaluation, predicted paths, engagement windows with tiers, authority and channels,
assignment, and every shot's candidate record) is timed, median of ``PLANS``, for both rules
(``sim.assignment``).

**Rules on identical candidates.** Over ``CYCLES`` random cycles of 500 threats x 60
batteries (each battery sees a third of the threats; pk U[0.6, 0.9]; costs US$50k to
US$12.5M; 1-4 free channels, 0-8 rounds; values U[1, 100]) the optimal matching
(:func:`~shieldwall.engagement.assign.optimal_assign`) against the peer, the greedy rule
(:func:`~shieldwall.engagement.assign.greedy_assign`): time and the summed value of the
shots each fires.

Prints one JSON line: ``threats``, ``batteries``, ``ms_per_plan`` (optimal rule, the whole
decision cycle), ``ms_per_plan_greedy``, ``shots`` (of the timed plan), ``optimal_ms`` and
``greedy_ms`` (assignment alone, median per random cycle), ``value_ratio`` (optimal shots'
value / greedy's, >= 1). Target: ``ms_per_plan`` under 100 ms. ``python bench/replan.py``.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from shieldwall.engagement import Engagements
from shieldwall.engagement.assign import COST_WEIGHT, Candidates, greedy_assign, optimal_assign
from shieldwall.geo import enu_to_ecef
from shieldwall.scenario import load_scenario
from shieldwall.sharing import ThreatView

THREATS, BATTERIES, PLANS, CYCLES = 500, 60, 5, 20
CENTRE = (31.8, 34.9)
TYPES = ("arrow-3", "arrow-2", "davids-sling", "iron-dome", "thaad", "patriot-pac-3")
NATIONS = ("ISR", "USA", "GBR", "JOR")


def defense(assignment: str):
    """The notional scenario: 60 batteries within ~80 km of CENTRE, seven sites."""
    rng = np.random.default_rng(1)
    sites = [(CENTRE[0] + dy, CENTRE[1] + dx) for dy, dx in rng.uniform(-0.6, 0.6, (7, 2))]
    batteries = []
    for i in range(BATTERIES):
        lat, lon = CENTRE[0] + rng.uniform(-0.7, 0.7), CENTRE[1] + rng.uniform(-0.5, 0.5)
        batteries.append({"id": f"b{i:02d}", "type": TYPES[i % len(TYPES)],
                          "owner": NATIONS[i % len(NATIONS)], "lat_deg": lat, "lon_deg": lon,
                          "magazine": 40})  # fmt: skip
    auths = [{"nation": n, "classes": ["ballistic", "cruise", "drone"]} for n in NATIONS[:3]]
    auths.append({"nation": "JOR", "classes": ["drone"]})
    return load_scenario({
        "name": "replan-bench", "sim": {"assignment": assignment},
        "region": {"lat_min": 29.5, "lat_max": 34.5, "lon_min": 33.0, "lon_max": 37.5},
        "nations": [{"id": n, "name": n} for n in NATIONS],
        "assets": [{"id": f"site{k}", "owner": "ISR", "lat_deg": la, "lon_deg": lo,
                    "radius_m": 3000, "value": 100} for k, (la, lo) in enumerate(sites)],
        "batteries": batteries, "authorities": auths,
        "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                             "launch": {"lat_deg": 33.5, "lon_deg": 37.0}, "window_s": [0, 0],
                             "aim": ["site0"]}]},
    }), sites  # fmt: skip


def picture(sites, n_nations: int) -> list[ThreatView]:
    """500 tracks: re-entry vehicles diving on the sites, low-level air-breathers inbound."""
    rng = np.random.default_rng(2)
    x, cls = [], []
    for i in range(THREATS):
        lat, lon = sites[i % len(sites)]
        if i < 150:  # 20-60 km up, 30-90 km out, diving at 2 km/s
            e, n = rng.uniform(30e3, 90e3), rng.uniform(-20e3, 20e3)
            up = rng.uniform(20e3, 60e3)
            v = -2000.0 * np.array([e, n, up]) / np.linalg.norm([e, n, up])
            c = 0
        else:  # 20-150 km out at 100 m, 50 or 250 m/s towards the site
            e, n, up = rng.uniform(20e3, 150e3), rng.uniform(-40e3, 40e3), 100.0
            speed = 50.0 if i % 2 else 250.0
            v = -speed * np.array([e, n, 0.0]) / np.hypot(e, n)
            c = 2 if i % 2 else 1
        p = enu_to_ecef(np.array([e, n, up]), lat, lon, 0.0)
        vel = enu_to_ecef(np.array([e, n, up]) + v, lat, lon, 0.0) - p
        x.append(np.concatenate([p, vel]))
        cls.append(c)
    x, cls = np.array(x), np.array(cls)
    P = np.broadcast_to(np.diag([200.0] * 3 + [20.0] * 3) ** 2, (THREATS, 6, 6)).copy()
    has = np.ones(THREATS, dtype=bool)
    return [ThreatView(0.0, has, x, P, np.zeros(THREATS, dtype=np.int64), cls)
            for _ in range(n_nations)]  # fmt: skip


def time_plan(assignment: str) -> tuple[float, int]:
    sc, sites = defense(assignment)
    views = picture(sites, len(NATIONS))
    true_class = views[0].cls.copy()
    times, shots = [], 0
    for _ in range(PLANS):
        eng = Engagements(sc, seed=1)
        t0 = time.perf_counter()
        shots = len(eng.assign(0.0, views, true_class, np.ones(THREATS, dtype=bool)))
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times), shots


def random_cycle(rng: np.random.Generator):
    feasible = rng.random((BATTERIES, THREATS)) < 1.0 / 3.0
    s, j = np.nonzero(feasible)
    first = rng.integers(0, 60, s.size)
    last = np.minimum(first + rng.integers(0, 60, s.size), 119)
    cost = rng.choice([5e4, 1e6, 3.5e6, 1.25e7], BATTERIES)[s]
    cand = Candidates(s, j, first, last, rng.uniform(0.6, 0.9, s.size), cost)
    return cand, rng.integers(0, 9, BATTERIES), rng.integers(1, 5, BATTERIES), \
        rng.uniform(1.0, 100.0, THREATS)  # fmt: skip


def shot_value(shots, cand: Candidates, value: np.ndarray) -> float:
    key = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(cand.shooter, cand.threat,
                                                               strict=True))}  # fmt: skip
    return sum(value[j] * (cand.pk[key[(s, j)]] - COST_WEIGHT * cand.cost_usd[key[(s, j)]] / 1e6)
               for s, j, _ in shots)  # fmt: skip


def rules() -> tuple[float, float, float]:
    t_opt, t_greedy, v_opt, v_greedy = [], [], 0.0, 0.0
    for k in range(CYCLES):
        cand, rounds, free, value = random_cycle(np.random.default_rng(k))
        t0 = time.perf_counter()
        opt = optimal_assign(cand, rounds, free, value)
        t1 = time.perf_counter()
        greedy = greedy_assign(cand, rounds, free)
        t_opt.append(t1 - t0)
        t_greedy.append(time.perf_counter() - t1)
        v_opt += shot_value(opt, cand, value)
        v_greedy += shot_value(greedy, cand, value)
    return 1e3 * statistics.median(t_opt), 1e3 * statistics.median(t_greedy), v_opt / v_greedy


def main() -> None:
    ms_opt, shots = time_plan("optimal")
    ms_greedy, _ = time_plan("greedy")
    opt_ms, greedy_ms, ratio = rules()
    print(json.dumps({
        "threats": THREATS, "batteries": BATTERIES, "ms_per_plan": round(ms_opt, 1),
        "ms_per_plan_greedy": round(ms_greedy, 1), "shots": shots,
        "optimal_ms": round(opt_ms, 2), "greedy_ms": round(greedy_ms, 2),
        "value_ratio": round(ratio, 4),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
