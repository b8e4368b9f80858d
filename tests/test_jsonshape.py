"""Shape checks of JSON read back (io.jsonshape): every value shieldwall writes fits, and the
first value out of shape is named by its path."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest

from shieldwall.io.jsonshape import (
    COUNT,
    FLAG,
    NUMBER,
    STUDY_SHAPE,
    SUMMARY_SHAPE,
    SWEEP_SHAPE,
    TEXT,
    Each,
    Opt,
    OrNull,
    Seq,
    accounting_problem,
    shape_problem,
    shapley_problem,
    sweep_problem,
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


def test_lists_and_required_nulls():
    assert shape_problem({"r": None}, {"r": OrNull(NUMBER)}) is None
    assert shape_problem({}, {"r": OrNull(NUMBER)}) == "r: missing"
    assert shape_problem({}, {"r": Opt(NUMBER)}) is None
    pair = {"ci": Seq(NUMBER, length=2)}
    assert shape_problem({"ci": [1.0, 2]}, pair) is None
    assert shape_problem({"ci": [1.0]}, pair) == "ci: expected a list of 2, got 1 items"
    assert shape_problem({"ci": [1.0, "x"]}, pair) == "ci.1: expected a finite number, got 'x'"
    assert shape_problem({"ci": {}}, pair) == "ci: expected a list, got an object"
    some = {"v": Seq(TEXT, at_least=1)}
    assert shape_problem({"v": []}, some) == "v: expected a list of at least 1, got 0 items"


def test_what_the_study_writers_leave_null_fits():
    """A metric no replication finished (null mean and CI), one with a single replication
    (null CI), a failed replication: as studies.stats and studies.sweep write them."""
    from shieldwall.studies.stats import study_table, table_stats
    from shieldwall.studies.sweep import point_stats

    records = [
        {"replication": 0, "seed": 5, "status": "ok", "metrics": {"a": 1, "b": 2.0}},
        {"replication": 1, "seed": 6, "status": "ok", "metrics": {"a": 3}},
        {"replication": 2, "seed": 7, "status": "failed", "error": "x", "metrics": {"c": 1}},
    ]
    stats = json.loads(json.dumps(table_stats(study_table(records))))
    assert stats["means"]["c"] is None and stats["ci95"]["b"] is None
    study = {"scenario": "s", "runs": 3, "base_seed": 1, "completed": 2, **stats}
    assert shape_problem(study, STUDY_SHAPE) is None
    status, leaked = ["ok", "ok", "failed"], [1.0, 2.0, None]
    table = pa.table(
        {"variant": [0, 0, 1], "replication": [0, 1, 0], "status": status, "threats.leaked": leaked}
    )
    points = json.loads(json.dumps(point_stats(table, 2)))
    assert points[1]["metrics"]["threats.leaked"]["mean"] is None
    sweep = {"scenario": "s", "param": "p", "values": [0.0, 1.0], "runs": 2, "base_seed": 1,
             "points": points}  # fmt: skip
    assert shape_problem(sweep, SWEEP_SHAPE) is None and sweep_problem(sweep) is None


def test_shapley_ranking_must_rank_every_nation_once():
    game = {"values": {"A": 1.0, "B": None}, "ci95": {"A": None, "B": None}, "runs": 2,
            "replications_used": 2, "method": "exact", "ranking": ["A", "B"]}  # fmt: skip
    assert shapley_problem(game) is None
    for ranking in (["A"], ["A", "A", "B"], ["A", "C"]):
        assert shapley_problem(game | {"ranking": ranking}).startswith("ranking: ")
    assert shapley_problem(game | {"ci95": {"A": None}}) == "ci95.B: missing"


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
    assert accounting_problem(summary) is None
    assert summary["threats"]["launched"] == 20
    quiet = scenario.model_copy(update={"batteries": [], "patrols": []})
    summary = json.loads(json.dumps(summarize(simulate(quiet, 0))))
    assert summary["interceptors"]["fired"] == 0
    assert shape_problem(summary, SUMMARY_SHAPE) is None
    assert accounting_problem(summary) is None


def test_shot_breakdowns_must_add_up_to_the_totals():
    """interceptors.fired and cost_usd against their by-nation and by-layer breakdowns."""
    import json

    from shieldwall.scenario import load_scenario
    from shieldwall.sim.engine import simulate
    from shieldwall.sim.summary import summarize

    summary = json.loads(json.dumps(summarize(simulate(load_scenario("tutorial"), 0))))
    inter = summary["interceptors"]
    assert inter["fired"] > 0 and accounting_problem(summary) is None
    nation, types = next(iter(inter["by_nation"].items()))
    kind = next(iter(types))
    types[kind]["fired"] += 1
    assert accounting_problem(summary) == (
        f"interceptors.by_nation: fired adds up to {inter['fired'] + 1}, interceptors.fired is"
        f" {inter['fired']}"
    )
    types[kind]["fired"] -= 1
    layer = next(iter(inter["by_layer"].values()))
    layer["cost_usd"] += 1e6
    assert accounting_problem(summary).startswith("interceptors.by_layer: cost_usd adds up to")
