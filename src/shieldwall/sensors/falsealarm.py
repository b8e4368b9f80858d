"""Radar false alarms at a stated rate, placed uniformly in the instrumented coverage volume.

Each scan produces a Poisson number of false alarms with mean ``false_alarms_per_scan`` (the
number of threshold crossings among many independent resolution cells, each with a small
``Pfa``, is binomial and tends to Poisson: Richards, *Fundamentals of Radar Signal
Processing*, sec. 6.2; Bar-Shalom, Willett & Tian, *Tracking and Data Fusion*, sec. 1.4.6).

The coverage volume is the spherical sector ``0 <= r <= R_max``, azimuth within the sector,
elevation in ``[el_lo, el_hi]``; ``el_lo`` is the larger of the minimum elevation and the dip
to the 4/3-Earth horizon, ``-acos(kR / (kR + h))``, so no false alarm lies under the horizon.
In that sector the volume element is ``r^2 cos(el) dr daz del``: uniform points have
``r = R_max u^(1/3)``, ``az`` uniform and ``sin(el)`` uniform (inverse-CDF sampling).
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo import EARTH_MEAN_RADIUS_M, EFFECTIVE_EARTH_K
from shieldwall.sensors.core import Observers, RadarParams
from shieldwall.sensors.detection import aer_sqrt_covariance_ecef
from shieldwall.sensors.placement import SensorArray
from shieldwall.sensors.platform import platform_frames


def scan_times_s(revisit_s: float, t_end_s: float, outages) -> np.ndarray:
    """Scan instants ``k * revisit_s`` in ``[0, t_end_s]`` outside every outage window."""
    t = np.arange(int(np.floor(t_end_s / revisit_s)) + 1) * revisit_s
    dark = np.zeros(t.shape, dtype=bool)
    for start, stop in outages:
        dark |= (t >= start) & (t < stop)
    return t[~dark]


def horizon_dip_rad(height_m: np.ndarray, k: float = EFFECTIVE_EARTH_K) -> np.ndarray:
    """Depression of the radar horizon seen from ``height_m``: ``acos(kR / (kR + h))``."""
    kr = k * EARTH_MEAN_RADIUS_M
    return np.arccos(kr / (kr + np.maximum(height_m, 0.0)))


def uniform_in_cover(
    u: np.ndarray, prm: RadarParams, height_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth (rad), elevation (rad) and range (m) of points uniform in the coverage volume,
    from uniforms ``u (m, 3)`` (inverse-CDF: ``r = R u0^(1/3)``, ``sin el`` uniform)."""
    el_hi = prm.max_el_rad
    el_lo = np.minimum(np.maximum(prm.min_el_rad, -horizon_dip_rad(height_m)), el_hi)
    az = prm.boresight_rad + prm.half_sector_rad * (2.0 * u[:, 1] - 1.0)
    s_lo, s_hi = np.sin(el_lo), np.sin(el_hi)
    el = np.arcsin(s_lo + (s_hi - s_lo) * u[:, 2])
    return az, el, prm.max_range_m * np.cbrt(u[:, 0])


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
    u = rng.random((t_s.size, 3))
    moving = sensors.orbit_speed_m_s[s] > 0
    obs = Observers(*platform_frames(sensors, s, t_s if moving else np.zeros(())))
    prm = RadarParams.of(sensors, s)
    az, el, r = uniform_in_cover(u, prm, obs.height_m)
    enu = np.stack([r * np.cos(el) * np.sin(az), r * np.cos(el) * np.cos(az), r * np.sin(el)], -1)
    z = obs.pos_ecef_m + np.einsum("...ki,...k->...i", obs.rot_enu, enu)
    sig = (prm.sigma_range_m, prm.sigma_az_rad, prm.sigma_el_rad)
    a = aer_sqrt_covariance_ecef(az, el, r, sig, obs.rot_enu)
    return t_s, z, np.einsum("...ik,...jk->...ij", a, a)
