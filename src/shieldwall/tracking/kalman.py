"""Batched Kalman filter for 6-state (position, velocity) tracks in ECEF.

Every function works on stacks of tracks: ``x`` is ``(m, 6)``, ``P`` is ``(m, 6, 6)``, ``dt_s``
is ``(m,)``. Equations follow Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to
Tracking and Navigation* (2001): the discretised continuous white-noise acceleration model
(sec. 6.2.2) and the Joseph-form covariance update (eq. 5.2.3-18). A ballistic track adds
inverse-square gravity to the prediction of its mean.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from shieldwall.tracking.fastnp import einsum


def transition(dt_s: np.ndarray) -> np.ndarray:
    """Constant-velocity transition matrices ``F`` ``(m, 6, 6)``."""
    F = np.broadcast_to(np.eye(6), (dt_s.size, 6, 6)).copy()
    idx = np.arange(3)
    F[:, idx, idx + 3] = dt_s[:, None]
    return F


def process_noise(dt_s: np.ndarray, q_m2_s3: np.ndarray) -> np.ndarray:
    """White-noise-acceleration ``Q`` ``(m, 6, 6)`` with spectral density ``q`` (m^2/s^3):
    ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]`` (Bar-Shalom et al. eq. 6.2.2-12).
    The three distinct entries are computed once per track and scattered by a constant
    pattern (no per-call ``np.eye`` or block concatenation: this runs every decision cycle)."""
    dt = dt_s[:, None]
    q = q_m2_s3[:, None]
    terms = np.concatenate([q * (dt**3 / 3), q * (dt**2 / 2), q * dt], axis=1)
    return (terms[:, _Q_TERM] * _Q_MASK).reshape(-1, 6, 6)


# which of (dt^3/3, dt^2/2, dt) each entry of the flattened 6x6 Q holds, and where it is zero
_Q_TERM = (np.arange(6)[:, None] // 3 + np.arange(6)[None, :] // 3).ravel()
_Q_MASK = (np.arange(6)[:, None] % 3 == np.arange(6)[None, :] % 3).astype(float).ravel()
_2W, _M2W = 2.0 * OMEGA_EARTH_RAD_S, -2.0 * OMEGA_EARTH_RAD_S  # Coriolis: times v_y, v_x
_COR = np.array([_2W, _M2W])  # times (v_y, v_x)
_W2 = OMEGA_EARTH_RAD_S * OMEGA_EARTH_RAD_S  # centrifugal


def gravity_ecef(pos_m: np.ndarray, vel_m_s: np.ndarray) -> np.ndarray:
    """Acceleration ``(m, 3)`` of a coasting body seen in the rotating ECEF frame: inverse-square
    gravity plus the Coriolis and centrifugal terms,
    ``a = -mu r / |r|^3 - 2 w x v - w x (w x r)``, ``w = (0, 0, omega)`` (Vallado, 4th ed.,
    sec. 3.7; truth flies on the rotating Earth, so a ballistic track must too)."""
    r = np.sqrt(einsum("...i,...i->...", pos_m, pos_m))[..., None]
    a = pos_m * (-MU_EARTH_M3_S2 / np.maximum(r, 1.0) ** 3)
    # -2 w x v = 2 w (v_y, -v_x, 0); -w x (w x r) = w^2 (x, y, 0); added in place, for a few
    # states both horizontal components at once (fewer calls), else column by column (faster
    # loops)
    if a.size <= 12:
        c = vel_m_s[..., 1::-1] * _COR
        c += _W2 * pos_m[..., :2]
        a_xy = a[..., :2]
        a_xy += c
        return a
    ax, ay = a[..., 0], a[..., 1]
    ax += _2W * vel_m_s[..., 1] + _W2 * pos_m[..., 0]
    ay += _M2W * vel_m_s[..., 0] + _W2 * pos_m[..., 1]
    return a


def predict_cv(
    x: np.ndarray,
    P: np.ndarray,
    dt_s: np.ndarray | float,
    q_m2_s3: np.ndarray | float,
    accel_m_s2: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """CWNA prediction ``dt_s`` ahead (BLK eq. 6.2.2-12), optionally with known acceleration
    ``a`` ``(n, 3)`` held over the interval: ``p += v dt + a dt^2/2``, ``v += a dt``.

    Shapes: ``x`` ``(n, 6)``, ``P`` ``(n, 6, 6)``, ``dt_s`` and ``q_m2_s3`` scalar or ``(n,)``."""
    n = x.shape[0]
    dt, q = _per_row(dt_s, n), _per_row(q_m2_s3, n)
    return propagate_cv(x, P, dt[:, None], process_noise(dt, q), accel_m_s2)


def propagate_cv(
    x: np.ndarray,
    P: np.ndarray,
    dt_s: np.ndarray | float,
    Q: np.ndarray,
    accel_m_s2: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict_cv` with the process noise ``Q`` ``(n, 6, 6)`` given and ``dt_s`` a
    scalar or ``(n, 1)`` (a node predicts all its tracks over one interval: ``Q`` then comes
    from a per-class table, :func:`process_noise_table`).

    The covariance is worked on in a block-major copy ``(36, n)`` (each 3x3 block's entries
    in 9 contiguous rows): numpy's calls on whole contiguous rows cost a third of those on
    strided ``(n, 3, 3)`` views, and every entry is computed by the same expression."""
    # x = F x (+ G a): p = p + dt v (+ a dt^2 / 2), v = v (+ a dt)
    t = dt_s
    n = x.shape[0]
    x_new = np.empty((n, 6))
    p, v_new = x_new[:, :3], x_new[:, 3:]
    v = x[:, 3:]
    np.multiply(t, v, out=p)
    p += x[:, :3]
    if accel_m_s2 is not None:
        p += 0.5 * accel_m_s2 * (t * t)
        np.multiply(accel_m_s2, t, out=v_new)
        v_new += v
    else:
        v_new[...] = v
    # P = F P F' + Q in 3x3 blocks, F = [[I, dt I], [0, I]]:
    # P11 + dt (P12 + P21) + dt^2 P22, P12 + dt P22, P21 + dt P22, P22
    d = t.reshape(1, n) if isinstance(t, np.ndarray) else t
    B = P.reshape(n, 36).T.take(_BLOCKS, 0)  # rows: blocks 11, 12, 21, 22
    P22 = B[27:]
    N = np.empty((36, n))
    np.add(B[9:27].reshape(2, 9, n), d * P22, out=N[9:27].reshape(2, 9, n))
    s = B[9:18] + B[18:27]
    s *= d
    N11 = N[:9]
    np.add(B[:9], s, out=N11)
    np.multiply(d * d, P22, out=s)
    N11 += s
    N[27:] = P22
    P_new = N.T.take(_UNBLOCK, 1).reshape(n, 6, 6)
    P_new += Q
    return x_new, P_new


# entries of a flattened 6x6 matrix by 3x3 block (11, 12, 21, 22), each block row-major; and
# back
_BLOCKS = np.array([r * 6 + c for br in (0, 3) for bc in (0, 3)
                    for r in range(br, br + 3) for c in range(bc, bc + 3)])  # fmt: skip
_UNBLOCK = np.argsort(_BLOCKS)


@lru_cache(maxsize=64)
def process_noise_table(dt_s: float, q_m2_s3: tuple[float, ...]) -> np.ndarray:
    """:func:`process_noise` ``(c, 6, 6)`` over ``dt_s`` for each of ``c`` spectral densities
    (read-only: cached)."""
    Q = process_noise(np.full(len(q_m2_s3), dt_s), np.array(q_m2_s3))
    Q.flags.writeable = False
    return Q


def _per_row(v: np.ndarray | float, n: int) -> np.ndarray:
    """``v`` as a float array ``(n,)`` (a scalar is repeated)."""
    if isinstance(v, np.ndarray) and v.shape == (n,) and v.dtype == np.float64:
        return v
    return np.broadcast_to(np.asarray(v, dtype=float), (n,))


def predict(
    x: np.ndarray, P: np.ndarray, dt_s: np.ndarray, q_m2_s3: np.ndarray, ballistic: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Predict tracks ``dt_s`` ahead; ballistic tracks (bool mask) also fall under gravity in
    the rotating frame (:func:`gravity_ecef`, held at its value at the start of the interval)."""
    accel = None
    if ballistic.any():
        accel = gravity_ecef(x[:, :3], x[:, 3:]) * ballistic[:, None]
    return predict_cv(x, P, dt_s, q_m2_s3, accel)


def update_position(
    x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Update with position measurements ``z`` ``(m, 3)`` of covariance ``R`` ``(m, 3, 3)``;
    ``H = [I 0]``. Joseph form keeps ``P`` symmetric positive definite."""
    # y = z - H x ; S = H P H' + R ; K = P H' S^-1
    y = z - x[:, :3]
    S = P[:, :3, :3] + R
    # K' = S^-1 H P (S and P symmetric)
    K = np.linalg.solve(S, P[:, :3, :]).transpose(0, 2, 1)
    x_new = x + np.einsum("mij,mj->mi", K, y)
    # P = (I - K H) P (I - K H)' + K R K'
    IKH = np.broadcast_to(np.eye(6), P.shape).copy()
    IKH[:, :, :3] -= K
    P_new = np.einsum("mij,mjk,mlk->mil", IKH, P, IKH) + np.einsum("mij,mjk,mlk->mil", K, R, K)
    return x_new, 0.5 * (P_new + P_new.transpose(0, 2, 1))
