"""Study folders on resume and --force: an edited scenario.yaml, damaged journal records, a
damaged study.json, and --force over a folder that holds another run.

Replications are a cheap stand-in run in this process (:class:`Serial`), so the folder logic
is checked in well under a second per study; the CLI is driven through typer's CliRunner and,
for what reaches stderr, a subprocess.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shieldwall.api import run
from shieldwall.io.report import write_report
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.studies import run_study
from shieldwall.studies.executors import Outcome
from shieldwall.studies.folder import (
    DIGEST,
    JOURNAL,
    LAYOUTS,
    SHAPLEY,
    STUDY,
    SWEEP,
    StudyFolderError,
    sha256_text,
)
from shieldwall.studies.journal import scan_journal, well_formed
from shieldwall.studies.variants import DEFENDED, VALUE_HIT, VALUE_HITS
from test_study import _cli, _one_line_error

runner = CliRunner()
STUDY_FILES = {"replications.jsonl", "scenario.yaml", DIGEST, "study.json", "study.parquet"}
REDO = "the replications without a good record run again"


class Serial:
    """An in-process executor (the Executor protocol): tasks in order, no processes."""

    name = "serial"
    workers = 1

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, tasks, on_done) -> None:
        for index, task in enumerate(tasks):
            on_done(Outcome(index, fn(task)))


def fake(scenario, seed: int) -> dict:
    """A cheap replication: metrics drawn from the run seed's own stream."""
    g = stream(seed, "raid")
    return {"threats.leaked": int(g.integers(0, 5)), "interceptors.fired": int(g.integers(9)),
            "interceptors.cost_usd": float(g.integers(9)) * 1e6}  # fmt: skip


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


def study(scenario, runs: int, out: Path, **kw):
    return run_study(scenario, runs, out, Serial(), replicate_fn=fake, **kw)


# --- 1. scenario.yaml edited in the folder --------------------------------------------------


def test_resume_refuses_a_scenario_edited_in_the_folder(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 2, out)
    text = (out / "scenario.yaml").read_text()
    assert (out / DIGEST).read_text() == f"{sha256_text(text)}  scenario.yaml\n"
    (out / "scenario.yaml").write_text(text.replace("magazine: 8", "magazine: 0", 1))
    edited = load_scenario(out / "scenario.yaml")
    msg = (
        f"{out}: scenario.yaml changed after this study started; put the original back to"
        f" resume it (its sha256 is in {DIGEST}), or --force to start over"
    )
    for scenario in (edited, tutorial):
        with pytest.raises(StudyFolderError) as err:
            study(scenario, 3, out, resume=True)
        assert str(err.value) == msg
    line = _one_line_error(
        _cli(str(out / "scenario.yaml"), "--runs", "3", "--resume", "--out", str(out))
    )
    assert line == f"error: {msg}"
    assert len(pq.read_table(out / "study.parquet")) == 2  # nothing was run or rewritten
    (out / "scenario.yaml").write_text(text)  # the original back: resumes
    assert study(tutorial, 3, out, resume=True).summary["replications_this_session"] == 1


def test_a_folder_from_before_the_digest_keeps_the_old_check_and_gets_one(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 2, out)
    (out / DIGEST).unlink()
    other = tutorial.model_copy(update={"name": "other"})
    with pytest.raises(StudyFolderError, match="ran a different scenario"):
        study(other, 2, out, resume=True)
    study(tutorial, 3, out, resume=True)
    assert (out / DIGEST).read_text().split()[0] == sha256_text((out / "scenario.yaml").read_text())


# --- 2. damaged journal records -------------------------------------------------------------


def _damage(rec: dict, form: str) -> str:
    """Replication 1's journal line, damaged as ``form``."""
    if form == "no metrics":
        rec.pop("metrics")
    elif form == "null metrics":
        rec["metrics"] = None
    elif form == "text replication":
        rec["replication"] = "1"
    elif form == "negative replication":
        rec["replication"] = -1
    elif form == "no status":
        rec.pop("status")
    elif form == "unknown status":
        rec["status"] = "done"
    elif form == "text metric":
        rec["metrics"]["threats.leaked"] = "abc"
    elif form == "bool metric":
        rec["metrics"]["threats.leaked"] = True
    elif form in ("no leakers", "no interceptors fired", "no interceptor cost"):
        name = {"no leakers": "threats.leaked", "no interceptors fired": "interceptors.fired"}
        rec["metrics"].pop(name.get(form, "interceptors.cost_usd"))
    elif form == "NaN metric":
        rec["metrics"]["threats.leaked"] = float("nan")  # json writes NaN, reads it back
    elif form == "infinite metric":
        rec["metrics"]["interceptors.cost_usd"] = float("inf")
    elif form == "not an object":
        return json.dumps([rec])
    elif form == "not JSON":
        return json.dumps(rec)[:-5]
    return json.dumps(rec)


FORMS = ["no metrics", "null metrics", "text replication", "negative replication", "no status",
         "unknown status", "text metric", "bool metric", "not an object", "not JSON",
         "no leakers", "no interceptors fired", "no interceptor cost", "NaN metric",
         "infinite metric"]  # fmt: skip


@pytest.mark.parametrize("form", FORMS)
def test_a_damaged_record_is_skipped_run_again_and_named(tutorial, tmp_path, form):
    whole = study(tutorial, 3, tmp_path / "whole")
    out = tmp_path / "s"
    study(tutorial, 3, out)
    lines = (out / JOURNAL).read_text().splitlines()
    lines[1] = _damage(json.loads(lines[1]), form)
    (out / JOURNAL).write_text("\n".join(lines) + "\n")
    notes: list[str] = []
    done = study(tutorial, 3, out, resume=True, warn=notes.append)
    assert notes == [f"{out / JOURNAL}: skipped 1 damaged record (line 2); {REDO}"]
    assert done.summary["replications_this_session"] == 1
    assert done.table.equals(whole.table) and done.summary["means"] == whole.summary["means"]
    assert scan_journal(out / JOURNAL).damaged == []  # rewritten clean
    assert study(tutorial, 3, out, resume=True, warn=notes.append).summary["completed"] == 3
    assert len(notes) == 1


def test_garbage_lines_are_named_and_a_torn_last_line_is_not(tutorial, tmp_path, caplog):
    out = tmp_path / "s"
    whole = study(tutorial, 3, out)
    lines = (out / JOURNAL).read_text().splitlines()
    lines[1:1] = ["garbage", "\xfc"]
    (out / JOURNAL).write_bytes(("\n".join(lines) + "\n" + lines[0][:20]).encode("latin-1"))
    with caplog.at_level(logging.WARNING):
        done = study(tutorial, 3, out, resume=True)  # default: logged
    assert [r.getMessage() for r in caplog.records] == [
        f"warning: {out / JOURNAL}: skipped 2 damaged records (lines 2, 3); {REDO}"
    ]
    assert done.summary["replications_this_session"] == 0 and done.table.equals(whole.table)


def test_the_writers_records_are_well_formed(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 2, out)
    records = [json.loads(line) for line in (out / JOURNAL).read_text().splitlines()]
    failed = records[0] | {"status": "failed", "error": "boom", "metrics": {}}
    nulls = records[0] | {"metrics": records[0]["metrics"] | {"cost_exchange_ratio": None}}
    required = STUDY.required
    assert all(well_formed(r, ("replication",), required) for r in [*records, failed, nulls])
    assert well_formed(records[0] | {"variant": 2}, ("variant", "replication"))
    assert not well_formed(records[0], ("variant", "replication"))
    for bad in (float("nan"), float("inf"), -float("inf")):
        assert not well_formed(records[0] | {"metrics": {"x": bad}}, ("replication",))
    assert not well_formed(records[0] | {"metrics": {}}, ("replication",), required)


def test_variant_records_need_their_payoffs():
    """A sweep's record needs leakers and value hit; a Shapley game's its three payoffs; a
    type's count that varies per run is never required."""
    metrics = {"threats.leaked": 1, VALUE_HIT: 2.0, DEFENDED: 3.0, VALUE_HITS: 4.0}
    rec = {"variant": 0, "replication": 0, "seed": 1, "status": "ok", "error": None,
           "metrics": metrics}  # fmt: skip
    key = ("variant", "replication")
    assert well_formed(rec, key, SWEEP.required) and well_formed(rec, key, SHAPLEY.required)
    for name in (VALUE_HIT, DEFENDED, VALUE_HITS, "threats.leaked"):
        less = rec | {"metrics": {k: v for k, v in rec["metrics"].items() if k != name}}
        assert not well_formed(less, key, SHAPLEY.required)
        assert well_formed(less, key, SWEEP.required) == (name in (DEFENDED, VALUE_HITS))
    assert not any("by_nation" in m for layout in LAYOUTS for m in layout.required)


def test_cli_prints_the_warning_on_stderr(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 2, out)
    with (out / JOURNAL).open("a") as f:
        f.write("garbage\n")
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    cmd = ["study", "tutorial", "--runs", "2", "--resume", "--quiet", "--out", str(out)]
    proc = subprocess.run([sys.executable, "-m", "shieldwall", *cmd], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"warning: {out / JOURNAL}: skipped 1 damaged record (line 3); {REDO}"
    ]
    assert "0 replications run" in proc.stdout


# --- 3. damaged study.json ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("garbage", "is damaged (Expecting value: line 1 column 1 (char 0))"),
        ("[]", "is damaged (not a JSON object)"),
        (None, "is missing"),
    ],
)
def test_damaged_study_json_says_what_the_journal_holds(tutorial, tmp_path, content, problem):
    out = tmp_path / "s"
    study(tutorial, 3, out)
    if content is None:
        (out / "study.json").unlink()
    else:
        (out / "study.json").write_text(content)
    msg = (
        f"{out}: study.json {problem}; its journal holds 3 finished replications: restore"
        " study.json, or --force to start over (which deletes them)"
    )
    with pytest.raises(StudyFolderError) as err:
        study(tutorial, 3, out, resume=True)
    assert str(err.value) == msg
    assert _one_line_error(_cli("tutorial", "--runs", "3", "--resume", "--out", str(out))) == (
        f"error: {msg}"
    )
    assert len(scan_journal(out / JOURNAL).records) == 3  # kept


def test_damaged_study_json_with_an_empty_journal(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 1, out)
    (out / JOURNAL).write_text("")
    (out / "study.json").write_text("{")
    with pytest.raises(StudyFolderError) as err:
        study(tutorial, 1, out, resume=True)
    assert str(err.value) == (
        f"{out}: study.json is damaged (Expecting property name enclosed in double quotes:"
        " line 1 column 2 (char 1)); restore it, or --force to start over"
    )


# --- 4. --force over another run or study ---------------------------------------------------


def test_force_over_a_run_folder_leaves_only_the_study_and_user_files(tutorial, tmp_path):
    out = tmp_path / "r"
    run("tutorial", out=out)
    write_report(out)
    (out / "notes.txt").write_text("mine")
    assert (out / "pictures").is_dir() and (out / "report.html").is_file()
    study(tutorial, 2, out, force=True)
    assert {p.name for p in out.iterdir()} == STUDY_FILES | {"notes.txt"}
    assert (out / "notes.txt").read_text() == "mine"


def test_force_keeps_user_files_among_the_pictures_and_clears_other_studies(tutorial, tmp_path):
    out = tmp_path / "r"
    (out / "pictures").mkdir(parents=True)
    (out / "pictures/ISR.parquet").write_bytes(b"x")
    (out / "pictures/mine.txt").write_text("mine")
    for kind in LAYOUTS:
        for name in kind.files:
            (out / name).write_text("old")
    (out / "INCOMPLETE").write_text("old")
    (out / "map.png").mkdir()  # a folder of the user's, whatever its name
    study(tutorial, 2, out, force=True)
    assert {p.name for p in out.iterdir()} == STUDY_FILES | {"pictures", "map.png"}
    assert [p.name for p in (out / "pictures").iterdir()] == ["mine.txt"]
    assert (out / "study.json").read_text() != "old"
