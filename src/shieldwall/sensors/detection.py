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
    snr = snr_reference(pfa) * np.asarray(rcs_m2, dtype=float) * (ref_range_m / r) ** 4
    return swerling1_pd(snr, pfa)


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
    d = np.array([sigma_range_m**2, sigma_az_rad**2, sigma_el_rad**2])
    return np.einsum("...ij,j,...kj->...ik", jac, d, jac)
