"""Study folders on resume: a smaller --runs is refused (it would shrink a finished study), a
scenario edited under the same name is named by its first changed line, a report.html and
the plots of the study as it was are removed, and a folder that cannot be made is called a
study folder.

Replications are the cheap in-process stand-ins of the journal tests; the command line is
driven through typer's CliRunner (refusals happen before any replication runs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from serial_executor import SerialExecutor
from shieldwall.io.report import write_report
from shieldwall.io.runfolder import REPORT_SIGNATURE
from shieldwall.scenario import load_scenario
from shieldwall.studies.folder import JOURNAL, SWEEP, StudyFolderError, reopen_study
from shieldwall.studies.sweep import set_param, sweep_study
from test_study import _cli, _one_line_error
from test_study_journal import study
from test_sweep import magazine_game

TUTORIAL = Path(__file__).parents[1] / "src/shieldwall/scenario/data/scenarios/tutorial.yaml"


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


# --- 1. a smaller --runs -----------------------------------------------------------------------


def test_a_smaller_runs_is_refused_and_a_larger_one_extends(tutorial, tmp_path):
    out = tmp_path / "s1"
    study(tutorial, 6, out)
    journal = (out / JOURNAL).read_bytes()
    msg = f"{out}: this study ran --runs 6; resume it with --runs 6 or more, or choose another"
    msg += " --out"
    with pytest.raises(StudyFolderError) as err:
        study(tutorial, 2, out, resume=True)
    assert str(err.value) == msg
    assert _one_line_error(_cli("tutorial", "--runs", "2", "--resume", "--out", str(out))) == (
        f"error: {msg}"
    )
    assert len(pq.read_table(out / "study.parquet")) == 6  # nothing rewritten
    assert (out / JOURNAL).read_bytes() == journal
    assert study(tutorial, 6, out, resume=True).summary["replications_this_session"] == 0
    grown = study(tutorial, 8, out, resume=True).summary
    assert (grown["completed"], grown["replications_this_session"]) == (8, 2)


def test_without_a_stored_run_count_the_journal_says_how_many_ran(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 5, out)
    meta = json.loads((out / "study.json").read_text())
    (out / "study.json").write_text(json.dumps(meta | {"runs": "five"}))
    with pytest.raises(StudyFolderError, match="ran --runs 5; resume it with --runs 5 or more"):
        study(tutorial, 3, out, resume=True)


# --- 2. a scenario file edited under the same name --------------------------------------------


def test_an_edited_scenario_of_the_same_name_names_its_first_changed_line(tmp_path):
    mine = tmp_path / "my.yaml"
    shutil.copy(TUTORIAL, mine)
    out = tmp_path / "my1"
    study(load_scenario(mine), 2, out)
    text = mine.read_text()
    assert "magazine: 8}" in text
    mine.write_text(text.replace("magazine: 8}", "magazine: 9}", 1))
    line = _one_line_error(_cli(str(mine), "--runs", "4", "--resume", "--out", str(out)))
    ran = (out / "scenario.yaml").read_text().splitlines()
    number = next(k for k, t in enumerate(ran, start=1) if t.strip() == "magazine: 8")
    assert line == (
        f"error: {out}: the scenario tutorial changed since this study ran it (scenario.yaml"
        f" line {number}: magazine: 8 -> magazine: 9); resume it with the scenario as it ran,"
        " or choose another --out"
    )


def test_another_name_is_still_a_different_scenario(tutorial, tmp_path):
    out = tmp_path / "s"
    study(tutorial, 2, out)
    other = set_param(tutorial, "batteries.0.magazine", 9).model_copy(update={"name": "other"})
    with pytest.raises(StudyFolderError) as err:
        study(other, 2, out, resume=True)
    assert str(err.value) == (
        f"{out}: this study ran a different scenario (tutorial); resume it with the same"
        " scenario, or choose another --out"
    )


# --- 3. stale outputs ------------------------------------------------------------------------


def test_resume_removes_the_report_shieldwall_wrote(tutorial, tmp_path, caplog):
    out = tmp_path / "s"
    study(tutorial, 3, out)
    write_report(out)
    assert REPORT_SIGNATURE in (out / "report.html").read_bytes()  # how it is told apart
    study(tutorial, 4, out, resume=True)
    assert not (out / "report.html").exists()  # it said 3 replications; the study has 4
    said = [r.getMessage() for r in caplog.records if "report.html" in r.getMessage()]
    assert len(said) == 1 and "removed, as it described the study before --resume" in said[0]
    (out / "report.html").write_text("<p>my own notes</p>")
    study(tutorial, 5, out, resume=True)
    assert (out / "report.html").read_text() == "<p>my own notes</p>"  # the user's stays


def test_reopening_a_sweep_removes_its_plot_until_it_finishes(tutorial, tmp_path):
    out = tmp_path / "sw"
    sweep_study(tutorial, "batteries.0.magazine", [0, 2], 2, out, SerialExecutor(),
                fn=magazine_game)  # fmt: skip
    assert (out / "sweep.png").is_file()
    meta = json.loads((out / "sweep.json").read_text())
    reopen_study(out, [], meta, SWEEP)
    assert not (out / "sweep.png").exists() and (out / "INCOMPLETE").exists()
    sweep_study(tutorial, "batteries.0.magazine", [0, 2], 2, out, SerialExecutor(),
                resume=True, fn=magazine_game)  # fmt: skip
    assert (out / "sweep.png").is_file() and not (out / "INCOMPLETE").exists()


# --- 4. wording ------------------------------------------------------------------------------


def test_a_study_folder_that_cannot_be_made_is_called_one(tmp_path):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "s"
    line = _one_line_error(_cli("tutorial", "--runs", "2", "--out", str(out)))
    assert line == f"error: {out}: cannot write the study folder (Not a directory)"
