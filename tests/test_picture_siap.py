"""Each nation's picture SIAP in ``shieldwall run``: recomputable from the run folder, and
consistent with what each nation can see."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

import shieldwall as sw
from shieldwall.scenario import load_scenario
from shieldwall.sim.pictures import SAMPLE_PERIOD_S, picture_siap

KEYS = {"completeness", "ambiguity", "spuriousness", "position_accuracy_m",
        "velocity_accuracy_m_s", "track_number_change_rate_per_s", "longest_track_segment",
        "track_number_changes", "track_breaks"}  # fmt: skip
XYZ = ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")


def _recompute(folder, nations: list[str]) -> dict:
    """SIAP from pictures.parquet and truth.parquet alone, with the library's siap()."""
    pic = pq.read_table(folder / "pictures.parquet").to_pydict()
    tru = pq.read_table(folder / "truth.parquet").to_pydict()
    t = np.unique(np.concatenate([pic["t_s"], tru["t_s"]]))
    ids = sorted(set(tru["threat_id"]) | (set(pic["threat_id"]) - {None}))
    code = {k: i for i, k in enumerate(ids)} | {None: -1}  # null: a track on clutter
    nat = {n: i for i, n in enumerate(nations)}
    cols = {
        "scan_t_s": t,
        "truth_scan": np.searchsorted(t, tru["t_s"]),
        "truth_threat": np.array([code[i] for i in tru["threat_id"]], dtype=np.int64),
        "truth_x": np.column_stack([tru[k] for k in XYZ]).reshape(-1, 6),
        "scan": np.searchsorted(t, pic["t_s"]),
        "nation": np.array([nat[n] for n in pic["nation"]], dtype=np.int64),
        "number": np.array(pic["track_number"], dtype=np.int64),
        "threat": np.array([code[i] for i in pic["threat_id"]], dtype=np.int64),
        "source": np.array([nat[n] for n in pic["source_nation"]], dtype=np.int64),
        "x": np.column_stack([pic[k] for k in XYZ]).reshape(-1, 6),
        "pos_sigma_m": np.array(pic["pos_sigma_m"]),
    }
    return dict(zip(nations, picture_siap(cols, len(nations)), strict=True))


@pytest.fixture(scope="module")
def tutorial_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("siap") / "run"
    return sw.run("tutorial", seed=3, out=folder), folder


def test_summary_siap_is_recomputed_from_the_run_folder(tutorial_run):
    result, folder = tutorial_run
    siap = result.summary["siap"]
    nations = [n.id for n in result.sim.scenario.nations] + ["coalition"]
    assert list(siap) == nations and all(set(v) == KEYS for v in siap.values())
    again = _recompute(folder, nations)
    for n in nations:
        for k in KEYS:
            assert getattr(again[n], k) == pytest.approx(siap[n][k], rel=1e-12, abs=1e-12)
    truth = pq.read_table(folder / "truth.parquet").to_pydict()
    gaps = np.diff(np.unique(truth["t_s"]))
    assert gaps.min() >= SAMPLE_PERIOD_S - 1e-9  # sampled every 30 s of simulated time


def test_siap_follows_what_each_nation_can_see(tmp_path):
    """A nation without sensors sees only what partners release to it: with the tutorial's
    coalition-wide releases it holds part of the raid, without agreements nothing (completeness
    0, ambiguity 1 and spuriousness 0, as empty SIAP sums give), and every picture entry is
    then the nation's own. (Completeness is not monotone in sharing across runs: sharing
    changes which threats are shot down, and so which are in the air to be held.)"""
    base = load_scenario("tutorial").model_dump(by_alias=True, exclude_none=True)
    base["nations"].append({"id": "NOR", "name": "Observer"})
    a = sw.run(base, seed=3, out=tmp_path / "a").summary
    b = sw.run(dict(base, agreements=[]), seed=3, out=tmp_path / "b").summary
    with_share, no_share = a["siap"], b["siap"]
    assert with_share["NOR"]["completeness"] > 0.0
    assert no_share["NOR"]["completeness"] == 0.0
    assert no_share["NOR"]["ambiguity"] == 1.0 and no_share["NOR"]["spuriousness"] == 0.0
    shared = pq.read_table(tmp_path / "a" / "pictures.parquet").to_pydict()
    own = pq.read_table(tmp_path / "b" / "pictures.parquet").to_pydict()
    nations = [(n, s) for n, s in zip(own["nation"], own["source_nation"], strict=True)
               if n != "coalition"]  # fmt: skip
    assert all(n == s for n, s in nations) and "NOR" not in own["nation"]
    assert any(n != s for n, s in zip(shared["nation"], shared["source_nation"], strict=True))
    # coalition track numbers: shared pictures hold objects under the originating node's
    # numbers; pictures built from own tracks only never share a number
    assert a["commonality"]["ISR|NOR"] > 0.0 and a["commonality"]["ISR|USA"] > 0.0
    assert set(b["commonality"].values()) == {0.0}
