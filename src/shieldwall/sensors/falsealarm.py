"""Radar false alarms at a stated rate, placed uniformly in the radar's coverage.

Each scan produces a Poisson number of false alarms with mean ``false_alarms_per_scan`` (the
number of threshold crossings among many independent resolution cells, each with a small
``Pfa``, is binomial and tends to Poisson: Richards, *Fundamentals of Radar Signal
Processing*, sec. 6.2; Bar-Shalom, Willett & Tian, *Tracking and Data Fusion*, sec. 1.4.6).

Resolution cells tile the radar's own coordinates, range, azimuth and the *apparent*
(refracted) elevation, so the cover is drawn uniformly in the spherical sector of those
coordinates: ``0 <= r <= R_max``, azimuth within the sector, apparent elevation in
``[el_lo, el_hi]``, with volume element ``r^2 cos(el) dr daz del``: ``r = R_max u^(1/3)``,
``az`` uniform and ``sin(el)`` uniform (inverse-CDF sampling). ``el_lo`` is the larger of the
minimum elevation and the dip to the 4/3-Earth horizon, ``-acos(kR / (kR + h))``: a straight
ray on the effective Earth (Skolnik, *Introduction to Radar Systems*, 3rd ed., sec. 8.2) at or
above that apparent elevation never meets the Earth, so no false alarm lies under the horizon
(the slice below the horizon cone but above the ground near a high radar is left out).

Each point is reported at its geometric position
(:func:`shieldwall.sensors.core.geometric_elevation_rad`); against the geometric volume the
density differs by the Jacobian d sin(el_app) / d sin(el_geo) = 1 + O((1 - 1/k) r / R): by
under 3 % to 400 km, 10 % to 1,500 km. A point the scan core would not count as covered (the
mean sphere of the elevation model against the ellipsoid of the line of sight, rounding at the
edges: rare) is drawn again, so every false alarm lies where a real target would be covered
and the Poisson count is kept.
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo import EARTH_MEAN_RADIUS_M, EFFECTIVE_EARTH_K
from shieldwall.sensors.core import (
    Observers,
    RadarParams,
    Targets,
    covered_geometry,
    geometric_elevation_rad,
)
from shieldwall.sensors.detection import aer_point_and_covariance_ecef
from shieldwall.sensors.placement import SensorArray
from shieldwall.sensors.platform import platform_frames

MAX_REDRAWS = 64
"""Rounds of redrawing points outside the core's cover; any still outside after them (only
for a degenerate cover, e.g. a sector wholly below the horizon) are dropped."""


def scan_times_s(revisit_s: float, t_end_s: float, outages) -> np.ndarray:
    """Scan instants ``k * revisit_s`` in ``[0, t_end_s]`` outside every outage window."""
    t = np.arange(int(np.floor(t_end_s / revisit_s)) + 1) * revisit_s
    dark = np.zeros(t.shape, dtype=bool)
    for start, stop in outages:
        dark |= (t >= start) & (t < stop)
    return t[~dark]


def horizon_dip_rad(height_m: np.ndarray, k: float = EFFECTIVE_EARTH_K) -> np.ndarray:
    """Depression of the radar horizon seen from ``height_m``: ``acos(kR / (kR + h))`` (an
    apparent elevation: the tangent ray on the effective Earth)."""
    kr = k * EARTH_MEAN_RADIUS_M
    return np.arccos(kr / (kr + np.maximum(height_m, 0.0)))


def uniform_in_cover(
    u: np.ndarray, prm: RadarParams, height_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth (rad), *geometric* elevation (rad) and range (m) of points uniform in the cover
    in the radar's coordinates, from uniforms ``u (m, 3)`` (inverse-CDF: ``r = R u0^(1/3)``,
    ``sin(el_app)`` uniform), the apparent elevation mapped to the geometric one."""
    el_hi = prm.max_el_rad
    el_lo = np.minimum(np.maximum(prm.min_el_rad, -horizon_dip_rad(height_m)), el_hi)
    az = prm.boresight_rad + prm.half_sector_rad * (2.0 * u[:, 1] - 1.0)
    s_lo, s_hi = np.sin(el_lo), np.sin(el_hi)
    el_app = np.arcsin(s_lo + (s_hi - s_lo) * u[:, 2])
    r = prm.max_range_m * np.cbrt(u[:, 0])
    return az, geometric_elevation_rad(el_app, r, height_m), r


def _enu_to_ecef(obs: Observers, prm: RadarParams, az, el, r) -> tuple[np.ndarray, np.ndarray]:
    """ECEF position and reported covariance of the points ``(az, el, r)``."""
    sig = (prm.sigma_range_m, prm.sigma_az_rad, prm.sigma_el_rad)
    offset, cov = aer_point_and_covariance_ecef(az, el, r, sig, obs.rot_enu)
    return np.add(obs.pos_ecef_m, offset, out=offset), cov


def _draw_in_cover(
    rng: np.random.Generator, obs: Observers, prm: RadarParams, m: int
) -> tuple[np.ndarray, ...]:
    """``m`` points uniform in the cover: ``(z_ecef_m, r_ecef_m2, ok)``, position, reported
    covariance and whether covered; rows the core does not count as covered are drawn again
    (from the same stream, after the first ``m`` draws)."""
    u = rng.random((m, 3))
    for _ in range(MAX_REDRAWS + 1):
        az, el, r = uniform_in_cover(u, prm, obs.height_m)
        z, cov = _enu_to_ecef(obs, prm, az, el, r)
        tgt = Targets.at(z, np.zeros_like(z), np.zeros(m), geodetic=False)
        ok = covered_geometry(obs, tgt, prm)[0]
        if ok.all():
            break
        u[~ok] = rng.random((int((~ok).sum()), 3))
    return z, cov, ok


def false_alarms(
    sensors: SensorArray, s: int, t_end_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False alarms of radar ``s`` from t=0 to ``t_end_s``: times ``(m,)``, reported ECEF
    positions ``(m, 3)`` and covariances ``(m, 3, 3)`` (as for a real report at that point).
    Draws nothing when the rate is zero, so a quiet radar's stream is left untouched."""
    rate = float(sensors.false_alarms_per_scan[s])
    if rate <= 0.0:
        return np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3, 3))
    scans = scan_times_s(float(sensors.revisit_s[s]), t_end_s, sensors.outages[s])
    t_s = np.repeat(scans, rng.poisson(rate, scans.size))
    moving = sensors.orbit_speed_m_s[s] > 0
    obs = Observers(*platform_frames(sensors, s, t_s if moving else np.zeros(())))
    prm = RadarParams.of(sensors, s)
    z, cov, ok = _draw_in_cover(rng, obs, prm, t_s.size)
    if ok.all():
        return t_s, z, cov
    return t_s[ok], z[ok], cov[ok]
