"""Sharing: agreements resolved to nation indices, the delay line of snapshots, released views
and each nation's picture. Expected values are worked by hand from small hand-built inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.scenario import load_scenario
from shieldwall.sharing import DelayLine, ReleaseTerms, build_picture, resolve_agreements
from shieldwall.sharing.picture import released_view
from shieldwall.tracking.kalman import predict
from shieldwall.tracking.node import CONFIRMED, NONE, Q_BY_CLASS, TENTATIVE


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


def test_released_view_only_confirmed_allowed_classes():
    # 2 nations x 4 threats; threat classes: drone, cruise, drone, ballistic
    class_code = np.array([2, 1, 2, 0])
    n = 4
    x = np.zeros((2 * n, 6))
    x[:, :3] = 1000.0 * np.arange(2 * n)[:, None]
    x[:, 3:] = [100.0, -50.0, 10.0]
    P = np.broadcast_to(np.eye(6) * 25.0, (2 * n, 6, 6)).copy()
    status = np.array([NONE] * n + [CONFIRMED, CONFIRMED, TENTATIVE, CONFIRMED], dtype=np.int8)
    t_s = np.full(2 * n, 20.0)
    snap = {"x": x, "P": P, "t_s": t_s, "status": status}
    ok, xr, Pr = released_view(snap, _terms(1, [False, True, True]), class_code, 30.0)
    # source 1's rows: confirmed drone (0), confirmed cruise (1), tentative drone (2, withheld),
    # confirmed ballistic (3, class not released)
    np.testing.assert_array_equal(ok, [True, True, False, False])
    # drone at t = 20 predicted to t = 30: p + 10 v
    np.testing.assert_allclose(xr[0], [4000.0 + 1000, 4000.0 - 500, 4000.0 + 100, 100, -50, 10])
    np.testing.assert_allclose(xr[1, :3], [5000.0 + 1000, 5000.0 - 500, 5000.0 + 100])
    _, Pd = predict(x[4:5], P[4:5], np.array([10.0]), Q_BY_CLASS[[2]], np.array([False]))
    np.testing.assert_allclose(Pr[0], Pd[0], rtol=1e-14)
    # position variance grows: 25 + 10^2 * 25 + q * 10^3 / 3
    assert Pr[0, 0, 0] == pytest.approx(25 + 2500 + Q_BY_CLASS[2] * 1000 / 3, rel=1e-12)
    # the snapshot itself is untouched
    assert snap["x"][4, 0] == 4000.0


def test_released_view_nation_zero_slice():
    class_code = np.array([2, 2])
    status = np.array([CONFIRMED, NONE, NONE, CONFIRMED], dtype=np.int8)
    snap = {"x": np.arange(24.0).reshape(4, 6), "P": np.broadcast_to(np.eye(6), (4, 6, 6)).copy(),
            "t_s": np.zeros(4), "status": status}  # fmt: skip
    ok, xr, _ = released_view(snap, _terms(0, [True, True, True]), class_code, 0.0)
    np.testing.assert_array_equal(ok, [True, False])
    np.testing.assert_array_equal(xr[0], np.arange(6.0))


# --------------------------------------------------------------------------------------------
# Picture
# --------------------------------------------------------------------------------------------


def _cov(pos_var):
    P = np.zeros((len(pos_var), 6, 6))
    for i, v in enumerate(pos_var):
        P[i] = np.diag([v, v, v, 1e4, 1e4, 1e4])
    return P


def test_build_picture_smaller_covariance_wins():
    n = 5
    own_ok = np.array([True, True, False, True, False])
    own_x = np.full((n, 6), 0.0)
    own_P = _cov([100.0, 100.0, 1.0, 100.0, 1.0])
    r1_x, r2_x = np.full((n, 6), 1.0), np.full((n, 6), 2.0)
    r1 = (3, np.array([True, True, True, False, False]), r1_x, _cov([50.0, 200.0, 300.0, 1, 1]))
    r2 = (4, np.array([True, False, True, True, False]), r2_x, _cov([60.0, 1, 100.0, 100.0, 1]))
    pic = build_picture(1, 42.0, (own_ok, own_x, own_P), [r1, r2])
    # threat 0: source 3 (50 < 60 < 100); 1: own (200 worse; source 4 not released);
    # 2: no own track, source 4 (100 < 300); 3: tie with own -> own kept; 4: nobody
    np.testing.assert_array_equal(pic.source, [3, 1, 4, 1, -1])
    np.testing.assert_array_equal(pic.has_track, [True, True, True, True, False])
    np.testing.assert_array_equal(pic.x[:, 0], [1.0, 0.0, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(pic.P[:, 0, 0], [50.0, 100.0, 100.0, 100.0, 1.0])
    assert pic.t_s == 42.0
    # inputs untouched
    assert own_x[0, 0] == 0.0 and own_P[0, 0, 0] == 100.0


def test_build_picture_trace_uses_position_block_only():
    """A release with smaller position trace wins even with larger velocity variance."""
    own_P = np.diag([10.0, 10.0, 10.0, 1.0, 1.0, 1.0])[None]
    rel_P = np.diag([9.0, 9.0, 9.0, 1e6, 1e6, 1e6])[None]
    pic = build_picture(0, 0.0, (np.array([True]), np.zeros((1, 6)), own_P),
                        [(2, np.array([True]), np.ones((1, 6)), rel_P)])  # fmt: skip
    assert pic.source[0] == 2


def test_build_picture_without_releases_is_own():
    ok = np.array([True, False])
    x = np.arange(12.0).reshape(2, 6)
    pic = build_picture(2, 1.0, (ok, x, _cov([1.0, 1.0])), [])
    np.testing.assert_array_equal(pic.source, [2, -1])
    np.testing.assert_array_equal(pic.has_track, ok)
    np.testing.assert_array_equal(pic.x, x)
