"""Catalog entries that would crash a run, or be silently useless or ignored, are refused with one
line naming the field and the fix; every built-in entry and scenario still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.engagement import assign
from shieldwall.scenario import (
    MIN_PK,
    Catalog,
    ScenarioError,
    builtin_catalog,
    builtin_scenarios,
    load_catalog,
    load_scenario,
    scenario_to_yaml,
)
from shieldwall.scenario.catalog import RADAR_ONLY, SPACE_IR_ONLY, SensorType, ThreatType

DATA = Path(__file__).parent / "data"
FIXTURE_TEXT = (DATA / "scenario.yaml").read_text(encoding="utf-8")

DRONE = """\
    drone-x:
      class: drone
      speed_m_s: 50
      max_range_km: 1000
      rcs_m2: 0.1
      cost_usd: 20000
      source: test
"""
CRUISE = DRONE.replace("drone-x:", "cruise-x:").replace("class: drone", "class: cruise")
BALLISTIC = """\
    bm-x:
      class: ballistic
      max_range_km: 1500
      boost_s: 60
      rcs_m2: 0.5
      cost_usd: 1000000
      source: test
"""
RADAR = """\
    radar-x:
      kind: radar
      ref_range_km: 300
      max_range_km: 400
      source: test
"""
IR = """\
    ir-x:
      kind: space_ir
      max_range_km: 4000
      source: test
"""
FIGHTER = """\
    fighter-x:
      shots_per_sortie: 4
      radius_km: 150
      speed_m_s: 300
      pk: {cruise: 0.7, drone: 0.8}
      cost_usd: 400000
      source: test
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DATA / "catalog.yaml")


def with_entry(section: str, entry: str, *add: str, swap: tuple[str, str] | None = None) -> str:
    """The fixture scenario with catalog ``entry`` added under ``section``: the ``add`` lines
    ('field: value') appended to the entry, ``swap`` (old, new) replacing one of its lines."""
    if swap is not None:
        assert entry.count(f"      {swap[0]}\n") == 1, f"{swap[0]!r} not in the entry"
        entry = entry.replace(f"      {swap[0]}\n", f"      {swap[1]}\n")
    entry += "".join(f"      {line}\n" for line in add)
    return FIXTURE_TEXT.replace("catalog:\n", f"catalog:\n  {section}:\n{entry}", 1)


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    return next(i for i, t in enumerate(text.splitlines(), start=1) if needle in t)


def problems(tmp_path: Path, text: str, catalog: Catalog) -> tuple[str, list[str]]:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, catalog=catalog)
    return str(path), info.value.problems


def loads(tmp_path: Path, text: str, catalog: Catalog) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path, catalog=catalog)
    again = tmp_path / "resolved.yaml"
    again.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    assert load_scenario(again, catalog=catalog) == scenario  # all fields written, defaults too


def assert_only(tmp_path, catalog, text: str, marker: str, field: str, message: str) -> None:
    path, found = problems(tmp_path, text, catalog)
    assert found == [f"{path}:{line_of(text, marker)}: {field}: {message}"]


# --------------------------------------------------------------------------------------------
# 1. Measurement errors: a (near-)perfect measurement crashed the tracker or wrote NaN
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sigma_range_m", "0", "must be >= 1 m, got 0"),
        ("sigma_range_m", "1e-9", "must be >= 1 m, got 1e-09"),
        ("sigma_az_deg", "0", "must be >= 0.001 deg, got 0"),
        ("sigma_el_deg", "-0.1", "must be >= 0.001 deg, got -0.1"),
    ],
)
def test_perfect_measurement_refused(tmp_path, catalog, field, value, message):
    text = with_entry("sensor_types", RADAR, f"{field}: {value}")
    assert_only(
        tmp_path, catalog, text, f"{field}: {value}", f"catalog.sensor_types.radar-x.{field}",
        f"{message}: a (near-)perfect measurement makes the track covariance singular",
    )  # fmt: skip


def test_measurement_floors_load(tmp_path, catalog):
    floors = ("sigma_range_m: 1", "sigma_az_deg: 0.001", "sigma_el_deg: 0.001")
    loads(tmp_path, with_entry("sensor_types", RADAR, *floors), catalog)
    # space IR: sigma_range_m is the position error of its looks (per ECEF axis)
    loads(tmp_path, with_entry("sensor_types", IR, "sigma_range_m: 2000"), catalog)


# --------------------------------------------------------------------------------------------
# 2. Kill probabilities between 0 and MIN_PK never fire
# --------------------------------------------------------------------------------------------

BELOW_MIN = "is below 0.3, under which no shot is fired; set 0 (cannot engage) or at least 0.3"


def test_min_pk_is_the_engagement_stage_threshold():
    assert MIN_PK == 0.3
    assert assign.MIN_PK == MIN_PK


def test_interceptor_pk_below_min_refused(tmp_path, catalog):
    text = FIXTURE_TEXT.replace("pk: {drone: 0.7, cruise: 0.5}", "pk: {drone: 0.7, cruise: 0.1}")
    assert_only(
        tmp_path, catalog, text, "pk: {drone: 0.7, cruise: 0.1}",
        "catalog.interceptor_types.point-test.pk.cruise", f"0.1 {BELOW_MIN}",
    )  # fmt: skip


def test_fighter_pk_below_min_refused(tmp_path, catalog):
    swap = ("pk: {cruise: 0.7, drone: 0.8}", "pk: {ballistic: 0.05, cruise: 0.7, drone: 0.8}")
    text = with_entry("fighter_types", FIGHTER, swap=swap)
    assert_only(
        tmp_path, catalog, text, "pk: {ballistic: 0.05",
        "catalog.fighter_types.fighter-x.pk.ballistic", f"0.05 {BELOW_MIN}",
    )  # fmt: skip


@pytest.mark.parametrize("pk", ["0", "0.3", "1"])
def test_pk_zero_or_at_least_min_loads(tmp_path, catalog, pk):
    text = FIXTURE_TEXT.replace("cruise: 0.5}", f"cruise: {pk}}}")
    loads(tmp_path, text, catalog)


# --------------------------------------------------------------------------------------------
# 3. Fields that do not apply to a threat's class or a sensor's kind
# --------------------------------------------------------------------------------------------

AEW = RADAR.replace("kind: radar", "kind: aew")
NOT_FOR = [
    # (section, entry, its id, added lines, message)
    ("threat_types", DRONE, "drone-x", ["boost_s: 60"],
     "boost_s applies to ballistic missiles; leave it out for a drone"),
    ("threat_types", CRUISE, "cruise-x", ["mass_ratio: 3", "beta_kg_m2: 8000"],
     "mass_ratio and beta_kg_m2 apply to ballistic missiles; leave them out for a cruise"
     " missile"),
    ("threat_types", BALLISTIC, "bm-x", ["speed_m_s: 2000"],
     "speed_m_s applies to cruise missiles and drones; leave it out for a ballistic missile"),
    ("threat_types", BALLISTIC, "bm-x", ["cruise_alt_m: 50", "dive_km: 0"],
     "cruise_alt_m and dive_km apply to cruise missiles and drones; leave them out for a"
     " ballistic missile"),
    ("sensor_types", RADAR, "radar-x", ["pd_ir: 0.5"],
     "pd_ir applies to space IR sensors (space_ir); leave it out for a radar sensor"),
    ("sensor_types", AEW, "radar-x", ["plume_alt_km: 10"],
     "plume_alt_km applies to space IR sensors (space_ir); leave it out for an aew sensor"),
    ("sensor_types", IR, "ir-x", ["sector_deg: 120"],
     "sector_deg applies to radars (radar, aew); leave it out for a space_ir sensor"),
    ("sensor_types", IR, "ir-x", ["ref_range_km: 4000"],
     "ref_range_km applies to radars (radar, aew); leave it out for a space_ir sensor"),
    ("sensor_types", IR, "ir-x",
     ["pfa: 0.001", "min_elev_deg: -10", "height_m: 50000", "sigma_az_deg: 0.5"],
     "pfa, min_elev_deg, sigma_az_deg and height_m apply to radars (radar, aew); leave them out"
     " for a space_ir sensor"),
]  # fmt: skip


@pytest.mark.parametrize(("section", "entry", "key", "added", "message"), NOT_FOR)
def test_field_not_for_this_class_or_kind(tmp_path, catalog, section, entry, key, added, message):
    text = with_entry(section, entry, *added)
    assert_only(tmp_path, catalog, text, f"    {key}:", f"catalog.{section}.{key}", message)


@pytest.mark.parametrize(
    ("entry", "added"),
    [
        (BALLISTIC, ["speed_m_s: null", "cruise_alt_m: 100", "dive_km: 5"]),
        (DRONE, ["boost_s: 0", "mass_ratio: 4", "beta_kg_m2: 5000", "dive_km: 0"]),
    ],
)
def test_threat_defaults_where_not_applicable_load(tmp_path, catalog, entry, added):
    """A resolved file writes every field; the defaults of fields that do not apply pass."""
    loads(tmp_path, with_entry("threat_types", entry, *added), catalog)


def test_sensor_defaults_where_not_applicable_load(tmp_path, catalog):
    fields = SensorType.model_fields
    ir_extra = [f"{n}: {'null' if fields[n].default is None else fields[n].default}"
                for n in RADAR_ONLY]  # fmt: skip
    radar_extra = [f"{n}: {fields[n].default}" for n in SPACE_IR_ONLY]
    loads(tmp_path, with_entry("sensor_types", IR, *ir_extra), catalog)
    loads(tmp_path, with_entry("sensor_types", RADAR, *radar_extra), catalog)


def test_a_radar_without_ref_range_is_refused(tmp_path, catalog):
    """The radar equation needs its reference range: a radar or aew type without
    ``ref_range_km`` is refused (a space IR type has none)."""
    for entry, kind in ((RADAR, "a radar"), (AEW, "an aew")):
        text = with_entry("sensor_types", entry.replace("      ref_range_km: 300\n", ""))
        assert_only(
            tmp_path, catalog, text, "    radar-x:", "catalog.sensor_types.radar-x",
            f"ref_range_km is required for {kind} sensor: the range (km) at which it detects a"
            " 1 m^2 target with probability 0.9",
        )  # fmt: skip


def test_false_alarms_on_space_ir_keep_their_own_message(tmp_path, catalog):
    text = with_entry("sensor_types", IR, "false_alarms_per_scan: 1", "pfa: 0.001")
    assert_only(
        tmp_path, catalog, text, "    ir-x:", "catalog.sensor_types.ir-x",
        "false_alarms_per_scan applies to radars (radar, aew); a space_ir sensor reports launch"
        " warnings only, so leave it at 0",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# 4. and 5. Bounds: air-breather speed, false alarms per scan
# --------------------------------------------------------------------------------------------


def test_air_breather_speed_bounded(tmp_path, catalog):
    text = with_entry("threat_types", CRUISE, swap=("speed_m_s: 50", "speed_m_s: 100000"))
    assert_only(
        tmp_path, catalog, text, "speed_m_s: 100000",
        "catalog.threat_types.cruise-x.speed_m_s", "must be <= 3000.0, got 100000",
    )  # fmt: skip
    fine = with_entry("threat_types", CRUISE, swap=("speed_m_s: 50", "speed_m_s: 3000"))
    loads(tmp_path, fine, catalog)


def test_false_alarms_per_scan_bounded(tmp_path, catalog):
    text = with_entry("sensor_types", RADAR, "false_alarms_per_scan: 1000")
    assert_only(
        tmp_path, catalog, text, "false_alarms_per_scan: 1000",
        "catalog.sensor_types.radar-x.false_alarms_per_scan", "must be <= 100.0, got 1000",
    )  # fmt: skip
    loads(tmp_path, with_entry("sensor_types", RADAR, "false_alarms_per_scan: 100"), catalog)


# --------------------------------------------------------------------------------------------
# Built-in data
# --------------------------------------------------------------------------------------------


def test_every_builtin_entry_validates():
    cat = builtin_catalog()
    sections = ("threat_types", "sensor_types", "interceptor_types", "fighter_types")
    for section in sections:
        for key, entry in getattr(cat, section).items():
            data = entry.model_dump(mode="json", by_alias=True)
            assert type(entry).model_validate(data) == entry, f"{section}.{key}"
    for key, shooter in [*cat.interceptor_types.items(), *cat.fighter_types.items()]:
        assert all(p == 0.0 or p >= MIN_PK for p in shooter.pk.values()), key
    assert cat.interceptor_types["iron-dome"].pk["ballistic"] == 0.0
    sbirs = cat.sensor_types["sbirs"]
    assert all(getattr(sbirs, n) == SensorType.model_fields[n].default for n in RADAR_ONLY)
    for key, t in cat.threat_types.items():
        ballistic_only = ("boost_s", "mass_ratio", "beta_kg_m2")
        air_only = ("speed_m_s", "cruise_alt_m", "dive_km")
        unused = air_only if t.threat_class == "ballistic" else ballistic_only
        assert all(getattr(t, n) == ThreatType.model_fields[n].default for n in unused), key


@pytest.mark.parametrize("name", builtin_scenarios())
def test_builtin_scenarios_load_and_round_trip(tmp_path, name):
    scenario = load_scenario(name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    assert load_scenario(path) == scenario


def test_fighter_with_a_ballistic_pk_is_refused(tmp_path, catalog):
    """A patrol's air-to-air missiles do not engage ballistic missiles (a fighter type with a
    ballistic pk would shoot at re-entry vehicles passing below its ceiling)."""
    swap = ("pk: {cruise: 0.7, drone: 0.8}", "pk: {ballistic: 0.5, cruise: 0.7, drone: 0.8}")
    text = with_entry("fighter_types", FIGHTER, swap=swap)
    path, found = problems(tmp_path, text, catalog)
    assert len(found) == 1 and found[0].endswith(
        "catalog.fighter_types.fighter-x: pk.ballistic 0.5: a fighter on patrol engages drones"
        " and cruise missiles, not ballistic missiles; set it to 0 or leave it out"
    ), found
