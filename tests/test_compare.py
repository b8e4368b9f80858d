"""What-ifs (``shieldwall compare``): building the variant, the paired statistics on common
random numbers, failures, and the command.

The real simulator runs a small scenario cut from ``tutorial``: six ballistic missiles at
Israel, Israel the only nation with batteries, Israeli and US sensors (the US shares with
everyone), and an agreement from the UK, which has nothing to share. Runs in this process
are cached per (scenario, seed), so the base runs once for every variant.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from rich.console import Console
from scipy import stats
from typer.testing import CliRunner

from serial_executor import SerialExecutor
from shieldwall.cli import app
from shieldwall.io.comparetable import compare_table
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario, scenario_to_yaml
from shieldwall.sim import simulate
from shieldwall.sim.summary import summarize
from shieldwall.studies.compare import (
    CORE_METRICS,
    Removal,
    compare_study,
    dropped,
    metric_value,
    variant_scenario,
)
from shieldwall.studies.executors import LocalExecutor, Outcome, one_line
from shieldwall.studies.variants import VariantTask, variant_metrics

runner = CliRunner()
RUNS = 4
_CACHE: dict[tuple[str, int], dict] = {}


def small_scenario():
    d = load_scenario("tutorial").model_dump(mode="json", by_alias=True)
    d["name"] = "compare-small"
    d["batteries"] = [b for b in d["batteries"] if b["owner"] == "ISR"]
    d["patrols"] = []
    d["agreements"].append({"id": "gbr-to-all", "from": "GBR", "to": ["coalition"]})
    salvos = [s | {"window_s": [0, 100]} for s in d["raid"]["salvos"] if s["id"] == "ballistic"]
    d["raid"]["salvos"] = salvos
    return load_scenario(d)


@pytest.fixture(scope="module")
def small():
    return small_scenario()


def cached_run(task: VariantTask) -> dict:
    """``run_variant_task`` plus ``threats.intercepted``, each (scenario, seed) run once."""
    key = (task.scenario.model_dump_json(), task.seed)
    if key not in _CACHE:
        summary = summarize(simulate(task.scenario, task.seed))
        _CACHE[key] = variant_metrics(summary) | {
            "threats.intercepted": summary["threats"]["intercepted"]
        }
    return _CACHE[key]


def per_seed(records: list[dict], name: str) -> np.ndarray:
    """(runs, 2): base and variant value of ``name`` in each replication."""
    out = np.full((RUNS, 2), np.nan)
    for r in records:
        out[r["replication"], r["variant"]] = metric_value(r["metrics"], name)
    return out


# --- the variant ------------------------------------------------------------------------------


def test_variant_removes_what_is_named(small):
    v = variant_scenario(small, Removal(sharing=("USA",)))
    assert [a.id for a in v.agreements] == ["gbr-to-all"]
    assert v.sensors == small.sensors and v.authorities == small.authorities
    v = variant_scenario(small, Removal(authorities=("ISR",), agreements=("gbr-to-all",)))
    assert [a.nation for a in v.authorities] == ["USA", "GBR"]
    assert [a.id for a in v.agreements] == ["usa-to-all"]
    v = variant_scenario(small, Removal(nations=("USA",)))
    assert {u.owner for u in v.sensors} == {"ISR"}
    assert [a.id for a in v.agreements] == ["gbr-to-all"]
    assert v.nations == small.nations and v.assets == small.assets  # still defended
    assert v.agreements[0].to == ["GBR", "ISR"]  # 'coalition' spelled out without the US
    # what the command says it dropped: the US units, the agreement from it, and what the
    # agreement kept (GBR's, to the coalition) no longer sends it
    gone = dropped(small, v)
    assert gone["agreements"] == ["usa-to-all"] and gone["receivers"] == ["gbr-to-all: USA"]
    assert (
        dropped(small, variant_scenario(small, Removal(agreements=("gbr-to-all",))))["receivers"]
        == []
    )


@pytest.mark.parametrize(
    ("removal", "message"),
    [
        (Removal(), "give at least one of --without-sharing"),
        (Removal(sharing=("FRA",)), "--without-sharing: unknown nation 'FRA' (known: ISR, USA"),
        (Removal(nations=("ISR", "X")), "--without-nation: unknown nation 'X'"),
        (Removal(agreements=("nope",)), "(known: usa-to-all, gbr-to-all)"),
        (Removal(authorities=("FRA",)), "--without-authority: unknown authority 'FRA'"),
    ],
)
def test_unknown_ids_are_one_line_errors(small, removal, message):
    with pytest.raises(ValueError) as err:
        variant_scenario(small, removal)
    assert message in str(err.value) and "\n" not in str(err.value)


# --- common random numbers on the real simulator ----------------------------------------------


@pytest.mark.parametrize(
    "removal",
    [Removal(agreements=("gbr-to-all",)), Removal(authorities=("USA",), sharing=("GBR",))],
    ids=["agreement-from-a-nation-without-sensors", "authority-of-a-nation-without-batteries"],
)
def test_a_removal_that_changes_nothing_gives_exactly_zero(small, removal):
    s = compare_study(small, removal, RUNS, SerialExecutor(), fn=cached_run).summary
    assert s["pairs"] == RUNS and s["failed"] == 0 and not s["unchanged"]
    assert set(CORE_METRICS) <= s["metrics"].keys()
    assert "siap.coalition.completeness" in s["metrics"]
    for name, row in s["metrics"].items():
        assert row["diff"] == 0.0 and row["ci95"] == [0.0, 0.0], name
        assert row["base"] == row["variant"], name


@pytest.fixture(scope="module")
def no_shooter(small):
    """ISR, the only nation with batteries, may not fire."""
    return compare_study(small, Removal(authorities=("ISR",)), RUNS, SerialExecutor(),
                         fn=cached_run)  # fmt: skip


def test_without_the_only_shooter_every_intercepted_threat_leaks(no_shooter):
    s, records = no_shooter.summary, no_shooter.records
    intercepted = per_seed(records, "threats.intercepted")[:, 0]
    assert intercepted.sum() > 0  # the base does intercept
    leaked = per_seed(records, "threats.leaked")
    np.testing.assert_array_equal(leaked[:, 1], leaked[:, 0] + intercepted)
    assert per_seed(records, "interceptors.fired")[:, 1].tolist() == [0] * RUNS
    ballistic = s["metrics"]["threats.by_class.ballistic.leaked"]
    assert ballistic["diff"] == pytest.approx(intercepted.mean(), abs=1e-12)
    assert s["metrics"]["interceptors.cost_usd"]["variant"] == 0.0
    assert s["variant"]["dropped"]["authorities"] == ["ISR"]


def test_paired_interval_matches_scipy(no_shooter):
    s = no_shooter.summary
    spread = 0
    for name, row in s["metrics"].items():
        pairs = per_seed(no_shooter.records, name)
        d = pairs[:, 1] - pairs[:, 0]
        if d.std() > 0:
            low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
        else:  # scipy refuses a zero scale; the interval is the point
            low = high = d.mean()
        assert row["diff"] == pytest.approx(d.mean(), abs=1e-12), name
        assert row["ci95"] == pytest.approx([low, high], rel=1e-9, abs=1e-12), name
        assert row["base"] == pytest.approx(pairs[:, 0].mean(), abs=1e-12), name
        spread += d.std() > 0
    assert spread >= 2  # the check covered intervals of non-zero width


def test_table_marks_intervals_that_exclude_zero(no_shooter):
    text = render(no_shooter.summary)
    fired = next(line for line in text.splitlines() if "interceptors fired" in line)
    assert "yes" in fired and "±" in fired
    drone = next(line for line in text.splitlines() if "drone leakers" in line)
    assert "yes" not in drone and "±0.00" in drone


def render(summary: dict) -> str:
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(compare_table(summary))
    return console.export_text()


# --- engines ----------------------------------------------------------------------------------


def test_local_processes_and_serial_give_the_same_comparison(small):
    removal = Removal(sharing=("USA",))
    runs = 2
    local = compare_study(small, removal, runs, LocalExecutor(workers=2)).summary
    serial = compare_study(small, removal, runs, SerialExecutor(), fn=cached_run).summary
    for key in ("engine", "workers", "wall_s"):
        local.pop(key), serial.pop(key)
    assert local == serial
    assert render(local) == render(serial)


# --- failures ---------------------------------------------------------------------------------


class FailingExecutor(SerialExecutor):
    """Serial, but a task that raises is reported failed (as the real executors do after
    their retry) instead of stopping the study."""

    def map(self, fn, tasks, on_done) -> None:
        for i, task in enumerate(tasks):
            try:
                on_done(Outcome(i, fn(task)))
            except Exception as exc:  # noqa: BLE001
                on_done(Outcome(i, None, one_line(exc), 2))


def noisy_game(task: VariantTask) -> dict:
    """Leakers 3 + noise(seed) in the base, 2 more in the variant; variant #1 crashes."""
    if task.variant == 1 and task.replication == 1:
        raise RuntimeError("boom")
    noise = float(stream(task.seed, "raid").normal(0, 1))
    return {"threats.leaked": 3 + 2 * task.variant + noise, "assets.a.hits": 1}


def test_a_failed_replication_is_reported_and_its_pair_left_out(small):
    s = compare_study(small, Removal(sharing=("USA",)), 5, FailingExecutor(),
                      fn=noisy_game).summary  # fmt: skip
    assert s["failed"] == 1 and s["errors"] == {"variant #1": "RuntimeError: boom"}
    assert s["pairs"] == 4
    row = s["metrics"]["threats.leaked"]
    assert row["diff"] == pytest.approx(2.0) and row["ci95"][1] - row["ci95"][0] < 1e-9
    assert s["metrics"]["assets.hits"]["base"] == 1.0
    assert s["metrics"]["interceptors.fired"]["diff"] is None  # absent: not made up


def test_cli_reports_failures_and_exits_1(monkeypatch):
    import shieldwall.studies as studies
    import shieldwall.studies.compare as compare

    real = compare.compare_study
    monkeypatch.setattr(studies, "make_executor", lambda *a, **k: FailingExecutor())
    monkeypatch.setattr(compare, "compare_study",
                        lambda *a, **k: real(*a, **k, fn=noisy_game))  # fmt: skip
    r = runner.invoke(app, ["compare", "tutorial", "--without-sharing", "USA", "--runs", "3"])
    assert r.exit_code == 1, r.output
    assert "variant #1 failed (after a retry): RuntimeError: boom" in r.output
    assert "1 of 6 runs failed" in r.output and "2 seed pairs" in r.output


# --- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--without-sharing", "FRA"], "unknown nation 'FRA' (known: ISR, USA, GBR)"),
        (["--without-nation", "usa"], "unknown nation 'usa'"),
        (["--without-agreement", "x"], "unknown agreement 'x' (known: usa-to-all)"),
        (["--without-authority", "ISR", "--without-authority", "JOR"], "authority 'JOR'"),
        ([], "give at least one of"),
        (["--without-sharing", "USA", "--runs", "0"], "--runs: must be at least 1"),
    ],
)
def test_cli_bad_ids_exit_2_with_one_line(args, message):
    r = runner.invoke(app, ["compare", "tutorial", *args])
    assert r.exit_code == 2 and message in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output


def test_cli_json(small, tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(scenario_to_yaml(small))
    args = ["compare", str(path), "--without-agreement", "gbr-to-all", "--without-authority",
            "USA", "--runs", "2", "--workers", "2", "--json"]  # fmt: skip
    r = runner.invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"scenario", "runs", "variant", "metrics"} <= data.keys()
    assert data["scenario"] == "compare-small" and data["runs"] == 2
    assert data["variant"] | {"dropped": None} == {
        "without_sharing": [],
        "without_nation": [],
        "without_agreement": ["gbr-to-all"],
        "without_authority": ["USA"],
        "dropped": None,
    }
    for name, row in data["metrics"].items():
        assert set(row) == {"base", "variant", "diff", "ci95"}, name
        assert row["diff"] == 0 and row["ci95"] == [0, 0] and math.isfinite(row["base"])
