"""Coalition value: scenario variants per coalition, the Shapley study and ``shieldwall shapley``.

The study's bookkeeping is checked with a stand-in replication whose coalition game is known
in closed form (module level, so worker processes can import it); the ``slow`` test runs the
real ``tutorial`` scenario through the command line.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from serial_executor import SerialExecutor
from shieldwall.cli import app
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.studies.coalitions import coalition_scenario, nation_ids, without_agreement
from shieldwall.studies.coalitionvalue import shapley_study
from shieldwall.studies.executors import LocalExecutor
from shieldwall.studies.shapley import exact_shapley
from shieldwall.studies.variants import DEFENDED, VALUE_HIT, VALUE_HITS, VariantTask

runner = CliRunner()


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario("tutorial")


def present(task: VariantTask) -> set[str]:
    """Nations that bring anything to the defense in the task's scenario."""
    sc = task.scenario
    units = [*sc.sensors, *sc.batteries, *sc.patrols]
    return {u.owner for u in units} | {a.nation for a in sc.authorities}


def known_game(task: VariantTask) -> dict:
    """v(S) = 10 [ISR] + 20 [USA] + 30 [USA and GBR] + noise(seed), the noise common to
    every coalition of a replication (common random numbers). Shapley: ISR 10, USA 35,
    GBR 15, exactly in every replication."""
    s = present(task)
    noise = float(stream(task.seed, "raid").normal(0, 5))
    worth = 10.0 * ("ISR" in s) + 20.0 * ("USA" in s) + 30.0 * ({"USA", "GBR"} <= s) + noise
    leaked = 12 - 2 * ("ISR" in s) - 4 * ("USA" in s)  # additive: ISR 2, USA 4 averted
    return {DEFENDED: worth, VALUE_HIT: 300.0 - worth, VALUE_HITS: 900.0 - 3 * worth,
            "threats.leaked": leaked}  # fmt: skip


# --- scenario variants ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tutorial", "october-2024", "april-2024"])
def test_every_coalition_validates_and_keeps_raid_and_assets(name):
    sc = load_scenario(name)
    nations = nation_ids(sc)
    for r in range(len(nations) + 1):
        for members in combinations(nations, r):
            v = coalition_scenario(sc, members)  # re-validated by load_scenario
            keep = set(members)
            assert v.raid == sc.raid and v.assets == sc.assets and v.nations == sc.nations
            units = [*v.sensors, *v.batteries, *v.patrols]
            assert {u.owner for u in units} <= keep
            assert {a.nation for a in v.authorities} <= keep
            for ag in v.agreements:
                assert ag.from_nation in keep
                assert set(sum((v.audience_members(t) for t in ag.to), [])) <= keep
            assert all(set(g) <= keep for g in v.groups.values())
    assert coalition_scenario(sc, nations) == sc


def test_empty_coalition_defends_nothing(tutorial):
    v = coalition_scenario(tutorial, [])
    assert not (v.sensors or v.batteries or v.patrols or v.agreements or v.authorities)


def test_agreement_audiences_are_cleaned():
    sc = load_scenario("april-2024")  # agreement 3 goes to the group 'partners' (GBR FRA JOR)
    to_partners = [ag.id for ag in sc.agreements if ag.to == ["partners"]]
    v = coalition_scenario(sc, ["ISR", "USA", "GULF"])
    assert v.groups["partners"] == [] and v.groups["cjtf"] == ["ISR", "USA"]
    assert not {ag.id for ag in v.agreements} & set(to_partners)
    tut = coalition_scenario(load_scenario("tutorial"), ["USA", "GBR"])
    assert tut.agreements[0].to == ["GBR", "USA"]  # 'coalition' spelled out: ISR is out


def test_without_agreement_and_unknown_names(tutorial):
    v = without_agreement(tutorial, "usa-to-all")
    assert v.agreements == [] and v.sensors == tutorial.sensors
    with pytest.raises(ValueError, match="unknown agreement 'nope'"):
        without_agreement(tutorial, "nope")
    with pytest.raises(ValueError, match="unknown nation"):
        coalition_scenario(tutorial, ["XXX"])


# --- the study with a known game --------------------------------------------------------------


def per_replication(folder: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(Shapley values per replication, v(N) - v({}) per replication) from the parquet."""
    t = pq.read_table(folder / "coalitions.parquet").to_pydict()
    runs = max(t["replication"]) + 1
    v = np.full((runs, 1 << n), np.nan)
    for k, i, x in zip(t["variant"], t["replication"], t[DEFENDED], strict=True):
        if k < 1 << n:
            v[i, k] = x
    return exact_shapley(v), v[:, -1] - v[:, 0]


def test_exact_study_recovers_the_known_game(tutorial, tmp_path):
    res = shapley_study(tutorial, 6, tmp_path / "s", SerialExecutor(), agreements=True,
                        fn=known_game)  # fmt: skip
    s = res.summary
    assert s["method"] == "exact" and s["coalitions"] == 8 and s["tasks"] == 6 * 9
    assert s["values"] == pytest.approx({"ISR": 10.0, "USA": 35.0, "GBR": 15.0}, abs=1e-9)
    for nation, (low, high) in s["ci95"].items():  # no spread: CRN cancels the noise
        assert high - low == pytest.approx(0.0, abs=1e-9), nation
    assert s["ranking"] == ["USA", "GBR", "ISR"]
    assert sum(s["values"].values()) == pytest.approx(s["grand"] - s["empty"], abs=1e-9)
    assert s["efficiency_max_error"] < 1e-9
    # the agreement is invisible to this game: worth 0
    assert s["agreements"]["usa-to-all"]["mean"] == pytest.approx(0.0, abs=1e-9)
    phi, span = per_replication(res.folder, 3)
    np.testing.assert_allclose(phi.sum(axis=1), span, atol=1e-9)  # efficiency per replication
    assert (res.folder / "shapley.png").stat().st_size > 10_000
    assert not (res.folder / "INCOMPLETE").exists()
    stored = json.loads((res.folder / "shapley.json").read_text())
    assert stored["values"] == s["values"]


def test_permutation_sampling_is_efficient_and_unbiased(tutorial, tmp_path):
    res = shapley_study(tutorial, 30, tmp_path / "p", SerialExecutor(), permutations=2,
                        fn=known_game)  # fmt: skip
    s = res.summary
    assert s["method"] == "permutations" and s["permutations"] == 2
    assert s["efficiency_max_error"] < 1e-9
    exact = {"ISR": 10.0, "USA": 35.0, "GBR": 15.0}
    for nation, (low, high) in s["ci95"].items():
        assert low - 1e-9 <= exact[nation] <= high + 1e-9, nation
    assert s["values"]["ISR"] == pytest.approx(10.0, abs=1e-9)  # additive: no sampling error
    assert s["se"]["USA"] > 0  # the USA-GBR synergy goes to whichever comes second


def test_study_on_local_processes_matches_serial(tutorial, tmp_path):
    serial = shapley_study(tutorial, 3, tmp_path / "a", SerialExecutor(), fn=known_game)
    local = shapley_study(tutorial, 3, tmp_path / "b", LocalExecutor(2), fn=known_game)
    assert local.table.drop(["error"]).equals(serial.table.drop(["error"]))
    assert local.summary["values"] == serial.summary["values"]


def test_folder_is_never_overwritten(tutorial, tmp_path):
    shapley_study(tutorial, 1, tmp_path / "f", SerialExecutor(), fn=known_game)
    from shieldwall.io.runfolder import RunFolderError

    with pytest.raises(RunFolderError, match="not empty"):
        shapley_study(tutorial, 1, tmp_path / "f", SerialExecutor(), fn=known_game)


# --- the command --------------------------------------------------------------------------------


def test_cli_bad_input_exit_2(tmp_path):
    r = runner.invoke(app, ["shapley", "tutorial", "--runs", "0", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--runs" in r.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    r = runner.invoke(app, ["shapley", "tutorial", "--runs", "1", "--out", str(tmp_path / "full")])
    assert r.exit_code == 2 and "not empty" in r.output


@pytest.mark.slow
def test_cli_shapley_tutorial_json(tmp_path):
    out = tmp_path / "sh"
    args = ["shapley", "tutorial", "--runs", "2", "--json", "--out", str(out), "--workers", "2"]
    r = runner.invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"values", "ci95", "grand", "empty", "ranking", "se", "folder"} <= data.keys()
    assert set(data["values"]) == {"ISR", "USA", "GBR"}
    assert sum(data["values"].values()) == pytest.approx(data["grand"] - data["empty"], abs=1e-9)
    phi, span = per_replication(out, 3)
    np.testing.assert_allclose(phi.sum(axis=1), span, atol=1e-9)
    assert (out / "shapley.png").exists() and (out / "scenario.yaml").exists()


def test_study_on_dask_matches_serial(tutorial, tmp_path):
    pytest.importorskip("distributed")
    from shieldwall.studies.executors import DaskExecutor

    serial = shapley_study(tutorial, 2, tmp_path / "a", SerialExecutor(), fn=known_game)
    dask = shapley_study(tutorial, 2, tmp_path / "b", DaskExecutor(workers=2), fn=known_game)
    assert dask.table.equals(serial.table) and dask.summary["values"] == serial.summary["values"]


def test_interrupted_study_keeps_finished_runs(tutorial, tmp_path):
    def interrupt(finished: int, total: int, record: dict | None) -> None:
        if finished == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        shapley_study(tutorial, 2, tmp_path / "i", SerialExecutor(), progress=interrupt,
                      fn=known_game)  # fmt: skip
    assert pq.read_table(tmp_path / "i" / "coalitions.parquet").num_rows == 5
    assert (tmp_path / "i" / "INCOMPLETE").exists()
    # the configuration (for --resume) but no values yet
    stored = json.loads((tmp_path / "i" / "shapley.json").read_text())
    assert stored["status"] == "interrupted" and "values" not in stored


def test_other_payoffs(tutorial, tmp_path):
    hits = shapley_study(tutorial, 2, tmp_path / "h", SerialExecutor(), payoff="hits",
                         fn=known_game)  # fmt: skip
    assert hits.summary["values"] == pytest.approx({"ISR": 30, "USA": 105, "GBR": 45}, abs=1e-9)
    leak = shapley_study(tutorial, 2, tmp_path / "l", SerialExecutor(), payoff="leakers",
                         fn=known_game)  # fmt: skip
    assert leak.summary["values"] == pytest.approx({"ISR": 2, "USA": 4, "GBR": 0}, abs=1e-9)
    assert leak.summary["payoff"] == "leakers" and leak.summary["empty"] == -12
    with pytest.raises(ValueError, match="--payoff: 'x' is unknown"):
        shapley_study(tutorial, 2, tmp_path / "x", SerialExecutor(), payoff="x", fn=known_game)
    assert not (tmp_path / "x").exists()
