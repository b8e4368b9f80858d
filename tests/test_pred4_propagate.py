"""``kalman.propagate_cv`` (block-major covariance) against the textbook block formula.

The fast prediction must give the very bits of the plain 3x3-block evaluation of
``P = F P F' + Q`` with ``F = [[I, dt I], [0, I]]`` (Bar-Shalom et al. 2001, eq. 6.2.2-12),
evaluated entry by entry in the same order, for any covariance (also a non-symmetric one), a
scalar or per-row interval, and with or without a known acceleration."""

from __future__ import annotations

import numpy as np
import pytest

from shieldwall.tracking.kalman import process_noise, propagate_cv


def _reference(x, P, dt_s, Q, accel=None):
    """The strided block evaluation (the formula as written)."""
    t = dt_s
    v = x[:, 3:]
    p = x[:, :3] + t * v
    if accel is not None:
        p += 0.5 * accel * (t * t)
        v = v + accel * t
    x_new = np.concatenate([p, v], axis=1)
    d = t[:, :, None] if isinstance(t, np.ndarray) else t
    P11, P12, P21, P22 = P[:, :3, :3], P[:, :3, 3:], P[:, 3:, :3], P[:, 3:, 3:]
    dP22 = d * P22
    P_new = np.empty_like(P)
    np.add(P11 + d * (P12 + P21), d * d * P22, out=P_new[:, :3, :3])
    np.add(P12, dP22, out=P_new[:, :3, 3:])
    np.add(P21, dP22, out=P_new[:, 3:, :3])
    P_new[:, 3:, 3:] = P22
    P_new += Q
    return x_new, P_new


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.int64)


@pytest.mark.parametrize("n", [0, 1, 3, 17, 70])
@pytest.mark.parametrize("scalar_dt", [False, True])
@pytest.mark.parametrize("with_accel", [False, True])
def test_propagate_cv_bit_identical(n: int, scalar_dt: bool, with_accel: bool) -> None:
    rng = np.random.default_rng(n * 4 + 2 * scalar_dt + with_accel)
    x = rng.normal(0.0, 5e6, (n, 6))
    x[:, 3:] = rng.normal(0.0, 800.0, (n, 3))
    A = rng.normal(0.0, 30.0, (n, 6, 6))
    P = A @ A.transpose(0, 2, 1) + rng.normal(0.0, 1e-3, (n, 6, 6))  # not exactly symmetric
    P[:, 0, 4] = -0.0  # signed zeros keep their sign as the formula gives it
    dt = rng.uniform(0.0, 30.0, n)
    dt[: n // 3] = 0.0
    Q = process_noise(dt, rng.choice([1.0, 25.0, 400.0], n))
    t = 5.0 if scalar_dt else dt[:, None]
    accel = rng.normal(0.0, 9.8, (n, 3)) if with_accel else None
    x_ref, P_ref = _reference(x, P, t, Q, accel)
    x_new, P_new = propagate_cv(x, P, t, Q, accel)
    assert x_new.shape == (n, 6) and P_new.shape == (n, 6, 6)
    np.testing.assert_array_equal(_bits(x_new), _bits(x_ref))
    np.testing.assert_array_equal(_bits(P_new), _bits(P_ref))
