"""Ballistic missiles: minimum-energy free flight over a spherical, airless Earth.

Model (deliberately simple; a later issue adds boost, drag and lofted/depressed shapes):

- Earth is a sphere of mean radius ``R`` with inverse-square gravity ``mu / r^2``; no air.
- The missile leaves the surface (``r = R``) already at burnout speed and comes back to
  ``r = R``; the boost phase is treated as part of this arc (``boost_s`` only marks the phase
  for sensors, it adds no time). Real flights are ~1-2 min longer (raid-facts.md, 4a).
- The arc lies in the plane of the great circle from launch to impact; the down-range angle
  ``theta`` maps onto that great circle (done in :mod:`shieldwall.threats.truth`).

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


def _polar_rates(y: np.ndarray) -> np.ndarray:
    """Planar two-body equations in polar coordinates, state ``(r, r_dot, theta, theta_dot)``.

    ``r_ddot = r theta_dot^2 - mu / r^2``; ``theta_ddot = -2 r_dot theta_dot / r``
    (Bate, Mueller & White sec. 1.3). ``y``: (4, n) -> (4, n).
    """
    r, r_dot, _, w = y
    return np.stack([r_dot, r * w * w - MU_EARTH_M3_S2 / (r * r), w, -2.0 * r_dot * w / r])


def integrate_planar(
    v_m_s: np.ndarray, gamma_rad: np.ndarray, dt_s: np.ndarray, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """RK4 propagation from the surface, vectorised over all missiles.

    Inputs (n,) each (``dt_s`` may differ per missile); returns ``r_m`` and ``theta_rad``,
    each (n, n_steps + 1), sample k at time ``k * dt_s``. Classic fourth-order Runge-Kutta
    (Press et al., "Numerical Recipes", 3rd ed., eq. 17.1.3).
    """
    v = np.asarray(v_m_s, dtype=float)
    g = np.asarray(gamma_rad, dtype=float)
    h = np.broadcast_to(np.asarray(dt_s, dtype=float), v.shape)
    y = np.stack([np.full_like(v, EARTH_MEAN_RADIUS_M), v * np.sin(g), 0.0 * v,
                  v * np.cos(g) / EARTH_MEAN_RADIUS_M])  # fmt: skip
    out = np.empty((n_steps + 1, 2, v.size))
    out[0] = y[[0, 2]]
    for k in range(n_steps):
        k1 = _polar_rates(y)
        k2 = _polar_rates(y + 0.5 * h * k1)
        k3 = _polar_rates(y + 0.5 * h * k2)
        k4 = _polar_rates(y + h * k3)
        # y_{k+1} = y_k + h/6 (k1 + 2 k2 + 2 k3 + k4)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        out[k + 1] = y[[0, 2]]
    return out[:, 0].T.copy(), out[:, 1].T.copy()


def ballistic_arcs(
    psi_rad: np.ndarray, dt_max_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sampled minimum-energy arcs for missiles with ground-range angles ``psi_rad`` (n,).

    Each missile gets a step ``dt_s = T / ceil(T / dt_max_s)`` (<= ``dt_max_s``) so that its
    first sample is the launch (r = R) and its last valid sample is the impact (r = R again),
    ``T`` being the closed-form flight time. Returns ``dt_s`` (n,), ``n_samples`` (n,),
    ``r_m`` (n, K) and ``theta_rad`` (n, K), rows padded past ``n_samples`` with their last
    valid sample.
    """
    psi = np.maximum(np.asarray(psi_rad, dtype=float), PSI_MIN_RAD)
    t_flight = min_energy_flight_time_s(psi)
    n_steps = np.maximum(np.ceil(t_flight / dt_max_s - 1e-9), 1).astype(np.int64)
    dt = t_flight / n_steps
    v, gamma = min_energy_burnout(psi)
    k_max = int(n_steps.max()) if psi.size else 1
    r, theta = integrate_planar(v, gamma, dt, k_max)
    past_end = np.arange(k_max + 1)[None, :] > n_steps[:, None]
    rows = np.arange(psi.size)
    r = np.where(past_end, r[rows, n_steps][:, None], r)
    theta = np.where(past_end, theta[rows, n_steps][:, None], theta)
    return dt, n_steps + 1, r, theta
