"""Plain Python values from a ruamel.yaml round-trip tree, in bounded work.

A YAML alias (``*a``) stands for its anchor's whole value, and is copied at each use when the
tree is turned into plain dicts and lists: nine nested levels of ten aliases each stand for a
billion values, from a 400-byte file. :func:`plain` stops at :data:`MAX_VALUES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruamel.yaml.scalarbool import ScalarBoolean


class ComplexKeyError(Exception):
    """A mapping key that is itself a list or mapping (``? [a, b]: 1``); ``line`` from 0."""

    def __init__(self, node: Any) -> None:
        self.line = getattr(getattr(node, "lc", None), "line", None)


class TooManyValuesError(Exception):
    """The tree, its aliases expanded, holds more than :data:`MAX_VALUES` values."""


MAX_VALUES = 1_000_000  # a real scenario holds a few thousand; nested aliases can hold 10**9


class _Budget:
    """How many more values :func:`plain` may make (aliases are copied at each use)."""

    def __init__(self, limit: int = MAX_VALUES) -> None:
        self.left = limit

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise TooManyValuesError


def plain(node: Any, budget: _Budget | None = None) -> Any:
    """Plain dicts, lists, str, int, float and bool from a ruamel round-trip tree; at most
    ``budget`` values in all (an alias is expanded at each use: a few nested aliases can
    stand for billions of values)."""
    budget = _Budget() if budget is None else budget
    if isinstance(node, Mapping):
        if any(isinstance(k, Mapping | list | tuple) for k in node):
            raise ComplexKeyError(node)
        budget.take(len(node))
        return {plain(k, budget): plain(v, budget) for k, v in node.items()}
    if isinstance(node, list | tuple):
        budget.take(len(node))
        return [plain(v, budget) for v in node]
    if isinstance(node, ScalarBoolean):
        return bool(node)
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


__all__ = ["MAX_VALUES", "ComplexKeyError", "TooManyValuesError", "plain"]
