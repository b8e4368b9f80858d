"""Retries and stops of a study: a replication that needed a retry is reported (journal,
study.json, the CLI) on both engines while study.parquet stays the table of a run without it;
workers exit when the study process is killed outright; SIGTERM stops a study as Ctrl-C does.

Stand-in replications from :mod:`test_study` (module level: worker processes import them);
the process tests start a small driver script and signal it, as a user or a batch scheduler
would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

import shieldwall.studies
from shieldwall.cli import app
from shieldwall.scenario import load_scenario
from shieldwall.studies import run_study
from shieldwall.studies.executors import (
    WORKER_DIED,
    DaskExecutor,
    LocalExecutor,
    Outcome,
    _Attempts,
)
from shieldwall.studies.folder import JOURNAL
from shieldwall.studies.interrupts import _sigint_deferred
from shieldwall.studies.seeds import replication_seeds
from shieldwall.studies.variants import run_variants, variant_tasks
from test_study import dies, fake, flaky, local

SRC = Path(__file__).resolve().parents[1] / "src"
TESTS = Path(__file__).resolve().parent
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and processes")


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


def journal(folder: Path) -> dict[int, dict]:
    lines = (folder / JOURNAL).read_text().splitlines()
    return {r["replication"]: r for r in map(json.loads, lines)}


# --- 1. a retry is reported, and is no result -------------------------------------------------


def test_attempts_carry_the_error_of_the_failed_try():
    seen: list[Outcome] = []
    tries = _Attempts(2, 1, seen.append)
    for i in (0, 1):
        tries.start(i)
    assert tries.failed(0, RuntimeError("first")) and tries.failed(1, ValueError("a"))
    tries.start(0)
    tries.succeeded(0, 42)
    tries.start(1)
    assert not tries.failed(1, ValueError("b"))
    assert seen == [
        Outcome(0, 42, None, 2, "RuntimeError: first"),
        Outcome(1, None, "ValueError: b", 2, "ValueError: a"),
    ]


@pytest.mark.parametrize(("kind", "error"), [(flaky, "RuntimeError: transient"),
                                             (dies, WORKER_DIED)])  # fmt: skip
def test_a_retried_replication_is_reported_not_tabled(tutorial, tmp_path, kind, error):
    seeds = replication_seeds(1, 4)
    fn = partial(kind, seeds[1], str(tmp_path))
    res = run_study(tutorial, 4, tmp_path / "s", local(1), replicate_fn=fn)
    run_study(tutorial, 4, tmp_path / "ref", local(2), replicate_fn=fake)
    assert res.summary["retried"] == {"1": error} and res.summary["completed"] == 4
    assert json.loads((tmp_path / "s/study.json").read_text())["retried"] == {"1": error}
    records = journal(tmp_path / "s")
    assert [(r["attempts"], r["retried_after"]) for r in records.values()] == [
        (1, None), (2, error), (1, None), (1, None)
    ]  # fmt: skip
    parquet = [(tmp_path / name / "study.parquet").read_bytes() for name in ("s", "ref")]
    assert parquet[0] == parquet[1]


def test_a_dead_worker_charges_every_replication_it_stopped(tutorial, tmp_path):
    """The local pool cannot tell which worker died: the replications running alongside are
    retried too, and reported so (the same error, never a silent rerun)."""
    seeds = replication_seeds(1, 6)
    res = run_study(tutorial, 6, tmp_path / "s", local(2),
                    replicate_fn=partial(dies, seeds[1], str(tmp_path)))  # fmt: skip
    assert res.summary["retried"]["1"] == WORKER_DIED and res.summary["completed"] == 6
    assert set(res.summary["retried"].values()) == {WORKER_DIED}
    assert all(journal(tmp_path / "s")[int(k)]["attempts"] == 2 for k in res.summary["retried"])


def test_dask_reports_a_killed_worker_as_the_local_pool_does(tutorial, tmp_path):
    pytest.importorskip("distributed")
    seeds = replication_seeds(1, 4)
    ran = {}
    for name, executor in [("local", local(1)), ("dask", DaskExecutor(workers=2))]:
        calls = tmp_path / f"{name}-calls"
        calls.mkdir()
        fn = partial(dies, seeds[2], str(calls))
        ran[name] = run_study(tutorial, 4, tmp_path / name, executor, replicate_fn=fn)
    assert ran["dask"].summary["retried"] == ran["local"].summary["retried"] == {"2": WORKER_DIED}
    assert ran["dask"].table.equals(ran["local"].table)
    assert journal(tmp_path / "dask")[2]["attempts"] == 2


def flaky_variant(folder: str, task) -> dict:
    """A variant run that fails its first call for replication 1 of variant 0."""
    path = Path(folder) / f"{task.variant}-{task.replication}.calls"
    calls = len(path.read_text()) + 1 if path.exists() else 1
    path.write_text("x" * calls)
    if calls == 1 and (task.variant, task.replication) == (0, 1):
        raise RuntimeError("transient")
    return {"threats.leaked": task.variant + task.replication}


def test_variant_records_report_the_retry(tutorial, tmp_path):
    tasks = variant_tasks([tutorial, tutorial], replication_seeds(3, 2))
    records = run_variants(LocalExecutor(2), tasks, fn=partial(flaky_variant, str(tmp_path)))
    retried = [(r["variant"], r["replication"], r["attempts"], r["retried_after"])
               for r in records if r["retried_after"]]  # fmt: skip
    assert retried == [(0, 1, 2, "RuntimeError: transient")]
    assert all(r["status"] == "ok" for r in records)


def test_compare_summary_names_the_retried_run(tutorial, tmp_path):
    """compare's summary (and so its command's note) lists the run retried, by its name."""
    from shieldwall.studies.compare import Removal, compare_study

    removal = Removal(nations=("GBR",))
    fn = partial(flaky_variant, str(tmp_path))
    summary = compare_study(tutorial, removal, 2, LocalExecutor(2), 3, fn=fn).summary
    assert summary["retried"] == {"base #1": "RuntimeError: transient"}
    assert summary["failed"] == 0 and summary["errors"] == {}


def test_cli_names_the_retried_replication(monkeypatch, tmp_path):
    seeds = replication_seeds(load_scenario("tutorial").seed, 4)
    real = shieldwall.studies.run_study
    fn = partial(flaky, seeds[3], str(tmp_path))
    monkeypatch.setattr(shieldwall.studies, "run_study", partial(real, replicate_fn=fn))
    out = tmp_path / "s"
    result = CliRunner().invoke(app, ["study", "tutorial", "--runs", "4", "--workers", "2",
                                      "--out", str(out)], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 replication was retried after a failure and then succeeded: 3 (RuntimeError:" \
        " transient)" in result.output  # fmt: skip


# --- 2. and 3. killed and terminated studies ---------------------------------------------------

KILLED = """
from shieldwall.studies.executors import LocalExecutor

if __name__ == "__main__":
    LocalExecutor(2).map(stops.pid_after, [0.1, 0.1, 60, 60], lambda o: print(o.value, flush=True))
"""

STOPS_MODULE = """
import os, time

def pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()

def slow(scenario, seed):
    time.sleep(0.4)
    return {"threats.leaked": seed % 7}
"""


def _driver(tmp_path: Path, script: str, *args: str) -> subprocess.Popen:
    """Start ``script`` (importing ``stops``: the stand-ins workers import) in a new session."""
    (tmp_path / "stops.py").write_text(STOPS_MODULE)
    (tmp_path / "driver.py").write_text("import stops\n" + script)
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS), str(SRC)])}
    return subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)  # fmt: skip


def _session(sid: int) -> list[int]:
    """The live processes of session ``sid`` (zombies, which only wait to be reaped, left out):
    a study's main process, workers, fork server and resource tracker."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@POSIX_ONLY
def test_workers_exit_when_the_study_process_is_killed(tmp_path):
    proc = _driver(tmp_path, KILLED)
    try:
        workers = {int(proc.stdout.readline()) for _ in range(2)}  # both are now busy for 60 s
        started = _session(proc.pid)  # the driver, 2 workers, fork server, resource tracker
        assert workers < set(started) and len(started) == 5, started
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
        deadline = time.monotonic() + 10
        while _session(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session(proc.pid) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


TERMINATED = """
import sys
from functools import partial
import shieldwall.studies
from shieldwall.cli import main

if __name__ == "__main__":
    shieldwall.studies.run_study = partial(shieldwall.studies.run_study, replicate_fn=stops.slow)
    main()
"""


def _study(tmp_path: Path, out: Path, *args: str) -> subprocess.Popen:
    """``shieldwall study tutorial`` into ``out`` with the slow stand-in replication."""
    return _driver(tmp_path, TERMINATED, "study", "tutorial", "--runs", "12", "--workers", "2",
                   "--quiet", "--out", str(out), *args)  # fmt: skip


@pytest.mark.slow
@POSIX_ONLY
def test_sigterm_stops_a_study_as_ctrl_c_does(tmp_path):
    out = tmp_path / "s"
    proc = _study(tmp_path, out)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            (out / JOURNAL).exists() and (out / JOURNAL).read_text().count("\n") >= 2
        ):
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.startswith("interrupted: ") and f"--resume --out {out}" in err, err
    assert "Traceback" not in err, err
    kept = json.loads((out / "study.json").read_text())
    assert kept["status"] == "interrupted" and 2 <= kept["completed"] < 12
    assert (out / "study.parquet").exists()
    for proc in (_study(tmp_path, out, "--resume"), _study(tmp_path, tmp_path / "whole")):
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    whole = (tmp_path / "whole/study.parquet").read_bytes()
    assert (out / "study.parquet").read_bytes() == whole


@POSIX_ONLY
def test_sigterm_while_a_worker_starts_is_held_then_delivered():
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with _sigint_deferred():
            signal.raise_signal(signal.SIGTERM)
            assert seen == []  # held while submit starts a worker process
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)
