"""An agreement's terms, one at a time, through the crossing function: degradation statistics
against their closed forms, pseudonyms, region, the threatens-receiver condition worked by hand,
launch warnings crossing once, and the validation errors of bad agreements."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from shieldwall.geo import enu_delta_to_ecef, geodetic_to_ecef
from shieldwall.scenario import ScenarioError, load_scenario
from shieldwall.sharing import AuditLog, Pseudonyms, ReleaseTerms, Warnings, cross
from shieldwall.sharing.crossing import track_ground_points
from shieldwall.tracking.node import LocalTracks

ALL = np.ones(3, dtype=bool)


def _terms(**kw) -> ReleaseTerms:
    base = dict(agreement_id="a", source=0, receivers=(1,), class_mask=ALL, latency_s=0.0,
                anonymous=False, from_s=-np.inf, until_s=np.inf)  # fmt: skip
    return ReleaseTerms(**(base | kw))


def _tracks(lat, lon, alt, v_enu, cls, ids=None) -> LocalTracks:
    lat, lon, alt = (np.atleast_1d(np.asarray(v, float)) for v in (lat, lon, alt))
    k = lat.size
    v = np.broadcast_to(np.asarray(v_enu, float), (k, 3))
    x = np.concatenate([geodetic_to_ecef(lat, lon, alt), enu_delta_to_ecef(v, lat, lon)], 1)
    P = np.tile(np.diag([100.0**2] * 3 + [10.0**2] * 3), (k, 1, 1))
    ids = np.arange(1, k + 1) if ids is None else np.asarray(ids)
    cls = np.broadcast_to(np.asarray(cls), (k,)).astype(np.int64)
    return LocalTracks(ids, x, P, np.zeros(k), np.ones(k, bool), np.arange(k), cls,
                       np.ones(k), cls == 0)  # fmt: skip


def _cross(term, tracks, warnings=None, seed=0, territory=None, audit=None):
    audit = AuditLog() if audit is None else audit
    out = cross(
        10.0, 0, term, 10.0 - term.latency_s, tracks, warnings or Warnings.empty(),
        pseudonyms=Pseudonyms(np.random.default_rng(seed)), rng=np.random.default_rng(seed + 1),
        territory=territory or (lambda n, la, lo: np.zeros(la.shape, bool)), audit=audit,
    )  # fmt: skip
    return out, audit


def _many(n=20000):
    rng = np.random.default_rng(3)
    return _tracks(rng.uniform(29, 33, n), rng.uniform(34, 40, n), rng.uniform(0, 5e3, n),
                   [30.0, 0.0, 0.0], 2)  # fmt: skip


def test_grid_rounding_error_is_uniform_with_variance_g2_over_12():
    tracks, g = _many(), 1000.0
    [(_, sent, _)], _ = _cross(_terms(grid_m=g), tracks)
    err = sent.x[:, :3] - tracks.x[:, :3]
    assert np.abs(err).max() <= g / 2 + 1e-6
    # variance g^2/12 per axis: the sample variance of 20,000 uniform errors is within 3 %
    assert err.var(axis=0) == pytest.approx(np.full(3, g**2 / 12), rel=0.03)
    assert np.allclose(sent.P[:, :3, :3] - tracks.P[:, :3, :3], g**2 / 12 * np.eye(3))
    assert np.array_equal(sent.x[:, 3:], tracks.x[:, 3:])  # velocity untouched


def test_added_noise_is_gaussian_and_the_covariance_matches():
    tracks, s = _many(), 500.0
    [(_, sent, _)], _ = _cross(_terms(noise_m=s), tracks)
    err = (sent.x[:, :3] - tracks.x[:, :3]).ravel()
    assert err.std() == pytest.approx(s, rel=0.02)
    assert stats.kstest(err / s, "norm").pvalue > 1e-3
    # NEES of the added error under the inflated minus the original covariance: chi2(3) mean 3
    d = sent.x[:, :3] - tracks.x[:, :3]
    nees = np.einsum("ki,kij,kj->k", d, np.linalg.inv(sent.P[:, :3, :3] - tracks.P[:, :3, :3]), d)
    assert nees.mean() == pytest.approx(3.0, abs=0.1)


def test_degradation_is_one_broadcast_for_every_receiver():
    tracks = _many(50)
    out, audit = _cross(_terms(receivers=(1, 2, 3), noise_m=300.0), tracks)
    assert all(np.array_equal(out[0][1].x, o[1].x) for o in out)
    assert len(audit) == 3 * 50


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), source=st.integers(0, 127))
def test_pseudonyms_are_a_bijection_that_hides_order(seed, source):
    p = Pseudonyms(np.random.default_rng(seed))
    ids = np.arange(1, 5001)
    out = p(source, ids)
    assert np.unique(out).size == ids.size and out.min() >= 0 and out.max() < 2**31
    assert np.array_equal(p(source, ids), out)  # stable
    assert not np.array_equal(np.argsort(out), np.arange(ids.size))  # order scrambled
    other = p((source + 1) % 128, ids)
    assert np.intersect1d(out, other).size < 5  # other source: unrelated numbers


def test_anonymous_release_delivers_pseudonyms_in_their_own_order():
    tracks = _many(40)
    [(_, sent, _)], audit = _cross(_terms(anonymous=True), tracks)
    c = audit.columns()
    assert np.all(np.diff(sent.track_id) > 0)  # sorted by pseudonym, not by the source's ids
    assert not np.array_equal(np.sort(c["item_id"]), c["item_id"])  # so the source order is lost
    assert np.array_equal(np.sort(c["delivered_id"]), sent.track_id)
    assert not np.intersect1d(sent.track_id, tracks.track_id).size


@pytest.mark.parametrize("latency_s", [0.0, 25.0])
def test_a_release_delay_does_not_age_the_delivered_tracks(latency_s):
    """Tracks last seen 3 s and 12 s before their snapshot, released ``latency_s`` later,
    arrive with detection times moved by the delay: the receiver reckons them 3 s and 12 s
    old (the source's unseen time), so a 25 s latency does not make them stale
    (``sim.engage_max_age_s`` 20 s); positions and the source's own times are untouched."""
    from dataclasses import replace

    tracks = _tracks([31.0, 31.5], [35.0, 35.0], 1000.0, [0, 40, 0], 2)
    snapshot_t = 10.0 - latency_s
    tracks = replace(tracks, t_s=np.full(2, snapshot_t), seen_s=snapshot_t - np.array([3.0, 12.0]))
    [(_, sent, _)], audit = _cross(_terms(latency_s=latency_s), tracks)
    np.testing.assert_allclose(10.0 - sent.seen_s, [3.0, 12.0], atol=1e-12)
    np.testing.assert_array_equal(sent.t_s, tracks.t_s)
    np.testing.assert_array_equal(sent.x, tracks.x)
    np.testing.assert_array_equal(tracks.seen_s, snapshot_t - np.array([3.0, 12.0]))
    assert np.all(audit.columns()["item_t_s"] == snapshot_t)


def test_region_and_classes_select_what_crosses():
    tracks = _tracks([30.0, 32.0, 34.0], [35.0, 35.0, 35.0], 1000.0, [0, 40, 0], [2, 2, 1])
    term = _terms(region=(31.0, 35.0, 34.0, 36.0), class_mask=np.array([False, False, True]))
    [(_, sent, _)], audit = _cross(term, tracks)
    assert sent.track_id.tolist() == [2]  # 30N is outside, the cruise missile is not released
    assert audit.columns()["item_id"].tolist() == [2]


def test_threatens_receiver_by_predicted_impact_and_path():
    """Hand-worked at 30.5N, where the Israel-Jordan border runs near 35.15E and a degree of
    longitude is 95.9 km. Ballistic tracks at 50 km altitude falling at 1 km/s and moving west
    at 1 km/s land after t = (-1000 + sqrt(1000^2 + 2 g 50e3)) / g = 41.5 s, 41.5 km (0.43 deg)
    west: from 36.0E in Jordan (35.57E), from 35.4E in Israel (34.97E). Drones flying west at
    50 m/s cover 30 km (0.31 deg) in 10 min: from 35.4E they cross into Israel (35.09E) and
    start in Jordan; from 36.1E they stay in Jordan (35.79E)."""
    from shieldwall.geo import country_at

    west_bm, west_drone = [-1000.0, 0.0, -1000.0], [-50.0, 0.0, 0.0]
    tr = _tracks([30.5] * 4, [36.0, 35.4, 35.4, 36.1], [50e3, 50e3, 500.0, 500.0],
                 [west_bm, west_bm, west_drone, west_drone], [0, 0, 2, 2])  # fmt: skip
    pts = track_ground_points(tr.x, tr.cls)
    t_fall = (-1000.0 + np.sqrt(1000.0**2 + 2 * 9.80665 * 50e3)) / 9.80665
    assert t_fall == pytest.approx(41.54, abs=0.01)
    m_per_deg = 111.32e3 * np.cos(np.radians(30.5))
    assert pts[0, 0, 1] == pytest.approx(36.0 - 1000.0 * t_fall / m_per_deg, abs=0.01)
    assert pts[3, -1, 1] == pytest.approx(36.1 - 30e3 / m_per_deg, abs=0.01)

    def territory(n, la, lo):
        return country_at(la, lo) == ["ISR", "JOR"][n]

    term = _terms(receivers=(0, 1), condition="threatens_receiver")
    out, audit = _cross(term, tr, territory=territory)
    got = {r: sent.track_id.tolist() for r, sent, _ in out}
    assert got == {0: [2, 3], 1: [1, 3, 4]}
    assert len(audit) == 5


def test_launch_warnings_cross_once_each_with_the_latency():
    sc = load_scenario({
        "name": "warn", "region": {"lat_min": 28, "lat_max": 37, "lon_min": 32, "lon_max": 49},
        "nations": [{"id": "USA", "name": "US"}, {"id": "ISR", "name": "Israel"}],
        "assets": [{"id": "a", "owner": "ISR", "lat_deg": 31.2, "lon_deg": 35.0}],
        "agreements": [{"id": "w", "from": "USA", "to": ["ISR"], "latency_s": 7,
                        "items": ["launch_warnings"]}],
        "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                             "launch": {"lat_deg": 33.0, "lon_deg": 40.0}, "window_s": [0, 0],
                             "aim": ["a"]}]},
    })  # fmt: skip
    from shieldwall.sharing import SharingStage

    w = Warnings(np.arange(3), np.array([1.0, 4.0, 12.0]), np.full(3, 33.0), np.full(3, 45.0),
                 np.full(3, 270.0), np.arange(3))  # fmt: skip
    stage = SharingStage(sc, 1, [False, False], w, np.zeros(3, dtype=np.int64))
    for t in np.arange(0.0, 40.0, 5.0):
        stage.step(float(t), (LocalTracks.empty(), LocalTracks.empty()))
    c = stage.audit.columns()
    assert c["item_id"].tolist() == [0, 1, 2]  # once each
    # issued at 1, 4 and 12 s, released 7 s later at the next decision (5 s cycle): 10, 15, 20
    assert c["t_s"].tolist() == [10.0, 15.0, 20.0]
    assert c["item_t_s"].tolist() == [1.0, 4.0, 12.0]  # stamped with their issue times
    # with a latency longer than the first cycles (no node snapshot that old yet), none is lost
    late = sc.model_copy(update={"agreements": [sc.agreements[0].model_copy(
        update={"latency_s": 30.0})]})  # fmt: skip
    stage = SharingStage(late, 1, [False, False], w, np.zeros(3, dtype=np.int64))
    for t in np.arange(0.0, 60.0, 5.0):
        stage.step(float(t), (LocalTracks.empty(), LocalTracks.empty()))
    assert stage.audit.columns()["t_s"].tolist() == [35.0, 35.0, 45.0]


# --------------------------------------------------------------------------------------------
# Bad agreements: one line naming the field and the fix
# --------------------------------------------------------------------------------------------


def _doc(agreements, anonymous_sau=False):
    return {
        "name": "bad", "region": {"lat_min": 28, "lat_max": 37, "lon_min": 32, "lon_max": 49},
        "nations": [{"id": "ISR", "name": "Israel"}, {"id": "USA", "name": "US"},
                    {"id": "SAU", "name": "Gulf", "anonymous": anonymous_sau},
                    {"id": "GBR", "name": "UK", "territory": []}],
        "assets": [{"id": "a", "owner": "ISR", "lat_deg": 31.2, "lon_deg": 35.0}],
        "agreements": agreements,
        "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                             "launch": {"lat_deg": 33.0, "lon_deg": 40.0}, "window_s": [0, 0],
                             "aim": ["a"]}]},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("agreements", "anon", "field", "fix"),
    [
        ([{"id": "a", "from": "XXX", "to": ["ISR"]}], False, "agreements.0.from", "unknown"),
        ([{"id": "a", "from": "USA", "to": ["ISR"], "latency_s": -1}], False,
         "agreements.0.latency_s", "must be >= 0"),
        ([{"id": "a", "from": "USA", "to": ["ISR"], "from_s": 50, "until_s": 10}], False,
         "agreements.0", "swap them"),
        ([{"id": "a", "from": "USA", "to": ["ISR"], "degrade": {}}], False,
         "agreements.0.degrade", "grid_m and/or noise_m"),
        ([{"id": "a", "from": "SAU", "to": ["ISR"], "anonymous": False}], True,
         "agreements.0.anonymous", "remove 'anonymous: false'"),
        ([{"id": "a", "from": "USA", "to": ["ISR"], "latency_s": 2},
          {"id": "b", "from": "USA", "to": ["coalition"], "latency_s": 9}], False,
         "agreements.1", "make the terms equal"),
        ([{"id": "a", "from": "USA", "to": ["ISR"], "anonymous": True},
          {"id": "b", "from": "USA", "to": ["ISR", "SAU"], "classes": ["drone"]}], False,
         "agreements.1.anonymous", "would reveal the anonymous partner"),
        ([{"id": "a", "from": "USA", "to": ["GBR"], "condition": "threatens_receiver"}], False,
         "agreements.0.condition", "have no territory"),
    ],
)  # fmt: skip
def test_bad_agreement_is_a_one_line_error(agreements, anon, field, fix):
    with pytest.raises(ScenarioError) as err:
        load_scenario(_doc(agreements, anon))
    msg = str(err.value)
    assert "\n" not in msg.strip() and field in msg and fix in msg, msg


def test_agreements_that_do_not_overlap_may_differ():
    sc = load_scenario(_doc([
        {"id": "a", "from": "USA", "to": ["ISR"], "latency_s": 2, "classes": ["ballistic"]},
        {"id": "b", "from": "USA", "to": ["ISR"], "latency_s": 9, "classes": ["drone"]},
        {"id": "c", "from": "USA", "to": ["ISR"], "latency_s": 30, "from_s": 0, "until_s": 10,
         "classes": ["cruise"]},
        {"id": "d", "from": "USA", "to": ["ISR"], "latency_s": 1, "from_s": 11,
         "classes": ["cruise"]},
    ]))  # fmt: skip
    assert [a.latency_s for a in sc.agreements] == [2, 9, 30, 1]
