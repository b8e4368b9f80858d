"""Scenario loader: good files load, bad files give one clear line per problem with the right
file, line and field path, and the resolved YAML round-trips."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shieldwall.scenario import (
    THREAT_CLASSES,
    Catalog,
    Scenario,
    ScenarioError,
    builtin_catalog,
    builtin_scenarios,
    load_catalog,
    load_scenario,
    loader,
    scenario_json_schema,
    scenario_to_yaml,
)

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "scenario.yaml"
FIXTURE_TEXT = FIXTURE.read_text(encoding="utf-8")
BUILTINS_READY = loader.CATALOG_FILE.is_file() and bool(builtin_scenarios())


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DATA / "catalog.yaml")


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


def edited(old: str, new: str) -> str:
    assert FIXTURE_TEXT.count(old) == 1, f"fixture must hold {old!r} exactly once"
    return FIXTURE_TEXT.replace(old, new)


def problems_for(tmp_path: Path, text: str | bytes, catalog: Catalog) -> tuple[str, list[str]]:
    path = tmp_path / "scenario.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, catalog=catalog)
    for p in info.value.problems:
        assert "\n" not in p and p.startswith(str(path)), p
    return str(path), info.value.problems


def assert_problem(problems: list[str], prefix: str, fragment: str) -> None:
    hits = [p for p in problems if p.startswith(prefix) and fragment in p]
    assert hits, f"no problem starting {prefix!r} containing {fragment!r} in {problems}"


# --------------------------------------------------------------------------------------------
# Good input
# --------------------------------------------------------------------------------------------


def test_fixture_loads_with_merged_catalog(catalog):
    s = load_scenario(FIXTURE, catalog=catalog)
    assert isinstance(s, Scenario)
    assert s.name == "fixture"
    # the file's own entry is added to the base catalog's
    assert set(s.catalog.interceptor_types) == {"upper-test", "lower-test", "point-test"}
    assert s.catalog.interceptor_types["point-test"].source == "fixture scenario entry"
    assert s.catalog.notice == catalog.notice
    assert s.raid.salvos[0].window_s == (0.0, 600.0)
    assert s.agreements[0].from_nation == "AA"


def test_norway_stays_a_string(catalog):
    s = load_scenario(FIXTURE, catalog=catalog)
    assert [n.id for n in s.nations] == ["AA", "NO", "CC"]
    assert s.groups["partners"] == ["NO", "CC"]
    assert s.sensors[1].owner == "NO"
    assert s.agreements[1].from_nation == "NO"


def test_user_catalog_entry_replaces_a_base_entry(tmp_path, catalog):
    text = edited(
        "  interceptor_types:\n",
        "  interceptor_types:\n"
        "    upper-test:\n"
        "      min_alt_km: 50\n"
        "      max_alt_km: 100\n"
        "      max_range_km: 300\n"
        "      speed_m_s: 2000\n"
        "      pk: {ballistic: 0.5}\n"
        "      cost_usd: 1\n"
        "      source: replaced\n",
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    s = load_scenario(path, catalog=catalog)
    assert s.catalog.interceptor_types["upper-test"].source == "replaced"
    assert s.catalog.interceptor_types["lower-test"] == catalog.interceptor_types["lower-test"]


def test_dict_source(catalog):
    data = load_scenario(FIXTURE, catalog=catalog).model_dump(by_alias=True)
    assert load_scenario(data, catalog=catalog) == load_scenario(FIXTURE, catalog=catalog)
    del data["raid"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(data, catalog=catalog)
    assert info.value.problems == ["<dict>: raid: required field is missing; add 'raid: ...'"]


def test_round_trip(tmp_path, catalog):
    s = load_scenario(FIXTURE, catalog=catalog)
    text = scenario_to_yaml(s)
    assert text.startswith(
        "# Resolved shieldwall scenario (notional figures). Valid input for `shieldwall run`.\n"
    )
    assert "id: 'NO'" in text  # quoted so that YAML 1.1 readers see a string too
    assert "window_s: [0.0, 600.0]" in text
    path = tmp_path / "resolved.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_scenario(path, catalog=catalog)
    assert again == s
    assert scenario_to_yaml(again) == text


def test_json_schema():
    schema = scenario_json_schema()
    assert isinstance(schema, dict)
    assert {"nations", "raid", "region", "catalog"} <= set(schema["properties"])
    assert schema["title"] == "shieldwall scenario"
    assert "$id" in schema and schema["description"]
    assert "class" in json.dumps(schema)  # aliases, not Python names
    json.dumps(schema)


def test_package_exports():
    assert THREAT_CLASSES == ("ballistic", "cruise", "drone")
    assert builtin_scenarios() == sorted(builtin_scenarios())


# --------------------------------------------------------------------------------------------
# Bad values: (text replaced, replacement, field path, line marker in the edited file, fragment)
# --------------------------------------------------------------------------------------------

BAD_VALUES = [
    pytest.param(
        "magazine: 12",
        "magazine: lots",
        "batteries.0.magazine",
        "magazine: lots",
        "expected an integer, got 'lots'",
        id="wrong-type",
    ),
    pytest.param(
        "magazine: 12",
        "magazin: 12",
        "batteries.0.magazin",
        "magazin: 12",
        "unknown field 'magazin'; did you mean 'magazine'?",
        id="unknown-field",
    ),
    pytest.param(
        "    magazine: 40\n",
        "",
        "batteries.1.magazine",
        "id: bat-lower",
        "required field is missing; add 'magazine: ...'",
        id="missing-field",
    ),
    pytest.param(
        "magazine: 12",
        "magazine: -3",
        "batteries.0.magazine",
        "magazine: -3",
        "must be >= 0, got -3",
        id="negative-magazine",
    ),
    pytest.param(
        "lat_deg: 31.2",
        "lat_deg: 131.2",
        "batteries.0.lat_deg",
        "lat_deg: 131.2",
        "must be <= 90.0",
        id="out-of-range",
    ),
    pytest.param(
        "lat_deg: 31.2",
        "lat_deg: .nan",
        "batteries.0.lat_deg",
        "lat_deg: .nan",
        "expected a finite number, got .nan",
        id="nan",
    ),
    pytest.param(
        "value: 10",
        "value: .inf",
        "assets.0.value",
        "value: .inf",
        "expected a finite number, got .inf",
        id="inf",
    ),
    pytest.param(
        "magazine: 12",
        "magazine: 2.5",
        "batteries.0.magazine",
        "magazine: 2.5",
        "expected a whole number, got 2.5",
        id="fraction",
    ),
    pytest.param(
        "name: Alphaland",
        "name: 5",
        "nations.0.name",
        "name: 5",
        "expected text, got 5",
        id="number-for-text",
    ),
    pytest.param(
        "layer: point",
        "layer: pointy",
        "catalog.interceptor_types.point-test.layer",
        "layer: pointy",
        "did you mean 'point'?",
        id="literal-in-user-catalog",
    ),
    pytest.param(
        "speed_m_s: 600",
        "speed_m_s: fast",
        "catalog.interceptor_types.point-test.speed_m_s",
        "speed_m_s: fast",
        "expected a number, got 'fast'",
        id="user-catalog-entry",
    ),
    pytest.param(
        "pk: {drone: 0.7, cruise: 0.5}",
        "pk: {drones: 0.7, cruise: 0.5}",
        "catalog.interceptor_types.point-test.pk.drones",
        "pk: {drones",
        "did you mean 'drone'?",
        id="bad-dict-key",
    ),
    pytest.param(
        "id: base-a",
        "id: base a",
        "assets.0.id",
        "id: base a",
        "not a valid identifier",
        id="pattern",
    ),
    pytest.param(
        "to: [partners]",
        "to: []",
        "agreements.0.to",
        "to: []",
        "needs at least 1 item",
        id="too-short",
    ),
    pytest.param(
        "seed: 7",
        "sed: 7",
        "sed",
        "sed: 7",
        "did you mean 'seed'?",
        id="unknown-top-level-field",
    ),
    pytest.param(
        "seed: 7",
        "seed: 7\nnotional: false",
        "notional",
        "notional: false",
        "must be true",
        id="notional-only",
    ),
    pytest.param(
        "window_s: [3000, 3060]",
        "window_s: [3060, 3000]",
        "raid.salvos.1.window_s",
        "window_s: [3060, 3000]",
        "0 <= start <= end",
        id="validator",
    ),
    pytest.param(
        "lat_max: 36.0",
        "lat_max: 20.0",
        "region",
        "region:",
        "lat_min < lat_max",
        id="model-validator",
    ),
    pytest.param(
        "catalog:\n  interceptor_types:",
        "catalog: [1]\nxcatalog:\n  interceptor_types:",
        "catalog",
        "catalog: [1]",
        "expected a mapping",
        id="catalog-not-a-mapping",
    ),
    # cross references (Scenario._cross_references)
    pytest.param(
        "type: upper-test",
        "type: uper-test",
        "batteries.0.type",
        "type: uper-test",
        "unknown interceptor type 'uper-test' (known: lower-test, point-test, upper-test)",
        id="unknown-catalog-name",
    ),
    pytest.param(
        "threat: bm-test",
        "threat: bm-tset",
        "raid.salvos.1.threat",
        "threat: bm-tset",
        "did you mean 'bm-test'?",
        id="unknown-threat",
    ),
    pytest.param(
        "from: AA",
        "from: ZZ",
        "agreements.0.from",
        "from: ZZ",
        "unknown nation 'ZZ'",
        id="agreement-unknown-nation",
    ),
    pytest.param(
        "to: [partners]",
        "to: [partners, XX]",
        "agreements.0.to.1",
        "to: [partners, XX]",
        "unknown nation or group 'XX'",
        id="agreement-unknown-audience",
    ),
    pytest.param(
        "partners: [NO, CC]",
        "partners: [NO, DD]",
        "groups.partners.1",
        "partners: [NO, DD]",
        "unknown nation 'DD'",
        id="group-member",
    ),
    pytest.param(
        "lat_deg: 31.0\n    lon_deg: 37.5",
        "lat_deg: 27.0\n    lon_deg: 37.5",
        "patrols.0",
        "id: cap-1",
        "lies outside the map region; move it or widen 'region'",
        id="outside-region",
    ),
    pytest.param(
        "launch: {lat_deg: 34.0, lon_deg: 39.0}",
        "launch: {lat_deg: 34.0, lon_deg: 41.0}",
        "raid.salvos.1.launch",
        "launch: {lat_deg: 34.0, lon_deg: 41.0}",
        "outside the map region",
        id="launch-outside-region",
    ),
    pytest.param(
        "id: bat-lower",
        "id: bat-upper",
        "batteries.1.id",
        "id: bat-upper\n    type: lower-test",
        "'bat-upper' is used twice; ids must be unique",
        id="duplicate-id",
    ),
    pytest.param(
        "id: cap-1",
        "id: radar-1",
        "patrols.0.id",
        "id: radar-1\n    type: fighter-test",
        "already used in sensors",
        id="duplicate-unit-id",
    ),
    pytest.param(
        "aim: [base-a]\n",
        "aim: [base-b]\n",
        "raid.salvos.1.aim.0",
        "aim: [base-b]",
        "unknown asset 'base-b'",
        id="unknown-aim",
    ),
    # true/false are not numbers (pydantic's lax mode would read count: true as 1 missile)
    pytest.param(
        "count: 20",
        "count: true",
        "raid.salvos.0.count",
        "count: true",
        "expected a number, got true",
        id="bool-as-count",
    ),
    pytest.param(
        "    lat_deg: 31.0\n    lon_deg: 35.0\n    value: 10",
        "    lat_deg: 31.0\n    lon_deg: 35.0\n    value: false",
        "assets.0.value",
        "value: false",
        "expected a number, got false",
        id="bool-as-value",
    ),
    # audience names: a group named as a nation would redirect what is shared with it
    pytest.param(
        "  partners: [NO, CC]",
        "  AA: [NO, CC]",
        "groups.AA",
        "  AA: [NO, CC]",
        "'AA' is a nation's id; give the group another name",
        id="group-named-as-nation",
    ),
    pytest.param(
        "  partners: [NO, CC]",
        "  coalition: [NO, CC]",
        "groups.coalition",
        "  coalition: [NO, CC]",
        "'coalition' is reserved",
        id="group-named-coalition",
    ),
    pytest.param(
        "  - id: CC\n",
        "  - id: coalition\n",
        "nations.2.id",
        "  - id: coalition",
        "'coalition' is reserved",
        id="nation-named-coalition",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "marker", "fragment"), BAD_VALUES)
def test_bad_value(tmp_path, catalog, old, new, field, marker, fragment):
    text = edited(old, new)
    if "\n" in marker:  # a marker spanning lines: the line of its first part after a match
        first, second = marker.split("\n")
        lines = text.splitlines()
        line = next(
            i for i in range(1, len(lines)) if first in lines[i - 1] and second.strip() in lines[i]
        )
    else:
        line = line_of(text, marker)
    path, problems = problems_for(tmp_path, text, catalog)
    assert_problem(problems, f"{path}:{line}: {field}: ", fragment)


def test_hand_counted_lines(tmp_path, catalog):
    """Line numbers counted by hand in tests/data/scenario.yaml (guards the helper above)."""
    path, problems = problems_for(tmp_path, edited("magazine: 12", "magazine: x"), catalog)
    assert problems == [f"{path}:67: batteries.0.magazine: expected an integer, got 'x'"]
    path, problems = problems_for(tmp_path, edited("speed_m_s: 600", "speed_m_s: -1"), catalog)
    assert problems == [
        f"{path}:19: catalog.interceptor_types.point-test.speed_m_s: must be > 0.0, got -1"
    ]


def test_several_problems_each_on_its_own_line(tmp_path, catalog):
    text = edited("from: AA", "from: ZZ").replace("threat: uav-test", "threat: nope")
    path, problems = problems_for(tmp_path, text, catalog)
    assert len(problems) == 2
    assert_problem(problems, f"{path}:{line_of(text, 'from: ZZ')}: agreements.0.from: ", "ZZ")
    assert_problem(problems, f"{path}:{line_of(text, 'threat: nope')}: raid.salvos.0.threat", "")
    assert str(ScenarioError(problems)) == "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Bad files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (b"", None, "file is empty"),
        (b"# only a comment\n", None, "file is empty"),
        (b"- a\n- b\n", 1, "top level must be a mapping"),
        (b"just text\n", 1, "top level must be a mapping"),
        (b"name: ok\nseed: 1: 2\n", 2, "YAML syntax error"),
        (b"name: ok\nregion:\n  lat_min: [1,\n", 4, "YAML syntax error"),
        (b"name: ok\nseed: 1\nseed: 2\n", 3, "duplicate key 'seed'"),
        (b"name: ok\n\nname: caf\xe9\n", 3, "not UTF-8"),
        (b"name: \x07\n", 1, "remove that character"),
        (b"name: a\n---\nname: b\n", 2, "one YAML document"),
        # values plain YAML data does not hold: a local tag, binary data, a set, a date
        (b"name: ok\nseed: !foo 1\n", 2, "a value tagged '!foo' is not scenario data"),
        (b"name: ok\nregion: !bar {a: 1}\n", 2, "a value tagged '!bar'"),
        (b"name: !!binary aGVsbG8=\n", 1, "binary data (!!binary) is not scenario data"),
        (b"name: ok\ngroups:\n  g: !!set {a, b}\n", 3, "a set (!!set)"),
        (b"name: ok\nseed: 2001-12-14\n", 2, "a date value"),
        (b"name: ok\nsim:\n  null: 1\n", 3, "the key 'null' is not text"),
        (b"name: ok\nsim: {5: 1}\n", 2, "the key '5' is not text"),
        # an explicit core tag its text does not fit: ruamel fails without a line
        (b'name: ok\nsim:\n  end_s: !!int "x"\n', 3, "'x' is no !!int value; remove the tag"),
        (b"name: ok\nseed: [1, !!float abc]\n", 2, "'abc' is no !!float value"),
        (b"name: ok\nsim:\n  a: 1\n  b: !!bool maybe\n", 4, "'maybe' is no !!bool value"),
        (b"name: ok\nseed: !!int 0x\n", 2, "'0x' is no !!int value"),
    ],
)
def test_bad_file(tmp_path, catalog, content, line, fragment):
    path, problems = problems_for(tmp_path, content, catalog)
    assert len(problems) == 1
    prefix = f"{path}:{line}: " if line else f"{path}: "
    assert_problem(problems, prefix, fragment)


def test_core_tags_read_as_yaml_reads_them(tmp_path, catalog):
    """``!!str``, ``!!int`` and ``!!float`` on a scalar give its plain value (``!!int "12"``
    is the number 12), not an unreadable tagged object."""
    text = FIXTURE_TEXT.replace("magazine: 12", 'magazine: !!int "12"')
    assert text != FIXTURE_TEXT
    path = tmp_path / "tagged.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path, catalog=catalog).batteries[0].magazine == 12


def test_missing_file(tmp_path, catalog):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing, catalog=catalog)
    assert info.value.problems[0].startswith(f"{missing}: no such file; built-in scenarios are:")


def test_unknown_name(catalog):
    with pytest.raises(ScenarioError) as info:
        load_scenario("no-such-raid", catalog=catalog)
    (problem,) = info.value.problems
    assert problem.startswith("no-such-raid: unknown scenario 'no-such-raid'")
    assert "built-in scenarios are:" in problem


def test_directory(tmp_path, catalog):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path, catalog=catalog)
    assert info.value.problems == [f"{tmp_path}: is a directory; give the path of a .yaml file"]


def test_not_a_source(catalog):
    with pytest.raises(ScenarioError, match="expected a built-in scenario name"):
        load_scenario(42, catalog=catalog)  # type: ignore[arg-type]


def test_catalog_file_errors(tmp_path):
    path = tmp_path / "cat.yaml"
    path.write_text("threat_types:\n  x:\n    class: drone\n    max_range_km: 1\n", "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_catalog(path)
    assert_problem(info.value.problems, f"{path}:2: threat_types.x.rcs_m2: ", "missing")
    assert_problem(info.value.problems, f"{path}:2: threat_types.x.source: ", "missing")


def test_nested_group_key_with_dots(tmp_path, catalog):
    text = edited("partners: [NO, CC]", "nordic.east: [NO, DD]")
    path, problems = problems_for(tmp_path, text, catalog)
    line = line_of(text, "nordic.east")
    assert_problem(problems, f"{path}:{line}: groups.nordic.east.1: ", "unknown nation 'DD'")


# --------------------------------------------------------------------------------------------
# Built-in scenarios (written alongside this loader; skipped until they exist)
# --------------------------------------------------------------------------------------------

needs_builtins = pytest.mark.skipif(not BUILTINS_READY, reason="built-in data not written yet")


@needs_builtins
def test_builtin_catalog():
    cat = builtin_catalog()
    assert cat.threat_types and cat.interceptor_types and cat.sensor_types
    assert {t.threat_class for t in cat.threat_types.values()} <= set(THREAT_CLASSES)


@needs_builtins
@pytest.mark.parametrize("name", builtin_scenarios() or ["none"])
def test_builtin_loads_and_round_trips(tmp_path, name):
    s = load_scenario(name)
    assert s.notional is True
    assert set(builtin_catalog().threat_types) <= set(s.catalog.threat_types)
    path = tmp_path / f"{name}.yaml"
    path.write_text(scenario_to_yaml(s), encoding="utf-8")
    assert load_scenario(path) == s
    assert load_scenario(str(path)) == s


@needs_builtins
def test_expected_builtins_exist():
    assert {"april-2024", "october-2024", "tutorial"} <= set(builtin_scenarios())


def test_builtin_name_errors_are_labelled(monkeypatch, tmp_path, catalog):
    (tmp_path / "broken.yaml").write_text("name: x\nseed: -1\n", encoding="utf-8")
    monkeypatch.setattr(loader, "SCENARIO_DIR", tmp_path)
    assert builtin_scenarios() == ["broken"]
    with pytest.raises(ScenarioError) as info:
        load_scenario("broken", catalog=catalog)
    assert_problem(info.value.problems, "<builtin:broken>:2: seed: ", "must be >= 0")
    assert all(re.match(r"<builtin:broken>:\d+: ", p) for p in info.value.problems)


def test_complex_key(tmp_path, catalog):
    path, problems = problems_for(tmp_path, "name: x\n? [a, b]\n: 1\n", catalog)
    assert problems == [f"{path}:1: a mapping key is a list or mapping; keys must be plain text"]


def test_missing_catalog_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_catalog(tmp_path / "none.yaml")
    assert info.value.problems == [f"{tmp_path / 'none.yaml'}: no such file"]


@needs_builtins
def test_unknown_name_lists_builtins(catalog):
    with pytest.raises(ScenarioError) as info:
        load_scenario("april-2042", catalog=catalog)
    assert ", ".join(builtin_scenarios()) in info.value.problems[0]


def test_decision_cycles_outside_what_the_trackers_work_with(tmp_path, catalog):
    """Cycles longer than confirm_window_s / (confirm_hits - 1) confirm no track seen once per
    cycle (tests/test_node.py pins that bound on the tracker), and over MAX_CYCLE_S the
    defense loses tracks (tests/test_sim_tracking.py): both are refused, naming the field and
    the fix, as is a cycle under a second."""

    def problem(sim_lines: str) -> str:
        text = edited("  end_s: 3600\n", "  end_s: 3600\n" + sim_lines)
        path, problems = problems_for(tmp_path, text, catalog)
        assert len(problems) == 1 and problems[0].startswith(f"{path}:10: sim: "), problems
        return problems[0].split(": sim: ", 1)[1]

    assert problem("  decision_period_s: 25\n  confirm_hits: 4\n") == (
        "decision_period_s 25 s is too long for node tracks to confirm (4 hits within "
        "confirm_window_s 60 s need cycles of at most 20 s); shorten decision_period_s or "
        "lengthen confirm_window_s"
    )
    assert problem("  quiet_period_s: 40\n  confirm_window_s: 120\n") == (
        "quiet_period_s 40 s is longer than 30 s, over which the node trackers lose tracks and "
        "shooters miss their windows; use at most 30 s"
    )
    assert problem("  decision_period_s: 0.5\n  quiet_period_s: 0.5\n") == (
        "decision_period_s 0.5 s is below 1 s (sensors revisit in seconds: a shorter cycle "
        "changes nothing but the run time); raise decision_period_s"
    )
    ok = "  end_s: 3600\n  quiet_period_s: 30\n  confirm_hits: 2\n  confirm_window_s: 30\n"
    path = tmp_path / "ok.yaml"
    path.write_text(edited("  end_s: 3600\n", ok), encoding="utf-8")
    assert load_scenario(path, catalog=catalog).sim.quiet_period_s == 30.0
    off = "  end_s: 3600\n  decision_period_s: 10\n  quiet_period_s: 0.5\n"  # quiet cycle off
    path.write_text(edited("  end_s: 3600\n", off), encoding="utf-8")
    assert load_scenario(path, catalog=catalog).sim.quiet_period_s == 0.5


def test_patrol_off_station_before_it_is_on_is_refused(tmp_path, catalog):
    text = edited("    until_s: 7200\n", "    from_s: 7200\n    until_s: 3600\n")
    path, problems = problems_for(tmp_path, text, catalog)
    assert problems == [f"{path}:{line_of(text, 'from_s: 7200') - 6}: patrols.0: until_s (3600 s)"
                        " must be after from_s (7200 s): the patrol would never be on station;"
                        " swap or correct them"]  # fmt: skip


def test_waypoints_on_a_ballistic_salvo_are_refused(tmp_path, catalog):
    """A ballistic missile flies to its aim point: waypoints on its salvo would be ignored."""
    text = edited("      aim: [base-a]\n", "      aim: [base-a]\n      waypoints: [{lat_deg: 33.0,"
                  " lon_deg: 37.0}]\n")  # fmt: skip
    path, problems = problems_for(tmp_path, text, catalog)
    assert len(problems) == 1, problems
    assert problems[0].endswith(
        "raid.salvos.1.waypoints: waypoints route cruise missiles and drones; a ballistic "
        "missile flies to its aim point, so remove them from this salvo"
    ), problems


def test_retired_field_says_it_is_no_longer_used(tmp_path, catalog):
    """``sim.step_s`` never changed a result (the truth integrator picks its own steps), so an
    old file that sets it is told to drop it, not run as if it mattered."""
    text = edited("  end_s: 3600\n", "  end_s: 3600\n  step_s: 1\n")
    path, problems = problems_for(tmp_path, text, catalog)
    assert problems == [f"{path}:12: sim.step_s: 'step_s' is no longer used (the truth integrator"
                        " picks its own steps per flight phase; this field never changed a "
                        "result); remove it"]  # fmt: skip


def test_reserve_on_a_battery_that_engages_only_ballistic_missiles_is_refused(tmp_path, catalog):
    """The reserve keeps a battery's last rounds for ballistic tracks: on a type that shoots at
    nothing else it would never hold a round back."""
    assert not any(
        catalog.interceptor_types["upper-test"].pk.get(c, 0.0) for c in ("cruise", "drone")
    )
    text = edited("    magazine: 12\n", "    magazine: 12\n    reserve: 2\n")
    path, problems = problems_for(tmp_path, text, catalog)
    assert problems == [f"{path}:{line_of(text, 'reserve: 2')}: batteries.0.reserve: the "
                        "reserve keeps a battery's last rounds for ballistic missiles, and "
                        "'upper-test' engages nothing else; remove it"]  # fmt: skip
    ok = edited(
        "    magazine: 40\n", "    magazine: 40\n    reserve: 2\n"
    )  # lower-test: drones too
    path = tmp_path / "ok.yaml"
    path.write_text(ok, encoding="utf-8")
    assert load_scenario(path, catalog=catalog).batteries[1].reserve == 2


def test_another_kind_of_file_is_one_line(tmp_path, catalog):
    """A run's summary.json given as a scenario: one line saying so, not a line per key."""
    path = tmp_path / "summary.json"
    path.write_text('{"scenario": "x", "seed": 7, "threats": {"launched": 3}, "assets": {},'
                    ' "siap": {}, "accounting": {}}')  # fmt: skip
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, catalog=catalog)
    (line,) = info.value.problems
    assert line.startswith(f"{path}: not a scenario file: it has none of ") and "raid" in line
