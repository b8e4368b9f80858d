"""No releasability violation and no anonymity leak, over random coalitions, agreements and track
histories (issue 6): the sharing stage runs on made-up node snapshots, writes ``audit.parquet``
and ``pictures/`` as a run does, and the independent checker in ``tests/leakcheck.py`` (which
reads only those files and the scenario) must find nothing. The checker itself is shown to
catch planted leaks."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakcheck import check_folder
from shieldwall.geo import enu_delta_to_ecef, geodetic_to_ecef
from shieldwall.io.sharingfiles import write_sharing_files
from shieldwall.scenario import ScenarioError, load_scenario
from shieldwall.sharing import SharingStage, Warnings
from shieldwall.tracking.frame import Q_BY_CLASS
from shieldwall.tracking.node import LocalTracks

IDS = ["ISR", "JOR", "SAU", "IRQ", "SYR", "EGY", "NA1", "NA2"]  # codes have territory
CLASSES = ["ballistic", "cruise", "drone"]
REGION = {"lat_min": 27.0, "lat_max": 38.0, "lon_min": 31.0, "lon_max": 50.0}
N_CYCLES, DT_S, N_THREATS = 10, 5.0, 12


@st.composite
def coalitions(draw):
    """A scenario dict: 2-6 nations (some anonymous), groups, and random agreements."""
    n = draw(st.integers(2, 6))
    ids = draw(st.permutations(IDS))[:n]
    nations = [{"id": i, "name": f"Nation {i.lower()}", "anonymous": draw(st.booleans())}
               for i in ids]  # fmt: skip
    groups = {f"g{k}": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=n, unique=True))
              for k in range(draw(st.integers(0, 2)))}  # fmt: skip
    audiences = ids + list(groups) + ["coalition"]
    agreements = []
    for k in range(draw(st.integers(1, 8))):
        ag = {
            "id": f"a{k}",
            "from": draw(st.sampled_from(ids)),
            "to": draw(st.lists(st.sampled_from(audiences), min_size=1, max_size=3, unique=True)),
            "items": draw(st.lists(st.sampled_from(["tracks", "launch_warnings"]), min_size=1,
                                   max_size=2, unique=True)),
            "classes": draw(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=3,
                                     unique=True)),
            "latency_s": draw(st.sampled_from([0.0, 2.0, 5.0, 12.5, 30.0])),
        }  # fmt: skip
        if draw(st.booleans()):
            ag["anonymous"] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            la, lo = draw(st.floats(27, 35)), draw(st.floats(31, 45))
            ag["region"] = {"lat_min": la, "lat_max": la + draw(st.floats(0.5, 6)),
                            "lon_min": lo, "lon_max": lo + draw(st.floats(0.5, 8))}  # fmt: skip
        deg = draw(st.sampled_from([None, {"grid_m": 1000.0}, {"noise_m": 500.0},
                                    {"grid_m": 200.0, "noise_m": 50.0}]))  # fmt: skip
        if deg:
            ag["degrade"] = deg
        if draw(st.integers(0, 4)) == 0:
            ag["condition"] = "threatens_receiver"
        if draw(st.integers(0, 3)) == 0:
            ag["from_s"] = draw(st.sampled_from([0.0, 10.0, 20.0]))
            ag["until_s"] = ag["from_s"] + draw(st.sampled_from([0.0, 15.0, 100.0]))
        agreements.append(ag)
    return {
        "name": "leak-test",
        "region": REGION,
        "nations": nations,
        "groups": groups,
        "assets": [{"id": "a", "owner": ids[0], "lat_deg": 31.2, "lon_deg": 35.0}],
        "agreements": agreements,
        "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                             "launch": {"lat_deg": 33.0, "lon_deg": 40.0}, "window_s": [0, 0],
                             "aim": ["a"]}]},
    }  # fmt: skip


def valid_scenario(doc: dict):
    """Load ``doc``, dropping each agreement a validation error names (contradictory terms,
    anonymity mixed, conditions for receivers without territory) until it loads."""
    doc = {**doc, "agreements": list(doc["agreements"])}
    while True:
        try:
            return load_scenario(doc)
        except ScenarioError as exc:
            hit = sorted({int(j) for j in re.findall(r"agreements\.(\d+)", str(exc))})
            if not hit:
                raise
            doc["agreements"] = [a for j, a in enumerate(doc["agreements"]) if j not in hit]


def _tracks(rng, t_s: float, ids: np.ndarray) -> LocalTracks:
    k = ids.size
    lat, lon = rng.uniform(27.5, 37.5, k), rng.uniform(31.5, 49.5, k)
    cls = rng.integers(0, 3, k)
    alt = np.where(cls == 0, rng.uniform(20e3, 150e3, k), rng.uniform(50.0, 3000.0, k))
    speed = np.where(cls == 0, 2000.0, np.where(cls == 1, 250.0, 50.0))
    az, up = rng.uniform(0, 2 * np.pi, k), np.where(cls == 0, -0.5, 0.0)
    enu = np.stack([np.sin(az), np.cos(az), up], axis=1) * speed[:, None]
    x = np.concatenate([geodetic_to_ecef(lat, lon, alt), enu_delta_to_ecef(enu, lat, lon)], 1)
    P = np.tile(np.diag([300.0**2] * 3 + [40.0**2] * 3), (k, 1, 1))
    q = np.array([Q_BY_CLASS[c] for c in cls], dtype=float)
    return LocalTracks(ids, x, P, np.full(k, t_s), rng.random(k) < 0.85,
                       rng.integers(-1, N_THREATS, k), cls, q, cls == 0)  # fmt: skip


def histories(rng, n: int) -> list[tuple[LocalTracks, ...]]:
    """Per cycle, each nation's node tracks: ids persist a while, then new ones start
    (per-node counters, as a tracker's), some nations hold none."""
    radar = rng.random(n) < 0.8
    next_id = np.ones(n, dtype=np.int64)
    alive = [np.zeros(0, dtype=np.int64) for _ in range(n)]
    out = []
    for c in range(N_CYCLES):
        snap = []
        for a in range(n):
            if not radar[a]:
                snap.append(LocalTracks.empty())
                continue
            keep = alive[a][rng.random(alive[a].size) < 0.8]
            new = next_id[a] + np.arange(rng.integers(0, 4))
            next_id[a] += new.size
            alive[a] = np.concatenate([keep, new])
            snap.append(_tracks(rng, c * DT_S, alive[a]))
        out.append(tuple(snap))
    return out


def run_sharing(sc, seed: int, folder: Path) -> SharingStage:
    """The sharing stage over random histories, files written as a run writes them."""
    rng = np.random.default_rng(seed)
    n = len(sc.nations)
    k = int(rng.integers(0, 6))
    warnings = Warnings(np.arange(k), np.sort(rng.uniform(0, 45, k)), rng.uniform(28, 37, k),
                        rng.uniform(32, 48, k), rng.uniform(0, 360, k),
                        rng.integers(0, N_THREATS, k))  # fmt: skip
    snaps = histories(rng, n)
    radar = [any(s[a].track_id.size for s in snaps) for a in range(n)]
    stage = SharingStage(sc, seed, radar, warnings, rng.integers(0, n, k), sample_period_s=DT_S)
    for c, snap in enumerate(snaps):
        stage.step(c * DT_S, snap)
    threat_ids = [f"t{j}" for j in range(N_THREATS)]
    write_sharing_files(folder, sc, stage.audit, stage.views, threat_ids)
    return stage


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=coalitions(), seed=st.integers(0, 2**31 - 1))
def test_no_releasability_violation_or_anonymity_leak(doc, seed):
    sc = valid_scenario(doc)
    with tempfile.TemporaryDirectory() as tmp:
        run_sharing(sc, seed, Path(tmp))
        assert check_folder(sc, Path(tmp)) == []


# --------------------------------------------------------------------------------------------
# The checker catches planted leaks (so the property above can fail)
# --------------------------------------------------------------------------------------------

PLANTED = {
    "name": "planted",
    "region": REGION,
    "nations": [{"id": "ISR", "name": "Israel"}, {"id": "SAU", "name": "Gulf", "anonymous": True},
                {"id": "JOR", "name": "Jordan"}],
    "assets": [{"id": "a", "owner": "ISR", "lat_deg": 31.2, "lon_deg": 35.0}],
    "agreements": [{"id": "gulf", "from": "SAU", "to": ["ISR"], "latency_s": 5.0},
                   {"id": "jor", "from": "JOR", "to": ["ISR"], "latency_s": 2.0,
                    "classes": ["drone"]}],
    "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                         "launch": {"lat_deg": 33.0, "lon_deg": 40.0}, "window_s": [0, 0],
                         "aim": ["a"]}]},
}  # fmt: skip


def _planted(tmp_path: Path):
    sc = load_scenario(PLANTED)
    for seed in range(50):  # a seed whose history has anonymous and named crossings to ISR
        run_sharing(sc, seed, tmp_path)
        rows = pq.read_table(tmp_path / "audit.parquet").to_pylist()
        kinds = {(r["from_nation"], r["item_kind"]) for r in rows}
        if {("SAU", "track"), ("JOR", "track")} <= kinds:
            return sc, rows
    raise AssertionError("no seed gave both crossings")


def test_checker_passes_the_clean_case_and_sees_partner(tmp_path):
    sc, rows = _planted(tmp_path)
    assert check_folder(sc, tmp_path) == []
    view = pq.read_table(tmp_path / "pictures" / "ISR.parquet").to_pylist()
    prov = {p for r in view for p in r["provenance"]}
    assert "partner" in prov and "SAU" not in prov and "JOR" in prov
    terms = {t for r in view for t in r["release_terms"]}
    assert "partner: latency 5 s; classes ballistic+cruise+drone; anonymous" in terms
    assert "JOR: latency 2 s; classes drone" in terms
    anon = [r for r in rows if r["from_nation"] == "SAU"]
    assert all(r["anonymous"] and r["delivered_id"] != r["item_id"] for r in anon)


def _rewrite(path: Path, change) -> None:
    rows = pq.read_table(path).to_pylist()
    schema = pq.read_schema(path)
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def test_checker_catches_a_named_anonymous_partner(tmp_path):
    sc, _ = _planted(tmp_path)
    path = tmp_path / "pictures" / "ISR.parquet"

    def name_it(rows):
        row = next(r for r in rows if "partner" in r["provenance"])
        row["provenance"] = [p if p != "partner" else "SAU" for p in row["provenance"]]

    _rewrite(path, name_it)
    found = check_folder(sc, tmp_path)
    assert any("names anonymous partner SAU" in f for f in found), found


def test_checker_catches_a_named_source_in_the_terms(tmp_path):
    sc, _ = _planted(tmp_path)
    path = tmp_path / "pictures" / "ISR.parquet"

    def name_it(rows):
        row = next(r for r in rows if any(t.startswith("partner:") for t in r["release_terms"]))
        row["release_terms"] = [t.replace("partner:", "SAU:") for t in row["release_terms"]]

    _rewrite(path, name_it)
    assert any("names anonymous partner SAU" in f for f in check_folder(sc, tmp_path))


def test_checker_catches_a_source_block_track_number(tmp_path):
    sc, _ = _planted(tmp_path)
    path = tmp_path / "pictures" / "ISR.parquet"

    def number_it(rows):
        row = next(r for r in rows if "partner" in r["provenance"])
        row["track_number"] = (2 << 32) | 7  # SAU's block: its per-node counter, shown

    _rewrite(path, number_it)
    assert any("never released to ISR" in f for f in check_folder(sc, tmp_path))


def test_checker_catches_early_release_and_wrong_class(tmp_path):
    sc, _ = _planted(tmp_path)
    path = tmp_path / "audit.parquet"

    def early(rows):
        r = next(r for r in rows if r["from_nation"] == "JOR")
        r["item_t_s"] = r["t_s"] - 1.0  # latency is 2 s
        r["item_class"] = "ballistic"  # only drones are released

    _rewrite(path, early)
    found = check_folder(sc, tmp_path)
    assert any("earlier than the latency" in f for f in found)
    assert any("class not released" in f for f in found)
