"""Benchmark: re-planning one decision cycle of a large raid, 500 threats x 60 batteries.

Each cycle's candidates are drawn as the simulator makes them: every battery sees about a
third of the threats inside its engagement window, kill probability U[0.6, 0.9], a
per-battery cost from US$50k to US$12.5M, 1-4 free channels and 0-8 rounds; threat values
U[1, 100]. Over ``CYCLES`` independent cycles (fixed seeds) it times the simulator's two
assignment rules on identical inputs, :func:`~shieldwall.engagement.assign.optimal_assign`
(exact matching, ``sim.assignment: optimal``) against the peer
:func:`~shieldwall.engagement.assign.greedy_assign` (the urgency-ordered greedy rule,
the default), and compares the expected value of the shots each fires.

Prints one JSON line: ``threats``, ``batteries``, ``cycles``, ``optimal_ms`` and
``greedy_ms`` (median per cycle), ``time_ratio`` (optimal / greedy), ``value_ratio`` (summed
value of the optimal shots / the greedy's, >= 1), ``shots_optimal``, ``shots_greedy``.
Target: ``optimal_ms`` under 100 ms. ``python bench/replan.py``.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from shieldwall.engagement.assign import COST_WEIGHT, Candidates, greedy_assign, optimal_assign

THREATS, BATTERIES, CYCLES = 500, 60, 20


def cycle(rng: np.random.Generator):
    """One cycle's candidates, capacities and threat values."""
    feasible = rng.random((BATTERIES, THREATS)) < 1.0 / 3.0
    s, j = np.nonzero(feasible)
    first = rng.integers(0, 60, s.size)
    last = np.minimum(first + rng.integers(0, 60, s.size), 119)
    cost = rng.choice([5e4, 1e6, 3.5e6, 1.25e7], BATTERIES)[s]
    cand = Candidates(s, j, first, last, rng.uniform(0.6, 0.9, s.size), cost)
    rounds = rng.integers(0, 9, BATTERIES)
    free = rng.integers(1, 5, BATTERIES)
    return cand, rounds, free, rng.uniform(1.0, 100.0, THREATS)


def shot_value(shots, cand: Candidates, value: np.ndarray) -> float:
    key = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(cand.shooter, cand.threat,
                                                               strict=True))}  # fmt: skip
    total = 0.0
    for s, j, _ in shots:
        i = key[(s, j)]
        total += value[j] * (cand.pk[i] - COST_WEIGHT * cand.cost_usd[i] / 1e6)
    return total


def main() -> None:
    t_opt, t_greedy, v_opt, v_greedy, n_opt, n_greedy = [], [], 0.0, 0.0, 0, 0
    for k in range(CYCLES):
        cand, rounds, free, value = cycle(np.random.default_rng(k))
        t0 = time.perf_counter()
        opt = optimal_assign(cand, rounds, free, value)
        t1 = time.perf_counter()
        greedy = greedy_assign(cand, rounds, free)
        t2 = time.perf_counter()
        t_opt.append(t1 - t0)
        t_greedy.append(t2 - t1)
        v_opt += shot_value(opt, cand, value)
        v_greedy += shot_value(greedy, cand, value)
        n_opt, n_greedy = n_opt + len(opt), n_greedy + len(greedy)
    opt_ms, greedy_ms = 1e3 * statistics.median(t_opt), 1e3 * statistics.median(t_greedy)
    print(json.dumps({
        "threats": THREATS, "batteries": BATTERIES, "cycles": CYCLES,
        "optimal_ms": round(opt_ms, 2), "greedy_ms": round(greedy_ms, 2),
        "time_ratio": round(opt_ms / greedy_ms, 2), "value_ratio": round(v_opt / v_greedy, 4),
        "shots_optimal": n_opt, "shots_greedy": n_greedy,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
