"""Radar and infrared detection probability and measurement noise (pure array functions).

Radar detection uses the radar range equation scaled from a reference point: a sensor type states
the range ``R_ref`` at which a 1 m^2 target is detected with probability 0.9 at false-alarm
probability ``Pfa``. Received SNR falls as ``sigma / R^4`` (Skolnik, *Introduction to Radar
Systems*, 3rd ed., eq. 2.1), so

    SNR(R, sigma) = SNR_ref * sigma * (R_ref / R)^4.

Target fluctuation follows Swerling case 1 (slow Rayleigh fluctuation, single look), for which
the probability of detection has the closed form (Skolnik eq. 2.51; Richards, *Fundamentals of
Radar Signal Processing*, eq. 6.64)

    Pd = Pfa ** (1 / (1 + SNR)),

and so ``SNR_ref = ln(Pfa) / ln(0.9) - 1``.

Target RCS may vary with aspect (the angle between the target's velocity and the line from the
target to the radar: 0 nose-on, 90 deg broadside, 180 deg tail-on). Catalog entries give the
nose, side and tail values; between them the RCS is interpolated linearly in dB, the usual way of
tabulating measured RCS against aspect (Richards, *Fundamentals*, sec. 2.7; Knott, Shaeffer &
Tuley, *Radar Cross Section*, 2nd ed., ch. 1).

Measurements are drawn in the radar's own coordinates (range, azimuth, elevation) with
independent Gaussian errors and converted exactly to ENU; the reported covariance is the
first-order one, ``J diag(sr^2, saz^2, sel^2) J^T`` (Bar-Shalom, Li & Kirubarajan sec. 10.4.3),
evaluated at the measured point because the sensor does not know the truth.
"""

from __future__ import annotations

import numpy as np

PD_REF = 0.9


def snr_reference(pfa: float, pd_ref: float = PD_REF) -> float:
    """SNR (linear) giving ``pd_ref`` for a Swerling 1 target at ``pfa`` (inverse of Pd law)."""
    return float(np.log(pfa) / np.log(pd_ref) - 1.0)


def swerling1_pd(snr: np.ndarray, pfa: float) -> np.ndarray:
    """Single-look detection probability of a Swerling 1 target: ``Pfa ** (1 / (1 + SNR))``."""
    snr = np.maximum(np.asarray(snr, dtype=float), 0.0)
    return pfa ** (1.0 / (1.0 + snr))


def radar_pd(range_m: np.ndarray, rcs_m2: np.ndarray, ref_range_m: float, pfa: float) -> np.ndarray:
    """Pd at ``range_m`` for targets of mean RCS ``rcs_m2`` (broadcast), radar-equation scaling."""
    r = np.maximum(np.asarray(range_m, dtype=float), 1.0)
    snr_ref = np.log(pfa) / np.log(PD_REF) - 1.0  # snr_reference, broadcast over pfa arrays
    snr = snr_ref * np.asarray(rcs_m2, dtype=float) * (ref_range_m / r) ** 4
    return swerling1_pd(snr, pfa)


def aspect_angle_rad(vel_ecef: np.ndarray, to_sensor_ecef: np.ndarray) -> np.ndarray:
    """Angle (rad, [0, pi]) between the target velocity and the target->sensor line, ``(...)``.

    ``atan2(|v x l|, v . l)``: 0 when the sensor is dead ahead (nose-on). Zero velocity gives 0
    (callers treat a motionless target as aspect-free).
    """
    v, line = np.asarray(vel_ecef, dtype=float), np.asarray(to_sensor_ecef, dtype=float)
    # per component (no size-3 reductions): np.cross's products and np.sum's order,
    # ((x0 + x1) + x2), so the same bits
    v0, v1, v2 = v[..., 0], v[..., 1], v[..., 2]
    l0, l1, l2 = line[..., 0], line[..., 1], line[..., 2]
    c0, c1, c2 = v1 * l2 - v2 * l1, v2 * l0 - v0 * l2, v0 * l1 - v1 * l0
    dot = v0 * l0 + v1 * l1 + v2 * l2
    return np.arctan2(np.sqrt(c0 * c0 + c1 * c1 + c2 * c2), dot)


def aspect_rcs_m2(aspect_rad: np.ndarray, rcs_aspect_m2: np.ndarray) -> np.ndarray:
    """RCS (m^2) at aspect ``aspect_rad`` ``(...)`` from nose/side/tail values ``(..., 3)``.

    Piecewise linear in dB with knots at 0, pi/2 and pi:
    ``sigma_dB(a) = sigma_dB(k) + (a - a_k) / (pi/2) * (sigma_dB(k+1) - sigma_dB(k))``.
    """
    db = 10.0 * np.log10(np.asarray(rcs_aspect_m2, dtype=float))
    f = np.clip(np.asarray(aspect_rad, dtype=float), 0.0, np.pi) / (np.pi / 2.0)
    front = f <= 1.0
    lo = np.where(front, db[..., 0], db[..., 1])
    hi = np.where(front, db[..., 1], db[..., 2])
    return 10.0 ** ((lo + (hi - lo) * np.where(front, f, f - 1.0)) / 10.0)


def aer_sqrt_covariance_ecef(
    az_rad: np.ndarray,
    el_rad: np.ndarray,
    range_m: np.ndarray,
    sigmas: tuple[np.ndarray, np.ndarray, np.ndarray],
    rot_enu: np.ndarray,
) -> np.ndarray:
    """Square root ``A`` ``(..., 3, 3)`` of the ECEF covariance ``A A^T`` of an AER measurement.

    ``A = rot_enu^T J diag(sr, saz, sel)``: the Jacobian columns of
    ``e = r cos(el) sin(az), n = r cos(el) cos(az), u = r sin(el)`` scaled by each error
    (Bar-Shalom, Li & Kirubarajan sec. 10.4.3) and turned into ECEF; ``rot_enu`` ``(..., 3, 3)``
    has the east, north and up unit vectors (ECEF) as rows. All arguments broadcast.
    """
    sa, ca = np.sin(az_rad), np.cos(az_rad)
    se, ce = np.sin(el_rad), np.cos(el_rad)
    cols = _scaled_jacobian_columns(sa, ca, se, ce, range_m, sigmas)
    rot = np.asarray(rot_enu, dtype=float)
    out = [sum(c[k][..., None] * rot[..., k, :] for k in range(3)) for c in cols]
    return np.stack(out, axis=-1)


def _scaled_jacobian_columns(sa, ca, se, ce, range_m, sigmas) -> tuple[tuple, ...]:
    """ENU components of the Jacobian columns of ``(e, n, u)(r, az, el)``, each scaled by its
    error sigma (``sigmas`` = (range, azimuth, elevation)), from the angles' sines and
    cosines."""
    s_r, s_az, s_el = sigmas
    zero = np.zeros_like(se)
    return (
        (s_r * ce * sa, s_r * ce * ca, s_r * se),  # d/d range
        (s_az * range_m * ce * ca, -s_az * range_m * ce * sa, zero),  # d/d az
        (-s_el * range_m * se * sa, -s_el * range_m * se * ca, s_el * range_m * ce),  # d/d el
    )


def aer_covariance_enu(
    az_rad: np.ndarray,
    el_rad: np.ndarray,
    range_m: np.ndarray,
    sigma_range_m: float,
    sigma_az_rad: float,
    sigma_el_rad: float,
) -> np.ndarray:
    """ENU covariance ``(n, 3, 3)`` of a position measured in range/azimuth/elevation.

    First-order propagation ``R_enu = J diag(sr^2, saz^2, sel^2) J^T`` with ``J`` the Jacobian of
    ``e = r cos(el) sin(az), n = r cos(el) cos(az), u = r sin(el)`` (Bar-Shalom, Li & Kirubarajan,
    *Estimation with Applications to Tracking and Navigation*, sec. 10.4.3).
    """
    sa, ca = np.sin(az_rad), np.cos(az_rad)
    se, ce = np.sin(el_rad), np.cos(el_rad)
    r = range_m
    jac = np.empty(np.shape(r) + (3, 3))
    jac[..., 0, :] = np.stack([ce * sa, r * ce * ca, -r * se * sa], axis=-1)
    jac[..., 1, :] = np.stack([ce * ca, -r * ce * sa, -r * se * ca], axis=-1)
    jac[..., 2, :] = np.stack([se, np.zeros_like(r), r * ce], axis=-1)
    d = np.stack(np.broadcast_arrays(sigma_range_m**2, sigma_az_rad**2, sigma_el_rad**2), -1)
    return np.einsum("...ij,...j,...kj->...ik", jac, d, jac)


def aer_point_and_covariance_ecef(
    az_rad: np.ndarray,
    el_rad: np.ndarray,
    range_m: np.ndarray,
    sigmas: tuple[np.ndarray, np.ndarray, np.ndarray],
    rot_enu: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """ECEF offset ``(m, 3)`` of the point ``(az, el, range)`` from its sensor and the ECEF
    covariance ``(m, 3, 3)`` of an AER measurement there; ``az_rad``, ``el_rad``, ``range_m``
    are ``(m,)``, ``rot_enu`` ``(3, 3)`` or ``(m, 3, 3)``, ``sigmas`` scalars or ``(m,)``.

    The same numbers, bit for bit, as ``einsum("...ki,...k->...i", rot_enu, enu)`` and
    ``A A^T`` with ``A`` from :func:`aer_sqrt_covariance_ecef` (``einsum("...ik,...jk->...ij")``,
    whose kernel adds the k = 0 and k = 2 terms first), written per component so that the sines
    and cosines are taken once and no ``(m, 3, 3)`` temporary is built but the result.
    """
    sa, ca = np.sin(az_rad), np.cos(az_rad)
    se, ce = np.sin(el_rad), np.cos(el_rad)
    rot = np.asarray(rot_enu, dtype=float)
    rows = [[rot[..., k, i] for i in range(3)] for k in range(3)]
    horiz = range_m * ce
    enu = (horiz * sa, horiz * ca, range_m * se)
    offset = np.empty(np.shape(horiz) + (3,))
    for i in range(3):
        np.add(rows[0][i] * enu[0] + rows[1][i] * enu[1], rows[2][i] * enu[2], out=offset[..., i])
    cols = _scaled_jacobian_columns(sa, ca, se, ce, range_m, sigmas)
    # a[c][i]: row i, column c of A = rot_enu^T J diag(sigmas)
    a = [[sum(c[k] * rows[k][i] for k in range(3)) for i in range(3)] for c in cols]
    cov = np.empty(offset.shape + (3,))
    for i in range(3):
        for j in range(i, 3):
            np.add(a[0][i] * a[0][j] + a[2][i] * a[2][j], a[1][i] * a[1][j], out=cov[..., i, j])
            if j != i:
                cov[..., j, i] = cov[..., i, j]
    return offset, cov
