"""Readable one-line messages for pydantic validation errors of scenario files."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

_PATH_LED = re.compile(r"^([A-Za-z0-9_][\w.\-]*): (.+)$", re.S)
_ID_HELP = "use letters, digits, '-', '_' and '.', starting with a letter or digit"
_EXPECTED = {
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping of 'key: value' lines",
    "model_type": "expected a mapping of 'field: value' lines",
    "model_attributes_type": "expected a mapping of 'field: value' lines",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
}
_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def _split_problems(message: str) -> list[str]:
    """Split ``'a.b: x; c.d: y; move it'`` at each ``'; '`` that starts a new dotted path."""
    return re.split(r"; (?=[A-Za-z0-9_][\w.\-]*: )", message)


def _split_path(problem: str) -> tuple[str, str]:
    m = _PATH_LED.match(problem)
    return (m.group(1), m.group(2)) if m else ("", problem)


def _did_you_mean(text: str) -> str:
    """Append a close match to 'unknown X 'v' (known: a, b)' messages."""
    m = re.match(r"unknown .+? '(.*)' \(known: (.*)\)$", text)
    if m:
        close = difflib.get_close_matches(m.group(1), m.group(2).split(", "), n=1, cutoff=0.6)
        if close:
            return f"{text}; did you mean '{close[0]}'?"
    return text


def _show(value: Any) -> str:
    """A short description of an input value for 'got ...'."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: ".inf", -math.inf: "-.inf"}.get(value, ".nan")
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# fields that scenario files once had, and why they went: an old file is told what to drop
RETIRED = {
    "sim.step_s": "the truth integrator picks its own steps per flight phase; this field never "
    "changed a result",
}


def _describe(model: type[BaseModel], e: Any) -> tuple[str, str]:
    """(dotted path, readable message with a fix) for one pydantic error."""
    loc = tuple(e["loc"])
    kind, ctx, value = e["type"], e.get("ctx") or {}, e.get("input")
    is_key = bool(loc) and loc[-1] == "[key]"
    loc = tuple(p for p in loc if p != "[key]")
    path = ".".join(str(p) for p in loc) or "(top level)"
    got = _show(value)
    if is_key:
        return path, f"'{loc[-1]}' is not allowed as a key here: " + _describe_value(
            kind, ctx, got, e
        )
    if kind == "missing":
        if loc and isinstance(loc[-1], int):
            return path, f"item {loc[-1]} is missing; give all the values this list needs"
        field = _field_at(model, loc)
        hint = f" ({field.description})" if field is not None and field.description else ""
        return path, f"required field is missing; add '{loc[-1]}: ...'{hint}"
    if kind == "extra_forbidden":
        if path in RETIRED:
            return path, f"'{loc[-1]}' is no longer used ({RETIRED[path]}); remove it"
        names = _field_names(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
        if close:
            return path, f"unknown field '{loc[-1]}'; did you mean '{close[0]}'?"
        return path, f"unknown field '{loc[-1]}'; remove it (fields here: {', '.join(names)})"
    if kind == "invalid_key":
        return path, f"key {got} must be text; put it in quotes"
    return path, _describe_value(kind, ctx, got, e)


def _describe_value(kind: str, ctx: dict, got: str, e: Any) -> str:
    if kind in _EXPECTED:
        fix = "; put it in quotes if it is meant as text" if kind == "string_type" else ""
        return f"{_EXPECTED[kind]}, got {got}{fix}"
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        return f"must be {op} {ctx.get(key)}, got {got}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("True", "true").replace("False", "false")
        options = re.findall(r"'([^']*)'", expected)
        close = difflib.get_close_matches(str(e.get("input")), options, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"must be {expected or 'one of the allowed values'}, got {got}{hint}"
    if kind == "string_pattern_mismatch":
        return f"{got} is not a valid identifier; {_ID_HELP}"
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"needs at least {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"has {ctx.get('actual_length')} items, at most {ctx.get('max_length')} allowed"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long; at most {ctx.get('max_length')} characters"
    if kind in ("value_error", "assertion_error"):
        return _did_you_mean(str(ctx.get("error", e["msg"])))
    return f"{e['msg'][:1].lower()}{e['msg'][1:]}, got {got}"


def _field_at(model: type[BaseModel], loc: tuple) -> Any:
    """The pydantic FieldInfo that ``loc`` ends on, or None."""
    parent = _type_at(model, loc[:-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        for name, field in parent.model_fields.items():
            if loc[-1] in (name, field.alias):
                return field
    return None


def _field_names(model: type[BaseModel], loc: tuple) -> list[str]:
    """YAML field names (aliases) of the model at ``loc``."""
    found = _type_at(model, loc)
    if isinstance(found, type) and issubclass(found, BaseModel):
        return [f.alias or n for n, f in found.model_fields.items()]
    return []


def _type_at(model: Any, loc: tuple) -> Any:
    """The annotated type found by following ``loc`` down from ``model`` (None if lost)."""
    tp = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = _field_at(tp, (part,))
            tp = field.annotation if field is not None else None
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0] if get_args(tp) else None
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    return _unwrap(tp)


def _unwrap(tp: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` or ``X | None``."""
    while True:
        args = [a for a in get_args(tp) if a is not type(None)]
        if get_origin(tp) is Union or type(tp).__name__ == "UnionType":
            if len(args) != 1:
                return None
            tp = args[0]
        elif hasattr(tp, "__metadata__"):
            tp = tp.__origin__
        else:
            return tp


def other_kind(model: type[BaseModel], data: Any, name: str) -> str | None:
    """One line if ``data`` is surely another kind of file than ``model`` (a run's
    summary.json given as a scenario): none of the model's required fields and most keys
    unknown; None otherwise (a file of the kind with typos or missing parts gets its one line
    per problem instead)."""
    if not isinstance(data, dict) or not data:
        return None
    required = sorted(n for n, f in model.model_fields.items() if f.is_required())
    known = {k for n, f in model.model_fields.items() for k in (n, f.alias) if k} & set(data)
    if set(required) & set(data) or 2 * len(known) >= len(data):
        return None
    what = "scenario" if model.__name__ == "Scenario" else model.__name__.lower()
    keys = ", ".join(map(str, list(data)[:4])) + (", ..." if len(data) > 4 else "")
    return (f"{name}: not a {what} file: it has none of {', '.join(required)}, and most of its"
            f" top-level keys ({keys}) are no {what} fields")  # fmt: skip
