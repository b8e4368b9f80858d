"""``--resume`` for the variant studies (``shieldwall sweep``, ``shieldwall shapley``).

An interrupted study keeps its finished (variant, replication) runs in the folder's journal;
resumed, it runs only the missing and failed ones and writes the same table and JSON, byte for
byte, as an uninterrupted study with the same seed. The real ``tutorial`` scenario is run in
this process (:class:`SerialExecutor`) with a handful of runs; the bookkeeping (retries,
mismatched folders, the command line) uses the cheap stand-in games of the sweep and Shapley
tests, and the Interrupt and FailingExecutor helpers of the study and compare tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from serial_executor import SerialExecutor
from shieldwall.cli import app
from shieldwall.scenario import load_scenario
from shieldwall.studies.coalitionvalue import shapley_study
from shieldwall.studies.folder import JOURNAL, StudyFolderError
from shieldwall.studies.sweep import sweep_study
from shieldwall.studies.variants import VariantTask, run_variant_task
from test_compare import FailingExecutor
from test_shapley import known_game
from test_study import Interrupt, _one_line_error
from test_sweep import magazine_game

runner = CliRunner()
MAGAZINE = "batteries.0.magazine"


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


class Counted:
    """Runs ``fn`` and remembers the (variant, replication) of every call (in this process)."""

    def __init__(self, fn: Callable[[VariantTask], dict]) -> None:
        self.fn = fn
        self.calls: list[tuple[int, int]] = []

    def __call__(self, task: VariantTask) -> dict:
        self.calls.append((task.variant, task.replication))
        return self.fn(task)


def fails_on(bad: tuple[int, int], fn: Callable[[VariantTask], dict]):
    """``fn``, except that the task ``bad`` (variant, replication) raises."""

    def run(task: VariantTask) -> dict:
        if (task.variant, task.replication) == bad:
            raise RuntimeError("boom")
        return fn(task)

    return run


def same_files(a: Path, b: Path, names: tuple[str, ...]) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def tear_journal(folder: Path) -> None:
    """A study killed in the middle of writing a journal line."""
    with (folder / JOURNAL).open("a") as f:
        f.write('{"variant": 1, "replication": 0, "seed": 1, "sta')


# --- the real tutorial scenario, interrupted and resumed ---------------------------------------


def test_sweep_resumes_to_the_uninterrupted_table(tutorial, tmp_path):
    def sweep(out: str, **kw):
        return sweep_study(tutorial, MAGAZINE, [0, 8], 2, tmp_path / out, SerialExecutor(), 5,
                           **kw)  # fmt: skip

    whole = sweep("whole")
    first = Counted(run_variant_task)
    with pytest.raises(KeyboardInterrupt):
        sweep("part", progress=Interrupt(2), fn=first)
    part = tmp_path / "part"
    assert (part / "INCOMPLETE").exists() and pq.read_table(part / "sweep.parquet").num_rows == 2
    assert json.loads((part / "sweep.json").read_text())["status"] == "interrupted"
    tear_journal(part)
    second = Counted(run_variant_task)
    done = sweep("part", resume=True, fn=second)
    assert sorted(first.calls + second.calls) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len(second.calls) == 2  # the two finished runs were not run again
    assert done.table.equals(whole.table) and done.summary == whole.summary
    same_files(part, tmp_path / "whole", ("sweep.parquet", "sweep.json"))
    assert not (part / "INCOMPLETE").exists()


def test_shapley_resumes_to_the_uninterrupted_values(tutorial, tmp_path):
    def game(out: str, **kw):
        return shapley_study(tutorial, 1, tmp_path / out, SerialExecutor(), 5, **kw)

    whole = game("whole")
    first = Counted(run_variant_task)
    with pytest.raises(KeyboardInterrupt):
        game("part", progress=Interrupt(3), fn=first)
    part = tmp_path / "part"
    assert pq.read_table(part / "coalitions.parquet").num_rows == 3
    second = Counted(run_variant_task)
    done = game("part", resume=True, fn=second)
    assert len(first.calls) == 3 and len(second.calls) == 5
    assert sorted(first.calls + second.calls) == [(k, 0) for k in range(8)]
    assert done.table.equals(whole.table) and done.summary == whole.summary
    same_files(part, tmp_path / "whole", ("coalitions.parquet", "shapley.json"))


# --- bookkeeping with stand-in games -------------------------------------------------------------


def test_shapley_with_agreements_and_sampling_resumes_exactly(tutorial, tmp_path):
    def game(out: str, **kw):
        return shapley_study(tutorial, 4, tmp_path / out, SerialExecutor(), agreements=True,
                             permutations=2, **kw)  # fmt: skip

    whole = game("whole", fn=known_game)
    first, second = Counted(known_game), Counted(known_game)
    with pytest.raises(KeyboardInterrupt):
        game("part", progress=Interrupt(7), fn=first)
    done = game("part", resume=True, fn=second)
    assert len(first.calls) == 7 and len(first.calls) + len(second.calls) == whole.summary["tasks"]
    assert not set(first.calls) & set(second.calls)
    assert done.table.equals(whole.table) and done.summary == whole.summary
    same_files(tmp_path / "part", tmp_path / "whole", ("coalitions.parquet", "shapley.json"))


def test_failed_runs_are_retried_on_resume_and_nothing_else(tutorial, tmp_path):
    def sweep(out: str, executor, fn, **kw):
        return sweep_study(tutorial, MAGAZINE, [0, 2, 4], 3, tmp_path / out, executor, fn=fn,
                           **kw)  # fmt: skip

    whole = sweep("whole", SerialExecutor(), magazine_game)
    failed = sweep("part", FailingExecutor(), fails_on((1, 2), magazine_game))
    assert (
        failed.summary["failed"] == 1
        and "boom" in failed.summary["errors"]["batteries.0.magazine=2 #2"]
    )
    again = Counted(magazine_game)
    done = sweep("part", SerialExecutor(), again, resume=True)
    assert again.calls == [(1, 2)]
    assert done.table.equals(whole.table) and done.summary == whole.summary
    finished = Counted(magazine_game)  # a finished study resumed: nothing runs
    assert sweep("part", SerialExecutor(), finished, resume=True).summary == whole.summary
    assert finished.calls == []


def test_a_finished_game_resumed_with_another_payoff_runs_nothing(tutorial, tmp_path):
    shapley_study(tutorial, 2, tmp_path / "g", SerialExecutor(), fn=known_game)
    again = Counted(known_game)
    leak = shapley_study(tutorial, 2, tmp_path / "g", SerialExecutor(), payoff="leakers",
                         resume=True, fn=again)  # fmt: skip
    assert again.calls == [] and leak.summary["payoff"] == "leakers"
    assert leak.summary["values"] == pytest.approx({"ISR": 2, "USA": 4, "GBR": 0}, abs=1e-9)


def test_resume_refuses_another_study(tutorial, tmp_path):
    out = tmp_path / "s"
    sweep_study(tutorial, MAGAZINE, [0, 2], 2, out, SerialExecutor(), fn=magazine_game)

    def resume(scenario=tutorial, path=MAGAZINE, values=(0, 2), runs=2, seed=None):
        sweep_study(scenario, path, list(values), runs, out, SerialExecutor(), seed,
                    resume=True, fn=magazine_game)  # fmt: skip

    other = tutorial.model_copy(update={"name": "other"})
    for kw, message in [
        ({"scenario": other}, "different scenario"),
        ({"seed": 99}, "base seed is 1, not 99"),
        ({"runs": 3}, "ran with --runs 2, not --runs 3; resume it with --runs 2"),
        ({"values": (0, 4)}, f"ran with --param {MAGAZINE}=0:2:2, not --param {MAGAZINE}=0:4:4"),
        ({"path": "batteries.1.magazine"}, "not --param batteries.1.magazine=0:2:2"),
    ]:
        with pytest.raises(StudyFolderError, match=message):
            resume(**kw)
    (out / JOURNAL).rename(out / "journal.old")
    with pytest.raises(StudyFolderError, match="no journal"):
        resume()
    with pytest.raises(StudyFolderError, match="holds a sweep"):
        shapley_study(tutorial, 2, out, SerialExecutor(), resume=True, fn=known_game)
    with pytest.raises(StudyFolderError, match="not empty"):
        shapley_study(tutorial, 2, out, SerialExecutor(), fn=known_game)
    game = shapley_study(tutorial, 2, out, SerialExecutor(), force=True, fn=known_game)
    assert not (out / "sweep.json").exists() and not (out / "sweep.parquet").exists()
    assert game.summary["tasks"] == 16


# --- the command line ---------------------------------------------------------------------------


def _cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def folders(tutorial, tmp_path) -> tuple[str, str]:
    """A finished sweep (magazine 0, 2, 4; 2 runs) and Shapley study (2 runs) of ``tutorial``
    on its own seed, from the stand-in games."""
    sweep_study(tutorial, MAGAZINE, [0, 2, 4], 2, tmp_path / "sw", SerialExecutor(),
                fn=magazine_game)  # fmt: skip
    shapley_study(tutorial, 2, tmp_path / "sh", SerialExecutor(), fn=known_game)
    return str(tmp_path / "sw"), str(tmp_path / "sh")


def test_cli_mismatches_are_one_line_errors(folders, tmp_path):
    sw, sh = folders
    param = f"{MAGAZINE}=0:4:2"
    sweep = ("sweep", "tutorial", "--param", param, "--runs", "2", "--out", sw, "--resume")
    assert "--runs 2, not --runs 3" in _one_line_error(_cli(*sweep[:5], "3", *sweep[6:]))
    line = _one_line_error(_cli(*sweep[:3], f"{MAGAZINE}=0:8:4", *sweep[4:]))
    assert f"--param {param}, not --param {MAGAZINE}=0:8:4" in line
    assert "different scenario" in _one_line_error(_cli("sweep", "october-2024", *sweep[2:]))
    assert "base seed" in _one_line_error(_cli(*sweep, "--seed", "99"))
    assert "choose one" in _one_line_error(_cli(*sweep, "--force"))
    assert "--out" in _one_line_error(_cli(*sweep[:6], "--resume"))
    shapley = ("shapley", "tutorial", "--runs", "2", "--out", sh, "--resume")
    assert "no --agreements, not --agreements" in _one_line_error(_cli(*shapley, "--agreements"))
    line = _one_line_error(_cli(*shapley, "--permutations", "3"))
    assert "exact coalitions (no --permutations), not --permutations 3" in line
    assert "holds a sweep (shieldwall sweep)" in _one_line_error(_cli(*shapley[:4], "--out", sw,
                                                                      "--resume"))  # fmt: skip
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert "not a Shapley study folder" in _one_line_error(_cli(*shapley[:4], "--out", str(busy),
                                                                "--resume"))  # fmt: skip
    assert "--resume" in _one_line_error(_cli(*shapley[:4], "--out", str(busy)))
    assert (busy / "notes.txt").read_text() == "mine"


def test_cli_resumes_a_finished_folder_without_running(folders):
    sw, sh = folders
    before = json.loads((Path(sw) / "sweep.json").read_text())
    args = ("--runs", "2", "--quiet", "--json", "--resume")
    r = _cli("sweep", "tutorial", "--param", f"{MAGAZINE}=0:4:2", "--out", sw, *args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["points"] == before["points"]
    r = _cli("shapley", "tutorial", "--out", sh, *args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["values"] == pytest.approx({"ISR": 10, "USA": 35, "GBR": 15})
