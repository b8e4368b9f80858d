"""Multi-target tracker: filters against closed forms, association against hand computations and
brute force, track management on hand-made sequences, and whole-tracker behaviour.

References: Bar-Shalom, Li & Kirubarajan 2001 [BLK] (steady-state KF = DARE, ch. 5; EKF
sec. 10.3; IMM sec. 11.6.6); Blackman & Popoli 1999 (GNN, M-of-N); Fortmann, Bar-Shalom &
Scheffe 1983 (JPDA joint events); Williams & Lau 2014 (LBP marginals).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import solve_discrete_are
from scipy.optimize import linear_sum_assignment

from shieldwall.tracking import (
    Pairs,
    Tracker,
    TrackerConfig,
    TrackStates,
    gnn_assign,
    jpda_exact,
    jpda_lbp,
    jpda_weights,
    predict_cv,
    rae_jacobian,
    rae_measure,
    rae_to_cartesian,
    seed_from_launch_warning,
    update_rae,
)
from shieldwall.tracking.filters import imm_mix, update_position
from shieldwall.tracking.kalman import process_noise, transition
from shieldwall.tracking.manage import doomed, initiate, position_sigma_m, record_scan
from shieldwall.tracking.tracker import mixture_update

SIGMA_M = 50.0
R1 = np.eye(3) * SIGMA_M**2


def _R(m):
    return np.broadcast_to(R1, (m, 3, 3)).copy()


def _random_spd(rng, n, scale):
    A = rng.standard_normal((n, n)) * scale
    return A @ A.T + np.eye(n) * scale**2 * 0.1


def _random_tracks(rng, k):
    x = np.hstack([rng.normal(0, 1e4, (k, 3)), rng.normal(0, 200, (k, 3))])
    P = np.stack([_random_spd(rng, 6, 30.0) for _ in range(k)])
    return x, P


def _run(cfg, scans):
    trk = Tracker(cfg)
    return [trk.step(t, z, _R(len(z))) for t, z in scans]


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def test_single_target_cv_converges_to_dare_steady_state():
    """Posterior P after 600 scans equals the DARE steady state (BLK ch. 5), rel 1e-6."""
    dt, q = 1.0, 1.0
    F = transition(np.array([dt]))[0]
    Q = process_noise(np.array([dt]), np.array([q]))[0]
    H = np.hstack([np.eye(3), np.zeros((3, 3))])
    # prior steady state: P- = F P- F' - F P- H' (H P- H' + R)^-1 H P- F' + Q
    P_prior = solve_discrete_are(F.T, H.T, Q, R1)
    S = H @ P_prior @ H.T + R1
    P_post = P_prior - P_prior @ H.T @ np.linalg.solve(S, H @ P_prior)
    cfg = TrackerConfig(pd=1.0, q_m2_s3=q, max_pos_sigma_m=1e9)
    v = np.array([100.0, -50.0, 5.0])
    states = _run(cfg, [(k * dt, (v * k * dt)[None]) for k in range(600)])
    assert states[-1].track_id.tolist() == [1]
    np.testing.assert_allclose(states[-1].P[0], P_post, rtol=1e-6, atol=1e-9 * P_post.max())


def test_vectorised_updates_match_one_track_at_a_time():
    """Batched predict, KF update, EKF update and IMM mixing equal per-track calls to 1e-9."""
    rng = np.random.default_rng(3)
    k = 40
    x, P = _random_tracks(rng, k)
    z = x[:, :3] + rng.normal(0, 50, (k, 3))
    R = np.stack([_random_spd(rng, 3, 40.0) for _ in range(k)])
    sensor = rng.normal(0, 1e3, (k, 3))
    z_rae = rae_measure(x, sensor) + rng.normal(0, 1e-3, (k, 3))
    R_rae = np.stack([np.diag([30.0**2, 1e-3**2, 1e-3**2])] * k)
    batched = [
        predict_cv(x, P, 2.0, 3.0),
        update_position(x, P, z, R)[:2],
        update_rae(x, P, z_rae, R_rae, sensor)[:2],
    ]
    for i in range(k):
        s = slice(i, i + 1)
        singles = [
            predict_cv(x[s], P[s], 2.0, 3.0),
            update_position(x[s], P[s], z[s], R[s])[:2],
            update_rae(x[s], P[s], z_rae[s], R_rae[s], sensor[s])[:2],
        ]
        for (xb, Pb), (xs, Ps) in zip(batched, singles, strict=True):
            np.testing.assert_allclose(xb[i], xs[0], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(Pb[i], Ps[0], rtol=1e-9, atol=1e-9)


def test_ballistic_vector_gravity_prediction_is_exact():
    """Constant gravity: p = p0 + v t + g t^2/2, v = v0 + g t exactly (to 1e-9 m)."""
    cfg = TrackerConfig(model="ballistic", gravity_m_s2=(0.0, 0.0, -9.80665))
    (model,) = cfg.motion_models()
    from shieldwall.tracking import predict_model

    x = np.array([[1e3, 2e3, 3e3, 100.0, 0.0, 500.0]])
    xp, _ = predict_model(model, x, np.eye(6)[None], 10.0)
    g = np.array([0, 0, -9.80665])
    np.testing.assert_allclose(xp[0, :3], x[0, :3] + x[0, 3:] * 10 + 0.5 * g * 100, atol=1e-9)
    np.testing.assert_allclose(xp[0, 3:], x[0, 3:] + g * 10, atol=1e-9)


def _numerical_jacobian(x, sensor, rot, h=1.0):
    J = np.zeros((3, 6))
    for a in range(6):
        dx = np.zeros(6)
        dx[a] = h
        hi = rae_measure((x + dx)[None], sensor, rot)[0]
        lo = rae_measure((x - dx)[None], sensor, rot)[0]
        J[:, a] = (hi - lo) / (2 * h)
    return J


@pytest.mark.parametrize("with_rot", [False, True])
def test_rae_jacobian_matches_numerical(with_rot):
    """Analytic H equals central differences (step 1 m at ~30 km) to 1e-6 of each row's
    largest element."""
    rng = np.random.default_rng(5)
    rot = None
    if with_rot:
        rot, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    for _ in range(20):
        x = np.concatenate([rng.normal(0, 3e4, 3), rng.normal(0, 300, 3)])
        sensor = rng.normal(0, 1e3, 3)
        H = rae_jacobian(x[None], sensor, rot)[0]
        scale = np.abs(H).max(axis=1, keepdims=True)
        np.testing.assert_allclose(
            H / scale, _numerical_jacobian(x, sensor, rot) / scale, atol=1e-6
        )


def test_ekf_matches_linear_kf_on_converted_measurements_small_noise():
    """Small-noise limit (1 cm range and 1e-7 rad angle noise, truth 1 m from the prior mean,
    ranges ~30 km): the EKF update equals the linear KF on converted measurements (linearised
    covariance) to 1e-3 m and 1e-3 m/s; the linearisation points differ by ~1 m."""
    rng = np.random.default_rng(7)
    k = 25
    x, P = _random_tracks(rng, k)
    x[:, :3] = rng.normal(0, 1e4, (k, 3)) + np.array([0, 3e4, 5e3])
    sensor = np.zeros(3)
    R_rae = np.broadcast_to(np.diag([0.01**2, 1e-7**2, 1e-7**2]), (k, 3, 3)).copy()
    truth = x[:, :3] + rng.normal(0, 1.0, (k, 3))
    z_rae = rae_measure(np.hstack([truth, np.zeros((k, 3))]), sensor)
    xe, Pe, _ = update_rae(x, P, z_rae, R_rae, sensor)
    zc, Rc = rae_to_cartesian(z_rae, R_rae, sensor)
    xl, Pl, _ = update_position(x, P, zc, Rc)
    np.testing.assert_allclose(xe, xl, atol=1e-3)
    np.testing.assert_allclose(Pe[:, :3, :3], Pl[:, :3, :3], rtol=1e-3, atol=1e-6)


def test_imm_with_identical_models_equals_single_filter():
    """IMM of two identical CV models reproduces the CV tracker to 1e-9 (Blom & Bar-Shalom)."""
    scans, dens = _clutter_scenario(n_targets=20, n_scans=30, seed=11)
    cv = _run(TrackerConfig(clutter_density_m3=dens), scans)
    imm = _run(TrackerConfig(clutter_density_m3=dens, model="imm", imm_q_factor=1.0), scans)
    for a, b in zip(cv, imm, strict=True):
        np.testing.assert_array_equal(a.track_id, b.track_id)
        np.testing.assert_allclose(b.x, a.x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(b.P, a.P, rtol=1e-9, atol=1e-9)


def test_imm_mix_with_identity_transition_is_identity():
    rng = np.random.default_rng(2)
    x, P = _random_tracks(rng, 6)
    x_r = np.stack([x, x + 1.0], axis=1)
    P_r = np.stack([P, 2 * P], axis=1)
    mu = rng.dirichlet([1, 1], 6)
    x0, P0, c = imm_mix(x_r, P_r, mu, np.eye(2))
    np.testing.assert_allclose(x0, x_r, atol=1e-9)
    np.testing.assert_allclose(P0, P_r, rtol=1e-12)
    np.testing.assert_allclose(c, mu, rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    q=st.floats(1e-3, 1e3),
    r_scale=st.floats(1.0, 1e3),
    dt=st.floats(0.01, 30.0),
)
def test_covariances_stay_symmetric_psd(seed, q, r_scale, dt):
    """Random predict / KF / EKF / IMM-mix sequences keep every P symmetric PSD."""
    rng = np.random.default_rng(seed)
    x, P = _random_tracks(rng, 8)
    sensor = np.array([0.0, 0.0, -1e3])
    for _ in range(25):
        op = rng.integers(4)
        if op == 0:
            x, P = predict_cv(x, P, dt, q)
        elif op == 1:
            R = np.stack([_random_spd(rng, 3, r_scale) for _ in range(8)])
            x, P, _ = update_position(x, P, x[:, :3] + rng.normal(0, r_scale, (8, 3)), R)
        elif op == 2:
            R = np.broadcast_to(np.diag([r_scale**2, 1e-6, 1e-6]), (8, 3, 3))
            z = rae_measure(x, sensor) + rng.normal(0, 1e-3, (8, 3))
            x, P, _ = update_rae(x, P, z, R, sensor)
        else:
            x_r, P_r, _ = imm_mix(
                np.stack([x, x + rng.normal(0, 10, x.shape)], 1),
                np.stack([P, P * 2], 1),
                np.full((8, 2), 0.5),
                np.array([[0.9, 0.1], [0.1, 0.9]]),
            )
            x, P = x_r[:, 0], P_r[:, 0]
        np.testing.assert_allclose(P, P.transpose(0, 2, 1), rtol=0, atol=1e-12 * np.abs(P).max())
        eig = np.linalg.eigvalsh(P)
        assert np.all(eig >= -1e-9 * eig.max(axis=1, keepdims=True))


# --------------------------------------------------------------------------------------------
# Association
# --------------------------------------------------------------------------------------------


def test_gnn_assign_is_optimal_against_dense_assignment():
    """Per-cluster sparse GNN equals dense linear_sum_assignment with 'miss' slack columns
    (Blackman & Popoli 1999, ch. 6) on 200 random problems: same total score to 1e-9."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        nt, nd = rng.integers(1, 7, 2)
        mask = rng.random((nt, nd)) < 0.5
        ti, dj = np.nonzero(mask)
        score = rng.normal(1.0, 2.0, ti.size)
        pairs = Pairs(ti.astype(np.int64), dj.astype(np.int64), np.zeros(ti.size), score)
        sel = gnn_assign(pairs, score, nt, nd)
        assert np.unique(ti[sel]).size == sel.size and np.unique(dj[sel]).size == sel.size
        big = 1e6
        cost = np.full((nt, nd + nt), big)
        cost[ti, dj] = -score
        cost[np.arange(nt), nd + np.arange(nt)] = 0.0  # track i missed
        rows, cols = linear_sum_assignment(cost)
        np.testing.assert_allclose(score[sel].sum(), -cost[rows, cols].sum(), atol=1e-9)


def test_jpda_marginals_hand_computed():
    """2 tracks, 3 detections, psi = [[a, b, 0], [0, c, d]]: the 8 feasible joint events
    (Fortmann et al. 1983) by hand; exact to 1e-12, LBP (Williams & Lau 2014) to 0.02."""
    a, b, c, d = 2.0, 0.5, 3.0, 1.5
    psi = np.array([[a, b, 0.0], [0.0, c, d]])
    # events (track1 det, track2 det): (0,0) (1,0) (2,0) (0,2) (0,3) (1,2) (1,3) (2,3)
    Z = 1 + a + b + c + d + a * c + a * d + b * d
    beta = np.array(
        [
            [(a + a * c + a * d) / Z, (b + b * d) / Z, 0.0],
            [0.0, (c + a * c) / Z, (d + a * d + b * d) / Z],
        ]
    )
    got, got0 = jpda_exact(psi)
    np.testing.assert_allclose(got, beta, atol=1e-12)
    np.testing.assert_allclose(got0, 1 - beta.sum(axis=1), atol=1e-12)
    approx, approx0 = jpda_lbp(psi)
    # this cluster's factor graph is a tree, where loopy BP is exact (measured 1e-16)
    np.testing.assert_allclose(approx, beta, atol=1e-12)
    np.testing.assert_allclose(approx0, 1 - beta.sum(axis=1), atol=1e-12)
    # through the sparse cluster path
    ti, dj = np.nonzero(psi)
    pairs = Pairs(ti, dj, np.zeros(4), np.zeros(4))
    w, w0 = jpda_weights(pairs, np.log(psi[ti, dj]), 2, 3)
    np.testing.assert_allclose(w, beta[ti, dj], atol=1e-12)
    np.testing.assert_allclose(w0, 1 - beta.sum(axis=1), atol=1e-12)


def test_jpda_lbp_close_to_exact_on_loopy_clusters():
    """100 random 4-track x 5-detection clusters (60 % gated, psi ~ Exp(2)): loopy BP marginals
    within 0.05 of exact enumeration (measured max 0.035, mean 0.009; Williams & Lau 2014
    report errors of this size); each track's marginals sum to at most 1."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        psi = rng.exponential(2.0, (4, 5)) * (rng.random((4, 5)) < 0.6)
        exact, _ = jpda_exact(psi)
        approx, approx0 = jpda_lbp(psi)
        np.testing.assert_allclose(approx, exact, atol=0.05)
        np.testing.assert_allclose(approx0, 1 - approx.sum(axis=1), atol=1e-12)


def test_jpda_single_target_no_clutter_equals_kf():
    """One target, Pd 1, no clutter: JPDA's beta is 1 and its update is the KF's (1e-9)."""
    rng = np.random.default_rng(4)
    v = np.array([150.0, 20.0, 0.0])
    scans = [(float(k), (v * k + rng.normal(0, SIGMA_M, 3))[None]) for k in range(30)]
    gnn = _run(TrackerConfig(pd=1.0, clutter_density_m3=1e-30), scans)
    jpda = _run(TrackerConfig(pd=1.0, clutter_density_m3=1e-30, associator="jpda"), scans)
    for a, b in zip(gnn, jpda, strict=True):
        np.testing.assert_array_equal(a.track_id, b.track_id)
        np.testing.assert_allclose(b.x, a.x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(b.P, a.P, rtol=1e-9, atol=1e-9)
    x, P = _random_tracks(rng, 3)
    z = x[:, :3] + 10.0
    xk, Pk, _ = update_position(x, P, z, _R(3))
    xm, Pm = mixture_update(x, P, np.zeros(3), np.arange(3), np.ones(3), xk, Pk)
    np.testing.assert_allclose(xm, xk, atol=1e-9)
    np.testing.assert_allclose(Pm, Pk, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Track management
# --------------------------------------------------------------------------------------------


def _book(sequence, m=2, n=3, misses=4, sigma=None):
    """Apply a hit/miss sequence (after the initiating hit); return (confirmed, deleted) after
    each scan."""
    tab = initiate(np.zeros((1, 3)), R1[None], 300.0, np.ones(1), 1)
    out = []
    for hit in sequence:
        tab = record_scan(tab, np.array([hit]), np.zeros(1), m, n)
        pos_sigma = np.array([sigma if sigma is not None else 10.0])
        out.append((bool(tab.confirmed[0]), bool(doomed(tab, pos_sigma, m, n, misses, 5e3)[0])))
    return out


def test_m_of_n_confirmation_and_deletion_rules():
    """2-of-3 (initiating detection = hit 1 of scan 1), delete after 4 consecutive misses."""
    T, F = True, False
    assert _book([T]) == [(T, F)]  # hit on scan 2 -> 2 of 2
    assert _book([F, T]) == [(F, F), (T, F)]  # miss, hit -> 2 of 3
    assert _book([F, F]) == [(F, F), (F, T)]  # cannot reach 2 within 3
    assert _book([T, F, F, F]) == [(T, F), (T, F), (T, F), (T, F)]  # 3 misses: kept
    assert _book([T, F, F, F, F])[-1] == (T, T)  # 4th consecutive miss: deleted
    assert _book([T, F, F, F, T, F, F, F])[-1] == (T, F)  # hit resets the count
    assert _book([T, T, T, F, F, F, F, T])[6] == (T, T)
    # 3-of-5: miss, miss, hit, hit -> confirmed on scan 5; miss x3 -> deleted on scan 4
    assert _book([F, F, T, T], m=3, n=5)[-1] == (T, F)
    assert _book([F, F, F], m=3, n=5)[-1] == (F, T)
    # covariance growth
    assert _book([T], sigma=5001.0) == [(T, T)]


def test_tracker_lifecycle_ids_and_deletion():
    """One target seen on scans 0-5 then gone: confirmed on scan 1, id 1 throughout, deleted on
    the 4th missed scan (scan 9); a target appearing later gets id 2."""
    v = np.array([100.0, 0.0, 0.0])
    empty = np.zeros((0, 3))
    scans = [(float(k), (v * k)[None] if k <= 5 else empty) for k in range(12)]
    scans.append((12.0, np.array([[5e4, 5e4, 1e3]])))
    states = _run(TrackerConfig(), scans)
    assert states[0].track_id.tolist() == [1] and not states[0].confirmed[0]
    assert all(s.confirmed.tolist() == [True] for s in states[1:9])
    assert all(s.track_id.tolist() == [1] for s in states[:9])
    assert states[8].misses.tolist() == [3] and states[9].track_id.size == 0
    assert states[12].track_id.tolist() == [2]


# --------------------------------------------------------------------------------------------
# Whole tracker
# --------------------------------------------------------------------------------------------


def _crossing(seed, n_scans=100):
    """Two targets crossing at t = 50 s with 200 m (vertical) separation, 50 m noise, Pd 1."""
    rng = np.random.default_rng(seed)
    p0 = np.array([[-10e3, -2e3, 5000.0], [-10e3, 2e3, 5200.0]])
    v = np.array([[200.0, 40.0, 0.0], [200.0, -40.0, 0.0]])
    truth = [p0 + v * k for k in range(n_scans)]
    return truth, [(float(k), t + rng.normal(0, SIGMA_M, (2, 3))) for k, t in enumerate(truth)]


def _id_swaps(truth, states):
    """Changes of the nearest confirmed track id of each target once both are held."""
    ids = []
    for t, s in zip(truth, states, strict=True):
        conf = s.confirmed
        if conf.sum() < 2:
            continue
        d = np.linalg.norm(t[:, None] - s.x[conf, :3][None], axis=2)
        ids.append(s.track_id[conf][d.argmin(axis=1)])
    ids = np.array(ids)
    return int(np.sum(ids[1:] != ids[:-1]))


@pytest.mark.parametrize("associator", ["gnn", "jpda"])
def test_crossing_targets_keep_ids(associator):
    """Fixed seed: no swap; 20 seeds: a swap in at most 1 (GNN; JPDA the same)."""
    cfg = TrackerConfig(associator=associator, pd=1.0)
    truth, scans = _crossing(0)
    assert _id_swaps(truth, _run(cfg, scans)) == 0
    bad = sum(
        _id_swaps(*(lambda t, s: (t, _run(cfg, s)))(*_crossing(seed))) > 0 for seed in range(1, 21)
    )
    assert bad <= 1


def _clutter_scenario(n_targets, n_scans, seed, clutter=20):
    rng = np.random.default_rng(seed)
    lo, hi = np.array([-1e5, -1e5, 1e3]), np.array([1e5, 1e5, 15e3])
    p0, v = rng.uniform(lo, hi, (n_targets, 3)), rng.normal(0, 150, (n_targets, 3))
    scans = []
    for k in range(n_scans):
        det = rng.random(n_targets) < 0.9
        z = p0[det] + v[det] * k + rng.normal(0, SIGMA_M, (det.sum(), 3))
        scans.append((float(k), np.vstack([z, rng.uniform(lo, hi, (rng.poisson(clutter), 3))])))
    return scans, clutter / np.prod(hi - lo)


@pytest.mark.parametrize(("m", "n", "rate"), [(2, 3, 0.7), (3, 4, 0.98)])
def test_clutter_only_rarely_confirms(m, n, rate):
    """Poisson clutter only (20/scan in 5.6e14 m^3, v0 sigma 300 m/s), 10 seeds x 50 scans:
    the share of scans holding no confirmed track is at least ``rate``. Measured: 2-of-3
    76.6 % (a false track from two nearby clutter points lives its 4 deletion misses), 3-of-4
    100 %. Scans of a seed are correlated (a false track spans ~5), so the 500 scans count as
    ~100 independent looks: binomial sd ~ sqrt(0.77 * 0.23 / 100) = 0.042, and 0.7 lies 1.6 sd
    below the measured rate (0.98 is 2 % slack on a measured 100 %)."""
    empty = total = 0
    for seed in range(10):
        scans, dens = _clutter_scenario(0, 50, seed)
        cfg = TrackerConfig(clutter_density_m3=dens, confirm_m=m, confirm_n=n)
        for s in _run(cfg, scans):
            empty += not s.confirmed.any()
            total += 1
    assert empty / total >= rate


def test_tracker_deterministic():
    """Same input, same output, bit for bit (JPDA + IMM, clutter)."""
    scans, dens = _clutter_scenario(30, 20, 9)
    cfg = TrackerConfig(associator="jpda", model="imm", clutter_density_m3=dens)
    for a, b in zip(_run(cfg, scans), _run(cfg, scans), strict=True):
        for name in TrackStates.__slots__:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_tracks_all_targets_in_clutter():
    """50 targets, Pd 0.9, clutter: every target held by a confirmed track within 150 m (3
    sigma of 50 m noise) at the last scan, for GNN and JPDA with CV and IMM."""
    scans, dens = _clutter_scenario(50, 30, 21)
    rng = np.random.default_rng(21)
    p0 = rng.uniform([-1e5, -1e5, 1e3], [1e5, 1e5, 15e3], (50, 3))
    v = rng.normal(0, 150, (50, 3))
    truth = p0 + v * 29
    for assoc, model in itertools.product(["gnn", "jpda"], ["cv", "imm"]):
        cfg = TrackerConfig(associator=assoc, model=model, clutter_density_m3=dens)
        s = _run(cfg, scans)[-1]
        d = np.linalg.norm(truth[:, None] - s.x[s.confirmed, :3][None], axis=2).min(axis=1)
        assert d.max() < 150.0, (assoc, model)
        assert s.confirmed.sum() <= 52


# --------------------------------------------------------------------------------------------
# Launch warning
# --------------------------------------------------------------------------------------------


def test_launch_warning_seed_covariance_is_first_order_propagation():
    """P = J Sigma J' with J checked against central differences of the mean (rel 1e-6), and a
    seeded ballistic track picks up its detections under the same id."""
    args = dict(
        launch_m=np.array([[1e3, -2e3, 0.0]]),
        launch_sigma_m=np.array([500.0]),
        t_launch_s=np.array([10.0]),
        t_launch_sigma_s=np.array([3.0]),
        bearing_rad=np.array([0.7]),
        bearing_sigma_rad=np.array([0.05]),
        t_s=40.0,
    )
    x, P = seed_from_launch_warning(**args)
    theta = np.array([1e3, -2e3, 0.0, 10.0, 0.7, 2000.0, np.pi / 4])
    sig = np.array([500.0, 500.0, 500.0, 3.0, 0.05, 1000.0, 0.35])

    def mean(th):
        return seed_from_launch_warning(
            th[None, :3],
            np.array([1.0]),
            th[3:4],
            np.array([1.0]),
            th[4:5],
            np.array([1.0]),
            t_s=40.0,
            speed_m_s=th[5],
            elevation_rad=th[6],
        )[0][0]

    J = np.stack([(mean(theta + h) - mean(theta - h)) / 2e-4 for h in np.eye(7) * 1e-4], axis=1)
    np.testing.assert_allclose(x[0], mean(theta), rtol=1e-12)
    np.testing.assert_allclose(P[0], (J * sig**2) @ J.T, rtol=1e-6, atol=1e-6)
    # a truth on the seeded mean, detected from t = 41 s: the seed is confirmed and kept
    trk = Tracker(TrackerConfig(model="ballistic", gravity_m_s2=(0.0, 0.0, -9.80665)))
    trk.step(40.0, np.zeros((0, 3)), np.zeros((0, 3, 3)))
    (tid,) = trk.add_tracks(x, P)
    g = np.array([0, 0, -9.80665])
    for t in range(1, 6):
        s = trk.step(40.0 + t, (x[0, :3] + x[0, 3:] * t + 0.5 * g * t * t)[None], R1[None])
    assert s.track_id.tolist() == [tid] and s.confirmed[0]
    assert position_sigma_m(s.P)[0] < 100.0


def _two_point_tracker(**kw) -> Tracker:
    return Tracker(TrackerConfig(clutter_density_m3=1e-12, **kw))


def test_pd_one_jpda_coasts_a_missed_track_without_warnings():
    """Pd = 1 with JPDA and a scan that misses the track: no log(0) (warnings are errors)."""
    for model in ("cv", "imm"):
        trk = _two_point_tracker(associator="jpda", model=model, pd=1.0)
        R = np.eye(3)[None] * 2500.0
        trk.step(0.0, np.zeros((1, 3)), R)
        trk.step(1.0, np.zeros((1, 3)), R)
        out = trk.step(2.0, np.zeros((0, 3)), np.zeros((0, 3, 3)))
        assert out.track_id.size == 1 and np.isfinite(out.P).all()


def test_jpda_does_not_spawn_twins_from_a_split_track():
    """Two identical detections inside one track's gate: JPDA splits the weight, and neither
    detection may start a new track (GNN starts one from the unassigned detection)."""
    R = np.eye(3)[None] * 2500.0
    counts = {}
    for assoc in ("gnn", "jpda"):
        trk = _two_point_tracker(associator=assoc)
        trk.step(0.0, np.zeros((1, 3)), R)
        out = trk.step(1.0, np.array([[1.0, 0, 0], [1.0, 0, 0]]), np.repeat(R, 2, axis=0))
        counts[assoc] = out.track_id.size
    assert counts == {"gnn": 2, "jpda": 1}


@pytest.mark.parametrize(
    ("t_s", "z", "R", "needle"),
    [
        (np.nan, np.zeros((1, 3)), np.eye(3)[None], "finite"),
        (1.0, np.full((1, 3), np.nan), np.eye(3)[None], "finite"),
        (1.0, np.zeros((2, 3)), np.eye(3)[None], "covariances"),
        (1.0, np.zeros((1, 3)), -np.eye(3)[None], "positive definite"),
        (1.0, np.zeros((1, 3)), np.full((1, 3, 3), np.inf), "finite"),
    ],
)
def test_bad_scans_are_refused_and_leave_the_tracker_intact(t_s, z, R, needle):
    trk = _two_point_tracker()
    good = np.eye(3)[None] * 2500.0
    trk.step(0.0, np.zeros((1, 3)), good)
    with pytest.raises(ValueError, match=needle):
        trk.step(t_s, z, R)
    assert trk.t_s == 0.0
    out = trk.step(1.0, np.zeros((1, 3)), good)
    assert out.track_id.tolist() == [1] and out.confirmed.all()


def test_one_hit_confirms_at_birth_when_m_is_one():
    trk = _two_point_tracker(confirm_m=1, confirm_n=1)
    out = trk.step(0.0, np.zeros((1, 3)), np.eye(3)[None] * 2500.0)
    assert out.confirmed.tolist() == [True]


def test_ekf_refuses_a_track_straight_above_the_sensor():
    from shieldwall.tracking import rae_jacobian

    with pytest.raises(ValueError, match="straight above"):
        rae_jacobian(np.array([[0.0, 0.0, 1e4, 0, 0, 0]]), np.zeros(3))
