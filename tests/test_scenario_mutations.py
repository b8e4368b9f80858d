"""Property: any mutation of a good scenario file either loads (and then round-trips) or raises
ScenarioError whose every problem is one line naming file, line and field path; never anything
else."""

from __future__ import annotations

import copy
import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from shieldwall.scenario import (
    Catalog,
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_catalog,
    load_scenario,
    loader,
    scenario_to_yaml,
)

DATA = Path(__file__).parent / "data"
# '<file>:<line>: <dotted.path>: <message>'
PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>[A-Za-z0-9_][\w.\-]*): \S.*$")


def _plain_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _sources() -> list[tuple[str, Any, Catalog | None]]:
    """(name, plain data, base catalog) for the fixture and every built-in scenario."""
    out = [("fixture", _plain_yaml(DATA / "scenario.yaml"), load_catalog(DATA / "catalog.yaml"))]
    if loader.CATALOG_FILE.is_file():
        for name in builtin_scenarios():
            out.append((name, _plain_yaml(loader.SCENARIO_DIR / f"{name}.yaml"), None))
    return out


SOURCES = _sources()
WRONG_TYPES = ["text", 7, 2.5, [1, "a"], {"k": 1}, None, True, "NO", ""]
OUT_OF_RANGE = [-1, -1e9, 1e300, 10**12, 0, math.nan, math.inf, -math.inf]
KINDS = ["delete", "retype", "out_of_range", "duplicate", "repeat_id"]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path below the root of a plain YAML tree."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    out = []
    for k, v in items:
        out.append((*prefix, k))
        if isinstance(v, dict | list):
            out += _paths(v, (*prefix, k))
    return out


def _get(node: Any, path: tuple) -> Any:
    for k in path:
        node = node[k]
    return node


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, Any, Catalog | None, list[str]]:
    name, data, catalog = draw(st.sampled_from(SOURCES))
    data = copy.deepcopy(data)
    done = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        kind = draw(st.sampled_from(KINDS))
        lists = [p for p in paths if isinstance(_get(data, p), list) and _get(data, p)]
        with_ids = [
            p
            for p in lists
            if len(_get(data, p)) >= 2 and all(isinstance(x, dict) for x in _get(data, p))
        ]
        if kind == "duplicate" and lists:
            seq = _get(data, draw(st.sampled_from(lists)))
            seq.insert(draw(st.integers(0, len(seq))), copy.deepcopy(draw(st.sampled_from(seq))))
        elif kind == "repeat_id" and with_ids:
            seq = _get(data, draw(st.sampled_from(with_ids)))
            i, j = draw(st.lists(st.integers(0, len(seq) - 1), min_size=2, max_size=2))
            seq[j]["id"] = seq[i].get("id", "x")
        elif kind == "retype":
            parent[key] = copy.deepcopy(draw(st.sampled_from(WRONG_TYPES)))
        elif kind == "out_of_range":
            parent[key] = draw(st.sampled_from(OUT_OF_RANGE))
        else:
            kind = "delete"
            del parent[key]
        done.append(f"{kind} {'.'.join(map(str, path))}")
    return name, data, catalog, done


def _dump(data: Any) -> str:
    buf = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, buf)
    return buf.getvalue()


def test_sources_present():
    names = [name for name, _, _ in SOURCES]
    assert names[0] == "fixture"
    if loader.CATALOG_FILE.is_file():
        assert len(names) == 1 + len(builtin_scenarios())


@pytest.mark.parametrize(("name", "data", "catalog"), SOURCES, ids=[s[0] for s in SOURCES])
def test_unmutated_sources_load(tmp_path, name, data, catalog):
    path = tmp_path / "s.yaml"
    path.write_text(_dump(data), encoding="utf-8")
    assert isinstance(load_scenario(path, catalog=catalog), Scenario)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutant=mutants())
def test_mutants_load_or_fail_clearly(tmp_path, mutant):
    name, data, catalog, done = mutant
    path = tmp_path / "mutant.yaml"
    path.write_text(_dump(data), encoding="utf-8")
    try:
        scenario = load_scenario(path, catalog=catalog)
    except ScenarioError as err:
        assert err.problems, done
        for problem in err.problems:
            assert "\n" not in problem, (done, problem)
            m = PROBLEM.match(problem)
            assert m is not None, (done, problem)
            assert m["file"] == str(path), (done, problem)
            assert 1 <= int(m["line"]) <= len(path.read_text().splitlines()), (done, problem)
        return
    # a mutant that still loads is a valid scenario: it must round-trip too
    resolved = tmp_path / "resolved.yaml"
    resolved.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    assert load_scenario(resolved, catalog=catalog) == scenario, done
