"""Scenarios a run could not hold are refused by ``validate`` (and so before any run), with one
line naming the field: a launch window or a flight past the longest run (``MAX_RUN_S``), a
radar revisit under 1 s, more false alarms than a run can hold. Found by fuzzing: each of
these used to pass validation and then crash a run with a traceback (out of memory) or hang."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
from ruamel.yaml import YAML

from shieldwall.rng import stream
from shieldwall.scenario import load_catalog, load_scenario, loader
from shieldwall.sim.engine import natural_end
from shieldwall.threats import build_raid, build_truth
from shieldwall.threats.feasible import run_end_bound_s


def _tutorial() -> dict:
    return YAML(typ="safe", pure=True).load((loader.SCENARIO_DIR / "tutorial.yaml").read_text())


def _catalog_entry(section: str, name: str) -> dict:
    raw = YAML(typ="safe", pure=True).load(loader.CATALOG_FILE.read_text())
    return copy.deepcopy(raw[section][name])


def _validate(tmp_path, data: dict) -> tuple[int, list[str]]:
    path = tmp_path / "s.yaml"
    with open(path, "w", encoding="utf-8") as f:
        YAML(typ="safe", pure=True).dump(data, f)
    proc = subprocess.run([sys.executable, "-m", "shieldwall", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stderr.splitlines()


def _drone_salvo(data: dict) -> tuple[int, dict]:
    cat = load_catalog(loader.CATALOG_FILE)
    for i, s in enumerate(data["raid"]["salvos"]):
        if cat.threat_types[s["threat"]].threat_class != "ballistic":
            return i, s
    raise AssertionError("the tutorial has a cruise or drone salvo")


def test_launch_window_past_the_longest_run(tmp_path):
    data = _tutorial()
    data["raid"]["salvos"][0]["window_s"] = [0, 1.0e15]
    code, lines = _validate(tmp_path, data)
    assert code == 2 and len(lines) == 1
    assert "raid.salvos.0.window_s" in lines[0] and "1e+06 s" in lines[0]


def test_crawling_drone_is_refused(tmp_path):
    data = _tutorial()
    i, salvo = _drone_salvo(data)
    entry = _catalog_entry("threat_types", salvo["threat"])
    entry["speed_m_s"] = 0.1
    data["catalog"] = {"threat_types": {salvo["threat"]: entry}}
    code, lines = _validate(tmp_path, data)
    assert code == 2 and len(lines) == 1
    assert f"raid.salvos.{i}:" in lines[0] and "0.1 m/s" in lines[0] and "faster" in lines[0]


def test_revisit_under_a_second_is_refused(tmp_path):
    data = _tutorial()
    radar = data["sensors"][0]["type"]
    entry = _catalog_entry("sensor_types", radar)
    entry["revisit_s"] = 1e-9
    data["catalog"] = {"sensor_types": {radar: entry}}
    code, lines = _validate(tmp_path, data)
    assert code == 2 and any("revisit_s" in ln for ln in lines), lines


def test_more_clutter_than_a_run_holds_is_refused(tmp_path):
    """100 false alarms a scan every 2 s over 1e6 s: 5e7, over the 2e7 budget."""
    data = _tutorial()
    radar = next(s["type"] for s in data["sensors"] if s["type"] == "tpy-2")
    entry = _catalog_entry("sensor_types", radar)
    entry["false_alarms_per_scan"] = 100
    entry["revisit_s"] = 2
    data["catalog"] = {"sensor_types": {radar: entry}}
    data.setdefault("sim", {})["end_s"] = 1.0e6
    code, lines = _validate(tmp_path, data)
    assert code == 2 and len(lines) == 1
    assert "false alarms" in lines[0] and "false_alarms_per_scan" in lines[0]


@pytest.mark.parametrize("name", ["tutorial", "october-2024"])
def test_run_end_bound_holds_the_natural_end(name):
    """The bound the clutter check uses is never earlier than a run's real end, on several
    seeds (air-breathers: route over speed; ballistic: under an hour)."""
    sc = load_scenario(name)
    bound = run_end_bound_s(sc)
    for seed in range(3):
        truth = build_truth(sc, build_raid(sc, stream(seed, "raid")))
        end = natural_end(truth)
        assert end <= bound, (seed, end, bound)
    assert np.isfinite(bound)


@pytest.mark.parametrize(
    ("field", "value", "bound"),
    [
        ("sigma_range_m", 1.0e12, "<= 100000"),
        ("sigma_az_deg", 90.0, "<= 30"),
        ("max_range_km", 1.0e-9, ">= 1"),
    ],  # fmt: skip
)
def test_sensor_figures_beyond_their_bounds(tmp_path, field, value, bound):
    """A range error of 1e9 km made the trackers' covariances overflow (NaN in summary.json,
    numpy warnings); a 1e-9 km radar, square roots of negatives. Both are refused."""
    data = _tutorial()
    entry = _catalog_entry("sensor_types", "tpy-2")
    entry[field] = value
    data["catalog"] = {"sensor_types": {"tpy-2": entry}}
    code, lines = _validate(tmp_path, data)
    assert code == 2 and len(lines) == 1
    assert f"catalog.sensor_types.tpy-2.{field}" in lines[0] and bound in lines[0]
