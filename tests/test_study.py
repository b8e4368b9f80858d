"""Monte Carlo studies: seeds, confidence intervals, engines, retries, resume and the CLI.

Engine, retry and resume logic is checked with a cheap stand-in replication (module-level, so
worker processes can import it); the ``slow`` tests run the real ``tutorial`` scenario (about
2 s per replication on one core) to show that the simulator itself gives identical tables on
every engine and worker count.
"""

from __future__ import annotations

import json
import math
import os
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from shieldwall.cli import app
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.studies import EngineError, run_study, study_metrics
from shieldwall.studies.executors import CLUSTER_HINT, DaskExecutor, LocalExecutor
from shieldwall.studies.folder import JOURNAL, StudyFolderError
from shieldwall.studies.seeds import replication_children, replication_seeds, run_seed
from shieldwall.studies.stats import mean_ci, study_table, table_stats

runner = CliRunner()
PRELOAD = ["shieldwall.studies.montecarlo"]


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


def local(workers: int) -> LocalExecutor:
    return LocalExecutor(workers, preload=PRELOAD)


# --- stand-in replications (module level: worker processes import them) ---------------------


def fake(scenario, seed: int) -> dict:
    """A cheap replication: a few metrics drawn from the run seed's own stream."""
    g = stream(seed, "raid")
    out = {
        "threats.leaked": int(g.integers(0, 5)),
        "interceptors.fired": int(g.integers(9)),  # with threats.leaked, in every summary
        "interceptors.cost_usd": float(g.gamma(2.0)),
        "siap.A.completeness": float(g.random()),
        "cost_exchange_ratio": float(g.gamma(2.0)),
    }
    if seed % 3:  # a type that fires only in some runs: 0, not null, where absent
        out["interceptors.by_nation.B.x.fired"] = int(g.integers(1, 4))
    return out


def _attempt(folder: str, seed: int) -> int:
    """Counts calls for ``seed`` in files (workers share no memory); returns this call's number."""
    path = Path(folder) / f"{seed}.calls"
    n = len(path.read_text()) + 1 if path.exists() else 1
    path.write_text("x" * n)
    return n


def failing(bad: int, folder: str, scenario, seed: int) -> dict:
    """Raises every time for run seed ``bad``."""
    _attempt(folder, seed)
    if seed == bad:
        raise RuntimeError("boom\nsecond line")
    return fake(scenario, seed)


def flaky(bad: int, folder: str, scenario, seed: int) -> dict:
    """Fails the first call for ``bad`` (an exception), succeeds the second."""
    if _attempt(folder, seed) == 1 and seed == bad:
        raise RuntimeError("transient")
    return fake(scenario, seed)


def dies(bad: int, folder: str, scenario, seed: int) -> dict:
    """Kills its worker process the first time it runs ``bad``."""
    if _attempt(folder, seed) == 1 and seed == bad:
        os._exit(1)
    return fake(scenario, seed)


class Interrupt:
    """A progress callback that raises KeyboardInterrupt once ``after`` replications finished."""

    def __init__(self, after: int) -> None:
        self.after = after

    def __call__(self, finished: int, runs: int, record: dict | None) -> None:
        if record is not None and finished >= self.after:
            raise KeyboardInterrupt


def table_of(folder: Path):
    return pq.read_table(folder / "study.parquet")


# --- seeds ------------------------------------------------------------------------------------


def test_seeds_reproducible_prefix_stable_and_distinct():
    seeds = replication_seeds(7, 50)
    assert seeds == replication_seeds(7, 50)
    assert replication_seeds(7, 200)[:50] == seeds  # growing a study keeps its replications
    assert len(set(seeds)) == 50 and all(0 <= s < 2**63 for s in seeds)
    assert not set(seeds) & set(replication_seeds(8, 50))
    # replication i is child i of SeedSequence(base): spawn_key (i,)
    assert seeds[3] == run_seed(np.random.SeedSequence(7, spawn_key=(3,)))
    assert [c.spawn_key for c in replication_children(7, 3)] == [(0,), (1,), (2,)]


def test_replication_streams_are_independent():
    """Draws of the same purpose in different replications are uncorrelated (|r| within 4.5
    standard errors of 0 for every pair), and each stream is uniform (KS test)."""
    n = 20_000
    draws = np.array([stream(s, "raid").random(n) for s in replication_seeds(1, 12)])
    r = np.corrcoef(draws)[np.triu_indices(12, 1)]
    assert np.abs(r).max() < 4.5 / math.sqrt(n)
    assert min(stats.kstest(d, "uniform").pvalue for d in draws) > 1e-3


# --- statistics -------------------------------------------------------------------------------


def test_mean_ci_matches_scipy_student_t():
    x = np.array([3.1, 4.7, 2.2, 5.9, 4.4, 3.8, 6.1, 2.9])
    mean, low, high, n = mean_ci(x)
    ref_low, ref_high = stats.t.interval(0.95, df=7, loc=x.mean(), scale=stats.sem(x))
    assert n == 8 and mean == pytest.approx(x.mean(), abs=1e-12)
    assert (low, high) == pytest.approx((ref_low, ref_high), abs=1e-12)
    assert mean_ci([1.0, None, float("nan"), 3.0])[3] == 2  # missing values ignored
    assert math.isnan(mean_ci([2.0])[1]) and mean_ci([])[3] == 0


def test_ci_of_a_bernoulli_covers_at_the_stated_rate():
    """4,000 studies of 200 Bernoulli(0.3) replications: the 95% interval covers 0.3 in
    95 +- 1.5 % of them (3.2 binomial standard errors; the t interval of a proportion with
    n p = 60 is close to nominal)."""
    rng = np.random.default_rng(20261130)
    samples = rng.random((4000, 200)) < 0.3
    covered = [lo <= 0.3 <= hi for _, lo, hi, _ in map(mean_ci, samples.astype(float))]
    assert 0.935 <= np.mean(covered) <= 0.965


def test_metrics_follow_the_summary_keys():
    summary = {
        "threats": {"leaked": 3, "by_class": {"drone": {"leaked": 1}, "hgv": {"leaked": 2}}},
        "assets": {"a1": {"hits": 2, "owner": "X"}},
        "interceptors": {
            "fired": 4,
            "cost_usd": 1.5e6,
            "by_nation": {"NEW": {"laser": {"fired": 4}}},
        },
        "cost_exchange_ratio": None,
        "siap": {"NEW": {"completeness": 0.5}, "X": {"ambiguity": 1.0}},
        "accounting": {"balanced": True},
    }
    assert study_metrics(summary) == {
        "threats.leaked": 3,
        "threats.by_class.drone.leaked": 1,
        "threats.by_class.hgv.leaked": 2,
        "assets.a1.hits": 2,
        "interceptors.fired": 4,
        "interceptors.cost_usd": 1.5e6,
        "interceptors.by_nation.NEW.laser.fired": 4,
        "cost_exchange_ratio": None,
        "siap.NEW.completeness": 0.5,
    }
    assert study_metrics({}) == {}


def test_table_fills_absent_shots_with_zero_and_failures_with_null():
    recs = [
        {"replication": 1, "seed": 11, "status": "failed", "error": "E: x", "metrics": {}},
        {"replication": 0, "seed": 10, "status": "ok", "error": None,
         "metrics": {"siap.A.completeness": 0.5}},
        {"replication": 2, "seed": 12, "status": "ok", "error": None,
         "metrics": {"siap.A.completeness": 0.7, "interceptors.by_nation.B.x.fired": 2}},
    ]  # fmt: skip
    table = study_table(recs)
    assert table.column_names == [
        "replication", "seed", "status", "error",
        "interceptors.by_nation.B.x.fired", "siap.A.completeness",
    ]  # fmt: skip
    assert table.column("replication").to_pylist() == [0, 1, 2]
    assert table.column("interceptors.by_nation.B.x.fired").to_pylist() == [0, None, 2]
    assert study_table(recs[::-1]).equals(table)
    s = table_stats(table)
    assert s["means"]["siap.A.completeness"] == pytest.approx(0.6)
    assert s["n"]["siap.A.completeness"] == 2


# --- engines, retries, resume (stand-in replications) -----------------------------------------


def test_local_engine_one_and_two_workers_identical(tutorial, tmp_path):
    one = run_study(tutorial, 9, tmp_path / "a", local(1), base_seed=5, replicate_fn=fake)
    two = run_study(tutorial, 9, tmp_path / "b", local(2), base_seed=5, replicate_fn=fake)
    assert one.table.equals(two.table)
    assert (tmp_path / "a/study.parquet").read_bytes() == (
        tmp_path / "b/study.parquet"
    ).read_bytes()
    assert one.table.column("seed").to_pylist() == replication_seeds(5, 9)
    assert one.summary["means"] == two.summary["means"] and one.summary["failed"] == 0
    assert not (tmp_path / "a/INCOMPLETE").exists()


def test_failing_replication_is_retried_once_then_reported(tutorial, tmp_path):
    seeds = replication_seeds(1, 4)
    fn = partial(failing, seeds[2], str(tmp_path))
    res = run_study(tutorial, 4, tmp_path / "s", local(2), replicate_fn=fn)
    rows = res.table.to_pylist()
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "ok"]
    assert rows[2]["error"] == "RuntimeError: boom second line"
    assert rows[2]["threats.leaked"] is None
    assert (tmp_path / f"{seeds[2]}.calls").read_text() == "xx"  # tried twice
    assert (tmp_path / f"{seeds[0]}.calls").read_text() == "x"
    assert res.summary["failed"] == 1 and res.summary["errors"] == {"2": rows[2]["error"]}
    assert res.summary["n"]["threats.leaked"] == 3


@pytest.mark.parametrize("kind", [flaky, dies])
def test_transient_failure_or_killed_worker_recovers(tutorial, tmp_path, kind):
    seeds = replication_seeds(1, 4)
    fn = partial(kind, seeds[1], str(tmp_path))
    res = run_study(tutorial, 4, tmp_path / "s", local(2), replicate_fn=fn)
    ref = run_study(tutorial, 4, tmp_path / "ref", local(2), replicate_fn=fake)
    assert res.table.equals(ref.table)
    assert (tmp_path / f"{seeds[1]}.calls").read_text() == "xx"


def test_resume_after_interrupt_gives_the_uninterrupted_table(tutorial, tmp_path):
    whole = run_study(tutorial, 8, tmp_path / "whole", local(2), replicate_fn=fake)
    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        run_study(tutorial, 8, part, local(2), progress=Interrupt(3), replicate_fn=fake)
    assert (part / "INCOMPLETE").exists()
    kept = table_of(part)
    assert 3 <= kept.num_rows < 8 and set(kept.column("status").to_pylist()) == {"ok"}
    assert json.loads((part / "study.json").read_text())["status"] == "interrupted"
    with (part / JOURNAL).open("a") as f:
        f.write('{"replication": 7, "seed": 1, "sta')  # a study killed mid-write
    done = run_study(tutorial, 8, part, local(1), resume=True, replicate_fn=fake)
    assert done.table.equals(whole.table)
    assert table_of(part).equals(whole.table) and not (part / "INCOMPLETE").exists()
    assert done.summary["replications_this_session"] == 8 - kept.num_rows
    assert (part / "study.parquet").read_bytes() == (tmp_path / "whole/study.parquet").read_bytes()


def test_resume_grows_a_study_keeping_its_replications(tutorial, tmp_path):
    run_study(tutorial, 3, tmp_path / "grown", local(2), replicate_fn=fake)
    grown = run_study(tutorial, 6, tmp_path / "grown", local(2), resume=True, replicate_fn=fake)
    fresh = run_study(tutorial, 6, tmp_path / "fresh", local(2), replicate_fn=fake)
    assert grown.table.equals(fresh.table) and grown.summary["replications_this_session"] == 3


def test_resume_refuses_another_scenario_or_seed(tutorial, tmp_path):
    run_study(tutorial, 2, tmp_path / "s", local(1), replicate_fn=fake)
    other = tutorial.model_copy(update={"name": "other"})
    with pytest.raises(StudyFolderError, match="different scenario"):
        run_study(other, 2, tmp_path / "s", local(1), resume=True, replicate_fn=fake)
    with pytest.raises(StudyFolderError, match="base seed"):
        run_study(tutorial, 2, tmp_path / "s", local(1), 99, resume=True, replicate_fn=fake)
    with pytest.raises(StudyFolderError, match="not empty"):
        run_study(tutorial, 2, tmp_path / "s", local(1), replicate_fn=fake)
    forced = run_study(tutorial, 3, tmp_path / "s", local(1), force=True, replicate_fn=fake)
    assert forced.table.num_rows == 3


def test_dask_engine_gives_the_local_table(tutorial, tmp_path):
    pytest.importorskip("distributed")
    seeds = replication_seeds(1, 6)
    fn = partial(failing, seeds[4], str(tmp_path))
    ref = run_study(tutorial, 6, tmp_path / "local", local(2), replicate_fn=fn)
    res = run_study(tutorial, 6, tmp_path / "dask", DaskExecutor(workers=2), replicate_fn=fn)
    assert res.table.equals(ref.table)
    assert res.summary["engine"] == "dask" and res.summary["failed"] == 1


def test_dask_missing_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(EngineError) as info:
        DaskExecutor(workers=1)
    assert str(info.value) == CLUSTER_HINT and "shieldwall[cluster]" in CLUSTER_HINT
    line = _one_line_error(_cli("tutorial", "--engine", "dask", "--out", str(tmp_path / "s")))
    assert "shieldwall[cluster]" in line and not (tmp_path / "s").exists()


# --- the real tutorial scenario ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tutorial_study(tutorial, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tutorial") / "study"
    return run_study(tutorial, 2, folder, local(2), base_seed=3)


@pytest.mark.slow
def test_tutorial_study_identical_twice_and_on_one_worker(tutorial, tutorial_study, tmp_path):
    again = run_study(tutorial, 2, tmp_path / "again", local(2), base_seed=3)
    one = run_study(tutorial, 2, tmp_path / "one", local(1), base_seed=3)
    ref = (tutorial_study.folder / "study.parquet").read_bytes()
    assert (tmp_path / "again/study.parquet").read_bytes() == ref
    assert (tmp_path / "one/study.parquet").read_bytes() == ref
    names = tutorial_study.table.column_names
    assert "threats.by_class.ballistic.leaked" in names and "siap.ISR.completeness" in names
    assert set(tutorial_study.table.column("status").to_pylist()) == {"ok"}
    assert again.summary["means"] == one.summary["means"] == tutorial_study.summary["means"]


@pytest.mark.slow
def test_tutorial_study_on_dask_identical(tutorial, tutorial_study, tmp_path):
    pytest.importorskip("distributed")
    run_study(tutorial, 2, tmp_path / "dask", DaskExecutor(workers=2), base_seed=3)
    assert (tmp_path / "dask/study.parquet").read_bytes() == (
        tutorial_study.folder / "study.parquet"
    ).read_bytes()


@pytest.mark.slow
def test_tutorial_resume_and_replay_one_replication(tutorial, tutorial_study, tmp_path):
    """An interrupted tutorial study resumes to the same table; a row's seed replays it."""
    from shieldwall.studies import replicate

    with pytest.raises(KeyboardInterrupt):
        run_study(tutorial, 2, tmp_path / "s", local(1), 3, progress=Interrupt(1))
    run_study(tutorial, 2, tmp_path / "s", local(2), 3, resume=True)
    assert table_of(tmp_path / "s").equals(tutorial_study.table)
    row = tutorial_study.table.to_pylist()[1]
    again = replicate(tutorial, row["seed"])
    assert all(row[k] == v for k, v in again.items())


# --- the CLI ----------------------------------------------------------------------------------


def _cli(*args: str):
    return runner.invoke(app, ["study", *args], catch_exceptions=False)


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_cli_bad_input_one_line_exit_2(tmp_path):
    assert "no-such" in _one_line_error(_cli("no-such-scenario", "--runs", "2"))
    assert "--runs" in _one_line_error(_cli("tutorial", "--runs", "0"))
    assert "--engine" in _one_line_error(_cli("tutorial", "--engine", "spark"))
    assert "--workers" in _one_line_error(_cli("tutorial", "--workers", "0"))
    assert "--address" in _one_line_error(_cli("tutorial", "--address", "tcp://x:1"))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    line = _one_line_error(_cli("tutorial", "--runs", "2", "--out", str(busy)))
    assert "--resume" in line and (busy / "notes.txt").read_text() == "mine"
    assert "not a study folder" in _one_line_error(
        _cli("tutorial", "--runs", "2", "--out", str(busy), "--resume")
    )
    assert "--out" in _one_line_error(_cli("tutorial", "--resume"))


@pytest.mark.slow
def test_cli_study_json_and_tables(tmp_path):
    out = tmp_path / "s"
    result = _cli("tutorial", "--runs", "2", "--workers", "2", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["runs"] == 2 and summary["completed"] == 2 and summary["folder"] == str(out)
    assert summary["ci95"]["threats.leaked"] is None or len(summary["ci95"]["threats.leaked"]) == 2
    assert json.loads((out / "study.json").read_text())["means"] == summary["means"]
    resumed = _cli("tutorial", "--runs", "2", "--out", str(out), "--resume", "--quiet")
    assert resumed.exit_code == 0 and "95% CI" in resumed.output
    assert "0 replications run" in resumed.output
