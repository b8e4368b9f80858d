"""``shieldwall explain``: every shot's candidates are recorded with one chosen shooter, the
story of a threat is printed from the run folder alone, and bad input is one line."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shieldwall.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain") / "run"
    res = runner.invoke(app, ["run", "tutorial", "--seed", "3", "--out", str(folder), "--quiet"])
    assert res.exit_code == 0, res.output
    return folder


def test_every_shot_records_its_candidates(run_dir):
    ev = pq.read_table(run_dir / "events.parquet").to_pylist()
    shots = [e for e in ev if e["event"] == "engage"]
    n_shooters = len(json.loads(shots[0]["candidates"]))
    assert shots and n_shooters > 1
    for e in shots:
        cand = json.loads(e["candidates"])
        chosen = [c for c in cand if c["status"] == "chosen"]
        assert [c["unit"] for c in chosen] == [e["unit_id"]]
        # candidates carry the planning pk (the class as the firing nation's picture has it);
        # the event's pk is the interceptor's against the object it really meets
        assert chosen[0]["nation"] == e["nation"] and 0.3 <= chosen[0]["pk"] <= 1.0
        assert len(cand) == n_shooters and e["value_gain"] >= 0.0
        # a shooter that cannot hurt this class of threat is never called feasible
        assert all(c["status"] == "cannot kill this class" for c in cand if c["pk"] == 0.0)


def test_explain_tells_one_threats_story(run_dir):
    ev = pq.read_table(run_dir / "events.parquet").to_pylist()
    shot = next(e for e in ev if e["event"] == "engage")
    res = runner.invoke(app, ["explain", str(run_dir), shot["threat_id"]],
                        env={"COLUMNS": "160"})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "launch" in res.output and "chosen" in res.output and shot["unit_id"] in res.output
    res = runner.invoke(app, ["explain", str(run_dir), shot["threat_id"], "--json"])
    story = json.loads(res.output)
    kinds = [e["event"] for e in story["events"]]
    assert kinds[0] == "launch" and "engage" in kinds
    assert kinds[-1] in ("intercept", "leak", "fail", "impact", "track_end", "miss")


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["nope"], "is not in this run"), (None, "no events.parquet")],
)
def test_explain_bad_input_is_one_line(run_dir, tmp_path, args, needle):
    where = str(run_dir) if args else str(tmp_path)
    res = runner.invoke(app, ["explain", where, *(args or ["x"])])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.output


def test_explain_corrupt_events_file(tmp_path):
    (tmp_path / "events.parquet").write_bytes(b"not parquet at all")
    res = runner.invoke(app, ["explain", str(tmp_path), "x"])
    assert res.exit_code == 2 and "not a readable Parquet file" in res.output


def test_interceptors_by_layer_add_up(run_dir):
    """summary.json splits shots, cost and kills by layer (upper tier, lower tier, fighters);
    the layers add up to the totals, and each shooter type sits in one layer."""
    summary = json.loads((run_dir / "summary.json").read_text())
    inter = summary["interceptors"]
    layers = inter["by_layer"]
    assert set(layers) == {"upper", "lower", "air"}
    assert sum(v["fired"] for v in layers.values()) == inter["fired"]
    assert sum(v["kills"] for v in layers.values()) == inter["kills"]
    assert abs(sum(v["cost_usd"] for v in layers.values()) - inter["cost_usd"]) < 1e-6
    sm3 = sum(t.get("sm-3", {}).get("fired", 0) for t in inter["by_nation"].values())
    assert layers["upper"]["fired"] >= sm3 > 0  # SM-3: catalog layer upper
