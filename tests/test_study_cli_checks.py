"""The study commands' checks of their options (``study``, ``sweep``, ``shapley``, ``compare``).

Each bad option is one line ``error: ...`` naming the option, exit 2, before anything is written;
an engine that cannot start leaves an existing folder as it was; a ValueError that is not one
of the project's user errors is a bug and keeps its traceback; Ctrl-C while the worker pool's
fork server imports its preload prints no traceback. Most tests stop before any replication
runs (the checks come first), so the file runs in seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import shieldwall.studies
import shieldwall.studies.coalitionvalue
import shieldwall.studies.sweep
from serial_executor import SerialExecutor
from shieldwall.cli import app
from shieldwall.io.runfolder import MARKER, RunFolderError
from shieldwall.scenario import load_scenario
from shieldwall.studies.executors import (
    EngineError,
    LocalExecutor,
    make_executor,
    max_workers,
    worker_count,
)
from shieldwall.studies.folder import SHAPLEY, SWEEP
from shieldwall.studies.seeds import MAX_RUNS, StudyInputError, replication_seeds
from shieldwall.studies.sweep import ParamError, sweep_study, sweep_values
from shieldwall.studies.variants import VariantFolder, run_in_folder, runs_setting
from test_study import _one_line_error
from test_sweep import magazine_game

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src"
HAS_DASK = importlib.util.find_spec("distributed") is not None
BIG = str(2**70)
SWEEP_ARGS = ["sweep", "tutorial", "--param", "batteries.0.magazine=0:8:8", "--quiet"]
SHAPLEY_ARGS = ["shapley", "tutorial", "--quiet"]
COMPARE_ARGS = ["compare", "tutorial", "--without-nation", "GBR", "--quiet"]


def _cli(*args: str, catch: bool = False):
    return runner.invoke(app, list(args), catch_exceptions=catch)


def _old_study(folder: Path, layout) -> dict[str, bytes]:
    """A previous study's files (stand-ins: only their survival is checked)."""
    folder.mkdir()
    files = {name: f"previous {name}".encode() for name in layout.files}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


# --- 1. the engine starts before the folder is touched ----------------------------------------


@pytest.mark.skipif(not HAS_DASK, reason="the dask engine needs distributed")
@pytest.mark.parametrize(("args", "layout"), [(SWEEP_ARGS, SWEEP), (SHAPLEY_ARGS, SHAPLEY)])
def test_bad_address_with_force_keeps_the_previous_study(tmp_path, args, layout):
    out = tmp_path / "old"
    files = _old_study(out, layout)
    result = _cli(*args, "--runs", "1", "--force", "--engine", "dask", "--address", "bad",
                  "--out", str(out))  # fmt: skip
    line = _one_line_error(result)
    assert line == "error: --address: 'bad' is not a scheduler address; use tcp://HOST:PORT"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    assert not (out / MARKER).exists()


class NoEngine:
    """An executor that cannot start (a scheduler that is not there)."""

    name, workers = "none", 1

    def __enter__(self):
        raise EngineError("--address: cannot reach tcp://nowhere:1")

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, tasks, on_done) -> None:
        raise AssertionError("never entered")


def test_run_in_folder_enters_the_engine_before_writing(tmp_path):
    tutorial = load_scenario("tutorial")
    out = tmp_path / "old"
    files = _old_study(out, SWEEP)
    with pytest.raises(EngineError):
        sweep_study(tutorial, "batteries.0.magazine", [0, 8], 1, out, NoEngine(), force=True,
                    fn=magazine_game)  # fmt: skip
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    # nothing to run (every task journaled): no engine is started at all
    folder = VariantFolder(tmp_path / "empty", SWEEP, "x: 1\n", {"base_seed": 1},
                           (runs_setting(1),), [1], ["a"])  # fmt: skip
    assert run_in_folder(folder, NoEngine(), []) == []


# --- 2. only the project's user errors are one-line errors -------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*SWEEP_ARGS[:2], "--param", "x=a:9:c"],
         "error: --param: 'a:9:c': START, STOP and STEP must be numbers"),
        ([*SWEEP_ARGS[:2], "--param", "batteries.0.magazine=-8:0:8"],
         "error: --param batteries.0.magazine=-8: batteries.0.magazine: must be >= 0, got -8"),
        ([*SHAPLEY_ARGS, "--payoff", "x"],
         "error: --payoff: 'x' is unknown; use defended, hits, leakers"),
        ([*SHAPLEY_ARGS, "--permutations", "0"],
         "error: --permutations: must be at least 1, got 0"),
        (["compare", "tutorial", "--without-nation", "XX"],
         "error: --without-nation: unknown nation 'XX' (known: ISR, USA, GBR)"),
        (["study", "tutorial", "--runs", "0"], "error: --runs: must be at least 1, got 0"),
        ([*SWEEP_ARGS, "--runs", "0"], "error: --runs: must be at least 1, got 0"),
        (["study", "tutorial", "--engine", "spark"],
         "error: --engine: 'spark' is unknown; use local or dask"),
    ],
)  # fmt: skip
def test_deliberate_user_errors_stay_one_line(args, message):
    assert _one_line_error(_cli(*args)) == message


@pytest.mark.parametrize(
    ("command", "module", "name"),
    [
        ("study", shieldwall.studies, "run_study"),
        ("sweep", shieldwall.studies.sweep, "sweep_study"),
        ("shapley", shieldwall.studies.coalitionvalue, "shapley_study"),
    ],
)
def test_an_internal_value_error_is_not_a_user_error(monkeypatch, tmp_path, command, module, name):
    def broken(*args, **kwargs):
        raise ValueError("could not convert string to float: 'abc'")

    monkeypatch.setattr(module, name, broken)
    args = {"study": ["study", "tutorial"], "sweep": SWEEP_ARGS, "shapley": SHAPLEY_ARGS}[command]
    result = _cli(*args, "--runs", "1", "--out", str(tmp_path / "x"), catch=True)
    assert isinstance(result.exception, ValueError) and result.exit_code == 1
    assert "error: could not convert" not in result.output


def test_a_damaged_base_seed_on_resume_is_one_line(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "study.json").write_text(json.dumps({"base_seed": "abc"}))
    line = _one_line_error(_cli("study", "tutorial", "--resume", "--out", str(out)))
    assert line == (
        f"error: {out}: study.json holds no usable base_seed ('abc'); give the study's --seed,"
        " or choose another --out"
    )


# --- 3. --seed -1 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["study", "tutorial"], SWEEP_ARGS, SHAPLEY_ARGS, COMPARE_ARGS], ids=lambda a: a[0]
)
def test_negative_seed_is_refused_before_anything_is_written(tmp_path, args):
    out = ["--out", str(tmp_path / "x")] if args[0] != "compare" else []
    line = _one_line_error(_cli(*args, "--runs", "2", "--seed", "-1", *out))
    assert line == "error: --seed: must be a whole number >= 0, got -1"
    assert not (tmp_path / "x").exists()


def test_seeds_refuse_a_negative_base_seed():
    with pytest.raises(StudyInputError, match="--seed: must be a whole number >= 0, got -1"):
        replication_seeds(-1, 2)
    assert len(replication_seeds(2**70, 2)) == 2  # big seeds are fine


# --- 4. upper bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "tutorial", "--runs", BIG], f"error: --runs: at most 1,000,000, got {BIG}"),
        (["study", "tutorial", "--runs", "1000000000"],
         "error: --runs: at most 1,000,000, got 1000000000"),
        ([*SWEEP_ARGS, "--runs", "1000000000"],
         "error: --runs: at most 1,000,000, got 1000000000"),
        ([*SWEEP_ARGS, "--runs", "600000"],
         "error: --runs: 600,000 replications x 2 points = 1,200,000 runs; at most 1,000,000 in"
         " one study; use fewer --runs"),
        ([*SHAPLEY_ARGS, "--runs", "1", "--permutations", BIG],
         f"error: --permutations: at most 100,000, got {BIG}"),
        ([*SHAPLEY_ARGS, "--runs", "21", "--permutations", "100000"],
         "error: --permutations: 21 replications x 100,000 orderings = 2,100,000 orderings; at"
         " most 2,000,000 in one study; use fewer --permutations or --runs"),
        ([*SHAPLEY_ARGS, "--runs", "200000"],
         "error: --runs: 200,000 replications x 8 coalitions = 1,600,000 runs; at most"
         " 1,000,000 in one study; use fewer --runs"),
        ([*COMPARE_ARGS, "--runs", "1000000000"],
         "error: --runs: at most 1,000,000, got 1000000000"),
    ],
)  # fmt: skip
def test_sizes_are_bounded_with_one_line_errors(tmp_path, args, message):
    start = time.monotonic()
    out = ["--out", str(tmp_path / "x")] if args[0] != "compare" else []
    assert _one_line_error(_cli(*args, *out)) == message
    assert time.monotonic() - start < 5 and not (tmp_path / "x").exists()


def test_seeds_refuse_too_many_runs_at_once():
    start = time.monotonic()
    with pytest.raises(StudyInputError, match="--runs: at most 1,000,000"):
        replication_seeds(1, MAX_RUNS + 1)
    assert time.monotonic() - start < 1


# --- 5. Ctrl-C while the fork server imports its preload ------------------------------------------

INTERRUPTED = """
import sys
from shieldwall.studies.executors import LocalExecutor

print("ready", flush=True)
try:
    LocalExecutor(2, preload=["slow_preload"]).map(abs, [1, 2, 3, 4], lambda outcome: None)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
print("finished", flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT")
def test_ctrl_c_during_the_fork_server_preload_prints_no_traceback(tmp_path):
    (tmp_path / "slow_preload.py").write_text("import time\n\ntime.sleep(2.0)\n")
    (tmp_path / "interrupted.py").write_text(INTERRUPTED)
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(SRC)])}
    proc = subprocess.Popen([sys.executable, str(tmp_path / "interrupted.py")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.8)  # the fork server is sleeping in its preload import
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and out.strip() == "interrupted", (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


# --- 6. sweep ranges, worker counts, list fields ------------------------------------------------


def test_sweep_stop_must_be_reached():
    with pytest.raises(ParamError) as err:
        sweep_values(0, 10, 3)
    assert str(err.value) == (
        "--param: STOP 10 is not START + k*STEP (0:10:3); use 0:9:3 or 0:12:3"
    )
    with pytest.raises(ParamError, match=r"use 0:0\.9:0\.3 or 0:1\.2:0\.3"):
        sweep_values(0, 1, 0.3)
    assert sweep_values(0, 9, 3) == [0, 3, 6, 9]
    assert sweep_values(0.1, 0.7, 0.2) == [0.1, 0.3, 0.5, 0.7]  # float steps within tolerance
    line = _one_line_error(_cli("sweep", "tutorial", "--param", "x=0:10:3"))
    assert line == "error: --param: STOP 10 is not START + k*STEP (0:10:3); use 0:9:3 or 0:12:3"


def test_sweep_list_field_names_its_length_not_its_items():
    line = _one_line_error(_cli("sweep", "tutorial", "--param", "batteries=0:5:5"))
    assert line == (
        "error: --param batteries: not a numeric field (it holds a list of 3 items; give an"
        " index and a field, e.g. batteries.0.<field>)"
    )


def test_worker_count_is_capped():
    assert worker_count(10_000) == max_workers() == 4 * (os.cpu_count() or 1)
    assert worker_count(10_000, tasks=2) == 2 and worker_count(None, tasks=0) == 1
    assert make_executor("local", 10_000, tasks=3).workers == 3
    assert LocalExecutor(1, tasks=5).workers == 1
    with pytest.raises(EngineError, match="--workers: must be at least 1, got 0"):
        worker_count(0)


@pytest.mark.parametrize(
    ("args", "module", "name", "tasks"),
    [
        (["study", "tutorial", "--runs", "2"], shieldwall.studies, "run_study", 2),
        ([*SWEEP_ARGS, "--runs", "2"], shieldwall.studies.sweep, "sweep_study", 4),
    ],
)
def test_cli_reports_the_workers_it_starts(monkeypatch, tmp_path, args, module, name, tasks):
    seen = []

    def spy(*a, **kw):
        seen.append(next(x for x in a if hasattr(x, "workers")).workers)
        raise RunFolderError("stopped by the test")

    monkeypatch.setattr(module, name, spy)
    result = _cli(*args, "--workers", "10000", "--out", str(tmp_path / "x"))
    assert _one_line_error(result) == "error: stopped by the test" and seen == [tasks]


def test_serial_stand_in_still_runs(tmp_path):
    """The folder bookkeeping moved around the engine: a plain sweep still completes."""
    tutorial = load_scenario("tutorial")
    res = sweep_study(tutorial, "batteries.0.magazine", [0, 4], 2, tmp_path / "s",
                      SerialExecutor(), fn=magazine_game)  # fmt: skip
    assert res.summary["status"] == "complete" and res.summary["tasks"] == 4
    assert not (tmp_path / "s" / MARKER).exists()
