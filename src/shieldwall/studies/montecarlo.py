"""Monte Carlo studies: many replications of one scenario with independent, reproducible seeds.

A replication is ``simulate`` + ``summarize`` with the replication's run seed (see
:mod:`shieldwall.studies.seeds`): no map, no event table, no files. Its metrics are read from
the summary dict generically (:func:`study_metrics`), so nations, assets and interceptor types
come from the scenario and summary, never from a list here. Replications run on an
:class:`~shieldwall.studies.executors.Executor`; each finished one is journaled at once
(:mod:`shieldwall.studies.folder`), so an interrupted study keeps what it finished and
``resume=True`` completes it to the same table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow as pa

from shieldwall import __version__
from shieldwall.io.runfolder import close_run_dir, write_json, write_parquet
from shieldwall.scenario import Scenario, scenario_to_yaml
from shieldwall.sim import simulate
from shieldwall.sim.summary import summarize
from shieldwall.studies.executors import Executor, Outcome
from shieldwall.studies.folder import (
    JOURNAL,
    META,
    TABLE,
    Journal,
    check_new,
    new_study,
    reopen_study,
    resume_records,
)
from shieldwall.studies.seeds import replication_seeds
from shieldwall.studies.stats import study_table, table_stats

Metrics = dict[str, float | int | None]
Replicate = Callable[[Scenario, int], Metrics]
Progress = Callable[[int, int, dict | None], None]


@dataclass(frozen=True, slots=True)
class Replication:
    """Replication ``index`` of a study and its run seed."""

    index: int
    seed: int


@dataclass(frozen=True, slots=True)
class StudyResult:
    """A finished (or interrupted) study: its folder, table and ``study.json`` dict."""

    folder: Path
    table: pa.Table
    summary: dict


def _number(x: object) -> bool:
    return x is None or (isinstance(x, int | float) and not isinstance(x, bool))


def study_metrics(summary: dict) -> Metrics:
    """The per-replication metrics, named by their summary key paths: leakers in total and by
    class, hits per asset, interceptors fired (total, per nation and type) and their cost, the
    cost-exchange ratio, and each nation's picture completeness. Keys the summary lacks are
    skipped, so this follows the simulator's summary as it changes."""
    out: Metrics = {}

    def put(name: str, row: object, key: str) -> None:
        """Keep ``row[key]`` under ``name`` when present and a number (or null)."""
        if isinstance(row, dict) and key in row and _number(row[key]):
            out[name] = row[key]

    threats = summary.get("threats", {})
    put("threats.leaked", threats, "leaked")
    for cls, row in threats.get("by_class", {}).items():
        put(f"threats.by_class.{cls}.leaked", row, "leaked")
    for asset, row in summary.get("assets", {}).items():
        put(f"assets.{asset}.hits", row, "hits")
    inter = summary.get("interceptors", {})
    put("interceptors.fired", inter, "fired")
    put("interceptors.cost_usd", inter, "cost_usd")
    for nation, types in inter.get("by_nation", {}).items():
        for typ, row in types.items():
            put(f"interceptors.by_nation.{nation}.{typ}.fired", row, "fired")
    put("cost_exchange_ratio", summary, "cost_exchange_ratio")
    for nation, row in summary.get("siap", {}).items():
        put(f"siap.{nation}.completeness", row, "completeness")
    return out


def replicate(scenario: Scenario, seed: int) -> Metrics:
    """One replication: simulate, summarize, keep the metrics (nothing rendered or written)."""
    return study_metrics(summarize(simulate(scenario, seed)))


def _task(fn: Replicate, scenario: Scenario, rep: Replication) -> Metrics:
    return fn(scenario, rep.seed)


def run_study(
    scenario: Scenario,
    runs: int,
    out: Path,
    executor: Executor,
    base_seed: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    replicate_fn: Replicate = replicate,
    warn: Callable[[str], None] | None = None,
) -> StudyResult:
    """Run (or with ``resume`` continue) a study of ``runs`` replications into ``out``.

    ``base_seed`` defaults to the scenario's seed. The folder is checked before ``executor``
    is entered (so a Dask cluster starts only for a usable folder, and a cluster that cannot
    start leaves no folder behind). ``progress(finished, runs, record)`` is called once before
    any replication runs (record None) and after each one. On resume, damaged journal records
    are run again and named in one line passed to ``warn`` (default: logged as a warning; see
    :func:`~shieldwall.studies.folder.resume_records`). On any exception, KeyboardInterrupt
    included, the finished replications are written to ``study.parquet`` before it
    propagates."""
    if runs < 1:
        raise ValueError(f"--runs: must be at least 1, got {runs}")
    out = Path(out)
    base = scenario.seed if base_seed is None else int(base_seed)
    seeds = replication_seeds(base, runs)
    meta = {
        "scenario": scenario.name,
        "runs": runs,
        "base_seed": base,
        "engine": executor.name,
        "workers": executor.workers,
        "shieldwall_version": __version__,
        "notional": True,
        "status": "running",
    }
    text = scenario_to_yaml(scenario)
    if resume:
        records = resume_records(out, text, base, seeds, warn=warn)
    else:
        records = check_new(out, force) or []
    rows = {r["replication"]: r for r in records if r["replication"] < runs}
    todo = [Replication(i, s) for i, s in enumerate(seeds) if rows.get(i, {}).get("status") != "ok"]
    with executor if todo else nullcontext():
        if resume:
            reopen_study(out, records, meta)
        else:
            new_study(out, text, meta, force)
        task = partial(_task, replicate_fn, scenario)
        return _replicate(executor, task, todo, out, rows, meta | {"workers": executor.workers},
                          progress)  # fmt: skip


def _replicate(
    executor: Executor,
    task: Callable[[Replication], Metrics],
    todo: list[Replication],
    out: Path,
    rows: dict[int, dict],
    meta: dict,
    progress: Progress | None,
) -> StudyResult:
    """Run ``todo`` on ``executor``, journaling each finished one into ``rows`` and the
    folder; write the study's outputs at the end, or on the way out of an exception."""
    runs = meta["runs"]
    start = time.perf_counter()
    journal = Journal(out / JOURNAL)
    ran = [0]

    def finished() -> int:
        return sum(r["status"] == "ok" for r in rows.values())

    def on_done(outcome: Outcome) -> None:
        rec = _record(todo[outcome.index], outcome)
        journal.append(rec)
        ran[0] += 1
        rows[rec["replication"]] = rec
        if progress is not None:
            progress(finished(), runs, rec)

    try:
        if progress is not None:
            progress(finished(), runs, None)
        if todo:
            executor.map(task, todo, on_done)
    except BaseException:
        _write_outputs(out, rows, meta | {"status": "interrupted"}, start, ran[0])
        raise
    finally:
        journal.close()
    result = _write_outputs(out, rows, meta | {"status": "complete"}, start, ran[0])
    close_run_dir(out)
    return result


def _record(rep: Replication, outcome: Outcome) -> dict:
    """The journal record of a finished replication. ``attempts`` and ``retried_after`` (the
    error of a failed try that was retried) report a retry; the table leaves them out, so a
    retried replication's row is the row of one that never failed."""
    ok = outcome.ok
    return {
        "replication": rep.index,
        "seed": rep.seed,
        "status": "ok" if ok else "failed",
        "error": outcome.error,
        "metrics": outcome.value if ok else {},
        **retry_fields(outcome),
    }


def retry_fields(outcome: Outcome) -> dict:
    """A journal record's report of retries: the ``attempts`` made and ``retried_after``, the
    error of the try that failed before the last (None when the first try was the last)."""
    return {"attempts": outcome.attempts, "retried_after": outcome.retried_after}


def retried_runs(records: Iterable[dict], name: Callable[[dict], str]) -> dict[str, str]:
    """The runs among ``records`` (in their order) that succeeded only when retried: their
    ``name`` -> the error of the failed try. Records from before retries were journaled have
    no ``retried_after`` and count as never retried."""
    return {
        name(r): r["retried_after"]
        for r in records
        if r["status"] == "ok" and isinstance(r.get("retried_after"), str)
    }


def _write_outputs(out: Path, rows: dict, meta: dict, start: float, ran: int) -> StudyResult:
    """``study.parquet`` from the finished rows, ``study.json`` with means and 95% CIs."""
    table = study_table(list(rows.values()))
    write_parquet(out / TABLE, table)
    status = table.column("status").to_pylist()
    ordered = sorted(rows.values(), key=lambda r: r["replication"])
    summary = meta | {
        "completed": status.count("ok"),
        "failed": status.count("failed"),
        "errors": {str(r["replication"]): r["error"] for r in ordered if r["status"] != "ok"},
        "retried": retried_runs(ordered, lambda r: str(r["replication"])),
        "wall_s": round(time.perf_counter() - start, 3),
        "replications_this_session": ran,
        **table_stats(table),
    }
    write_json(out / META, summary)
    return StudyResult(out, table, summary)


__all__ = [
    "Replicate",
    "Replication",
    "StudyResult",
    "replicate",
    "retried_runs",
    "retry_fields",
    "run_study",
    "study_metrics",
]
