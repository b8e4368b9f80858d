"""Tracking: the batched Kalman filter against a textbook matrix filter, process noise against
its defining integral and covariance invariants (the node tracker has its own tests in
test_node.py).

References: Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and
Navigation* (2001): CWNA model Q (eq. 6.2.2-12) = int_0^T F(s) G q G' F(s)' ds; Joseph update
(eq. 5.2.3-18); NEES of a consistent filter is chi-square with n_x = 6 dof (sec. 5.4.2).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad_vec

from shieldwall.tracking.kalman import (
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    predict,
    process_noise,
    transition,
    update_position,
)

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
