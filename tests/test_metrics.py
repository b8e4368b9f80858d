"""Picture metrics: GOSPA / OSPA hand cases and metric properties, SIAP on a hand-made history
with every measure worked out below, and commonality between two nations' pictures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from shieldwall.tracking.metrics import (
    History,
    associate_by_distance,
    commonality,
    gospa,
    gospa_over_scans,
    ospa,
    siap,
)

X2 = np.array([[0.0, 0.0], [10.0, 0.0]])
Y2 = np.array([[3.0, 4.0], [100.0, 0.0]])


def test_gospa_hand_case():
    # d(x0,y0) = 5, d(x1,y0) = sqrt(65), d(x0,y1) = 100, d(x1,y1) = 90; c = 20, p = 2.
    # cut costs min(d, 20)^2 = [[25, 400], [65, 400]]: best is x0-y0 (25) + x1-y1 (400) = 425
    # (the other way is 65 + 400 = 465). x1-y1 is beyond c: one miss + one false, 200 each.
    r = gospa(X2, Y2, c=20.0, p=2.0)
    assert r.localisation == pytest.approx(25.0, abs=1e-12)
    assert r.missed == pytest.approx(200.0) and r.false == pytest.approx(200.0)
    assert (r.n_assigned, r.n_missed, r.n_false) == (1, 1, 1)
    assert r.distance == pytest.approx(math.sqrt(425.0), abs=1e-12)  # 20.6155 m


def test_gospa_unequal_and_empty_sets():
    # one truth at (0,0); estimates (3,4) and (100,0): 5^2 + one false 20^2/2 = 225 -> 15 m
    r = gospa(X2[:1], Y2, c=20.0, p=2.0)
    assert r.distance == pytest.approx(15.0, abs=1e-12)
    assert (r.localisation, r.missed, r.false) == pytest.approx((25.0, 0.0, 200.0))
    # no estimates: 3 misses of 10^2/2 each = 150 -> sqrt(150) m
    r = gospa(np.zeros((3, 3)), np.empty((0, 3)), c=10.0, p=2.0)
    assert r.distance == pytest.approx(math.sqrt(150.0)) and r.missed == pytest.approx(150.0)
    assert gospa(np.empty((0, 3)), np.empty((0, 3)), c=10.0).distance == 0.0
    # p = 1, one pair 6 m apart in 3-D, inside c = 10: GOSPA = 6 m
    assert gospa([[0, 0, 0]], [[0, 0, 6]], c=10.0, p=1.0).distance == pytest.approx(6.0)


def test_ospa_hand_cases():
    # same sets, c = 20, p = 2, m = n = 2: (25 + 400) / 2 = 212.5 -> 14.5774 m
    assert ospa(X2, Y2, c=20.0, p=2.0) == pytest.approx(math.sqrt(212.5), abs=1e-12)
    # m = 1 < n = 2: (25 + 20^2 * 1) / 2 = 212.5 as well
    assert ospa(X2[:1], Y2, c=20.0, p=2.0) == pytest.approx(math.sqrt(212.5), abs=1e-12)
    assert ospa(np.empty((0, 2)), Y2, c=20.0) == pytest.approx(20.0)
    assert ospa(np.empty((0, 2)), np.empty((0, 2)), c=20.0) == 0.0
    # p = 1: |6| and a cut 100 -> 20: (6 + 20) / 2 = 13 m
    assert ospa([[0, 0], [0, 50]], [[0, 6], [100, 50]], c=20.0, p=1.0) == pytest.approx(13.0)


def test_bad_parameters_are_errors():
    with pytest.raises(ValueError, match="c > 0"):
        gospa(X2, Y2, c=0.0)
    with pytest.raises(ValueError, match="p >= 1"):
        ospa(X2, Y2, c=1.0, p=0.5)


points = st.lists(
    st.tuples(*[st.floats(-100, 100, allow_nan=False) for _ in range(2)]), max_size=6
).map(lambda rows: np.array(rows, dtype=float).reshape(-1, 2))


def _same_set(X: np.ndarray, Y: np.ndarray, atol: float) -> bool:
    """Equal point sets up to ``atol``: an optimal one-to-one matching pairs every point
    with one within ``atol`` (sorting both would pair wrongly when a coordinate differs by a
    denormal across zero)."""
    if len(X) == 0:
        return True
    rows, cols = linear_sum_assignment(np.abs(X[:, None] - Y[None]).max(axis=2))
    return bool(np.all(np.abs(X[rows] - Y[cols]) <= atol))


@settings(max_examples=150, deadline=None)
@given(points, points, points, st.sampled_from([1.0, 2.0]))
@example(  # a denormal across zero once made a sort-based comparison pair points wrongly
    np.array([[0.0, 0.0], [-1.0, 0.0]]),
    np.array([[0.0, -2.2250738585e-313], [-1.0, 0.0]]),
    np.zeros((0, 2)),
    1.0,
)
def test_ospa_and_gospa_are_metrics(X, Y, Z, p):
    c = 30.0
    for dist in (lambda a, b: ospa(a, b, c, p), lambda a, b: gospa(a, b, c, p).distance):
        assert dist(X, Y) == pytest.approx(dist(Y, X), abs=1e-9)  # symmetric
        assert dist(X, X) == pytest.approx(0.0, abs=1e-9)  # zero on equal sets
        assert dist(X, Y) <= dist(X, Z) + dist(Z, Y) + 1e-9  # triangle inequality
        if dist(X, Y) == 0.0:  # zero only on equal sets
            assert len(X) == len(Y)
            assert _same_set(X, Y, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(points, points, st.floats(1.0, 200.0), st.sampled_from([1.0, 2.0, 3.0]))
def test_gospa_decomposition_sums_to_total(X, Y, c, p):
    r = gospa(X, Y, c, p)
    assert r.localisation + r.missed + r.false == pytest.approx(r.distance**p, rel=1e-12, abs=1e-9)
    assert r.n_assigned + r.n_missed == len(X) and r.n_assigned + r.n_false == len(Y)
    # every object costs at most c^p / 2
    assert r.distance**p <= c**p / 2 * (len(X) + len(Y)) + 1e-9


def test_gospa_over_scans_matches_per_scan_calls():
    truth = History.of(
        [0, 0, 1], [1, 2, 1], np.c_[[[0, 0, 0], [100, 0, 0], [5, 0, 0]], np.zeros((3, 3))]
    )
    est = History.of([0, 2], [7, 7], np.c_[[[3, 4, 0], [1, 1, 1]], np.zeros((2, 3))])
    out = gospa_over_scans(truth, est, n_scans=3, c=20.0)
    # scan 0: 5^2 + one miss 200 -> sqrt(225); scan 1: one miss -> sqrt(200); scan 2: one false
    assert out == pytest.approx([15.0, math.sqrt(200.0), math.sqrt(200.0)], abs=1e-12)


# --- SIAP ----------------------------------------------------------------------------------
# Scans 0..5 every 10 s. Truth 1 flies (1000 s_k, 0, 0) at (100, 0, 0) m/s over scans 0-5;
# truth 2 sits at (0, 5000, 0) over scans 0-3. Tracks (error from truth):
#   10 on truth 1, scans 0-2, position error (30, 40, 0) = 50 m, velocity error (3, 4, 0) = 5
#   11 on truth 1, scans 3-5, position error (0, 0, 20) = 20 m
#   12 on truth 1, scans 1-2, position error (0, 10, 0) = 10 m  (ambiguity)
#   20 on truth 2, scans 0, 1 and 3 (absent at scan 2), exact
#   99 spurious at (50 km, 50 km, 0), scans 2-4
T_S = np.arange(6) * 10.0


def _truth_rows(s, j):
    pos = [1000.0 * s, 0, 0] if j == 1 else [0, 5000.0, 0]
    vel = [100.0, 0, 0] if j == 1 else [0, 0, 0]
    return pos + vel


def hand_history():
    truth = [(s, 1, _truth_rows(s, 1)) for s in range(6)]
    truth += [(s, 2, _truth_rows(s, 2)) for s in range(4)]
    err = {10: [30, 40, 0, 3, 4, 0], 11: [0, 0, 20, 0, 0, 0], 12: [0, 10, 0, 0, 0, 0]}
    tracks = [(s, 10, 1) for s in (0, 1, 2)] + [(s, 11, 1) for s in (3, 4, 5)]
    tracks += [(s, 12, 1) for s in (1, 2)] + [(s, 20, 2) for s in (0, 1, 3)]
    rows = [(s, k, np.add(_truth_rows(s, j), err.get(k, 0.0))) for s, k, j in tracks]
    rows += [(s, 99, [5e4, 5e4, 0, 0, 0, 0]) for s in (2, 3, 4)]
    th = History.of(*zip(*[(s, j, x) for s, j, x in truth], strict=True))
    tk = History.of(*zip(*rows, strict=True))
    return th, tk


def test_siap_hand_case():
    truth, tracks = hand_history()
    assoc = associate_by_distance(truth, tracks, gate_m=1000.0)
    assert list(assoc) == [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, -1, -1, -1]
    r = siap(truth, tracks, assoc, T_S)
    # J = 6 + 4 = 10 truth rows; JT = 6 (truth 1 every scan) + 3 (truth 2 at 0, 1, 3) = 9
    assert r.completeness == pytest.approx(9 / 10)
    # N = 3 + 3 + 2 + 3 + 3 = 14 track rows; NA = 11 associated; A = 11 / 9; S = 3 / 14
    assert r.ambiguity == pytest.approx(11 / 9)
    assert r.spuriousness == pytest.approx(3 / 14)
    # PA = (3 * 50 + 3 * 20 + 2 * 10 + 3 * 0) / 11 = 230 / 11 m; VA = 3 * 5 / 11 m/s
    assert r.position_accuracy_m == pytest.approx(230 / 11, abs=1e-9)
    assert r.velocity_accuracy_m_s == pytest.approx(15 / 11, abs=1e-9)
    # LS: TL_1 = 20 s (track 10 over 0-20 s or 11 over 30-50 s), TL_2 = 10 s (0-10 s plus the
    # zero-length segment at 30 s); T_1 = 50 s, T_2 = 30 s -> (20 + 10) / 80
    assert r.longest_track_segment == pytest.approx(30 / 80)
    # NU_1 = 2 (track 10 to 20 s, then 11), NU_2 = 2 (20 over 0-10 s, again at 30 s);
    # TT_1 = 0-20 s + 30-50 s = 40 s (20-30 s passes between tracks), TT_2 = 10 s
    assert r.track_number_changes == 2
    assert r.track_number_change_rate_per_s == pytest.approx(2 / 50)
    assert r.track_breaks == 1  # truth 2 is dropped at scan 2


def test_siap_empty_cases_follow_stone_soup_defaults():
    truth, tracks = hand_history()
    none = History.of([], [], np.empty((0, 6)))
    r = siap(truth, none, np.empty(0, np.int64), T_S)
    assert (r.completeness, r.ambiguity, r.spuriousness) == (0.0, 1.0, 0.0)
    assert (r.position_accuracy_m, r.longest_track_segment, r.track_breaks) == (0.0, 0.0, 0)
    r = siap(truth, tracks, np.full(len(tracks), -1), T_S)
    assert r.spuriousness == 1.0 and r.completeness == 0.0
    with pytest.raises(ValueError, match="truth id"):
        siap(truth, tracks, np.full(len(tracks), 7), T_S)


# --- commonality ---------------------------------------------------------------------------
def test_commonality_hand_case():
    # truths 1 and 2 over scans 0-3: 8 (truth, scan) pairs
    truth = History.of(
        [0, 1, 2, 3] * 2, [1] * 4 + [2] * 4, [_truth_rows(0, 2)] * 4 + [[0, 0, 0, 0, 0, 0]] * 4
    )
    pos = {1: np.array([0, 5000.0, 0]), 2: np.zeros(3)}

    def picture(rows):
        x = [np.r_[pos[j] + [dx, 0, 0], 0, 0, 0] for _, _, j, dx in rows]
        return History.of([r[0] for r in rows], [r[1] for r in rows], x)

    # nation A: STN 100 on truth 1, STN 200 on truth 2, all scans, 250 m behind in x
    a = picture([(s, 100, 1, -250.0) for s in range(4)] + [(s, 200, 2, -250.0) for s in range(4)])
    # nation B: STN 100 on truth 1 but 600 m from A at scan 3 (+350 m); truth 2 under STN 201
    # at scans 0-1, then 200 at scans 2-3; a stray STN 100 far from everything at scan 1
    b_rows = [(s, 100, 1, -250.0) for s in range(3)] + [(3, 100, 1, 350.0)]
    b_rows += [(0, 201, 2, 0.0), (1, 201, 2, 0.0), (2, 200, 2, 0.0), (3, 200, 2, 0.0)]
    b = picture(b_rows)
    a_truth = associate_by_distance(truth, a, gate_m=1000.0)
    b_truth = associate_by_distance(truth, b, gate_m=1000.0)
    # common: truth 1 at scans 0, 1, 2 (scan 3: 600 m > 500 m); truth 2 at scans 2, 3 -> 5 / 8
    assert commonality(truth, a, a_truth, b, b_truth, agree_m=500.0) == pytest.approx(5 / 8)
    # agreeing within 1 km also counts scan 3 of truth 1: 6 / 8
    assert commonality(truth, a, a_truth, b, b_truth, agree_m=1000.0) == pytest.approx(6 / 8)
    # symmetric in the two nations, and a picture is fully common with itself
    assert commonality(truth, b, b_truth, a, a_truth, agree_m=500.0) == pytest.approx(5 / 8)
    assert commonality(truth, a, a_truth, a, a_truth, agree_m=0.0) == 1.0
    none = History.of([], [], np.empty((0, 6)))
    assert commonality(truth, a, a_truth, none, np.empty(0), agree_m=500.0) == 0.0
