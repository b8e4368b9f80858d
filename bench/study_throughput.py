"""Benchmark: study throughput (replications per minute) on 1 process, all local cores, Dask.

Issue 8, Performance: ``rpm_1`` (one local worker process), ``rpm_local`` (local processes on
every core), ``rpm_dask`` (a Dask ``LocalCluster`` with one single-threaded worker per core) and
``scaling_local`` = ``rpm_local / rpm_1 / cores``. Targets: ``scaling_local`` >= 0.85 and
``rpm_dask`` within 15% of ``rpm_local``.

Each figure is a real :func:`shieldwall.studies.run_study` into a temporary folder, timed from
the moment the executor is ready (the study's first progress call: a Dask cluster's start-up is
excluded, a local pool's worker start-up is not) to the last finished replication. Every engine
runs the same seeds, so they do the same work. A replication of ``april-2024`` takes tens of
seconds, so the default is few runs: ``cores`` on one process and ``2 x cores`` on all cores.

Prints one JSON line: ``scenario``, ``cores``, ``runs_1``, ``runs``, ``rpm_1``, ``rpm_local``,
``rpm_dask`` (null without Dask installed), ``scaling_local``, ``dask_vs_local``
(``rpm_dask / rpm_local``).
``python bench/study_throughput.py [--scenario april-2024] [--runs N] [--runs-1 N] [--no-dask]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import tempfile
import time
from pathlib import Path

from shieldwall.scenario import Scenario, load_scenario
from shieldwall.studies import make_executor, run_study

PRELOAD = ["shieldwall.studies.montecarlo"]


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Clock:
    """Study progress callback: the time of the first call (executor ready) and the last."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None

    def __call__(self, finished: int, runs: int, record: dict | None) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.last = now


def runs_per_minute(sc: Scenario, runs: int, engine: str, workers: int) -> float:
    """Replications per minute of a ``runs``-replication study of ``sc`` on ``engine``."""
    clock = _Clock()
    with tempfile.TemporaryDirectory(prefix="shieldwall-bench-") as tmp:
        executor = make_executor(engine, workers, preload=PRELOAD)
        result = run_study(sc, runs, Path(tmp) / "study", executor, progress=clock)
    if result.summary["failed"]:
        raise RuntimeError(f"{engine}: {result.summary['failed']} replications failed")
    assert clock.first is not None and clock.last is not None
    return 60.0 * runs / max(clock.last - clock.first, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="april-2024", help="built-in name or YAML file")
    parser.add_argument("--runs", type=int, default=None, help="runs on all cores (2 x cores)")
    parser.add_argument("--runs-1", type=int, default=None, help="runs on 1 process (cores)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask figure")
    args = parser.parse_args()
    cores = usable_cores()
    runs = args.runs or 2 * cores
    runs_1 = args.runs_1 or cores
    sc = load_scenario(args.scenario)
    rpm_1 = runs_per_minute(sc, runs_1, "local", 1)
    rpm_local = runs_per_minute(sc, runs, "local", cores)
    has_dask = importlib.util.find_spec("distributed") is not None
    rpm_dask = None if args.no_dask or not has_dask else runs_per_minute(sc, runs, "dask", cores)
    row = {
        "scenario": sc.name,
        "cores": cores,
        "runs_1": runs_1,
        "runs": runs,
        "rpm_1": round(rpm_1, 3),
        "rpm_local": round(rpm_local, 3),
        "rpm_dask": None if rpm_dask is None else round(rpm_dask, 3),
        "scaling_local": round(rpm_local / rpm_1 / cores, 3),
        "dask_vs_local": None if rpm_dask is None else round(rpm_dask / rpm_local, 3),
    }
    print(json.dumps(row))


if __name__ == "__main__":
    main()
