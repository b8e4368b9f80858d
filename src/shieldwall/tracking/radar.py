"""Radar range/azimuth/elevation EKF update and launch-warning track seeding (batched).

Measurement ``z = [r, az, el]`` of a target at ``p`` from a sensor at ``s``: with
``d = Rot (p - s) = (e, n, u)`` in the sensor's east-north-up axes (``Rot`` maps the track
frame to those axes; identity when the track frame already is the sensor's ENU),
``r = |d|``, ``az = atan2(e, n)`` (clockwise from north), ``el = atan2(u, rho)``,
``rho = sqrt(e^2 + n^2)``. Jacobian ``dh/dd`` (Bar-Shalom, Li & Kirubarajan 2001 [BLK],
sec. 10.3)::

    dr/dd  = (e, n, u) / r
    daz/dd = (n, -e, 0) / rho^2
    del/dd = (-e u, -n u, rho^2) / (r^2 rho)

and ``H = [dh/dd Rot, 0]`` ``(3, 6)`` per track. Angles are radians; the azimuth residual is
wrapped to ``(-pi, pi]``.
"""

from __future__ import annotations

import numpy as np

from shieldwall.tracking.filters import gaussian_loglik

G0_M_S2 = 9.80665


def _offset_enu(x: np.ndarray, sensor_m: np.ndarray, rot: np.ndarray | None) -> np.ndarray:
    d = x[:, :3] - sensor_m
    return d if rot is None else np.einsum("...ij,...j->...i", rot, d)


def rae_measure(x: np.ndarray, sensor_m: np.ndarray, rot: np.ndarray | None = None) -> np.ndarray:
    """Predicted ``[r_m, az_rad, el_rad]`` ``(n, 3)`` of states ``x`` ``(n, 6)`` seen from
    ``sensor_m`` ``(3,)`` or ``(n, 3)``; ``rot`` ``(3, 3)`` or ``(n, 3, 3)`` or None."""
    e, n, u = _offset_enu(x, sensor_m, rot).T
    return np.stack(
        [np.sqrt(e * e + n * n + u * u), np.arctan2(e, n), np.arctan2(u, np.hypot(e, n))], axis=1
    )


def rae_jacobian(x: np.ndarray, sensor_m: np.ndarray, rot: np.ndarray | None = None) -> np.ndarray:
    """Measurement Jacobian ``H = dh/dx`` ``(n, 3, 6)`` (module docstring). Azimuth is
    undefined straight above the sensor (horizontal distance 0): a ValueError there."""
    e, n, u = _offset_enu(x, sensor_m, rot).T
    rho2 = e * e + n * n
    if np.any(rho2 < 1e-6):
        raise ValueError(
            "a track straight above the sensor has no azimuth: the EKF cannot update it"
        )
    rho = np.sqrt(rho2)
    r2 = rho2 + u * u
    r = np.sqrt(r2)
    J = np.empty((x.shape[0], 3, 3))
    J[:, 0] = np.stack([e, n, u], axis=1) / r[:, None]
    J[:, 1] = np.stack([n, -e, np.zeros_like(e)], axis=1) / rho2[:, None]
    J[:, 2] = np.stack([-e * u, -n * u, rho2], axis=1) / (r2 * rho)[:, None]
    H = np.zeros((x.shape[0], 3, 6))
    H[:, :, :3] = J if rot is None else J @ rot
    return H


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Angles wrapped to ``(-pi, pi]``."""
    return np.pi - np.mod(np.pi - a, 2.0 * np.pi)


def update_rae(
    x: np.ndarray,
    P: np.ndarray,
    z_rae: np.ndarray,
    R_rae: np.ndarray,
    sensor_m: np.ndarray,
    rot: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extended Kalman update (BLK sec. 10.3) with range/azimuth/elevation ``z_rae``
    ``(n, 3)`` of covariance ``R_rae`` ``(n, 3, 3)``; Joseph form. Returns ``x``, ``P`` and
    the innovation log-likelihood ``ln N(y; 0, S)``."""
    H = rae_jacobian(x, sensor_m, rot)
    # y = z - h(x), azimuth residual wrapped
    y = z_rae - rae_measure(x, sensor_m, rot)
    y[:, 1] = wrap_angle(y[:, 1])
    # S = H P H' + R ; K = P H' S^-1
    PHt = P @ H.transpose(0, 2, 1)
    S = H @ PHt + R_rae
    K = np.linalg.solve(S, PHt.transpose(0, 2, 1)).transpose(0, 2, 1)
    x_new = x + (K @ y[:, :, None])[:, :, 0]
    # P = (I - K H) P (I - K H)' + K R K'
    IKH = np.eye(6) - K @ H
    P_new = IKH @ P @ IKH.transpose(0, 2, 1) + K @ R_rae @ K.transpose(0, 2, 1)
    loglik, _ = gaussian_loglik(y, S)
    return x_new, 0.5 * (P_new + P_new.transpose(0, 2, 1)), loglik


def rae_to_cartesian(
    z_rae: np.ndarray, R_rae: np.ndarray, sensor_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Converted measurement (sensor ENU = track frame): position ``(n, 3)`` and its
    linearised covariance ``G R G'`` ``(n, 3, 3)``, ``G = dp/d(r, az, el)`` (BLK ch. 10;
    unbiased only in the small-noise limit)."""
    r, az, el = z_rae.T
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    p = np.stack([r * ce * sa, r * ce * ca, r * se], axis=1) + sensor_m
    G = np.empty((z_rae.shape[0], 3, 3))
    G[:, :, 0] = np.stack([ce * sa, ce * ca, se], axis=1)
    G[:, :, 1] = np.stack([r * ce * ca, -r * ce * sa, np.zeros_like(r)], axis=1)
    G[:, :, 2] = np.stack([-r * se * sa, -r * se * ca, r * ce], axis=1)
    return p, G @ R_rae @ G.transpose(0, 2, 1)


def _launch_velocity(
    bearing_rad: np.ndarray, speed_m_s: float, elevation_rad: float
) -> tuple[np.ndarray, np.ndarray]:
    """ENU velocity ``(n, 3)`` and its derivatives ``(n, 3, 3)`` with respect to
    (bearing, speed, elevation): ``v = s (sin b cos e, cos b cos e, sin e)``."""
    b, s, e = bearing_rad, speed_m_s, elevation_rad
    sb, cb, se, ce, zero = np.sin(b), np.cos(b), np.sin(e), np.cos(e), np.zeros_like(b)
    u = np.stack([sb * ce, cb * ce, zero + se], axis=1)
    d_b = s * np.stack([cb * ce, -sb * ce, zero], axis=1)
    d_e = s * np.stack([-sb * se, -cb * se, zero + ce], axis=1)
    return s * u, np.stack([d_b, u, d_e], axis=2)


def seed_from_launch_warning(
    launch_m: np.ndarray,
    launch_sigma_m: np.ndarray,
    t_launch_s: np.ndarray,
    t_launch_sigma_s: np.ndarray,
    bearing_rad: np.ndarray,
    bearing_sigma_rad: np.ndarray,
    t_s: float,
    speed_m_s: float = 2000.0,
    speed_sigma_m_s: float = 1000.0,
    elevation_rad: float = np.pi / 4,
    elevation_sigma_rad: float = 0.35,
    gravity_m_s2: tuple[float, float, float] = (0.0, 0.0, -G0_M_S2),
) -> tuple[np.ndarray, np.ndarray]:
    """Initial ballistic state ``x`` ``(n, 6)`` and ``P`` ``(n, 6, 6)`` at ``t_s`` from
    launch-warning reports, in a local ENU frame (the frame of ``launch_m`` ``(n, 3)``).

    The prior: the missile left ``launch_m`` at ``t_launch_s`` with speed ``speed_m_s`` along
    ``bearing_rad`` (clockwise from north) at flight-path ``elevation_rad`` and coasts under
    constant gravity: ``p = p0 + v tau + g tau^2 / 2``, ``v_t = v + g tau``,
    ``tau = t_s - t_launch``. Boost is not modelled, so speed and elevation carry wide
    notional sigmas. ``P = J Sigma J'`` with ``J`` the Jacobian of ``(p, v_t)`` with respect to
    ``theta = (p0, t_launch, bearing, speed, elevation)`` (first-order
    propagation). ``launch_sigma_m`` is per axis ``(n,)`` or ``(n, 3)``."""
    n = launch_m.shape[0]
    g = np.asarray(gravity_m_s2, dtype=float)
    tau = (t_s - np.broadcast_to(t_launch_s, (n,)))[:, None]
    v, dv = _launch_velocity(np.broadcast_to(bearing_rad, (n,)), speed_m_s, elevation_rad)
    x = np.concatenate([launch_m + v * tau + 0.5 * g * tau**2, v + g * tau], axis=1)
    J = np.zeros((n, 6, 7))
    J[:, :3, :3] = np.eye(3)
    J[:, :3, 3] = -(v + g * tau)
    J[:, 3:, 3] = -g
    J[:, :3, 4:] = dv * tau[:, :, None]
    J[:, 3:, 4:] = dv
    sig = np.zeros((n, 7))
    sig[:, :3] = np.broadcast_to(np.asarray(launch_sigma_m, dtype=float).reshape(n, -1), (n, 3))
    sig[:, 3] = t_launch_sigma_s
    sig[:, 4] = bearing_sigma_rad
    sig[:, 5], sig[:, 6] = speed_sigma_m_s, elevation_sigma_rad
    P = (J * sig[:, None, :] ** 2) @ J.transpose(0, 2, 1)
    return x, 0.5 * (P + P.transpose(0, 2, 1))
