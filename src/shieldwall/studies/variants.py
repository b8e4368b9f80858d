"""Variants of one scenario over the same replication seeds (common random numbers).

A variant study (a Shapley coalition game, a parameter sweep) runs several scenario variants;
replication ``i`` of every variant gets the same run seed (:mod:`shieldwall.studies.seeds`,
rule 5), so every unit the variants share draws the same numbers and the differences between
variants come from the change, not the dice. Each (variant, replication) pair is one task on
an :class:`~shieldwall.studies.executors.Executor`; a task that fails twice is recorded with
its error, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from shieldwall.scenario import Scenario
from shieldwall.sim import simulate
from shieldwall.sim.summary import summarize
from shieldwall.studies.executors import Executor, Outcome
from shieldwall.studies.montecarlo import Metrics, study_metrics
from shieldwall.studies.stats import metric_columns

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


def variant_tasks(
    scenarios: Sequence[Scenario], seeds: Sequence[int], pairs: Sequence[tuple[int, int]] = ()
) -> list[VariantTask]:
    """Tasks for the (variant, replication) ``pairs`` (default: every variant for every seed),
    replication ``i`` of each variant on ``seeds[i]``."""
    todo = pairs or [(v, i) for i in range(len(seeds)) for v in range(len(scenarios))]
    return [VariantTask(v, i, seeds[i], scenarios[v]) for v, i in todo]


def run_variants(
    executor: Executor,
    tasks: Sequence[VariantTask],
    progress: Progress | None = None,
    fn: Callable[[VariantTask], Metrics] = run_variant_task,
    keep: Callable[[list[dict]], None] | None = None,
) -> list[dict]:
    """Run ``tasks`` on ``executor`` (entered here); one record per task, in task order:
    ``variant``, ``replication``, ``seed``, ``status`` (ok / failed), ``error``, ``metrics``.
    ``progress(finished, total, record)`` is called once before and after each task. On any
    exception (Ctrl-C included) ``keep(finished records)`` is called before it propagates, so
    the caller can write what finished."""
    records: list[dict | None] = [None] * len(tasks)

    def on_done(outcome: Outcome) -> None:
        task = tasks[outcome.index]
        records[outcome.index] = {
            "variant": task.variant,
            "replication": task.replication,
            "seed": task.seed,
            "status": "ok" if outcome.ok else "failed",
            "error": outcome.error,
            "metrics": outcome.value if outcome.ok else {},
        }
        if progress is not None:
            progress(sum(r is not None for r in records), len(tasks), records[outcome.index])

    try:
        with executor:
            if progress is not None:
                progress(0, len(tasks), None)
            executor.map(fn, list(tasks), on_done)
    except BaseException:
        if keep is not None:
            keep([r for r in records if r is not None])
        raise
    return [r for r in records if r is not None]


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
    "VALUE_HITS",
    "VALUE_HIT",
    "VariantTask",
    "run_variant_task",
    "run_variants",
    "variant_metrics",
    "variant_tasks",
    "variants_table",
]
