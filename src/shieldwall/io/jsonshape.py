"""Shape checks of the JSON files shieldwall writes and later reads back.

A ``summary.json`` (or a study's JSON) edited by hand or by another tool should be refused
with the first value out of shape named by its path (``threats.launched: expected a whole
number >= 0, got 'lots'``), not rendered as if shieldwall had written it, nor fail deep inside
a plot with an error about formats. A shape is one of the leaf kinds below, a ``dict`` of
required keys, :class:`Opt` (may be absent or null), :class:`OrNull` (must be present, may
be null), :class:`Each` (an object of named entries of one shape) or :class:`Seq` (a list);
keys a shape does not name are not checked (a newer shieldwall may write more).

Shapes cannot say that numbers agree with each other; the ``*_problem`` functions at the end
check what a page would otherwise show wrong (a sum that does not add up, a sweep with more
values than points, a ranking that leaves nations out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

COUNT = "a whole number >= 0"
NUMBER = "a finite number"
TEXT = "text"
FLAG = "true or false"


@dataclass(frozen=True, slots=True)
class Opt:
    """A value of ``shape``, or null, or no such key."""

    shape: Any


@dataclass(frozen=True, slots=True)
class OrNull:
    """A value of ``shape`` or null, under a key that must be present (shieldwall always
    writes it; null has a meaning, such as no ratio when nothing was launched)."""

    shape: Any


@dataclass(frozen=True, slots=True)
class Seq:
    """A list of values of ``shape``: exactly ``length`` of them when given, else at least
    ``at_least``."""

    shape: Any
    length: int | None = None
    at_least: int = 0

    def size_problem(self, n: int) -> str | None:
        """What is wrong with a list of ``n`` items (None when its size fits)."""
        if self.length is not None and n != self.length:
            return f"expected a list of {self.length}, got {n} items"
        if n < self.at_least:
            return f"expected a list of at least {self.at_least}, got {n} items"
        return None


@dataclass(frozen=True, slots=True)
class Each:
    """An object whose every entry (any key) has ``shape``."""

    shape: Any


def _leaf_ok(value: Any, kind: str) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == COUNT:
        return number and float(value).is_integer() and value >= 0
    if kind == NUMBER:
        return number and math.isfinite(value)
    if kind == TEXT:
        return isinstance(value, str)
    return isinstance(value, bool)  # FLAG


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def shape_problem(value: Any, shape: Any, path: str = "") -> str | None:
    """The first place where ``value`` is out of ``shape``, as ``'path: expected ..., got
    ...'``; None when it fits."""
    if isinstance(shape, Opt | OrNull):
        return None if value is None else shape_problem(value, shape.shape, path)
    where = path or "the file"
    if isinstance(shape, Seq):
        return _seq_problem(value, shape, where)
    if isinstance(shape, dict | Each):
        if not isinstance(value, dict):
            return f"{where}: expected an object, got {_show(value)}"
        items = shape.items() if isinstance(shape, dict) else [(k, shape.shape) for k in value]
        for key, inner in items:
            sub = f"{path}.{key}" if path else str(key)
            if key not in value:
                if isinstance(inner, Opt):
                    continue
                return f"{sub}: missing"
            problem = shape_problem(value[key], inner, sub)
            if problem:
                return problem
        return None
    if _leaf_ok(value, shape):
        return None
    return f"{where}: expected {shape}, got {_show(value)}"


def _seq_problem(value: Any, shape: Seq, where: str) -> str | None:
    if not isinstance(value, list):
        return f"{where}: expected a list, got {_show(value)}"
    size = shape.size_problem(len(value))
    if size:
        return f"{where}: {size}"
    for k, item in enumerate(value):
        problem = shape_problem(item, shape.shape, f"{where}.{k}")
        if problem:
            return problem
    return None


_FATES = {k: COUNT for k in ("launched", "intercepted", "leaked", "failed")}
_SHOTS = {"fired": COUNT, "cost_usd": NUMBER}
_CI = Seq(NUMBER, length=2)

# what io.report reads of a run's summary.json: sim.summary always writes every section and
# the key cost_exchange_ratio (null when nothing was launched); in_flight came later (before
# it, no run was cut short), launch_on_remote only fills a table cell ("n/a" without it)
SUMMARY_SHAPE = {
    "scenario": Opt(TEXT),
    "seed": Opt(COUNT),
    "shieldwall_version": Opt(TEXT),
    "threats": {
        **_FATES,
        "in_flight": Opt(COUNT),
        "by_class": Each({**_FATES, "in_flight": Opt(COUNT)}),
    },
    "accounting": {"balanced": FLAG},
    "assets": Each({"owner": TEXT, "value": NUMBER, "hits": COUNT, "value_hit": NUMBER}),
    "declined": Each({"authority": COUNT, "airspace": COUNT}),
    "interceptors": {
        "fired": COUNT,
        "cost_usd": NUMBER,
        "launch_on_remote": Opt(COUNT),
        "by_nation": Each(Each(_SHOTS)),
        "by_layer": Each({**_SHOTS, "kills": Opt(COUNT)}),
    },
    "attack": {"cost_usd": NUMBER},
    "cost_exchange_ratio": OrNull(NUMBER),
}

# study.json (studies.montecarlo, studies.stats.table_stats): a metric no replication
# finished has a null mean and a null CI, one finished replication a null CI
STUDY_SHAPE = {
    "scenario": TEXT,
    "runs": COUNT,
    "base_seed": COUNT,
    "completed": COUNT,
    "means": Each(OrNull(NUMBER)),
    "ci95": Each(OrNull(Seq(OrNull(NUMBER), length=2))),
    "n": Each(COUNT),
}

# one metric at one sweep point (studies.sweep._stats)
_STAT = {"mean": OrNull(NUMBER), "ci95": OrNull(_CI), "n": COUNT}

# sweep.json (studies.sweep): one entry of points per entry of values
SWEEP_SHAPE = {
    "scenario": TEXT,
    "param": TEXT,
    "values": Seq(NUMBER, at_least=1),
    "runs": COUNT,
    "base_seed": COUNT,
    "points": Seq({"metrics": Each(_STAT), "diff_vs_first": Each(_STAT)}, at_least=1),
}

# shapley.json (studies.coalitionvalue): null values and CIs when too few replications ran
SHAPLEY_SHAPE = {
    "scenario": TEXT,
    "runs": COUNT,
    "base_seed": COUNT,
    "method": TEXT,
    "permutations": Opt(COUNT),
    "coalitions": COUNT,
    "payoff": TEXT,
    "payoff_definition": TEXT,
    "replications_used": COUNT,
    "values": Each(OrNull(NUMBER)),
    "ci95": Each(OrNull(_CI)),
    "ranking": Seq(TEXT, at_least=1),
    "grand": OrNull(NUMBER),
    "grand_ci95": OrNull(_CI),
    "empty": OrNull(NUMBER),
    "empty_ci95": OrNull(_CI),
    "agreements": Opt(Each({"mean": OrNull(NUMBER), "ci95": OrNull(_CI), "n": COUNT})),
}


def _unaccounted(fates: dict, where: str) -> str | None:
    """``launched = intercepted + leaked + failed + in_flight`` for one row of threats."""
    parts = [fates[k] for k in ("intercepted", "leaked", "failed")] + [fates.get("in_flight") or 0]
    if fates["launched"] == sum(parts):
        return None
    return (
        f"{where}: launched {fates['launched']} is not intercepted {parts[0]} + leaked"
        f" {parts[1]} + failed {parts[2]} + in flight {parts[3]} = {sum(parts)}"
    )


def accounting_problem(summary: dict) -> str | None:
    """Where a summary (in SUMMARY_SHAPE) does not add up: the fates of all threats and of
    each class, the classes to the total, the stored ``accounting.balanced`` flag, and the
    cost-exchange ratio to the two costs."""
    threats = summary["threats"]
    by_class = threats["by_class"]
    problem = _unaccounted(threats, "threats")
    for name, row in by_class.items():
        problem = problem or _unaccounted(row, f"threats.by_class.{name}")
    for key in ("launched", "intercepted", "leaked", "failed"):
        total = sum(row[key] for row in by_class.values())
        if not problem and by_class and total != threats[key]:
            problem = f"threats.by_class: {key} adds up to {total}, threats.{key} is {threats[key]}"
    if not problem and not summary["accounting"]["balanced"]:
        problem = "accounting.balanced: false, yet every count adds up"
    return problem or _shots_problem(summary["interceptors"]) or _ratio_problem(summary)


def _shots_problem(inter: dict) -> str | None:
    """Shots fired and their cost: the breakdowns by nation and type and by layer must each
    add up to the totals (costs to rounding: the sums run in another order)."""
    parts = {
        "by_nation": [row for types in inter["by_nation"].values() for row in types.values()],
        "by_layer": list(inter["by_layer"].values()),
    }
    for name, rows in parts.items():
        fired, cost = sum(r["fired"] for r in rows), sum(r["cost_usd"] for r in rows)
        if fired != inter["fired"]:
            total = inter["fired"]
            return f"interceptors.{name}: fired adds up to {fired}, interceptors.fired is {total}"
        if not math.isclose(cost, inter["cost_usd"], rel_tol=1e-9, abs_tol=1e-6):
            return (
                f"interceptors.{name}: cost_usd adds up to {cost:g}, interceptors.cost_usd is"
                f" {inter['cost_usd']:g}"
            )
    return None


def _ratio_problem(summary: dict) -> str | None:
    defense = summary["interceptors"]["cost_usd"]
    attack = summary["attack"]["cost_usd"]
    ratio = summary["cost_exchange_ratio"]
    expected = defense / attack if attack > 0 else None
    if ratio is None and expected is None:
        return None
    if ratio is not None and expected is not None and math.isclose(ratio, expected, rel_tol=1e-9):
        return None
    return (
        f"cost_exchange_ratio: {_show(ratio)}, but interceptors.cost_usd {defense:g} /"
        f" attack.cost_usd {attack:g} gives {_show(expected)}"
    )


def sweep_problem(sweep: dict) -> str | None:
    """Where a sweep.json (in SWEEP_SHAPE) disagrees with itself: a point per value."""
    values, points = len(sweep["values"]), len(sweep["points"])
    if values != points:
        return f"values: {values} of them, but {points} points"
    return None


def shapley_problem(game: dict) -> str | None:
    """Where a shapley.json (in SHAPLEY_SHAPE) disagrees with itself: the ranking must rank
    every nation of ``values`` once, and each nation needs its ``ci95``."""
    ranking, nations = game["ranking"], set(game["values"])
    if len(set(ranking)) != len(ranking) or set(ranking) != nations:
        return (
            f"ranking: {', '.join(map(str, ranking))} is not each nation of values"
            f" ({', '.join(sorted(nations))}) once"
        )
    if game["method"] not in ("exact", "permutations"):
        return f"method: expected exact or permutations, got {_show(game['method'])}"
    if game["method"] == "permutations" and not game.get("permutations"):
        return "permutations: missing, needed with method permutations"
    lacking = sorted(nations - set(game["ci95"]))
    if lacking:
        return f"ci95.{lacking[0]}: missing"
    if game["replications_used"] > game["runs"]:
        return f"replications_used: {game['replications_used']}, more than runs {game['runs']}"
    return None


def study_problem(study: dict) -> str | None:
    """Where a study.json (in STUDY_SHAPE) disagrees with itself: more replications
    completed than run."""
    if study["completed"] > study["runs"]:
        return f"completed: {study['completed']}, more than runs {study['runs']}"
    return None
