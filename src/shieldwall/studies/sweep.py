"""Parameter sweeps: one numeric scenario field over a range, every point on the same seeds.

``PATH=START:STOP:STEP`` names a field by its dotted path in the scenario file, list items by
index (``batteries.0.magazine``, ``sim.decision_period_s``, ``agreements.1.latency_s``,
``raid.salvos.0.count``, ``sensors.2.outages.0.from_s``), and the values ``START, START +
STEP, ...`` up to and including ``STOP``. Each point is a scenario variant built by a pure
function (:func:`set_param`) and re-validated by the scenario loader, so a value the scenario
rejects is refused, with the loader's own message, before anything runs.

Replication ``i`` of every point runs on the same run seed (common random numbers), so the
change from one point to the next comes from the parameter, not the dice: the study also
reports each point's difference from the first with its own (tighter) paired interval.
Each finished run is journaled in the folder, so an interrupted sweep continues with
``resume=True`` (``--resume``) to the same table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from shieldwall import __version__
from shieldwall.io.runfolder import close_run_dir, write_json, write_parquet
from shieldwall.scenario import (
    THREAT_CLASSES,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_to_yaml,
)
from shieldwall.studies.executors import Executor
from shieldwall.studies.folder import SWEEP, Setting
from shieldwall.studies.montecarlo import Metrics
from shieldwall.studies.seeds import StudyInputError, check_runs, check_seed, replication_seeds
from shieldwall.studies.stats import mean_ci
from shieldwall.studies.variants import (
    VALUE_HIT,
    VALUE_HITS,
    Progress,
    VariantFolder,
    VariantTask,
    check_tasks,
    run_in_folder,
    run_variant_task,
    runs_setting,
    task_report,
    variant_tasks,
    variants_table,
)

TABLE = SWEEP.table
META = SWEEP.meta
PLOT = SWEEP.extra[0]
MAX_POINTS = 200
LEAKED = ["threats.leaked", *(f"threats.by_class.{c}.leaked" for c in THREAT_CLASSES)]
SWEEP_METRICS = [*LEAKED, VALUE_HIT, VALUE_HITS, "interceptors.fired", "interceptors.cost_usd"]


@dataclass(frozen=True, slots=True)
class SweepResult:
    """A finished sweep: its folder, ``sweep.parquet`` and ``sweep.json``."""

    folder: Path
    table: pa.Table
    summary: dict


class ParamError(StudyInputError):
    """A ``--param`` the sweep cannot run: not PATH=START:STOP:STEP, a range that does not
    reach STOP, a path the scenario lacks or a value it rejects (one line, naming the fix)."""


def num(x: float) -> str:
    """A swept number as the user would type it: ``1000000``, not ``1e+06``; ``0.1``, not
    ``0.1000000000000001`` (12 significant digits: the values are rounded to that)."""
    return str(x) if isinstance(x, int) else f"{x:.12g}"


def parse_param(text: str) -> tuple[str, list[float]]:
    """``PATH=START:STOP:STEP`` as (path, values); ParamError names what is wrong."""
    path, eq, spec = text.partition("=")
    parts = spec.split(":")
    if not eq or not path.strip() or len(parts) != 3:
        raise ParamError(f"--param: '{text}' is not PATH=START:STOP:STEP")
    if path.strip() == "seed":
        raise ParamError(
            "--param seed: every replication runs on its own seed, which replaces the"
            " scenario's; sweep another field (the study's base seed is --seed)"
        )
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise ParamError(f"--param: '{spec}': START, STOP and STEP must be numbers") from None
    return path.strip(), sweep_values(start, stop, step)


def sweep_values(start: float, stop: float, step: float) -> list[float]:
    """``start, start + step, ...`` up to and including ``stop``, which must be ``start +
    k * step`` for a whole ``k`` (within 1e-9 of a step, so float steps such as 0.1 reach it);
    ParamError otherwise, naming the nearest ranges that do."""
    if not all(map(math.isfinite, (start, stop, step))):
        raise ParamError("--param: START, STOP and STEP must be finite")
    if step == 0 or (stop - start) * step < 0:
        raise ParamError(
            f"--param: STEP {num(step)} does not lead from {num(start)} to {num(stop)}"
        )
    steps = (stop - start) / step
    count = math.floor(steps + 1e-9) + 1 if math.isfinite(steps) else math.inf
    if count > MAX_POINTS:
        shown = f"{count:,}" if math.isfinite(count) else "too many"
        raise ParamError(f"--param: {shown} points; at most {MAX_POINTS} (use a larger STEP)")
    whole = round(steps)
    if abs(steps - whole) > 1e-9:
        below, above = (round(start + k * step, 12) for k in (math.floor(steps), math.ceil(steps)))
        a, b, c = num(start), num(stop), num(step)
        raise ParamError(
            f"--param: STOP {b} is not START + k*STEP ({a}:{b}:{c}); use {a}:{num(below)}:{c}"
            f" or {a}:{num(above)}:{c}"
        )
    return [round(start + k * step, 12) for k in range(whole + 1)]


def _walk(data: Any, parts: list[str], path: str) -> tuple[Any, str | int]:
    """The container holding the field ``parts`` and the key or index of the field in it."""
    node: Any = data
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the scenario"
        key: str | int = part
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ParamError(f"--param {path}: {here} is a list of {len(node)}; '{part}'"
                                 f" is not an index 0..{len(node) - 1}")  # fmt: skip
            key = int(part)
        elif not isinstance(node, dict) or part not in node:
            known = ", ".join(sorted(node)) if isinstance(node, dict) else "none: not a mapping"
            raise ParamError(f"--param {path}: {here} has no field '{part}' (fields: {known})")
        if depth == len(parts) - 1:
            return node, key
        node = node[key]
    raise ParamError(f"--param: '{path}' is empty")


def _number(current: Any, value: float, path: str) -> float | int:
    """``value`` typed like the field: an int for a whole-number field; ParamError for a field
    that is not a number. A null field (its type unknown here) takes a whole value as an int,
    which a float field reads as well and an int field's message then shows as typed ("got
    0", not "got 0.0"); the check is left to validation."""
    if isinstance(current, bool) or not isinstance(current, int | float | None):
        raise ParamError(f"--param {path}: not a numeric field ({_holds(current, path)})")
    if isinstance(current, int | None) and isinstance(value, int | float) and value % 1 == 0:
        return int(value)
    return value


def _holds(current: Any, path: str) -> str:
    """What a non-numeric field holds, in a few words (never a whole list or mapping)."""
    if isinstance(current, list):
        return (
            f"it holds a list of {len(current)} items; give an index and a field,"
            f" e.g. {path}.0.<field>"
        )
    if isinstance(current, dict):
        names = ", ".join(sorted(current)[:8]) + (", ..." if len(current) > 8 else "")
        return f"it holds the fields {names}; give one, e.g. {path}.<field>"
    text = repr(current)
    return f"it holds {text if len(text) <= 60 else text[:57] + '...'}"


def set_param(scenario: Scenario, path: str, value: float) -> Scenario:
    """``scenario`` with the field at ``path`` set to ``value``, re-validated; ValueError (one
    line, the loader's message for a rejected value) otherwise."""
    data = scenario.model_dump(mode="json", by_alias=True)
    parts = path.split(".")
    node, key = _walk(data, parts, path)
    node[key] = typed = _number(node[key], value, path)
    try:
        return load_scenario(data)
    except ScenarioError as exc:
        problem = exc.problems[0].removeprefix("<dict>: ")
        raise ParamError(f"--param {path}={num(typed)}: {problem}") from None


def point_stats(table: pa.Table, points: int) -> list[dict]:
    """Per point: mean, 95% CI and n of each sweep metric, and the paired difference from
    the first point (same replication, same seed) with its CI."""
    cols = table.to_pydict()
    ok = np.array([s == "ok" for s in cols["status"]])
    variant, rep = np.array(cols["variant"]), np.array(cols["replication"])
    out = []
    for k in range(points):
        row: dict[str, dict] = {"metrics": {}, "diff_vs_first": {}}
        for name in (m for m in SWEEP_METRICS if m in cols):
            x = np.array([np.nan if v is None else v for v in cols[name]], dtype=float)
            x[~ok] = np.nan
            here = dict(zip(rep[variant == k], x[variant == k], strict=True))
            first = dict(zip(rep[variant == 0], x[variant == 0], strict=True))
            row["metrics"][name] = _stats(list(here.values()))
            row["diff_vs_first"][name] = _stats([here[i] - first.get(i, np.nan) for i in here])
        out.append(row)
    return out


def _stats(values: Sequence[float]) -> dict:
    mean, low, high, n = mean_ci(values)
    finite = n > 0 and math.isfinite(mean)
    return {"mean": mean if finite else None, "ci95": [low, high] if n > 1 else None, "n": n}


def param_text(path: str, values: Sequence[float] | None) -> str:
    """``--param PATH=START:STOP:STEP`` for the swept ``values`` (as a resume message
    names it)."""
    if not values:
        return f"--param {path}"
    step = values[1] - values[0] if len(values) > 1 else 1.0
    return f"--param {path}={num(values[0])}:{num(values[-1])}:{num(step)}"


def sweep_study(
    scenario: Scenario,
    path: str,
    values: Sequence[float],
    runs: int,
    out: Path,
    executor: Executor,
    base_seed: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    fn: Callable[[VariantTask], Metrics] = run_variant_task,
) -> SweepResult:
    """Run (or with ``resume`` continue) ``runs`` replications of ``scenario`` with ``path``
    set to each of ``values`` into the folder ``out`` (refused when it exists and is not
    empty, unless ``force``): ``scenario.yaml`` (the base scenario), ``sweep.parquet`` (one
    row per point and replication), ``sweep.json``, ``sweep.png`` and the journal. Every
    variant is built and validated before the folder is made. A resumed sweep must have the
    same scenario, base seed, ``--param`` and ``runs``. ``fn`` runs one task (tests pass a
    stand-in)."""
    check_runs(runs)
    check_tasks(runs, len(values), "points")
    scenarios = [set_param(scenario, path, x) for x in values]
    base = scenario.seed if base_seed is None else check_seed(base_seed)
    seeds, points = replication_seeds(base, runs), [float(x) for x in values]
    labels = [f"{path}={num(x)}" for x in values]
    meta = {
        "scenario": scenario.name,
        "param": path,
        "values": points,
        "runs": runs,
        "base_seed": base,
        "engine": executor.name,
        "workers": executor.workers,
        "shieldwall_version": __version__,
        "notional": True,
    }
    settings = (Setting(("param", "values"), (path, points), param_text), runs_setting(runs))
    folder = VariantFolder(Path(out), SWEEP, scenario_to_yaml(scenario), meta, settings, seeds,
                           labels, points)  # fmt: skip
    tasks = variant_tasks(scenarios, seeds)
    records = run_in_folder(folder, executor, tasks, resume, force, progress, fn)
    return _finish(folder, records, executor.workers)


def _finish(folder: VariantFolder, records: list[dict], workers: int) -> SweepResult:
    """Write a finished sweep's ``sweep.parquet``, ``sweep.json`` and ``sweep.png``
    (``workers``: the engine's, a Dask scheduler's once connected)."""
    out, labels = folder.out, folder.labels
    table = variants_table(records, labels, folder.values)
    summary = folder.meta | {
        "workers": workers,
        "status": "complete",
        **task_report(records, labels),
        "points": point_stats(table, len(labels)),
    }
    write_parquet(out / TABLE, table)
    write_json(out / META, summary)
    from shieldwall.io.studyplots import sweep_png

    sweep_png(out / PLOT, summary)
    close_run_dir(out)
    return SweepResult(out, table, summary)


__all__ = [
    "LEAKED",
    "ParamError",
    "SWEEP_METRICS",
    "SweepResult",
    "param_text",
    "parse_param",
    "point_stats",
    "set_param",
    "sweep_study",
    "num",
    "sweep_values",
]
