"""What each partner is worth: the Shapley value of each nation in the coalition game.

The game: players are the scenario's nations; the worth ``v(S)`` of a coalition ``S`` is the
asset value left standing (``assets.value_defended``: total asset value minus the value hit)
when only the nations in ``S`` defend (:func:`~shieldwall.studies.coalitions.
coalition_scenario`). ``v({})`` is what the raid leaves standing with no defense at all.

Estimation (Shapley 1953; Castro, Gomez & Tejada 2009 for sampling): replication ``i`` runs
every coalition it needs on the same run seed (common random numbers), which makes the
replication's own Shapley values a valid sample of the expected game's values (the Shapley
value is linear in ``v``). Their mean over replications is the estimate and the Student-t
interval over replications its 95% CI. Up to 8 nations every one of the 2**n coalitions is
run (exact for each replication); beyond that, replication ``i`` samples ``permutations``
orderings of its own (from the first child of its SeedSequence, so the interval covers the
sampling error too) and runs the coalitions they need. Either way each replication's values
sum exactly to its ``v(N) - v({})`` (efficiency).

``agreements=True`` adds, for each sharing agreement, the grand coalition without it: the
agreement's value is ``v(N) - v(N without it)``, per replication, with its CI.

Each finished run is journaled in the study's folder, so an interrupted study continues with
``resume=True`` (``--resume``) to the same table and values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from shieldwall import __version__
from shieldwall.io.runfolder import close_run_dir, write_json, write_parquet
from shieldwall.scenario import Scenario, scenario_to_yaml
from shieldwall.studies.coalitions import coalition_scenario, nation_ids, without_agreement
from shieldwall.studies.executors import Executor
from shieldwall.studies.folder import SHAPLEY, Setting
from shieldwall.studies.montecarlo import Metrics
from shieldwall.studies.seeds import (
    StudyInputError,
    check_runs,
    check_seed,
    replication_children,
    replication_seeds,
)
from shieldwall.studies.shapley import (
    EXACT_MAX_PLAYERS,
    MAX_PERMUTATIONS,
    coalitions_bound,
    exact_shapley,
    marginal_contributions,
    members,
    ordering_masks,
    random_orderings,
)
from shieldwall.studies.stats import mean_ci
from shieldwall.studies.variants import (
    DEFENDED,
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

# payoff name -> (metric, sign, definition): v(S) = sign * metric
PAYOFFS = {
    "defended": (DEFENDED, 1.0, "asset value left standing (total value minus value_hit)"),
    "hits": (VALUE_HITS, -1.0, "minus value-weighted asset hits (-sum of value x hits)"),
    "leakers": ("threats.leaked", -1.0, "minus leakers (-threats.leaked)"),
}
TABLE = SHAPLEY.table
META = SHAPLEY.meta
PLOT = SHAPLEY.extra[0]
DEFAULT_PERMUTATIONS = 20
# orderings drawn for a whole study (--runs x --permutations; the default 20 runs may take
# the most permutations): drawing and averaging them takes about 5 us each, 10 s in all
MAX_ORDERINGS = 2_000_000


@dataclass(frozen=True, slots=True)
class ShapleyResult:
    """A finished Shapley study: its folder, ``coalitions.parquet`` and ``shapley.json``."""

    folder: Path
    table: pa.Table
    summary: dict


@dataclass(frozen=True, slots=True)
class GamePlan:
    """What to run: the coalition masks, each replication's orderings (sampling only) and the
    scenario variants (coalitions first, in mask order, then one per agreement left out)."""

    nations: list[str]
    masks: list[int]
    orderings: list[np.ndarray] | None
    agreement_ids: list[str]
    scenarios: list[Scenario]
    labels: list[str]
    pairs: list[tuple[int, int]]


def coalition_label(mask: int, nations: Sequence[str]) -> str:
    """``ISR+USA`` for a coalition mask, ``(none)`` for the empty one."""
    return "+".join(nations[i] for i in members(mask, len(nations))) or "(none)"


def replication_orderings(base_seed: int, runs: int, n: int, m: int) -> list[np.ndarray]:
    """Orderings of replication ``i``: from the first child of its SeedSequence (the run seed
    comes from the child itself, so the two never share a stream)."""
    children = replication_children(base_seed, runs)
    return [random_orderings(n, m, np.random.default_rng(c.spawn(1)[0])) for c in children]


def plan_game(
    scenario: Scenario, runs: int, base_seed: int, agreements: bool, permutations: int | None
) -> GamePlan:
    """The variants and (variant, replication) pairs of a Shapley study."""
    nations = nation_ids(scenario)
    n = len(nations)
    exact = n <= EXACT_MAX_PLAYERS and permutations is None
    orderings = None
    if exact:
        masks = list(range(1 << n))
        needed = [masks] * runs
    else:
        orderings = replication_orderings(base_seed, runs, n, permutations or DEFAULT_PERMUTATIONS)
        needed = [ordering_masks(o) for o in orderings]
        masks = sorted(set().union(*needed))
    index = {m: k for k, m in enumerate(masks)}
    scenarios = [coalition_scenario(scenario, [nations[i] for i in members(m, n)]) for m in masks]
    labels = [coalition_label(m, nations) for m in masks]
    pairs = [(index[m], i) for i in range(runs) for m in needed[i]]
    ids = [ag.id for ag in scenario.agreements] if agreements else []
    for k, ag in enumerate(ids):
        scenarios.append(without_agreement(scenario, ag))
        labels.append(f"all but agreement {ag}")
        pairs += [(len(masks) + k, i) for i in range(runs)]
    return GamePlan(nations, masks, orderings, ids, scenarios, labels, pairs)


def payoffs(
    records: Sequence[dict], variants: int, runs: int, payoff: str = "defended"
) -> np.ndarray:
    """``P[i, k]``: replication ``i``'s worth under variant ``k`` by the named payoff (see
    PAYOFFS; NaN if not run or failed). Shape ``(runs, variants)``."""
    metric, sign, _ = PAYOFFS[payoff]
    out = np.full((runs, variants), np.nan)
    for r in records:
        if r["status"] == "ok" and r["metrics"].get(metric) is not None:
            out[r["replication"], r["variant"]] = sign * r["metrics"][metric]
    return out


def per_replication_values(plan: GamePlan, pay: np.ndarray) -> np.ndarray:
    """Each replication's Shapley values, shape ``(runs, n)``; a row is NaN when one of the
    coalitions it needs failed."""
    n, k = len(plan.nations), len(plan.masks)
    if plan.orderings is None:
        return exact_shapley(pay[:, :k])  # NaN propagates to the replication's row
    index = {m: j for j, m in enumerate(plan.masks)}
    rows = [
        marginal_contributions(o, lambda s, i=i: pay[i, index[s]]).mean(axis=0)
        for i, o in enumerate(plan.orderings)
    ]
    return np.array(rows).reshape(-1, n)


def _interval(x: np.ndarray) -> dict:
    """Mean, 95% CI (Student t over replications; null below 2) and standard error."""
    mean, low, high, count = mean_ci(x[np.isfinite(x)].tolist())
    se = float(np.std(x[np.isfinite(x)], ddof=1) / math.sqrt(count)) if count > 1 else None
    finite = count > 0 and math.isfinite(mean)
    return {
        "mean": mean if finite else None,
        "ci95": [low, high] if count > 1 else None,
        "se": se,
        "n": count,
    }


def _column(plan: GamePlan, mask: int) -> int:
    return plan.masks.index(mask)


def game_summary(plan: GamePlan, pay: np.ndarray) -> dict:
    """``values`` (nation -> mean Shapley value), ``ci95``, ``se``, ``ranking``, ``grand`` and
    ``empty`` (with their ``_ci95``), ``agreements``, from the payoff matrix. Only replications
    whose every coalition ran are used (``replications_used``)."""
    phi = per_replication_values(plan, pay)
    ok = np.all(np.isfinite(phi), axis=1)
    stats = {nat: _interval(phi[ok, j]) for j, nat in enumerate(plan.nations)}
    v_grand = pay[:, _column(plan, (1 << len(plan.nations)) - 1)]
    v_empty = pay[:, _column(plan, 0)]
    grand, empty = _interval(v_grand[ok]), _interval(v_empty[ok])
    agreements = {}
    for k, ag in enumerate(plan.agreement_ids):
        without = pay[:, len(plan.masks) + k]
        agreements[ag] = _interval((v_grand - without)[np.isfinite(without) & ok])
    gap = phi[ok].sum(axis=1) - (v_grand[ok] - v_empty[ok])
    return {
        "values": {nat: s["mean"] for nat, s in stats.items()},
        "ci95": {nat: s["ci95"] for nat, s in stats.items()},
        "se": {nat: s["se"] for nat, s in stats.items()},
        "ranking": sorted(plan.nations, key=lambda nat: -(stats[nat]["mean"] or 0.0)),
        "grand": grand["mean"],
        "grand_ci95": grand["ci95"],
        "empty": empty["mean"],
        "empty_ci95": empty["ci95"],
        "agreements": agreements,
        "replications_used": int(ok.sum()),
        "efficiency_max_error": float(np.max(np.abs(gap))) if gap.size else 0.0,
    }


def _permutations(plan: GamePlan) -> int | None:
    """Orderings per replication (None: every coalition, exact)."""
    return None if plan.orderings is None else len(plan.orderings[0])


def _meta(
    scenario: Scenario, plan: GamePlan, runs: int, base: int, executor: Executor, payoff: str
) -> dict:
    return {
        "scenario": scenario.name,
        "runs": runs,
        "base_seed": base,
        "nations": plan.nations,
        "method": "exact" if plan.orderings is None else "permutations",
        "permutations": _permutations(plan),
        "coalitions": len(plan.masks),
        "agreement_ids": plan.agreement_ids,
        "payoff": payoff,
        "payoff_definition": PAYOFFS[payoff][2],
        "engine": executor.name,
        "workers": executor.workers,
        "shieldwall_version": __version__,
        "notional": True,
    }


def _settings(plan: GamePlan, runs: int) -> tuple[Setting, ...]:
    """What a resumed Shapley study must share with its folder besides scenario and seed."""
    return (
        runs_setting(runs),
        Setting(("permutations",), (_permutations(plan),),
                lambda m: f"--permutations {m}" if m else "exact coalitions (no --permutations)"),
        Setting(("agreement_ids",), (plan.agreement_ids,),
                lambda ids: "--agreements" if ids else "no --agreements"),
    )  # fmt: skip


def shapley_study(
    scenario: Scenario,
    runs: int,
    out: Path,
    executor: Executor,
    base_seed: int | None = None,
    agreements: bool = False,
    permutations: int | None = None,
    payoff: str = "defended",
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    fn: Callable[[VariantTask], Metrics] = run_variant_task,
) -> ShapleyResult:
    """Run (or with ``resume`` continue) the coalition game of ``scenario`` into the folder
    ``out`` (refused when it exists and is not empty, unless ``force``): ``scenario.yaml``,
    ``coalitions.parquet`` (one row per coalition and replication), ``shapley.json``,
    ``shapley.png`` and the journal. A resumed study must have the same scenario, base seed,
    ``runs``, ``agreements`` and ``permutations`` (``payoff`` may differ: it only reads the
    runs).

    ``permutations`` forces permutation sampling with that many orderings per replication
    (the default: exact up to 8 nations, else 20). ``payoff`` names the worth of a coalition
    (PAYOFFS: ``defended``, ``hits`` or ``leakers``). ``fn`` runs one
    :class:`~shieldwall.studies.variants.VariantTask` (tests pass a stand-in)."""
    check_game(scenario, runs, agreements, permutations, payoff)
    base = scenario.seed if base_seed is None else check_seed(base_seed)
    plan = plan_game(scenario, runs, base, agreements, permutations)
    seeds = replication_seeds(base, runs)
    meta = _meta(scenario, plan, runs, base, executor, payoff)
    folder = VariantFolder(Path(out), SHAPLEY, scenario_to_yaml(scenario), meta,
                           _settings(plan, runs), seeds, plan.labels)  # fmt: skip
    tasks = variant_tasks(plan.scenarios, seeds, plan.pairs)
    records = run_in_folder(folder, executor, tasks, resume, force, progress, fn)
    table = variants_table(records, plan.labels)
    write_parquet(folder.out / TABLE, table)
    summary = meta | {"workers": executor.workers, "status": "complete"}
    summary |= task_report(records, plan.labels)
    summary |= game_summary(plan, payoffs(records, len(plan.scenarios), runs, payoff))
    write_json(folder.out / META, summary)
    from shieldwall.io.studyplots import shapley_png

    shapley_png(folder.out / PLOT, summary)
    close_run_dir(folder.out)
    return ShapleyResult(folder.out, table, summary)


def check_game(
    scenario: Scenario, runs: int, agreements: bool, permutations: int | None, payoff: str
) -> int:
    """The most runs a Shapley study makes (``runs`` x the coalitions, and agreements left
    out, one replication needs at most), after checking its arguments before anything is
    planned; StudyInputError (one line, naming the option) for ``runs`` outside 1 ..
    MAX_RUNS, an unknown ``payoff``, ``permutations`` outside 1 .. MAX_PERMUTATIONS, more than
    MAX_ORDERINGS orderings to draw or more than MAX_TASKS runs."""
    check_runs(runs)
    if payoff not in PAYOFFS:
        raise StudyInputError(f"--payoff: '{payoff}' is unknown; use {', '.join(PAYOFFS)}")
    if permutations is not None and permutations < 1:
        raise StudyInputError(f"--permutations: must be at least 1, got {permutations}")
    if permutations is not None and permutations > MAX_PERMUTATIONS:
        raise StudyInputError(f"--permutations: at most {MAX_PERMUTATIONS:,}, got {permutations}")
    n = len(nation_ids(scenario))
    sampled = n > EXACT_MAX_PLAYERS or permutations is not None
    m = (permutations or DEFAULT_PERMUTATIONS) if sampled else None
    if m is not None and runs * m > MAX_ORDERINGS:
        raise StudyInputError(
            f"--permutations: {runs:,} replications x {m:,} orderings = {runs * m:,}"
            f" orderings; at most {MAX_ORDERINGS:,} in one study; use fewer --permutations"
            " or --runs"
        )
    extra = len(scenario.agreements) if agreements else 0
    what = "coalitions" + (" and agreements left out" if extra else "")
    check_tasks(runs, coalitions_bound(n, m) + extra, what)
    return runs * (coalitions_bound(n, m) + extra)


__all__ = [
    "PAYOFFS",
    "GamePlan",
    "ShapleyResult",
    "VariantTask",
    "check_game",
    "coalition_label",
    "game_summary",
    "payoffs",
    "per_replication_values",
    "plan_game",
    "replication_orderings",
    "shapley_study",
]
