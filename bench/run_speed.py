"""Benchmark: wall time of one study replication of each built-in scenario, on one core.

A replication is what ``shieldwall study`` runs in each worker
(:func:`shieldwall.studies.replicate`: simulate and summarize with the scenario's seed; no
map, no event table, no files). The process is pinned to one CPU and BLAS to one thread. Each
scenario is loaded once untimed (the warm-up), then ``--repeat`` replications (default 3) are
timed and the median kept, which is what each replication of a long study costs. The first
timed run of the process also pays for the per-process caches (the minimum-energy pitch
tables, about 1 s), as the first replication of each study worker does; it is reported
apart as ``first_s`` (april-2024).

Prints one JSON line: ``scenario`` ("april-2024"), ``s_per_run``, ``october_s_per_run``,
``tutorial_s_per_run``, ``first_s``, ``repeat``, ``cpus`` (1). Target (issue 8):
``s_per_run`` <= 5. ``python bench/run_speed.py [--repeat N]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import statistics
import time

from shieldwall.scenario import load_scenario
from shieldwall.studies import replicate

SCENARIOS = {"april-2024": "s_per_run", "october-2024": "october_s_per_run",
             "tutorial": "tutorial_s_per_run"}  # fmt: skip


def pin_one_cpu() -> None:
    """Run on the first CPU this process may use (Linux); elsewhere leave it to the OS."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run_times(name: str, repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` replications of ``name`` with its own seed, in order."""
    sc = load_scenario(name)  # warm-up: parse, validate, resolve the catalog
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        replicate(sc, sc.seed)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per scenario")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    pin_one_cpu()
    row: dict[str, object] = {"scenario": "april-2024"}
    for name, key in SCENARIOS.items():
        times = run_times(name, repeat)
        row[key] = round(statistics.median(times), 3)
        if name == "april-2024":
            row["first_s"] = round(times[0], 3)
    row |= {"repeat": repeat, "cpus": 1}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
