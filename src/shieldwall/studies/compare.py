"""What-ifs: a scenario against one variant of it, paired over the same seeds.

A *removal* names what the variant lacks (several apply together):

- ``sharing`` nations release nothing: every agreement *from* them is dropped (they still
  receive, sense and shoot);
- ``nations`` leave the coalition (:func:`~shieldwall.studies.coalitions.coalition_scenario`:
  their sensors, batteries, patrols, agreements, places in audiences and authorities go; the
  nation and its assets stay, so the scenario stays valid and its assets are still defended);
- ``agreements`` are dropped by id;
- ``authorities`` are dropped by id (an authority's id defaults to its nation's), so that
  nation may not fire (:func:`shieldwall.engagement.shooters.authorities`).

Replication ``i`` of the base and of the variant run on the same run seed (common random
numbers, :mod:`shieldwall.studies.seeds` rule 5). Per metric and replication the paired
difference is ``d_i = variant_i - base_i``; the report gives the means of base and variant,
``mean(d)`` and the paired Student t interval (Student 1908; e.g. Montgomery & Runger,
"Applied Statistics and Probability for Engineers", 6th ed., section 10-4)::

    mean(d) +- t_{0.975, n-1} * sd(d) / sqrt(n)      (sd with ddof 1, n seed pairs)

Everything the two variants share draws the same numbers, so a removal that changes nothing
gives ``d_i = 0`` exactly and an interval of zero width. A replication that failed (after a
retry) in either variant is reported in ``errors`` and its pair is left out of the statistics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from shieldwall import __version__
from shieldwall.scenario import THREAT_CLASSES, Scenario, ScenarioError, load_scenario
from shieldwall.studies.coalitions import coalition_scenario, nation_ids
from shieldwall.studies.executors import Executor
from shieldwall.studies.montecarlo import Metrics, retried_runs
from shieldwall.studies.seeds import replication_seeds
from shieldwall.studies.stats import mean_ci
from shieldwall.studies.variants import (
    VALUE_HITS,
    Progress,
    VariantTask,
    run_variant_task,
    run_variants,
    variant_tasks,
)

BASE, VARIANT = 0, 1
ASSET_HITS = "assets.hits"  # the sum of assets.<id>.hits: every leaker that hit an asset
CORE_METRICS = [
    *(f"threats.by_class.{c}.leaked" for c in THREAT_CLASSES),
    "threats.leaked",
    ASSET_HITS,
    VALUE_HITS,
    "interceptors.fired",
    "interceptors.cost_usd",
]
UNITS = ("sensors", "batteries", "patrols", "agreements", "authorities")


@dataclass(frozen=True, slots=True)
class Removal:
    """What the variant lacks (see the module docstring); ids as in the scenario file."""

    sharing: tuple[str, ...] = ()
    nations: tuple[str, ...] = ()
    agreements: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        return {
            "without_sharing": list(self.sharing),
            "without_nation": list(self.nations),
            "without_agreement": list(self.agreements),
            "without_authority": list(self.authorities),
        }

    def describe(self) -> str:
        """``without sharing from USA; without agreement usa-to-isr`` (option order)."""
        parts = [f"without {k.removeprefix('without_').replace('_', ' ')}"
                 f"{' from' if k == 'without_sharing' else ''} {', '.join(v)}"
                 for k, v in self.as_json().items() if v]  # fmt: skip
        return "; ".join(parts) or "nothing removed"


@dataclass(frozen=True, slots=True)
class CompareResult:
    """A finished comparison: its JSON-ready ``summary`` and one record per task."""

    summary: dict
    records: list[dict]


def _known(option: str, what: str, asked: Sequence[str], known: Sequence[str]) -> None:
    """ValueError (one line, listing the known ids) for the first of ``asked`` not known."""
    for name in asked:
        if name not in known:
            listed = ", ".join(known) or "none in this scenario"
            raise ValueError(f"{option}: unknown {what} '{name}' (known: {listed})")


def check_removal(scenario: Scenario, removal: Removal) -> None:
    """ValueError for an empty removal or an id ``scenario`` does not have."""
    if not any(removal.as_json().values()):
        raise ValueError("give at least one of --without-sharing, --without-nation,"
                         " --without-agreement, --without-authority")  # fmt: skip
    nations = nation_ids(scenario)
    _known("--without-sharing", "nation", removal.sharing, nations)
    _known("--without-nation", "nation", removal.nations, nations)
    _known("--without-agreement", "agreement", removal.agreements,
           [a.id for a in scenario.agreements])  # fmt: skip
    _known("--without-authority", "authority", removal.authorities,
           [a.id for a in scenario.authorities])  # fmt: skip


def variant_scenario(scenario: Scenario, removal: Removal) -> Scenario:
    """``scenario`` without what ``removal`` names, re-validated (the name is kept, so every
    unit keeps its random streams). ValueError (one line) for an unknown id or a variant the
    loader rejects."""
    check_removal(scenario, removal)
    data = scenario.model_dump(mode="json", by_alias=True)
    data["agreements"] = [ag for ag in data["agreements"]
                          if ag["from"] not in removal.sharing
                          and ag["id"] not in removal.agreements]  # fmt: skip
    data["authorities"] = [a for a in data["authorities"] if a["id"] not in removal.authorities]
    try:
        variant = load_scenario(data)
        members = [n for n in nation_ids(scenario) if n not in removal.nations]
        return coalition_scenario(variant, members) if removal.nations else variant
    except ScenarioError as exc:
        problem = exc.problems[0].removeprefix("<dict>: ")
        raise ValueError(
            f"{removal.describe()}: the variant is not a valid scenario: {problem}"
        ) from None


def dropped(base: Scenario, variant: Scenario) -> dict[str, list[str]]:
    """Ids of the units, agreements and authorities ``base`` has and ``variant`` lacks, and
    under ``receivers`` each kept agreement's lost recipients (``usa-to-all: GBR``: a nation
    that left receives nothing from the partners that stay)."""
    out = {}
    for field in UNITS:
        left = {item.id for item in getattr(variant, field)}
        out[field] = [item.id for item in getattr(base, field) if item.id not in left]
    kept = {ag.id: ag for ag in variant.agreements}
    out["receivers"] = []
    for ag in base.agreements:
        if ag.id in kept:
            lost = _recipients(base, ag) - _recipients(variant, kept[ag.id])
            out["receivers"] += [f"{ag.id}: {n}" for n in sorted(lost)]
    return out


def _recipients(scenario: Scenario, agreement) -> set[str]:
    """The nations an agreement's audiences stand for, less the one releasing."""
    members = {n for aud in agreement.to for n in scenario.audience_members(aud)}
    return members - {agreement.from_nation}


def metric_value(metrics: Metrics, name: str) -> float:
    """One comparison metric of a replication (NaN when the summary lacks it)."""
    if name == ASSET_HITS:
        hits = [v for k, v in metrics.items() if k.startswith("assets.") and k.endswith(".hits")]
        return float(sum(hits))
    value = metrics.get(name)
    return math.nan if value is None else float(value)


def compare_metrics(records: Sequence[dict]) -> list[str]:
    """The metrics compared: leakers by class and in total, asset hits (count and value x
    hits), interceptors fired and their cost, then every audience's picture completeness
    (``siap.<audience>.completeness``, in the order the base runs report them)."""
    siap: dict[str, None] = {}
    for rec in sorted(records, key=lambda r: r["replication"]):
        if rec["variant"] == BASE:
            siap |= {k: None for k in rec["metrics"] if k.startswith("siap.")}
    return [*CORE_METRICS, *(k for k in siap if k.endswith(".completeness"))]


def _json(x: float) -> float | None:
    return x if math.isfinite(x) else None


def paired_stats(records: Sequence[dict], names: Sequence[str]) -> tuple[dict, int]:
    """Per metric ``{base, variant, diff, ci95}`` over the replications where both variants
    finished and report it (the paired t interval of the module docstring; ``ci95`` None
    below two pairs), and the number of such replication pairs."""
    ok = {(r["variant"], r["replication"]): r["metrics"] for r in records if r["status"] == "ok"}
    reps = sorted(i for v, i in ok if v == BASE and (VARIANT, i) in ok)
    out = {}
    for name in names:
        pairs = np.array(
            [[metric_value(ok[(v, i)], name) for v in (BASE, VARIANT)] for i in reps]
        ).reshape(-1, 2)  # (n, 2): base, variant of each replication
        pairs = pairs[np.isfinite(pairs).all(axis=1)]
        d = pairs[:, 1] - pairs[:, 0]  # d_i = variant_i - base_i
        mean, low, high, n = mean_ci(d.tolist())
        out[name] = {
            "base": _json(float(pairs[:, 0].mean())) if n else None,
            "variant": _json(float(pairs[:, 1].mean())) if n else None,
            "diff": _json(mean),
            "ci95": [_json(low), _json(high)] if n > 1 else None,
        }
    return out, len(reps)


def _name(record: dict) -> str:
    """``'base #3'`` or ``'variant #3'``: a task as messages name it."""
    return f"{('base', 'variant')[record['variant'] == VARIANT]} #{record['replication']}"


def _in_order(records: Sequence[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (r["replication"], r["variant"]))


def _errors(records: Sequence[dict]) -> dict[str, str]:
    """``{'base #3': 'ValueError: ...', 'variant #3': ...}`` for every failed task."""
    return {_name(r): r["error"] for r in _in_order(records) if r["status"] != "ok"}


def compare_study(
    scenario: Scenario,
    removal: Removal,
    runs: int,
    executor: Executor,
    base_seed: int | None = None,
    progress: Progress | None = None,
    fn: Callable[[VariantTask], Metrics] = run_variant_task,
) -> CompareResult:
    """Run ``runs`` replications of ``scenario`` and of its variant without ``removal`` on
    ``executor``, replication ``i`` of both on the same run seed; nothing is written. The
    variant is built and checked before anything runs. ``fn`` runs one task (tests pass a
    stand-in)."""
    if runs < 1:
        raise ValueError(f"--runs: must be at least 1, got {runs}")
    variant = variant_scenario(scenario, removal)
    base = scenario.seed if base_seed is None else int(base_seed)
    start = time.monotonic()
    tasks = variant_tasks([scenario, variant], replication_seeds(base, runs))
    records = run_variants(executor, tasks, progress, fn)
    metrics, pairs = paired_stats(records, compare_metrics(records))
    errors = _errors(records)
    summary = {
        "scenario": scenario.name,
        "runs": runs,
        "variant": removal.as_json() | {"dropped": dropped(scenario, variant)},
        "unchanged": variant == scenario,
        "base_seed": base,
        "pairs": pairs,
        "interval": "paired Student t, 95%, over the per-seed differences variant - base",
        "metrics": metrics,
        "failed": len(errors),
        "errors": errors,
        "retried": retried_runs(_in_order(records), _name),
        "engine": executor.name,
        "workers": executor.workers,
        "wall_s": round(time.monotonic() - start, 3),
        "shieldwall_version": __version__,
        "notional": True,
    }
    return CompareResult(summary, records)


__all__ = [
    "ASSET_HITS",
    "CORE_METRICS",
    "CompareResult",
    "Removal",
    "check_removal",
    "compare_metrics",
    "compare_study",
    "dropped",
    "metric_value",
    "paired_stats",
    "variant_scenario",
]
