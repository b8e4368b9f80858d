"""Shape checks of JSON read back (io.jsonshape): every value shieldwall writes fits, and the
first value out of shape is named by its path."""

from __future__ import annotations

import math

import pytest

from shieldwall.io.jsonshape import (
    COUNT,
    FLAG,
    NUMBER,
    SUMMARY_SHAPE,
    TEXT,
    Each,
    Opt,
    shape_problem,
)


@pytest.mark.parametrize(
    ("value", "shape", "ok"),
    [
        (3, COUNT, True),
        (3.0, COUNT, True),  # JSON has one number type
        (0, COUNT, True),
        (-1, COUNT, False),
        (2.5, COUNT, False),
        (True, COUNT, False),  # a bool is no count, though Python calls it an int
        ("3", COUNT, False),
        (-2.5, NUMBER, True),
        (math.inf, NUMBER, False),
        (math.nan, NUMBER, False),
        (False, NUMBER, False),
        ("x", TEXT, True),
        (1, TEXT, False),
        (True, FLAG, True),
        (1, FLAG, False),
        (None, Opt(COUNT), True),
        (None, COUNT, False),
    ],
)
def test_leaves(value, shape, ok):
    assert (shape_problem(value, shape) is None) is ok


def test_first_problem_named_by_its_path():
    shape = {"a": {"b": Each({"c": COUNT, "d": Opt(NUMBER)})}, "e": Opt(TEXT)}
    assert shape_problem({"a": {"b": {"x": {"c": 1}, "y": {"c": 2, "d": 0.5}}}}, shape) is None
    assert shape_problem({"a": {"b": {"x": {"c": 1}, "y": {"c": "2"}}}}, shape) == (
        "a.b.y.c: expected a whole number >= 0, got '2'"
    )
    assert shape_problem({"a": {"b": {"x": {}}}}, shape) == "a.b.x.c: missing"
    assert shape_problem({"a": {"b": []}}, shape) == "a.b: expected an object, got a list"
    assert shape_problem([], shape) == "the file: expected an object, got a list"
    assert shape_problem({"a": {"b": {}}, "e": 5, "more": "not checked"}, shape) == (
        "e: expected text, got 5"
    )
    long = "x" * 100
    shown = shape_problem({"a": {"b": {"x": {"c": long}}}}, shape).split("got ")[1]
    assert shown == "'" + "x" * 36 + "..."  # (a long value is cut to 40 characters)


def test_every_summary_shieldwall_writes_fits(tmp_path):
    """A real run's summary.json (the tutorial, seed 0) fits SUMMARY_SHAPE, and so does the
    summary of a run with no shots and no assets hit (empty sections, a null ratio)."""
    import json

    from shieldwall.scenario import load_scenario
    from shieldwall.sim.engine import simulate
    from shieldwall.sim.summary import summarize

    scenario = load_scenario("tutorial")
    summary = json.loads(json.dumps(summarize(simulate(scenario, 0))))
    assert shape_problem(summary, SUMMARY_SHAPE) is None
    assert summary["threats"]["launched"] == 20
    quiet = scenario.model_copy(update={"batteries": [], "patrols": []})
    summary = json.loads(json.dumps(summarize(simulate(quiet, 0))))
    assert summary["interceptors"]["fired"] == 0
    assert shape_problem(summary, SUMMARY_SHAPE) is None
