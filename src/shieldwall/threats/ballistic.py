"""Closed-form minimum-energy free flight over a spherical, airless, non-rotating Earth.

These are the textbook references that the numerical flight model
(:mod:`shieldwall.threats.flight`, :mod:`shieldwall.threats.targeting`) is checked against in
its ``vacuum, no rotation`` case, and the starting guesses of its targeting:

- Earth is a sphere of mean radius ``R`` with inverse-square gravity ``mu / r^2``; no air.
- The missile leaves the surface (``r = R``) at burnout speed and comes back to ``r = R``.

For a ground-range central angle ``psi`` the minimum-energy shot has

    gamma = pi/4 - psi/4                         (flight-path angle above the local horizontal)
    nu    = v^2 R / mu = 2 sin(psi/2) / (1 + sin(psi/2))

(Wheelon, A. D., "Free flight of a ballistic missile", ARS Journal 29(12), 1959; Regan, F. J.
& Anandakrishnan, S. M., "Dynamics of Atmospheric Re-Entry", AIAA 1993, ch. 3; Bate, Mueller &
White, "Fundamentals of Astrodynamics", 1971, sec. 6.2-6.3).

Everything here is unit-free SI on float64 arrays; angles in radians.
"""

from __future__ import annotations

import numpy as np

EARTH_MEAN_RADIUS_M = 6_371_008.8  # IUGG mean radius R1 = (2a + b) / 3 (Moritz 2000)
MU_EARTH_M3_S2 = 3.986004418e14  # WGS 84 GM (NGA.STND.0036, 2014)
PSI_MIN_RAD = 1e-5  # ~64 m; shorter shots are clamped so the conic stays well defined


def min_energy_burnout(psi_rad: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Burnout speed (m/s) and flight-path angle (rad) of the minimum-energy trajectory.

    ``gamma = pi/4 - psi/4``; ``v = sqrt(nu mu / R)`` with
    ``nu = 2 sin(psi/2) / (1 + sin(psi/2))`` (Wheelon 1959; Bate, Mueller & White eq. 6.2-15).
    Shapes follow ``psi_rad``.
    """
    psi = np.maximum(np.asarray(psi_rad, dtype=float), PSI_MIN_RAD)
    s = np.sin(psi / 2.0)
    nu = 2.0 * s / (1.0 + s)
    return np.sqrt(nu * MU_EARTH_M3_S2 / EARTH_MEAN_RADIUS_M), np.pi / 4.0 - psi / 4.0


def _conic(v_m_s: np.ndarray, gamma_rad: np.ndarray) -> tuple[np.ndarray, ...]:
    """Semi-major axis ``a``, eccentricity ``e`` and true anomaly ``f`` at r = R, ascending.

    ``nu = v^2 R / mu``; ``p = R nu cos^2 gamma``; ``e^2 = 1 + nu (nu - 2) cos^2 gamma``;
    ``a = R / (2 - nu)`` (vis-viva); ``cos f = (p / R - 1) / e`` from ``r = p / (1 + e cos f)``
    (Bate, Mueller & White sec. 6.2).
    """
    r = EARTH_MEAN_RADIUS_M
    nu = v_m_s**2 * r / MU_EARTH_M3_S2
    c2 = np.cos(gamma_rad) ** 2
    e = np.sqrt(1.0 + nu * (nu - 2.0) * c2)
    a = r / (2.0 - nu)
    f = np.arccos(np.clip((nu * c2 - 1.0) / e, -1.0, 1.0))
    return a, e, f


def min_energy_apogee_m(psi_rad: np.ndarray | float) -> np.ndarray:
    """Apogee altitude above the mean sphere: ``r_a - R = a (1 + e) - R`` (conic apoapsis)."""
    a, e, _ = _conic(*min_energy_burnout(psi_rad))
    return a * (1.0 + e) - EARTH_MEAN_RADIUS_M


def min_energy_flight_time_s(psi_rad: np.ndarray | float) -> np.ndarray:
    """Free-flight time from r = R to r = R on the minimum-energy conic.

    Kepler's equation: ``tan(E/2) = sqrt((1 - e)/(1 + e)) tan(f/2)``, ``M = E - e sin E``,
    ``n = sqrt(mu / a^3)``; the arc is symmetric about apogee (``M = pi``), so
    ``t = 2 (pi - M_launch) / n`` (Bate, Mueller & White sec. 4.2 and eq. 6.3-8).
    """
    a, e, f = _conic(*min_energy_burnout(psi_rad))
    ecc_anom = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(f / 2.0))
    mean_anom = ecc_anom - e * np.sin(ecc_anom)
    return 2.0 * (np.pi - mean_anom) / np.sqrt(MU_EARTH_M3_S2 / a**3)
