"""Shape checks of the JSON files shieldwall writes and later reads back.

A ``summary.json`` (or a study's JSON) edited by hand or by another tool should be refused
with the first value out of shape named by its path (``threats.launched: expected a whole
number >= 0, got 'lots'``), not rendered as if shieldwall had written it, nor fail deep inside
a plot with an error about formats. A shape is one of the leaf kinds below, a ``dict`` of
required keys, :class:`Opt` (may be absent or null) or :class:`Each` (an object of named
entries of one shape); keys a shape does not name are not checked (a newer shieldwall may
write more).
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
    if isinstance(shape, Opt):
        return None if value is None else shape_problem(value, shape.shape, path)
    where = path or "the file"
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


_FATES = {k: COUNT for k in ("launched", "intercepted", "leaked", "failed")}
_SHOTS = {"fired": COUNT, "cost_usd": NUMBER}

# what io.report reads of a run's summary.json (sim.summary writes it)
SUMMARY_SHAPE = {
    "scenario": Opt(TEXT),
    "seed": Opt(COUNT),
    "shieldwall_version": Opt(TEXT),
    "threats": {**_FATES, "in_flight": Opt(COUNT), "by_class": Opt(Each({**_FATES}))},
    "accounting": Opt({"balanced": Opt(FLAG)}),
    "assets": Opt(
        Each(
            {"owner": Opt(TEXT), "value": Opt(NUMBER), "hits": Opt(COUNT), "value_hit": Opt(NUMBER)}
        )  # fmt: skip
    ),
    "declined": Opt(Each({"authority": Opt(COUNT), "airspace": Opt(COUNT)})),
    "interceptors": Opt(
        {
            "fired": Opt(COUNT),
            "cost_usd": Opt(NUMBER),
            "launch_on_remote": Opt(COUNT),
            "by_nation": Opt(Each(Each(_SHOTS))),
            "by_layer": Opt(Each({**_SHOTS, "kills": Opt(COUNT)})),
        }
    ),
    "attack": Opt({"cost_usd": Opt(NUMBER)}),
    "cost_exchange_ratio": Opt(NUMBER),
}
