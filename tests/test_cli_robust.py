"""Robustness of the command line: nothing the user wrote is overwritten (the scenario, any
--png/--csv/-o file, the track input), --force leaves no stale file of an earlier run or study,
messages and paths print as typed (no rich markup, no emoji), bad seeds, foreign events
tables, alias bombs, pipes and empty arguments are one-line errors, and Ctrl-C at any moment
exits 130 without a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import shieldwall
from shieldwall.cli import app
from shieldwall.io import runfolder
from shieldwall.io.runfolder import REPORT_SIGNATURE, RunFolderError
from shieldwall.studies.folder import LAYOUTS

runner = CliRunner()
TUTORIAL = Path(shieldwall.__file__).parent / "scenario" / "data" / "scenarios" / "tutorial.yaml"
SRC = str(Path(shieldwall.__file__).parents[1])


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _errors(res) -> list[str]:
    return [ln for ln in res.output.splitlines() if ln.strip()]


def _detections(path: Path) -> Path:
    """A small valid detection file: one target moving along x, three scans."""
    n = 3
    pq.write_table(
        pa.table(
            {
                "scan": np.arange(n, dtype=np.int64),
                "t_s": np.arange(n, dtype=float),
                "x_m": 100.0 * np.arange(n),
                "y_m": np.zeros(n),
                "z_m": np.full(n, 1000.0),
                "sigma_m": np.full(n, 10.0),
            }
        ),
        path,
    )
    return path


# 1 -------------------------------------------------------------------------------------------


def test_run_out_never_overwrites_the_scenario_file(tmp_path):
    folder = tmp_path / "f1"
    folder.mkdir()
    scenario = folder / "scenario.yaml"
    text = "# my notes\n" + TUTORIAL.read_text()
    scenario.write_text(text)
    res = _run("run", str(scenario), "--out", str(folder), "--force", "--quiet")
    assert res.exit_code == 2
    assert _errors(res) == [
        f"error: {scenario}: --out would overwrite the scenario file itself; choose another --out"
    ]
    assert scenario.read_text() == text and sorted(os.listdir(folder)) == ["scenario.yaml"]
    with pytest.raises(RunFolderError, match="would overwrite the scenario file itself"):
        shieldwall.run(str(folder / ".." / "f1" / "scenario.yaml"), out=folder, force=True)
    assert scenario.read_text() == text


# 2 -------------------------------------------------------------------------------------------


def test_tool_outputs_replace_existing_files_only_with_force(tmp_path):
    mine = tmp_path / "my.yaml"
    mine.write_text("precious: 1\n")
    res = _run("coverage", "tpy-2", "--at", "31,34.9", "--png", str(mine))
    assert res.exit_code == 2
    assert _errors(res) == [f"error: --png: {mine} exists; choose a new file name or add --force"]
    traj = ("trajectory", "--from", "34.3,47.05", "--to", "31.2,35.0", "--csv", str(mine))
    res = _run(*traj)
    assert res.exit_code == 2
    assert _errors(res) == [f"error: --csv: {mine} exists; choose a new file name or add --force"]
    assert mine.read_text() == "precious: 1\n"
    res = _run("trajectory", "--from", "34.3,47.05", "--to", "31.2,35.0", "--scenario",
               str(TUTORIAL), "--csv", str(TUTORIAL), "--force")  # fmt: skip
    assert res.exit_code == 2 and "(it is the --scenario file)" in res.output
    assert _run(*traj, "--force").exit_code == 0
    assert mine.read_text().startswith("t_s,lat_deg")


def test_track_never_writes_over_its_input(tmp_path):
    dets = _detections(tmp_path / "ok.parquet")
    before = dets.read_bytes()
    for extra in ((), ("--force",)):
        res = _run("track", str(dets), "-o", str(dets), *extra)
        assert res.exit_code == 2
        assert _errors(res) == [
            f"error: -o: {dets} exists (it is the input); choose a new file name"
        ]
    assert dets.read_bytes() == before
    out = tmp_path / "tracks.parquet"
    out.write_text("old")
    res = _run("track", str(dets), "-o", str(out))
    assert res.exit_code == 2 and "add --force" in res.output and out.read_text() == "old"
    assert _run("track", str(dets), "-o", str(out), "--force").exit_code == 0
    assert pq.read_table(out).num_rows > 0


# 3 -------------------------------------------------------------------------------------------


def test_study_file_names_match_the_study_layouts():
    assert set(runfolder.STUDY_FILES) == {name for kind in LAYOUTS for name in kind.files} - {
        "scenario.yaml"
    }


def test_run_force_clears_every_shieldwall_file_and_nothing_else(tmp_path):
    out = tmp_path / "r"
    (out / "pictures").mkdir(parents=True)
    stale = ["pictures/FRA.parquet", "report.html", "study.json", "replications.jsonl",
             "sweep.png", "coalitions.parquet", "INCOMPLETE"]  # fmt: skip
    for name in stale:
        (out / name).write_text("old")
    (out / "report.html").write_bytes(REPORT_SIGNATURE + b" an old run</footer>")  # ours
    (out / "notes.txt").write_text("mine")
    (out / "pictures" / "notes.md").write_text("mine too")
    assert _run("run", "tutorial", "--out", str(out), "--quiet", "--force").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "pictures" / "notes.md").read_text() == "mine too"
    for name in stale:
        assert not (out / name).exists(), name
    assert sorted(p.name for p in (out / "pictures").iterdir()) == [
        "GBR.parquet", "ISR.parquet", "USA.parquet", "notes.md"]  # fmt: skip


def test_force_keeps_a_report_html_shieldwall_did_not_write(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "report.html").write_text("<p>my own page</p>")
    assert _run("run", "tutorial", "--out", str(out), "--quiet", "--force").exit_code == 0
    assert (out / "report.html").read_text() == "<p>my own page</p>"
    result = _run("report", str(out))  # nor does report overwrite it
    assert result.exit_code == 2 and "was not written by shieldwall report" in result.output
    assert (out / "report.html").read_text() == "<p>my own page</p>"


def test_report_refuses_a_folder_with_a_run_and_a_study(tmp_path):
    out = tmp_path / "both"
    assert _run("run", "tutorial", "--out", str(out), "--quiet").exit_code == 0
    (out / "study.json").write_text("{}")
    res = _run("report", str(out))
    assert res.exit_code == 2
    assert _errors(res) == [
        f"error: {out}: holds both a run and a study; rerun one into a fresh --out"
    ]


# 4 -------------------------------------------------------------------------------------------


def test_messages_and_paths_print_as_typed(tmp_path):
    bad = tmp_path / "res:100:[bold]x"
    bad.mkdir()
    text = TUTORIAL.read_text()
    assert "window_s: [0, 600]" in text
    scenario = bad / "s.yaml"
    scenario.write_text(text.replace("window_s: [0, 600]", "window_s: [600, 0]", 1))
    res = _run("validate", str(scenario))
    assert res.exit_code == 2
    (line,) = _errors(res)
    assert line.startswith(f"error: {scenario}:") and "[start, end]" in line
    out = tmp_path / "o:100:" / "[bold]f"
    res = _run("run", str(TUTORIAL), "--out", str(out), "--quiet")
    assert res.exit_code == 0 and f"Run folder: {out}" in res.output
    res = _run("validate", str(TUTORIAL.parent / ".." / "scenarios" / "tutorial.yaml"))
    assert "valid scenario" in res.output and "💯" not in res.output
    marked = bad / "d.yaml"
    marked.write_text(text.replace("Small teaching scenario", "Small [bold]x[/bold] :100: [y]"))
    res = _run("show", str(marked))
    assert res.exit_code == 0 and "Small [bold]x[/bold] :100: [y]" in res.output


# 5 -------------------------------------------------------------------------------------------


def test_negative_seed_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "neg"
    res = _run("run", "tutorial", "--seed", "-1", "--out", str(out), "--quiet")
    assert res.exit_code == 2
    assert _errors(res) == ["error: --seed: must be a whole number >= 0, got -1"]
    assert not out.exists()
    with pytest.raises(ValueError, match="must be a whole number >= 0, got -1"):
        shieldwall.run("tutorial", seed=-1, out=out)
    assert not out.exists()


# 6 -------------------------------------------------------------------------------------------


def test_explain_on_a_foreign_events_table(tmp_path):
    run_dir = tmp_path / "wrongev"
    run_dir.mkdir()
    pq.write_table(pa.table({"t_s": [0.0], "threat_id": ["a"], "x_m": [1.0]}),
                   run_dir / "events.parquet")  # fmt: skip
    res = _run("explain", str(run_dir), "a")
    assert res.exit_code == 2
    assert _errors(res) == [
        f"error: {run_dir / 'events.parquet'}: no column event, threat_class, nation, unit_id,"
        " to_nation, agreement_id, source_nation, engagement_id, pk, cost_usd, detail;"
        " not a shieldwall run folder?"
    ]


# 7 -------------------------------------------------------------------------------------------


def test_alias_bomb_pipe_and_empty_argument(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 9):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nname: *a8\n")
    start = time.monotonic()
    res = _run("validate", str(bomb))
    assert time.monotonic() - start < 15
    assert _errors(res) == [
        f"error: {bomb}: aliases expand to more than 1,000,000 values; write the values out"
    ]
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    res = _run("validate", str(fifo))
    assert res.exit_code == 2
    assert _errors(res) == [f"error: {fifo}: not a regular file; give a .yaml file"]
    res = _run("validate", "")
    assert res.exit_code == 2
    assert _errors(res) == ["error: give a scenario name or a YAML file (got an empty argument)"]


# 8 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delay_s", [0.3, 0.8])
def test_ctrl_c_while_starting_exits_130_without_traceback(tmp_path, delay_s):
    env = {**os.environ, "PYTHONPATH": SRC}
    cmd = [sys.executable, "-m", "shieldwall", "run", "tutorial", "--out", str(tmp_path / "x")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    time.sleep(delay_s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err


# 9 -------------------------------------------------------------------------------------------


def test_track_on_a_directory(tmp_path):
    res = _run("track", str(tmp_path), "-o", str(tmp_path / "t.parquet"))
    assert res.exit_code == 2
    assert _errors(res) == [f"error: {tmp_path}: is a directory; give a .parquet detection file"]
