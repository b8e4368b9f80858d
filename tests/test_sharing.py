"""Sharing: agreements resolved to nation indices, the delay line of snapshots, released tracks
and each nation's fused picture. Expected values are worked by hand from small hand-built inputs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.geo import enu_to_ecef
from shieldwall.scenario import load_scenario
from shieldwall.sharing import (
    DelayLine,
    PictureBuilder,
    ReleaseTerms,
    released_tracks,
    resolve_agreements,
)
from shieldwall.tracking.frame import Q_BY_CLASS
from shieldwall.tracking.kalman import predict
from shieldwall.tracking.node import LocalTracks


def _scenario(agreements, groups=None):
    nations = ["ISR", "USA", "JOR", "SAU", "GBR"]
    return load_scenario(
        {
            "name": "sharing-test",
            "region": {"lat_min": 28.0, "lat_max": 37.0, "lon_min": 32.0, "lon_max": 49.0},
            "nations": [{"id": n, "name": n} for n in nations],
            "groups": groups or {},
            "assets": [{"id": "a", "owner": "ISR", "lat_deg": 31.2, "lon_deg": 35.0}],
            "agreements": agreements,
            "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                                 "launch": {"lat_deg": 33.0, "lon_deg": 40.0},
                                 "window_s": [0, 0], "aim": ["a"]}]},
        }
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Agreements
# --------------------------------------------------------------------------------------------


def test_resolve_agreements_expands_groups_and_coalition():
    sc = _scenario(
        agreements=[
            {"id": "us-all", "from": "USA", "to": ["coalition"], "latency_s": 5},
            {"id": "gulf", "from": "SAU", "to": ["gulf", "ISR"], "classes": ["drone"],
             "latency_s": 30, "anonymous": True, "from_s": 100, "until_s": 900},
            {"id": "jor", "from": "JOR", "to": ["arab", "gulf"], "classes": ["cruise", "drone"]},
        ],
        groups={"gulf": ["SAU", "JOR", "USA"], "arab": ["JOR", "SAU"]},
    )  # fmt: skip
    terms = resolve_agreements(sc)
    assert [t.agreement_id for t in terms] == ["us-all", "gulf", "jor"]
    us, gulf, jor = terms
    # indices: ISR 0, USA 1, JOR 2, SAU 3, GBR 4
    assert us.source == 1 and us.receivers == (0, 2, 3, 4)
    assert gulf.source == 3 and gulf.receivers == (0, 1, 2)  # SAU itself removed
    assert jor.source == 2 and jor.receivers == (1, 3)  # overlaps counted once, no JOR
    np.testing.assert_array_equal(us.class_mask, [True, True, True])
    np.testing.assert_array_equal(gulf.class_mask, [False, False, True])
    np.testing.assert_array_equal(jor.class_mask, [False, True, True])
    assert gulf.latency_s == 30 and gulf.anonymous and not us.anonymous
    assert us.from_s == -np.inf and us.until_s == np.inf
    assert not gulf.active(99.9) and gulf.active(100.0) and gulf.active(900.0)
    assert not gulf.active(900.1) and us.active(-1e9)


def test_agreement_to_self_only_has_no_receivers():
    sc = _scenario(agreements=[{"id": "self", "from": "ISR", "to": ["ISR"]}])
    assert resolve_agreements(sc)[0].receivers == ()


# --------------------------------------------------------------------------------------------
# Delay line
# --------------------------------------------------------------------------------------------


def _snap(tag):
    return {"tag": np.array([tag])}


def test_delay_line_newest_at_or_before():
    dl = DelayLine(horizon_s=100.0)
    for t in (0.0, 5.0, 10.0):
        dl.push(t, _snap(t))
    assert dl.at(-0.1) is None
    assert dl.at(0.0)["tag"][0] == 0.0
    assert dl.at(4.999)["tag"][0] == 0.0
    assert dl.at(5.0)["tag"][0] == 5.0
    assert dl.at(7.0)["tag"][0] == 5.0
    assert dl.at(10.0)["tag"][0] == 10.0
    assert dl.at(1e6)["tag"][0] == 10.0


@settings(max_examples=50, deadline=None)
@given(
    period=st.sampled_from([1.0, 2.5, 5.0]),
    horizon=st.floats(1.0, 60.0),
    n=st.integers(1, 80),
    back=st.floats(0.0, 1.0),
)
def test_delay_line_keeps_what_the_horizon_needs(period, horizon, n, back):
    """After pushes every ``period`` s, any time within ``horizon`` of the newest push still
    gets the newest snapshot at or before it (as if nothing had been pruned)."""
    dl = DelayLine(horizon_s=horizon)
    times = np.arange(n) * period
    for t in times:
        dl.push(float(t), _snap(float(t)))
    t_now = times[-1]
    query = t_now - back * horizon
    got = dl.at(query)
    older = times[times <= query + 1e-9]
    if older.size == 0:
        assert got is None
    else:
        assert got["tag"][0] == older.max()


# --------------------------------------------------------------------------------------------
# Released view
# --------------------------------------------------------------------------------------------


def _terms(source, classes, receivers=(0,)):
    return ReleaseTerms(
        agreement_id="x", source=source, receivers=receivers,
        class_mask=np.array(classes, dtype=bool), latency_s=5.0, anonymous=False,
        from_s=-np.inf, until_s=np.inf,
    )  # fmt: skip


def _tracks(x, cls, confirmed=None, label=None, ids=None, t_s=0.0, pos_var=100.0):
    """LocalTracks from states ``x`` ``(n, 6)`` with the given classes."""
    n = x.shape[0]
    cls = np.asarray(cls)
    P = np.broadcast_to(np.diag([pos_var] * 3 + [25.0] * 3), (n, 6, 6)).copy()
    return LocalTracks(
        np.arange(1, n + 1) if ids is None else np.asarray(ids),
        x.astype(float), P, np.full(n, t_s),
        np.ones(n, bool) if confirmed is None else np.asarray(confirmed),
        np.arange(n) if label is None else np.asarray(label),
        cls, Q_BY_CLASS[cls], cls == 0,
    )  # fmt: skip


def _x(east_km):
    """States of drones ``east_km`` km east of a point in Israel, flying north at 50 m/s."""
    out = []
    for e in east_km:
        p = enu_to_ecef(np.array([e * 1e3, 0.0, 500.0]), 31.5, 35.0, 0.0)
        v = enu_to_ecef(np.array([e * 1e3, 50.0, 500.0]), 31.5, 35.0, 0.0) - p
        out.append(np.concatenate([p, v]))
    return np.array(out)


def test_released_tracks_only_confirmed_allowed_classes():
    tr = _tracks(_x([0, 10, 20, 30]), cls=[2, 1, 2, 0], confirmed=[True, True, False, True])
    out = released_tracks(tr, _terms(1, [False, True, True]))
    # confirmed drone and cruise go; the tentative drone and the ballistic track (class not
    # released) stay home
    np.testing.assert_array_equal(out.track_id, [1, 2])
    np.testing.assert_array_equal(out.x, tr.x[:2])


# --------------------------------------------------------------------------------------------
# Picture
# --------------------------------------------------------------------------------------------


def test_picture_fuses_own_and_released_track_of_one_object():
    """Own and a partner's track of one drone become one system track (label and source from
    own, the first input), a second drone only the partner holds is its own system track; the
    fused covariance is no larger than the smaller input's (CI with equal inputs is exact)."""
    b = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    own = _tracks(_x([0.0]), cls=[2], label=[4], ids=[7])
    rel = _tracks(_x([0.01, 40.0]), cls=[2, 2], label=[4, 9], ids=[3, 5])
    pic = b.build(10.0, own, [(0, 2, rel)])
    assert pic.number.size == 2
    np.testing.assert_array_equal(pic.label, [4, 9])
    np.testing.assert_array_equal(pic.source, [0, 2])
    # both inputs predicted 10 s: position variance 100 + 100 * 25 + q 1000 / 3 per axis
    var = 100.0 + 2500.0 + Q_BY_CLASS[2] * 1000.0 / 3.0
    assert pic.P[0, 0, 0] <= var * (1 + 1e-9)
    # the fused position lies between the inputs (10 m apart east)
    x_own = predict(own.x, own.P, np.array([10.0]), Q_BY_CLASS[[2]], np.array([False]))[0][0]
    assert np.linalg.norm(pic.x[0, :3] - x_own[:3]) <= 10.0 + 1e-6
    view = pic.per_threat(10)
    np.testing.assert_array_equal(np.flatnonzero(view.has_track), [4, 9])
    assert view.source[9] == 2 and view.cls[9] == 2


@pytest.mark.parametrize(("own_seen", "partner_seen"), [(4.0, 7.0), (7.0, 4.0)])
def test_picture_keeps_when_each_track_was_last_seen(own_seen, partner_seen):
    """A system track's ``seen_s`` is the newest detection time of the inputs it rests on,
    whichever input (own first, or the partner's) is the newer: 4 s and 7 s -> 7; the
    partner's second drone, seen at 2 s, keeps 2 when the same inputs come again 5 s later
    (no new detection); the per-threat view carries it, -inf where there is no track."""
    b = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    own = replace(_tracks(_x([0.0]), cls=[2], label=[4], ids=[7], t_s=10.0),
                  seen_s=np.array([own_seen]))  # fmt: skip
    rel = replace(_tracks(_x([0.01, 40.0]), cls=[2, 2], label=[4, 9], ids=[3, 5], t_s=10.0),
                  seen_s=np.array([partner_seen, 2.0]))  # fmt: skip
    pic = b.build(10.0, own, [(0, 2, rel)])
    np.testing.assert_array_equal(pic.seen_s, [7.0, 2.0])
    view = pic.per_threat(10)
    assert view.seen_s[4] == 7.0 and view.seen_s[9] == 2.0 and view.seen_s[0] == -np.inf
    later = b.build(15.0, own, [(0, 2, rel)])
    np.testing.assert_array_equal(later.number, pic.number)
    np.testing.assert_array_equal(later.seen_s, [7.0, 2.0])
    # without detection times (None) a track counts as seen at its stamp
    plain = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    np.testing.assert_array_equal(plain.build(10.0, _tracks(_x([0.0]), [2], t_s=8.0), []).seen_s,
                                  [8.0])  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
def test_per_threat_view_prefers_a_fresh_track_to_a_tighter_stale_one(alone):
    """Two system tracks on one drone (own, tight, last seen 30 s ago; a partner's 40 km
    away, loose, seen now): the view takes the tight one, but with ``stale_after_s`` 20 the
    fresh one (a coasting track must not hide a live one from the engagement stage); with
    only the stale track it is still shown. The same from the bank's shared views and from a
    picture computing its own (``alone``)."""
    b = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    own = replace(_tracks(_x([0.0]), cls=[2], label=[4], ids=[7], t_s=40.0, pos_var=25.0),
                  seen_s=np.array([10.0]))  # fmt: skip
    rel = replace(_tracks(_x([40.0]), cls=[2], label=[4], ids=[3], t_s=40.0, pos_var=900.0),
                  seen_s=np.array([40.0]))  # fmt: skip
    pic = b.build(40.0, own, [(0, 2, rel)])
    assert pic.number.size == 2
    if alone:
        pic = replace(pic, bank=None)
    assert pic.per_threat(10).source[4] == 0
    view = pic.per_threat(10, 20.0)
    assert view.source[4] == 2 and view.seen_s[4] == 40.0
    np.testing.assert_array_equal(view.x[4], pic.x[1])
    lone = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0).build(40.0, own, [])
    if alone:
        lone = replace(lone, bank=None)
    assert lone.per_threat(10, 20.0).has_track[4] and lone.per_threat(10, 20.0).seen_s[4] == 10.0


def test_picture_numbers_stay_and_clutter_tracks_draw_no_fire():
    b = PictureBuilder(nation=1, max_age_s=60.0, retire_s=15.0)
    x = _x([0.0, 50.0])
    first = b.build(0.0, _tracks(x, cls=[2, 2], label=[0, -1]), [])
    x2 = x.copy()
    x2[:, :3] += 5.0 * x[:, 3:]
    second = b.build(5.0, _tracks(x2, cls=[2, 2], label=[0, -1], t_s=5.0), [])
    np.testing.assert_array_equal(first.number, second.number)
    np.testing.assert_array_equal(second.label, [0, -1])
    view = second.per_threat(3)
    np.testing.assert_array_equal(view.has_track, [True, False, False])


def test_per_threat_takes_the_tightest_track_of_an_object():
    own = _tracks(_x([0.0, 60.0]), cls=[2, 2], label=[1, 1], pos_var=400.0)
    rel = _tracks(_x([120.0]), cls=[2], label=[1], pos_var=50.0)
    b = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    pic = b.build(0.0, own, [(3, 4, rel)])
    assert pic.number.size == 3  # 60 km apart: three system tracks, one object (ambiguity)
    view = pic.per_threat(2)
    assert view.source[1] == 4 and view.P[1, 0, 0] == pytest.approx(50.0)


def test_picture_with_nothing_is_empty():
    b = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    none = _tracks(np.zeros((0, 6)), cls=np.zeros(0, int))
    pic = b.build(0.0, none, [(0, 1, none)])
    assert pic.number.size == 0 and not pic.per_threat(4).has_track.any()


def test_coalition_numbers_are_unique_within_a_picture():
    """Two agreements from one partner carry its track 5 with states 50 km apart (so fusion
    keeps two system tracks): the second gets a fallback number, never a duplicate; numbers
    of an own track and a partner's come from their nodes' blocks."""
    b = PictureBuilder(nation=0, max_age_s=60.0, retire_s=15.0)
    own = _tracks(_x([0.0]), cls=[2], label=[1], ids=[9])
    r1 = _tracks(_x([100.0]), cls=[2], label=[2], ids=[5])
    r2 = _tracks(_x([150.0]), cls=[2], label=[2], ids=[5])
    pic = b.build(0.0, own, [(0, 3, r1), (1, 3, r2)])
    assert pic.number.size == 3 and np.unique(pic.number).size == 3
    assert set(pic.number.tolist()) >= {(1 << 32) | 9, (4 << 32) | 5}
    assert (set(pic.number.tolist()) - {(1 << 32) | 9, (4 << 32) | 5}).pop() >> 32 == 0
