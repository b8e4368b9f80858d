"""Tracking: the batched Kalman filter against a textbook matrix filter, process noise against
its defining integral, covariance invariants, and NodeTracks' track management and consistency.

References: Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and
Navigation* (2001): CWNA model Q (eq. 6.2.2-12) = int_0^T F(s) G q G' F(s)' ds; Joseph update
(eq. 5.2.3-18); NEES of a consistent filter is chi-square with n_x = 6 dof (sec. 5.4.2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad_vec

from shieldwall.geo import geodetic_to_ecef
from shieldwall.tracking import CONFIRMED, NONE, TENTATIVE, NodeTracks
from shieldwall.tracking.kalman import (
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    predict,
    process_noise,
    transition,
    update_position,
)
from shieldwall.tracking.node import Q_BY_CLASS, V0_SIGMA_BY_CLASS

H = np.hstack([np.eye(3), np.zeros((3, 3))])


def _textbook_F(dt):
    F = np.eye(6)
    F[:3, 3:] = dt * np.eye(3)
    return F


def _textbook_Q(dt, q):
    """Q = int_0^dt F(s) G q G' F(s)' ds, G = [0; I] (continuous white acceleration)."""
    G = np.vstack([np.zeros((3, 3)), np.eye(3)])

    def integrand(s):
        F = _textbook_F(s)
        return F @ G @ G.T @ F.T * q

    return quad_vec(integrand, 0.0, dt, epsabs=0.0, epsrel=1e-12)[0]


def _random_spd(rng, n, scale):
    A = rng.standard_normal((n, n)) * scale
    return A @ A.T + np.eye(n) * scale**2 * 0.1


# --------------------------------------------------------------------------------------------
# Kalman functions
# --------------------------------------------------------------------------------------------


def test_transition_is_constant_velocity():
    dt = np.array([0.0, 1.5, 10.0])
    F = transition(dt)
    for i in range(3):
        np.testing.assert_array_equal(F[i], _textbook_F(dt[i]))
    x = np.array([1.0, 2.0, 3.0, 10.0, -20.0, 30.0])
    np.testing.assert_allclose(F[2] @ x, [101.0, -198.0, 303.0, 10.0, -20.0, 30.0])


@pytest.mark.parametrize(("dt", "q"), [(0.5, 2.0), (5.0, 20.0), (30.0, 400.0)])
def test_process_noise_matches_integral(dt, q):
    Q = process_noise(np.array([dt]), np.array([q]))[0]
    np.testing.assert_allclose(Q, _textbook_Q(dt, q), rtol=1e-10, atol=0.0)
    # hand values of the closed form: q dt^3/3, q dt^2/2, q dt
    assert Q[0, 0] == pytest.approx(q * dt**3 / 3, rel=1e-14)
    assert Q[0, 3] == pytest.approx(q * dt**2 / 2, rel=1e-14)
    assert Q[3, 3] == pytest.approx(q * dt, rel=1e-14)
    assert Q[0, 1] == 0.0 and Q[0, 4] == 0.0


def test_batched_filter_matches_textbook_for_many_steps():
    """Batched predict / update vs a plain matrix KF for 2,000 steps on 4 tracks (1e-9 rel)."""
    rng = np.random.default_rng(42)
    m, steps = 4, 2000
    q = np.array([2.0, 20.0, 400.0, 50.0])
    x = rng.standard_normal((m, 6)) * [1e5, 1e5, 1e5, 100, 100, 100]
    P = np.stack([_random_spd(rng, 6, 50.0) for _ in range(m)])
    xr, Pr = x.copy(), P.copy()
    for _ in range(steps):
        dt = rng.uniform(0.5, 10.0, m)
        z = xr[:, :3] + rng.standard_normal((m, 3)) * 100.0
        R = np.stack([_random_spd(rng, 3, 40.0) for _ in range(m)])
        x, P = predict(x, P, dt, q, np.zeros(m, dtype=bool))
        x, P = update_position(x, P, z, R)
        for i in range(m):
            F = _textbook_F(dt[i])
            Qi = q[i] * np.block(
                [
                    [dt[i] ** 3 / 3 * np.eye(3), dt[i] ** 2 / 2 * np.eye(3)],
                    [dt[i] ** 2 / 2 * np.eye(3), dt[i] * np.eye(3)],
                ]
            )
            # x = F x ; P = F P F' + Q
            xp = F @ xr[i]
            Pp = F @ Pr[i] @ F.T + Qi
            # S = H P H' + R ; K = P H' S^-1 ; x = x + K (z - H x)
            S = H @ Pp @ H.T + R[i]
            K = Pp @ H.T @ np.linalg.inv(S)
            xr[i] = xp + K @ (z[i] - H @ xp)
            # Joseph form: P = (I - K H) P (I - K H)' + K R K'
            IKH = np.eye(6) - K @ H
            Pr[i] = IKH @ Pp @ IKH.T + K @ R[i] @ K.T
    np.testing.assert_allclose(x, xr, rtol=1e-9, atol=1e-9 * np.abs(xr).max())
    for i in range(m):
        np.testing.assert_allclose(P[i], Pr[i], rtol=1e-9, atol=1e-9 * np.abs(Pr[i]).max())


def test_ballistic_prediction_adds_gravity():
    """On the z axis at r = 7,000 km, a = -mu / r^2 z-hat, plus the Coriolis term
    -2 w x v = (0, -2 w v_x, 0) of the rotating frame (no centrifugal term on the axis):
    p += v dt + a dt^2/2, v += a dt."""
    r = 7.0e6
    x = np.array([[0.0, 0.0, r, 100.0, 0.0, 50.0]])
    P = np.eye(6)[None] * 100.0
    dt = 2.0
    g = MU_EARTH_M3_S2 / r**2  # 8.1347 m/s^2
    assert g == pytest.approx(8.1347, abs=1e-3)
    xb, Pb = predict(x, P, np.array([dt]), np.array([400.0]), np.array([True]))
    xc, Pc = predict(x, P, np.array([dt]), np.array([400.0]), np.array([False]))
    np.testing.assert_allclose(xc[0], [200.0, 0.0, r + 100.0, 100.0, 0.0, 50.0], atol=1e-9)
    ay = -2 * OMEGA_EARTH_RAD_S * 100.0  # -0.0146 m/s^2
    np.testing.assert_allclose(
        xb[0],
        [200.0, 0.5 * ay * dt**2, r + 100.0 - 0.5 * g * dt**2, 100.0, ay * dt, 50.0 - g * dt],
        atol=1e-9,
    )
    np.testing.assert_array_equal(Pb, Pc)  # gravity moves the mean only


spd6 = st.integers(0, 2**32 - 1)


@settings(max_examples=80, deadline=None)
@given(
    seed=spd6,
    dt=st.floats(0.0, 60.0),
    q=st.floats(0.0, 1e3),
    p_scale=st.floats(1e-1, 1e4),
    r_scale=st.floats(1e-1, 1e4),
)
def test_covariance_stays_symmetric_psd(seed, dt, q, p_scale, r_scale):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 6)) * 1e4
    P = _random_spd(rng, 6, p_scale)[None]
    R = _random_spd(rng, 3, r_scale)[None]
    z = rng.standard_normal((1, 3)) * 1e4
    xp, Pp = predict(x, P, np.array([dt]), np.array([q]), np.array([False]))
    xu, Pu = update_position(xp, Pp, z, R)
    for M in (Pp[0], Pu[0]):
        scale = np.abs(M).max()
        np.testing.assert_allclose(M, M.T, atol=1e-12 * scale)
        assert np.linalg.eigvalsh(M).min() >= -1e-9 * scale
    # an update never increases uncertainty: Pp - Pu is PSD (Loewner order)
    D = Pp[0] - Pu[0]
    assert np.linalg.eigvalsh(0.5 * (D + D.T)).min() >= -1e-8 * np.abs(Pp[0]).max()


# --------------------------------------------------------------------------------------------
# NodeTracks: management
# --------------------------------------------------------------------------------------------


def _one(t, nation, threat, z=None, sigma=50.0):
    z = np.zeros(3) if z is None else z
    return (np.array([float(t)]), np.array([nation]), np.array([threat]), np.array([z]),
            np.eye(3)[None] * sigma**2)  # fmt: skip


def test_confirmation_after_confirm_hits():
    nt = NodeTracks(2, np.array([2, 1, 0]), confirm_hits=3, drop_track_s=30.0)
    key = nt.key(np.array([1]), np.array([2]))[0]
    for i, t in enumerate((0.0, 5.0, 10.0)):
        ch = nt.ingest(*_one(t, 1, 2))
        if i < 2:
            assert nt.status[key] == TENTATIVE
            assert ch.started[0].size == 0
        else:
            assert nt.status[key] == CONFIRMED
            np.testing.assert_array_equal(ch.started[0], [1])
            np.testing.assert_array_equal(ch.started[1], [2])
    # nobody else got a track
    others = np.delete(np.arange(6), key)
    assert np.all(nt.status[others] == NONE)
    # a fourth hit does not report a new confirmation
    ch = nt.ingest(*_one(15.0, 1, 2))
    assert ch.started[0].size == 0 and nt.hits[key] == 4


def test_confirmation_within_one_batch():
    """Three detections of one object in one call confirm it; one of another does not."""
    nt = NodeTracks(1, np.array([2, 2]), confirm_hits=3, drop_track_s=30.0)
    t = np.array([0.0, 2.0, 2.0, 4.0])
    ch = nt.ingest(t, np.zeros(4, dtype=np.int64), np.array([0, 0, 1, 0]), np.zeros((4, 3)),
                   np.broadcast_to(np.eye(3) * 100.0, (4, 3, 3)).copy())  # fmt: skip
    np.testing.assert_array_equal(nt.status, [CONFIRMED, TENTATIVE])
    np.testing.assert_array_equal(nt.hits, [3, 1])
    np.testing.assert_array_equal(ch.started[1], [0])
    np.testing.assert_array_equal(nt.t_s, [4.0, 2.0])


def test_drop_after_drop_track_s():
    nt = NodeTracks(2, np.array([2, 2]), confirm_hits=2, drop_track_s=30.0)
    for t in (0.0, 5.0):
        nt.ingest(*_one(t, 0, 0))  # confirmed, last seen t = 5
    nt.ingest(*_one(10.0, 1, 1))  # tentative, last seen t = 10
    ch = nt.drop(35.0)  # exactly drop_track_s after the last update: kept
    assert ch.ended[0].size == 0 and nt.status[0] == CONFIRMED
    ch = nt.drop(35.5)
    assert nt.status[0] == NONE and nt.hits[0] == 0
    np.testing.assert_array_equal(ch.ended[0], [0])
    np.testing.assert_array_equal(ch.ended[1], [0])
    assert nt.status[3] == TENTATIVE
    ch = nt.drop(40.5)  # the tentative track goes silently (never reported as a track)
    assert nt.status[3] == NONE and ch.ended[0].size == 0
    # a dropped track starts afresh from the next detection
    nt.ingest(*_one(50.0, 0, 0, z=np.array([1.0, 2.0, 3.0])))
    assert nt.status[0] == TENTATIVE and nt.hits[0] == 1
    np.testing.assert_array_equal(nt.x[0], [1.0, 2.0, 3.0, 0.0, 0.0, 0.0])


def test_drop_dead_threat_for_every_nation():
    nt = NodeTracks(3, np.array([2, 2]), confirm_hits=1, drop_track_s=30.0)
    for a in range(3):
        nt.ingest(*_one(0.0, a, 1))
        nt.ingest(*_one(0.0, a, 0))
    ch = nt.drop(1.0, dead=np.array([False, True]))
    np.testing.assert_array_equal(nt.status, [CONFIRMED, NONE] * 3)
    np.testing.assert_array_equal(np.sort(ch.ended[0]), [0, 1, 2])
    np.testing.assert_array_equal(ch.ended[1], [1, 1, 1])


def test_new_track_initialisation():
    nt = NodeTracks(1, np.array([0, 1, 2]), confirm_hits=2, drop_track_s=30.0)
    R = np.diag([100.0, 400.0, 900.0])
    z = np.array([[1.0, 2.0, 3.0]] * 3)
    nt.ingest(np.zeros(3), np.zeros(3, dtype=np.int64), np.arange(3), z,
              np.broadcast_to(R, (3, 3, 3)).copy())  # fmt: skip
    for j in range(3):
        np.testing.assert_array_equal(nt.x[j], [1.0, 2.0, 3.0, 0.0, 0.0, 0.0])
        np.testing.assert_array_equal(nt.P[j][:3, :3], R)
        np.testing.assert_array_equal(nt.P[j][3:, 3:], np.eye(3) * V0_SIGMA_BY_CLASS[j] ** 2)
        assert not nt.P[j][:3, 3:].any()


def test_estimates_predict_confirmed_tracks_only():
    nt = NodeTracks(1, np.array([2, 2]), confirm_hits=2, drop_track_s=30.0)
    R = np.eye(3)[None] * 100.0
    nt.ingest(np.array([0.0]), np.array([0]), np.array([0]), np.zeros((1, 3)), R)
    nt.ingest(np.array([10.0]), np.array([0]), np.array([0]), np.full((1, 3), 500.0), R)
    nt.ingest(np.array([10.0]), np.array([0]), np.array([1]), np.zeros((1, 3)), R)
    ok, x, P = nt.estimates(0, 20.0)
    np.testing.assert_array_equal(ok, [True, False])
    xp, Pp = predict(nt.x[:1], nt.P[:1], np.array([10.0]), Q_BY_CLASS[[2]], np.array([False]))
    np.testing.assert_allclose(x[0], xp[0], rtol=1e-14)
    np.testing.assert_allclose(P[0], Pp[0], rtol=1e-14)
    np.testing.assert_array_equal(x[1], nt.x[1])  # unconfirmed: left as stored


# --------------------------------------------------------------------------------------------
# NodeTracks: estimation quality
# --------------------------------------------------------------------------------------------


def _simulate(runs, steps, dt, cls, rng, process_noise_on):
    """Truth and measurements for ``runs`` independent targets tracked by one nation."""
    q = Q_BY_CLASS[cls]
    p0 = geodetic_to_ecef(32.0, 36.0, 300.0)
    x = np.zeros((runs, 6))
    x[:, :3] = p0
    x[:, 3:] = rng.standard_normal((runs, 3)) * V0_SIGMA_BY_CLASS[cls]
    L = np.linalg.cholesky(process_noise(np.array([dt]), np.array([q]))[0])
    R = np.diag([50.0, 80.0, 120.0]) ** 2
    Lr = np.linalg.cholesky(R)
    truth, meas = [], []
    for _ in range(steps):
        truth.append(x.copy())
        meas.append(x[:, :3] + rng.standard_normal((runs, 3)) @ Lr.T)
        x = x @ _textbook_F(dt).T
        if process_noise_on:
            x = x + rng.standard_normal((runs, 6)) @ L.T
    return truth, meas, R


def test_nees_consistent_for_matched_model():
    """Truth drawn from the filter's own model (CWNA with q, initial velocity spread v0): the
    average NEES over 300 runs and steps 10-60 is chi-square(6) mean 6 (loose bounds 5-7)."""
    rng = np.random.default_rng(2024)
    runs, steps, dt, cls = 300, 60, 5.0, 2
    truth, meas, R = _simulate(runs, steps, dt, cls, rng, process_noise_on=True)
    nt = NodeTracks(1, np.full(runs, cls), confirm_hits=2, drop_track_s=30.0)
    nees = []
    Rb = np.broadcast_to(R, (runs, 3, 3)).copy()
    for k in range(steps):
        nt.ingest(np.full(runs, k * dt), np.zeros(runs, dtype=np.int64), np.arange(runs),
                  meas[k], Rb)  # fmt: skip
        e = nt.x - truth[k]
        nees.append(np.einsum("mi,mij,mj->m", e, np.linalg.inv(nt.P), e))
    nees = np.array(nees)
    avg = nees[10:].mean()
    assert 5.0 < avg < 7.0, avg
    # per-step run averages stay in the two-sided 99.9 % band of chi2(6 runs) / runs
    per_step = nees[10:].mean(axis=1)
    half = 3.3 * math.sqrt(12.0 / runs)
    assert np.all(np.abs(per_step - 6.0) < half + 0.3)


def test_position_error_below_measurement_sigma_after_convergence():
    """A constant-velocity drone at 45 m/s measured with sigma 50/80/120 m every 5 s: after
    20 updates the RMS position error per axis is below the measurement sigma."""
    rng = np.random.default_rng(5)
    runs, steps, dt, cls = 200, 40, 5.0, 2
    truth, meas, R = _simulate(runs, steps, dt, cls, rng, process_noise_on=False)
    nt = NodeTracks(1, np.full(runs, cls), confirm_hits=2, drop_track_s=30.0)
    Rb = np.broadcast_to(R, (runs, 3, 3)).copy()
    errs = []
    for k in range(steps):
        nt.ingest(np.full(runs, k * dt), np.zeros(runs, dtype=np.int64), np.arange(runs),
                  meas[k], Rb)  # fmt: skip
        errs.append(nt.x[:, :3] - truth[k][:, :3])
    rms = np.sqrt(np.mean(np.array(errs[20:]) ** 2, axis=(0, 1)))
    sigma = np.sqrt(np.diag(R))
    assert np.all(rms < 0.8 * sigma), (rms, sigma)
    assert np.all(nt.status == CONFIRMED)
