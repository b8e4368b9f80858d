"""Batched motion models, the linear position update and the IMM, for stacks of 6-state tracks.

State ``x = [x y z vx vy vz]`` in one Cartesian frame (SI). Every function takes stacks:
``x`` ``(n, 6)``, ``P`` ``(n, 6, 6)``; IMM functions take per-model stacks ``(n, r, 6)``,
``(n, r, 6, 6)`` and model probabilities ``mu`` ``(n, r)``.

References: Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and
Navigation* (2001) [BLK]: continuous white-noise acceleration (CWNA) model, sec. 6.2.2; Kalman
update and Joseph form, sec. 5.2.3; IMM, sec. 11.6.6. Blom & Bar-Shalom, "The interacting
multiple model algorithm for systems with Markovian switching coefficients", IEEE TAC 33(8),
1988.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.tracking.fastnp import einsum, logdet, solve
from shieldwall.tracking.kalman import gravity_ecef, predict_cv

LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True, slots=True)
class MotionModel:
    """One motion model: CWNA with spectral density ``q_m2_s3`` plus a known acceleration.

    ``gravity`` is ``"none"`` (constant velocity), ``"vector"`` (constant ``gravity_m_s2`` in the
    track frame, e.g. ``(0, 0, -9.80665)`` in a local ENU frame) or ``"ecef"`` (inverse-square
    gravity with Coriolis and centrifugal terms, :func:`kalman.gravity_ecef`). Gravity enters the
    mean only (its Jacobian is negligible over a scan; BLK sec. 10.3)."""

    name: str
    q_m2_s3: float
    gravity: str = "none"
    gravity_m_s2: tuple[float, float, float] = (0.0, 0.0, 0.0)


def model_acceleration(model: MotionModel, x: np.ndarray) -> np.ndarray | None:
    """Known acceleration ``(n, 3)`` of ``model`` at states ``x`` ``(n, 6)`` (None for CV)."""
    if model.gravity == "none":
        return None
    if model.gravity == "vector":
        return np.broadcast_to(np.asarray(model.gravity_m_s2, dtype=float), (x.shape[0], 3))
    if model.gravity == "ecef":
        return gravity_ecef(x[:, :3], x[:, 3:])
    raise ValueError(f"unknown gravity {model.gravity!r}; expected none, vector or ecef")


def predict_model(
    model: MotionModel, x: np.ndarray, P: np.ndarray, dt_s: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Predict stacks ``(n, 6)``/``(n, 6, 6)`` under one :class:`MotionModel`."""
    return predict_cv(x, P, dt_s, model.q_m2_s3, model_acceleration(model, x))


def innovation(
    x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Position innovation ``y = z - H x`` ``(n, 3)`` and covariance ``S = H P H' + R``
    ``(n, 3, 3)`` for ``H = [I 0]``."""
    return z - x[:, :3], P[:, :3, :3] + R


def gaussian_loglik(y: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ln N(y; 0, S)`` ``(n,)`` and the squared Mahalanobis distance ``d2 = y' S^-1 y``."""
    d2 = einsum("ni,ni->n", y, solve(S, y[:, :, None])[:, :, 0])
    return -0.5 * (d2 + logdet(S) + y.shape[1] * LOG_2PI), d2


def update_position(
    x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kalman update with position measurements ``z`` ``(n, 3)``, ``R`` ``(n, 3, 3)``,
    ``H = [I 0]`` (BLK sec. 5.2.3), Joseph form. Returns ``x``, ``P`` and ``ln N(y; 0, S)``."""
    # y = z - H x ; S = H P H' + R
    y, S = innovation(x, P, z, R)
    loglik, _ = gaussian_loglik(y, S)
    # K = P H' S^-1, computed as K' = S^-1 H P
    K = np.linalg.solve(S, P[:, :3, :]).transpose(0, 2, 1)
    x_new = x + (K @ y[:, :, None])[:, :, 0]
    # P = (I - K H) P (I - K H)' + K R K'
    IKH = np.broadcast_to(np.eye(6), P.shape).copy()
    IKH[:, :, :3] -= K
    P_new = IKH @ P @ IKH.transpose(0, 2, 1) + K @ R @ K.transpose(0, 2, 1)
    return x_new, 0.5 * (P_new + P_new.transpose(0, 2, 1)), loglik


def combine(x_r: np.ndarray, P_r: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moment-matched Gaussian of a mixture: ``x = sum_r w_r x_r``,
    ``P = sum_r w_r (P_r + (x_r - x)(x_r - x)')`` (BLK sec. 11.6.6).
    Shapes ``(n, r, 6)``, ``(n, r, 6, 6)``, ``w`` ``(n, r)`` summing to one."""
    if x_r.shape[1] == 1:
        return x_r[:, 0], P_r[:, 0]
    x = np.einsum("nr,nri->ni", w, x_r)
    dx = x_r - x[:, None, :]
    P = np.einsum("nr,nrij->nij", w, P_r + dx[..., :, None] * dx[..., None, :])
    return x, 0.5 * (P + P.transpose(0, 2, 1))


def imm_mix(
    x_r: np.ndarray, P_r: np.ndarray, mu: np.ndarray, trans: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IMM interaction step (Blom & Bar-Shalom 1988; BLK sec. 11.6.6).

    ``c_j = sum_i p_ij mu_i``; ``mu_{i|j} = p_ij mu_i / c_j``; ``x0_j = sum_i mu_{i|j} x_i``;
    ``P0_j = sum_i mu_{i|j} (P_i + (x_i - x0_j)(x_i - x0_j)')``. ``trans`` ``(r, r)`` is the
    Markov matrix ``p_ij = P(model j at k | model i at k-1)``. Returns ``x0``, ``P0``, ``c``."""
    joint = mu[:, :, None] * trans[None, :, :]  # (n, i, j)
    c = joint.sum(axis=1)
    w = joint / np.maximum(c[:, None, :], 1e-300)  # mu_{i|j}
    x0 = np.einsum("nij,nik->njk", w, x_r)
    dx = x_r[:, :, None, :] - x0[:, None, :, :]  # (n, i, j, 6)
    spread = dx[..., :, None] * dx[..., None, :]
    P0 = np.einsum("nij,nijab->njab", w, P_r[:, :, None] + spread)
    return x0, 0.5 * (P0 + P0.transpose(0, 1, 3, 2)), c


def imm_model_probabilities(c: np.ndarray, loglik: np.ndarray) -> np.ndarray:
    """Posterior model probabilities ``mu_j = Lambda_j c_j / sum_i Lambda_i c_i`` (BLK
    sec. 11.6.6), from predicted ``c`` ``(n, r)`` and model log-likelihoods ``(n, r)``."""
    a = loglik - loglik.max(axis=1, keepdims=True)
    w = np.exp(a) * c
    return w / w.sum(axis=1, keepdims=True)


def predict_models(
    models: tuple[MotionModel, ...], x_r: np.ndarray, P_r: np.ndarray, dt_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Predict each model's stack ``(n, r, 6)`` under its own model (a loop over r models)."""
    x_out, P_out = np.empty_like(x_r), np.empty_like(P_r)
    for j, model in enumerate(models):
        x_out[:, j], P_out[:, j] = predict_model(model, x_r[:, j], P_r[:, j], dt_s)
    return x_out, P_out
