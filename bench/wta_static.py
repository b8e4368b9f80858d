"""Benchmark: static WTA on instances by the recipe of Ahuja, Kumar, Jha & Orlin (Operations
Research 55(6), 2007, section 7: target values U[25, 100], kill probabilities U[0.6, 0.9]).

Sizes (weapons x targets) 20x20 and 200x200, and, where targets must share weapons, 20x8, 50x20,
100x40, 200x80 and 500x200; one instance per size, seeded by the size. Each is solved with the
heuristic (default time limit), the exact method (``--exact-limit``, default 60 s) and greedy
maximum marginal return, and bounded on its own by the set-partitioning bound (column generation
from the heuristic's assignment, same limit). Prints one JSON line per size: ``weapons``,
``targets``, ``heuristic_obj``, ``heuristic_s``, ``greedy_obj``, ``greedy_s``, ``exact_obj``,
``exact_s``, ``exact_proven``, ``exact_bound`` (the exact method's lower bound: the better of its
set-partitioning and outer-approximation bounds), ``sp_bound`` and ``sp_bound_s`` (the
set-partitioning bound alone and its time), ``gap_pct`` (heuristic against ``gap_ref``: the
proven optimum, else the best valid lower bound, max(exact_bound, sp_bound)), ``gap_ref``
(``optimum`` or ``bound``), ``gap_best_pct`` (heuristic against the best objective found by
either method) and ``load_1m`` (the machine's 1-minute load average as the line is printed).
``python bench/wta_static.py [--exact-limit S]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from shieldwall.engagement import solve_wta
from shieldwall.engagement.wta_bound import dw_bound

SIZES = ((20, 20), (200, 200), (20, 8), (50, 20), (100, 40), (200, 80), (500, 200))


def ahuja_instance(weapons: int, targets: int) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(T,)`` U[25, 100] and pk ``(W, T)`` U[0.6, 0.9], seeded by the size."""
    rng = np.random.default_rng([weapons, targets])
    return rng.uniform(25.0, 100.0, targets), rng.uniform(0.6, 0.9, (weapons, targets))


def bench_size(weapons: int, targets: int, exact_limit_s: float) -> dict:
    v, p = ahuja_instance(weapons, targets)
    c = np.ones(weapons, dtype=np.int64)
    h = solve_wta(v, p, method="heuristic")
    g = solve_wta(v, p, method="greedy")
    e = solve_wta(v, p, method="exact", time_limit_s=exact_limit_s)
    t0 = time.perf_counter()
    sp = dw_bound(v, p, c, h.assignment, t0 + exact_limit_s)
    sp_s = time.perf_counter() - t0
    ref = e.objective if e.proven else max(e.bound, sp.bound)
    best = min(h.objective, e.objective)
    return {
        "weapons": weapons,
        "targets": targets,
        "heuristic_obj": round(h.objective, 6),
        "heuristic_s": round(h.seconds, 4),
        "greedy_obj": round(g.objective, 6),
        "greedy_s": round(g.seconds, 4),
        "exact_obj": round(e.objective, 6),
        "exact_s": round(e.seconds, 2),
        "exact_proven": e.proven,
        "exact_bound": round(e.bound, 6),
        "sp_bound": round(sp.bound, 6),
        "sp_bound_s": round(sp_s, 2),
        "gap_pct": round(100.0 * (h.objective - ref) / ref, 4),
        "gap_ref": "optimum" if e.proven else "bound",
        "gap_best_pct": round(100.0 * (h.objective - best) / best, 4),
        "load_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exact-limit", type=float, default=60.0, help="seconds per exact solve")
    args = parser.parse_args()
    for weapons, targets in SIZES:
        print(json.dumps(bench_size(weapons, targets, args.exact_limit)), flush=True)


if __name__ == "__main__":
    main()
