"""Parameter sweeps: parsing, setting a field by path, errors, the study and ``shieldwall sweep``.

Bookkeeping is checked with a stand-in replication that reads the swept field; the ``slow``
test runs the real ``tutorial`` scenario through the command line.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from serial_executor import SerialExecutor
from shieldwall.cli import app
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.studies.sweep import (
    num,
    param_text,
    parse_param,
    set_param,
    sweep_study,
    sweep_values,
)
from shieldwall.studies.variants import DEFENDED, VALUE_HIT, VariantTask

runner = CliRunner()


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


def magazine_game(task: VariantTask) -> dict:
    """Leakers fall with the first battery's magazine; the noise is the seed's (CRN)."""
    mag = task.scenario.batteries[0].magazine
    noise = float(stream(task.seed, "raid").normal(0, 3))
    hit = max(0.0, 100.0 - 10.0 * mag + noise)
    return {
        "threats.leaked": 10 - mag,
        "threats.by_class.ballistic.leaked": 10 - mag,
        "threats.by_class.cruise.leaked": 0,
        "threats.by_class.drone.leaked": 0,
        VALUE_HIT: hit,
        DEFENDED: 300.0 - hit,
    }


# --- parsing and setting --------------------------------------------------------------------


def test_sweep_values_inclusive_and_checked():
    assert sweep_values(0, 20, 5) == [0, 5, 10, 15, 20]
    assert sweep_values(1, 0, -0.25) == [1, 0.75, 0.5, 0.25, 0]
    assert sweep_values(0, 0.3, 0.1) == [0, 0.1, 0.2, 0.3]  # float steps reach STOP
    for bad in [(0, 4, 0), (0, 4, -1), (0, 1e9, 1)]:
        with pytest.raises(ValueError, match="--param"):
            sweep_values(*bad)


def test_parse_param():
    assert parse_param("batteries.0.magazine=0:8:4") == ("batteries.0.magazine", [0, 4, 8])
    for bad in ["batteries.0.magazine", "x=0:4", "x=a:b:c", "=0:1:1"]:
        with pytest.raises(ValueError, match="--param"):
            parse_param(bad)


@pytest.mark.parametrize(
    ("path", "value", "read"),
    [
        ("batteries.0.magazine", 3, lambda s: s.batteries[0].magazine),
        ("sim.decision_period_s", 7.5, lambda s: s.sim.decision_period_s),
        ("agreements.0.latency_s", 12, lambda s: s.agreements[0].latency_s),
        ("raid.salvos.1.count", 9, lambda s: s.raid.salvos[1].count),
        ("sim.end_s", 20000, lambda s: s.sim.end_s),  # a null field takes a number
    ],
)
def test_set_param_sets_one_field(tutorial, path, value, read):
    v = set_param(tutorial, path, value)
    assert read(v) == value
    assert set_param(v, path, read(tutorial)) == tutorial  # nothing else changed
    assert isinstance(set_param(tutorial, "batteries.0.magazine", 4.0).batteries[0].magazine, int)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("batteries.9.magazine", 1, "batteries is a list of 3; '9' is not an index 0..2"),
        ("batteries.0.magazin", 1, "batteries.0 has no field 'magazin'"),
        ("nosuch", 1, "the scenario has no field 'nosuch'"),
        ("nations.0.name", 1, "not a numeric field"),
        ("sim", 1, "not a numeric field"),
        ("batteries.0.magazine.x", 1, "has no field 'x'"),
        ("batteries.0.magazine", -1, "batteries.0.magazine=-1: batteries.0.magazine: must be >= 0"),
        ("batteries.0.magazine", 1.5, "expected a whole number"),
        # a whole number shown as typed: not "got 0.0" (a null field), not "=1e+06"
        (
            "batteries.0.channels",
            0,
            "batteries.0.channels=0: batteries.0.channels: must be >= 1, got 0",
        ),
        (
            "batteries.0.magazine",
            1e6,
            "batteries.0.magazine=1000000: batteries.0.magazine: must be <= 100000, got 1000000",
        ),
    ],
)
def test_set_param_errors_are_one_line(tutorial, path, value, message):
    with pytest.raises(ValueError, match="--param") as err:
        set_param(tutorial, path, value)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not str(err.value).endswith(".0")


def test_numbers_are_shown_as_typed():
    assert [num(x) for x in (1e6, 1234567.0, 0.1, 2.0, 7, 0.30000000000000004)] == [
        "1000000", "1234567", "0.1", "2", "7", "0.3"]  # fmt: skip
    assert param_text("x", [1e6, 1.5e6, 2e6]) == "--param x=1000000:2000000:500000"
    with pytest.raises(ValueError) as err:
        sweep_values(1e6, 2.5e6, 1e6)
    assert str(err.value) == (
        "--param: STOP 2500000 is not START + k*STEP (1000000:2500000:1000000); use"
        " 1000000:2000000:1000000 or 1000000:3000000:1000000"
    )


# --- the study ------------------------------------------------------------------------------


def test_sweep_study_with_common_random_numbers(tutorial, tmp_path):
    res = sweep_study(tutorial, "batteries.0.magazine", [0, 2, 4], 8, tmp_path / "s",
                      SerialExecutor(), fn=magazine_game)  # fmt: skip
    s = res.summary
    assert s["param"] == "batteries.0.magazine" and s["values"] == [0, 2, 4] and s["failed"] == 0
    leaked = [p["metrics"]["threats.leaked"]["mean"] for p in s["points"]]
    assert leaked == [10, 8, 6]
    diff = s["points"][2]["diff_vs_first"][VALUE_HIT]
    assert diff["mean"] == pytest.approx(-40.0, abs=1e-9)
    assert diff["ci95"][1] - diff["ci95"][0] == pytest.approx(0.0, abs=1e-9)  # CRN: exact
    single = s["points"][2]["metrics"][VALUE_HIT]["ci95"]
    assert single[1] - single[0] > 1.0  # each point alone still has the dice's spread
    t = pq.read_table(res.folder / "sweep.parquet")
    assert t.num_rows == 24 and sorted(set(t.column("value").to_pylist())) == [0, 2, 4]
    seeds = t.to_pydict()["seed"]
    assert seeds[:8] == seeds[8:16] == seeds[16:]  # the same seeds at every point
    assert (res.folder / "sweep.png").stat().st_size > 10_000
    assert json.loads((res.folder / "sweep.json").read_text())["points"] == s["points"]


def test_sweep_rejects_a_bad_point_before_writing(tutorial, tmp_path):
    with pytest.raises(ValueError, match="expected a whole number"):
        sweep_study(tutorial, "batteries.0.magazine", [0, 1.5], 1, tmp_path / "x",
                    SerialExecutor(), fn=magazine_game)  # fmt: skip
    assert not (tmp_path / "x").exists()


# --- the command ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("batteries.7.magazine=0:4:2", "not an index"),
        ("nations.0.name=0:4:2", "not a numeric field"),
        ("batteries.0.magazine=-2:2:2", "must be >= 0"),
        ("batteries.0.magazine=0:4", "PATH=START:STOP:STEP"),
        ("seed=1:3:1", "its own seed"),  # would sweep nothing: every point the same
    ],
)
def test_cli_bad_param_one_line_exit_2(tmp_path, param, message):
    r = runner.invoke(app, ["sweep", "tutorial", "--param", param, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and message in r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_second_param(tmp_path):
    """typer would keep the last --param and sweep it alone: refused, nothing written."""
    a, b = "batteries.0.magazine=0:4:4", "batteries.1.magazine=0:4:4"
    out = str(tmp_path / "o")
    r = runner.invoke(app, ["sweep", "tutorial", "--param", a, "--param", b, "--out", out])
    assert r.exit_code == 2, r.output
    assert r.output.strip() == "error: --param: give one field per sweep (got 2)"
    assert not (tmp_path / "o").exists()


def test_sweep_labels_tell_close_values_apart(tutorial, tmp_path):
    """Six significant digits (``:g``) would label both points 123457."""
    res = sweep_study(tutorial, "sim.end_s", [123456.7, 123456.8], 1, tmp_path / "s",
                      SerialExecutor(), fn=magazine_game)  # fmt: skip
    assert res.table.column("label").to_pylist() == [
        "sim.end_s=123456.7", "sim.end_s=123456.8"]  # fmt: skip


@pytest.mark.slow
def test_cli_sweep_tutorial_json(tmp_path):
    out = tmp_path / "sw"
    args = ["sweep", "tutorial", "--param", "batteries.0.magazine=0:8:8", "--runs", "2",
            "--json", "--out", str(out), "--workers", "2"]  # fmt: skip
    r = runner.invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["values"] == [0, 8] and len(data["points"]) == 2
    for point in data["points"]:
        assert {"threats.leaked", VALUE_HIT} <= point["metrics"].keys()
    t = pq.read_table(out / "sweep.parquet").to_pydict()
    assert np.all(np.array(t["status"]) == "ok")
    assert (out / "sweep.png").exists() and (out / "scenario.yaml").exists()


def test_interrupted_sweep_keeps_finished_runs(tutorial, tmp_path):
    def interrupt(finished: int, total: int, record: dict | None) -> None:
        if finished == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep_study(tutorial, "batteries.0.magazine", [0, 2], 3, tmp_path / "i",
                    SerialExecutor(), progress=interrupt, fn=magazine_game)  # fmt: skip
    t = pq.read_table(tmp_path / "i" / "sweep.parquet")
    assert t.num_rows == 4 and set(t.column("value").to_pylist()) <= {0.0, 2.0}
    assert (tmp_path / "i" / "INCOMPLETE").exists()
