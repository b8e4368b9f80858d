"""Variants of one scenario over the same replication seeds (common random numbers).

A variant study (a Shapley coalition game, a parameter sweep) runs several scenario variants;
replication ``i`` of every variant gets the same run seed (:mod:`shieldwall.studies.seeds`,
rule 5), so every unit the variants share draws the same numbers and the differences between
variants come from the change, not the dice. Each (variant, replication) pair is one task on
an :class:`~shieldwall.studies.executors.Executor`; a task that fails twice is recorded with
its error, never dropped. :func:`run_in_folder` journals each finished task into the study's
folder (:mod:`shieldwall.studies.folder`, as ``shieldwall study`` does), so an interrupted
study keeps what it finished and ``resume=True`` completes it to the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from shieldwall.io.runfolder import write_json, write_parquet
from shieldwall.scenario import Scenario
from shieldwall.sim import simulate
from shieldwall.sim.summary import summarize
from shieldwall.studies.executors import Executor, Outcome
from shieldwall.studies.folder import (
    JOURNAL,
    Journal,
    Layout,
    Setting,
    check_new,
    new_study,
    reopen_study,
    resume_records,
)
from shieldwall.studies.montecarlo import Metrics, retried_runs, retry_fields, study_metrics
from shieldwall.studies.seeds import MAX_RUNS, StudyInputError
from shieldwall.studies.stats import metric_columns

# the most (variant, replication) runs in one study, as for the replications of a Monte Carlo
# study: each is a task object, a journal line and a table row, all made before it runs
MAX_TASKS = MAX_RUNS
VALUE_HIT = "assets.value_hit"
DEFENDED = "assets.value_defended"
VALUE_HITS = "assets.value_hits"
Progress = Callable[[int, int, dict | None], None]


@dataclass(frozen=True, slots=True)
class VariantTask:
    """Replication ``replication`` (run seed ``seed``) of variant ``variant`` (``scenario``)."""

    variant: int
    replication: int
    seed: int
    scenario: Scenario


def variant_metrics(summary: dict) -> Metrics:
    """The study metrics plus three asset totals (payoffs of the coalition game):
    ``assets.value_hit`` = sum of ``assets.<id>.value_hit`` (an asset's whole value once any
    leaker hits it), ``assets.value_defended`` = total asset value minus that, and
    ``assets.value_hits`` = sum of value x hits (every hit counts, so it does not saturate
    when a large raid hits every target asset at least once)."""
    assets = summary.get("assets", {})
    hit = float(sum(a["value_hit"] for a in assets.values()))
    total = float(sum(a["value"] for a in assets.values()))
    hits = float(sum(a["value"] * a["hits"] for a in assets.values()))
    return study_metrics(summary) | {VALUE_HIT: hit, DEFENDED: total - hit, VALUE_HITS: hits}


def run_variant_task(task: VariantTask) -> Metrics:
    """One replication of one variant: simulate, summarize, keep the metrics (no files)."""
    return variant_metrics(summarize(simulate(task.scenario, task.seed)))


def check_tasks(runs: int, variants: int, what: str) -> None:
    """StudyInputError when ``runs`` replications of ``variants`` ``what`` (points,
    coalitions: an upper bound will do) make more than MAX_TASKS runs."""
    if runs * variants > MAX_TASKS:
        raise StudyInputError(
            f"--runs: {runs:,} replications x {variants:,} {what} = {runs * variants:,} runs;"
            f" at most {MAX_TASKS:,} in one study; use fewer --runs"
        )


def variant_tasks(
    scenarios: Sequence[Scenario], seeds: Sequence[int], pairs: Sequence[tuple[int, int]] = ()
) -> list[VariantTask]:
    """Tasks for the (variant, replication) ``pairs`` (default: every variant for every seed),
    replication ``i`` of each variant on ``seeds[i]``."""
    todo = pairs or [(v, i) for i in range(len(seeds)) for v in range(len(scenarios))]
    return [VariantTask(v, i, seeds[i], scenarios[v]) for v, i in todo]


def task_report(records: Sequence[dict], labels: Sequence[str]) -> dict:
    """A finished sweep's or Shapley study's task count, ``failed`` count, ``errors``
    (``"<variant label> #<replication>"`` -> error, after a retry) and ``retried`` (the same
    names -> the error of the failed try, for tasks that then succeeded)."""

    def name(r: dict) -> str:
        return f"{labels[r['variant']]} #{r['replication']}"

    failed = [r for r in records if r["status"] != "ok"]
    return {
        "tasks": len(records),
        "failed": len(failed),
        "errors": {name(r): r["error"] for r in failed},
        "retried": retried_runs(records, name),
    }


def run_variants(
    executor: Executor,
    tasks: Sequence[VariantTask],
    progress: Progress | None = None,
    fn: Callable[[VariantTask], Metrics] = run_variant_task,
    on_record: Callable[[dict], None] | None = None,
    enter: bool = True,
) -> list[dict]:
    """Run ``tasks`` on ``executor`` (entered here, unless ``enter`` is False: the caller
    entered it); one record per task, in task order:
    ``variant``, ``replication``, ``seed``, ``status`` (ok / failed), ``error``, ``metrics``,
    ``attempts`` and ``retried_after`` (see :func:`~shieldwall.studies.montecarlo.retry_fields`;
    the table leaves them out).
    ``on_record(record)`` is called as each task finishes (a folder journals it there), then
    ``progress(finished, total, record)``, which is also called once before any task runs."""
    records: list[dict | None] = [None] * len(tasks)

    def on_done(outcome: Outcome) -> None:
        task = tasks[outcome.index]
        records[outcome.index] = rec = {
            "variant": task.variant,
            "replication": task.replication,
            "seed": task.seed,
            "status": "ok" if outcome.ok else "failed",
            "error": outcome.error,
            "metrics": outcome.value if outcome.ok else {},
            **retry_fields(outcome),
        }
        if on_record is not None:
            on_record(rec)
        if progress is not None:
            progress(sum(r is not None for r in records), len(tasks), rec)

    with executor if enter else nullcontext():
        _map_tasks(executor, tasks, progress, fn, on_done)
    return [r for r in records if r is not None]


def _map_tasks(
    executor: Executor,
    tasks: Sequence[VariantTask],
    progress: Progress | None,
    fn: Callable[[VariantTask], Metrics],
    on_done: Callable[[Outcome], None],
) -> None:
    """Map ``fn`` over ``tasks`` on an ``executor`` already entered (progress first)."""
    if progress is not None:
        progress(0, len(tasks), None)
    executor.map(fn, list(tasks), on_done)


def runs_setting(runs: int) -> Setting:
    """The replication count a resumed variant study must share with its folder."""
    return Setting(("runs",), (runs,), lambda n: f"--runs {n}")


@dataclass(frozen=True, slots=True)
class VariantFolder:
    """The folder of a variant study: ``out``, laid out as ``layout``; the base scenario's
    YAML; the configuration ``meta`` (``base_seed`` included), written at the start and
    checked through ``settings`` on resume; the run ``seeds``; the table's ``labels`` and
    ``values`` (:func:`variants_table`)."""

    out: Path
    layout: Layout
    scenario_yaml: str
    meta: dict
    settings: tuple[Setting, ...]
    seeds: list[int]
    labels: list[str]
    values: list[float] | None = None


def _check_folder(f: VariantFolder, keys: set[tuple[int, int]], resume: bool,
                  force: bool) -> dict[tuple[int, int], dict]:  # fmt: skip
    """Check the folder, writing nothing: a new study's must be empty (unless ``force``); a
    resumed one must hold the same study. Returns its journaled records of the runs ``keys``
    (none for a new study), by (variant, replication)."""
    if not resume:
        check_new(f.out, force)
        return {}
    found = resume_records(f.out, f.scenario_yaml, f.meta["base_seed"], f.seeds, f.layout,
                           f.settings)  # fmt: skip
    return {key: r for r in found if (key := (r["variant"], r["replication"])) in keys}


def _open_folder(f: VariantFolder, rows: dict[tuple[int, int], dict], resume: bool,
                 force: bool, meta: dict) -> None:  # fmt: skip
    """Create the checked folder (clearing a previous study's files with ``force``) or reopen
    it with its ``rows``, marked INCOMPLETE, with ``meta`` (status ``running``)."""
    if resume:
        reopen_study(f.out, list(rows.values()), meta, f.layout)
    else:
        new_study(f.out, f.scenario_yaml, meta, force, f.layout)


def run_in_folder(
    folder: VariantFolder,
    executor: Executor,
    tasks: Sequence[VariantTask],
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    fn: Callable[[VariantTask], Metrics] = run_variant_task,
) -> list[dict]:
    """Run (or with ``resume`` continue) ``tasks`` into ``folder``, laid out as a study folder
    (:mod:`shieldwall.studies.folder`): a new folder is refused when not empty, unless
    ``force``; a resumed one must hold the same scenario, base seed and settings. The folder
    is checked, then ``executor`` entered, and only then written (an engine that cannot start
    leaves it as it was). Each finished task is journaled at once; on resume the tasks the
    journal holds as ok are not run again (failed ones are). Returns the records of every
    task, in task order. On any exception (Ctrl-C included) the finished runs go to the
    folder's table and its JSON says ``interrupted`` before it propagates (the folder stays
    INCOMPLETE); the caller writes the outputs of a finished study."""
    f, order = folder, {(t.variant, t.replication): k for k, t in enumerate(tasks)}
    rows = _check_folder(f, set(order), resume, force)
    todo = [t for t in tasks if rows.get((t.variant, t.replication), {}).get("status") != "ok"]
    # the engine starts before anything is written: one that cannot start (a bad --address)
    # leaves the folder as it was, a previous study's outputs included
    with executor if todo else nullcontext():
        meta = f.meta | {"workers": executor.workers}  # a Dask scheduler's, once connected
        _open_folder(f, rows, resume, force, meta | {"status": "running"})
        return _run_journaled(f, meta, executor, tasks, todo, rows, order, progress, fn)


def _run_journaled(
    f: VariantFolder,
    meta: dict,
    executor: Executor,
    tasks: Sequence[VariantTask],
    todo: list[VariantTask],
    rows: dict[tuple[int, int], dict],
    order: dict[tuple[int, int], int],
    progress: Progress | None,
    fn: Callable[[VariantTask], Metrics],
) -> list[dict]:
    """Run ``todo`` on the entered ``executor``, journaling each finished task into ``rows``
    and the folder; on any exception write the table and ``meta`` marked ``interrupted``."""
    journal, kept = Journal(f.out / JOURNAL), len(tasks) - len(todo)

    def on_record(rec: dict) -> None:
        journal.append(rec)
        rows[rec["variant"], rec["replication"]] = rec

    def counted(finished: int, total: int, rec: dict | None) -> None:
        if progress is not None:
            progress(kept + finished, len(tasks), rec)

    try:
        if todo:
            run_variants(executor, todo, counted, fn, on_record, enter=False)
    except BaseException:
        write_parquet(f.out / f.layout.table, variants_table(list(rows.values()), f.labels,
                                                             f.values))  # fmt: skip
        write_json(f.out / f.layout.meta, meta | {"status": "interrupted"})
        raise
    finally:
        journal.close()
    return sorted(rows.values(), key=lambda r: order[r["variant"], r["replication"]])


def variants_table(
    records: Sequence[dict], labels: Sequence[str], values: Sequence[float] | None = None
) -> pa.Table:
    """One row per (variant, replication): ``variant`` (index), ``label`` (``labels[variant]``),
    ``value`` (``values[variant]``, when given), ``replication``, ``seed``, ``status``,
    ``error``, then one float64 column per metric (null where a failed task has none; an
    interceptor type absent from a run fired 0)."""
    rows = sorted(records, key=lambda r: (r["variant"], r["replication"]))
    cols: dict[str, pa.Array] = {
        "variant": pa.array([r["variant"] for r in rows], pa.int64()),
        "label": pa.array([labels[r["variant"]] for r in rows], pa.string()),
        **(
            {"value": pa.array([float(values[r["variant"]]) for r in rows], pa.float64())}
            if values is not None
            else {}
        ),
        "replication": pa.array([r["replication"] for r in rows], pa.int64()),
        "seed": pa.array([r["seed"] for r in rows], pa.int64()),
        "status": pa.array([r["status"] for r in rows], pa.string()),
        "error": pa.array([r["error"] for r in rows], pa.string()),
    }
    for name in metric_columns(rows):
        zero = 0.0 if name.startswith("interceptors.by_nation.") else None
        cells = [r["metrics"].get(name, zero if r["status"] == "ok" else None) for r in rows]
        cols[name] = pa.array([None if c is None else float(c) for c in cells], pa.float64())
    return pa.table(cols)


__all__ = [
    "DEFENDED",
    "MAX_TASKS",
    "VALUE_HITS",
    "VALUE_HIT",
    "VariantFolder",
    "VariantTask",
    "check_tasks",
    "run_in_folder",
    "run_variant_task",
    "run_variants",
    "runs_setting",
    "variant_metrics",
    "variant_tasks",
    "variants_table",
]
