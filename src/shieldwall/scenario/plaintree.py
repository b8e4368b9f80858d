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


class UnsupportedValueError(Exception):
    """A value plain YAML 1.2 data does not hold: a local tag (``!foo 1``), binary data or a
    set; ``line`` from 0 (None until a parent mapping or list names it)."""

    FIX = " is not scenario data; write a plain number, text, list or mapping"

    def __init__(self, what: str, line: int | None = None, fix: str = FIX) -> None:
        self.problem, self.line = what + fix, line


class TooManyValuesError(Exception):
    """The tree, its aliases expanded, holds more than :data:`MAX_VALUES` values."""


TAG_FIX = "; remove the tag or fix the value"
CORE_TAG = "tag:yaml.org,2002:"  # YAML's own tags: !!str, !!int, !!map, ...
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
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and not tag.startswith(CORE_TAG):
        raise UnsupportedValueError(f"a value tagged '{tag}'", _own_line(node))
    if isinstance(node, Mapping):
        if any(isinstance(k, Mapping | list | tuple) for k in node):
            raise ComplexKeyError(node)
        for k in node:
            if k is None or isinstance(k, bool | int | float | ScalarBoolean):
                what = "null" if k is None else str(k).lower()
                error = UnsupportedValueError(
                    f"the key '{what}' is not text; name a field, or quote the key", fix=""
                )
                raise _located(error, node, k)
        budget.take(len(node))
        out = {}
        for k, v in node.items():
            try:
                out[plain(k, budget)] = plain(v, budget)
            except UnsupportedValueError as error:
                raise _located(error, node, k) from None
        return out
    if isinstance(node, list | tuple):
        budget.take(len(node))
        items = []
        for i, v in enumerate(node):
            try:
                items.append(plain(v, budget))
            except UnsupportedValueError as error:
                raise _located(error, node, i) from None
        return items
    if isinstance(node, ScalarBoolean):
        return bool(node)
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    if node is None:
        return None
    if type(node).__name__ == "TaggedScalar" and tag is not None:  # !!str 8, !!int "8"
        return _core_scalar(tag.rsplit(":", 1)[-1], str(node.value))
    raise UnsupportedValueError(_kind_name(node))


def _core_scalar(kind: str, text: str) -> Any:
    """A scalar with an explicit core-schema tag (``!!str``, ``!!int``, ``!!float``,
    ``!!bool``, ``!!null``), as YAML 1.2 reads it."""
    try:
        if kind == "str":
            return text
        if kind == "int":
            return int(text, 0) if text.lower().startswith(("0x", "0o")) else int(text)
        if kind == "float":
            return float(text.replace(".inf", "inf").replace(".nan", "nan"))
        if kind == "bool" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "null" and text.lower() in ("", "~", "null"):
            return None
    except ValueError:
        pass
    raise UnsupportedValueError(f"'{text}' is no !!{kind} value", fix=TAG_FIX)


def bad_tagged_scalar(root: Any) -> UnsupportedValueError | None:
    """The first scalar, in document order, of a composed node graph (``YAML().compose``)
    whose explicit core tag does not fit its text (``!!int "x"``, ``!!bool maybe``), as an
    error with its line; None if there is none. ruamel's constructor fails on such a scalar
    with a bare exception that names no line."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:  # (an alias is the node it names)
            continue
        seen.add(id(node))
        if isinstance(node.value, list):  # a mapping's (key, value) pairs or a list's items
            items = [n for it in node.value for n in (it if isinstance(it, tuple) else [it])]
            stack.extend(reversed(items))
            continue
        tag = str(node.tag)
        if getattr(node.ctag, "handle", None) is None or not tag.startswith(CORE_TAG):
            continue  # an implicit tag fits its text by construction
        try:
            _core_scalar(tag.rsplit(":", 1)[-1], str(node.value))
        except UnsupportedValueError as error:
            error.line = node.start_mark.line
            return error
    return None


def _kind_name(node: Any) -> str:
    """What a value that is no plain scalar is, in YAML's words."""
    if isinstance(node, bytes):
        return "binary data (!!binary)"
    if isinstance(node, set | frozenset) or type(node).__name__ == "CommentedSet":
        return "a set (!!set)"
    return f"a {type(node).__name__} value"


def _own_line(node: Any) -> int | None:
    return getattr(getattr(node, "lc", None), "line", None)


def _located(error: UnsupportedValueError, parent: Any, key: Any) -> UnsupportedValueError:
    """``error`` with the line of item ``key`` of ``parent`` if it has none yet."""
    if error.line is None:
        lc = getattr(parent, "lc", None)
        try:
            where = lc.value(key) if isinstance(parent, Mapping) else lc.item(key)
            error.line = where[0]
        except (AttributeError, KeyError, IndexError, TypeError):
            pass
    return error


__all__ = ["MAX_VALUES", "ComplexKeyError", "TooManyValuesError", "UnsupportedValueError", "plain"]
