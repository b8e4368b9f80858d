"""Batched Kalman filter for 6-state (position, velocity) tracks in ECEF.

Every function works on stacks of tracks: ``x`` is ``(m, 6)``, ``P`` is ``(m, 6, 6)``, ``dt_s``
is ``(m,)``. Equations follow Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to
Tracking and Navigation* (2001): the discretised continuous white-noise acceleration model
(sec. 6.2.2) and the Joseph-form covariance update (eq. 5.2.3-18). A ballistic track adds
inverse-square gravity to the prediction of its mean.
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S


def transition(dt_s: np.ndarray) -> np.ndarray:
    """Constant-velocity transition matrices ``F`` ``(m, 6, 6)``."""
    F = np.broadcast_to(np.eye(6), (dt_s.size, 6, 6)).copy()
    idx = np.arange(3)
    F[:, idx, idx + 3] = dt_s[:, None]
    return F


def process_noise(dt_s: np.ndarray, q_m2_s3: np.ndarray) -> np.ndarray:
    """White-noise-acceleration ``Q`` ``(m, 6, 6)`` with spectral density ``q`` (m^2/s^3):
    ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]`` (Bar-Shalom et al. eq. 6.2.2-12)."""
    dt = dt_s[:, None, None]
    q = q_m2_s3[:, None, None]
    eye = np.eye(3)[None]
    top = np.concatenate([dt**3 / 3 * eye, dt**2 / 2 * eye], axis=2)
    bottom = np.concatenate([dt**2 / 2 * eye, dt * eye], axis=2)
    return q * np.concatenate([top, bottom], axis=1)


def gravity_ecef(pos_m: np.ndarray, vel_m_s: np.ndarray) -> np.ndarray:
    """Acceleration ``(m, 3)`` of a coasting body seen in the rotating ECEF frame: inverse-square
    gravity plus the Coriolis and centrifugal terms,
    ``a = -mu r / |r|^3 - 2 w x v - w x (w x r)``, ``w = (0, 0, omega)`` (Vallado, 4th ed.,
    sec. 3.7; truth flies on the rotating Earth, so a ballistic track must too)."""
    r = np.sqrt(np.einsum("...i,...i->...", pos_m, pos_m))[..., None]
    a = pos_m * (-MU_EARTH_M3_S2 / np.maximum(r, 1.0) ** 3)
    w = OMEGA_EARTH_RAD_S
    # -2 w x v = 2 w (v_y, -v_x, 0); -w x (w x r) = w^2 (x, y, 0)
    a[..., 0] += 2.0 * w * vel_m_s[..., 1] + w * w * pos_m[..., 0]
    a[..., 1] += -2.0 * w * vel_m_s[..., 0] + w * w * pos_m[..., 1]
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
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (n,))
    q = np.broadcast_to(np.asarray(q_m2_s3, dtype=float), (n,))
    # x = F x (+ G a)
    x_new = x.copy()
    x_new[:, :3] += dt[:, None] * x[:, 3:]
    if accel_m_s2 is not None:
        x_new[:, :3] += 0.5 * accel_m_s2 * dt[:, None] ** 2
        x_new[:, 3:] += accel_m_s2 * dt[:, None]
    # P = F P F' + Q in 3x3 blocks, F = [[I, dt I], [0, I]]
    d = dt[:, None, None]
    P11, P12, P21, P22 = P[:, :3, :3], P[:, :3, 3:], P[:, 3:, :3], P[:, 3:, 3:]
    P_new = np.empty_like(P)
    P_new[:, :3, :3] = P11 + d * (P12 + P21) + d * d * P22
    P_new[:, :3, 3:] = P12 + d * P22
    P_new[:, 3:, :3] = P21 + d * P22
    P_new[:, 3:, 3:] = P22
    P_new += process_noise(dt, q)
    return x_new, P_new


def predict(
    x: np.ndarray, P: np.ndarray, dt_s: np.ndarray, q_m2_s3: np.ndarray, ballistic: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Predict tracks ``dt_s`` ahead; ballistic tracks (bool mask) also fall under gravity in
    the rotating frame (:func:`gravity_ecef`, held at its value at the start of the interval)."""
    accel = None
    if np.any(ballistic):
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
