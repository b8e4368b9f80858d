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

BLOCK_S = 3600.0
"""False alarms are drawn in blocks of this much scenario time, each block whole and from its
own stream (:func:`block_stream`): a radar's clutter up to any time is then the same whatever
the run's ``end_s`` and the radar's outages, which only cut it afterwards (common random
numbers for what-ifs over either)."""
_FA_KEY = 0x46A1  # spawn-key element of the false-alarm blocks (any constant)

MAX_REDRAWS = 64
"""Rounds of redrawing points outside the core's cover; any still outside after them (only
for a degenerate cover, e.g. a sector wholly below the horizon) are dropped."""


def scan_times_s(revisit_s: float, t_end_s: float, outages) -> np.ndarray:
    """Scan instants ``k * revisit_s`` in ``[0, t_end_s]`` outside every outage window."""
    t = np.arange(int(np.floor(t_end_s / revisit_s)) + 1) * revisit_s
    return t[~in_outages(t, outages)]


def in_outages(t_s: np.ndarray, outages) -> np.ndarray:
    """Which of the instants ``t_s`` fall in an outage window ``[start, stop)``."""
    dark = np.zeros(t_s.shape, dtype=bool)
    for start, stop in outages:
        dark |= (t_s >= start) & (t_s < stop)
    return dark


def block_stream(rng: np.random.Generator, block: int) -> np.random.Generator:
    """The stream of false-alarm block ``block`` of the sensor whose stream is ``rng``: a child
    of its seed sequence (``spawn_key + (_FA_KEY, block)``), made without drawing from or
    changing ``rng``."""
    seq = rng.bit_generator.seed_seq
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _FA_KEY, block))
    return np.random.Generator(np.random.PCG64(child))


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
    gens: list[np.random.Generator], sizes: np.ndarray, obs: Observers, prm: RadarParams
) -> tuple[np.ndarray, ...]:
    """``sizes[b]`` points uniform in the cover from each block stream ``gens[b]``, in block
    order: ``(z_ecef_m, r_ecef_m2, ok)``, position, reported covariance and whether covered;
    rows the core does not count as covered are drawn again from their block's stream."""
    u = np.concatenate([g.random((int(m), 3)) for g, m in zip(gens, sizes, strict=True)])
    block = np.repeat(np.arange(len(gens)), sizes)
    m = u.shape[0]
    for _ in range(MAX_REDRAWS + 1):
        az, el, r = uniform_in_cover(u, prm, obs.height_m)
        z, cov = _enu_to_ecef(obs, prm, az, el, r)
        tgt = Targets.at(z, np.zeros_like(z), np.zeros(m), geodetic=False)
        ok = covered_geometry(obs, tgt, prm)[0]
        if ok.all():
            break
        for b in np.unique(block[~ok]).tolist():
            rows = np.flatnonzero(~ok & (block == b))
            u[rows] = gens[b].random((rows.size, 3))
    return z, cov, ok


FALSE_ALARM_BUDGET = 2e7  # false alarms a run may hold (each is tracked like a detection)


def clutter_problems(sensors: SensorArray, t_end_s: float) -> list[str]:
    """One line if the radars' expected false alarms up to ``t_end_s`` (the sum of
    ``false_alarms_per_scan`` times the number of scans) exceed :data:`FALSE_ALARM_BUDGET`:
    they are all drawn at the start of a run, and tracked; empty otherwise."""
    scans = np.floor(t_end_s / sensors.revisit_s) + 1.0
    expected = float(np.sum(sensors.false_alarms_per_scan * scans))
    if expected <= FALSE_ALARM_BUDGET:
        return []
    return [
        f"sensors: about {expected:,.0f} false alarms over the run's {t_end_s:,.0f} s"
        f" (false_alarms_per_scan x scans, summed over the radars), more than the"
        f" {FALSE_ALARM_BUDGET:,.0f} a run can hold; lower false_alarms_per_scan, raise"
        " revisit_s or set an earlier sim.end_s"
    ]


def false_alarms(
    sensors: SensorArray, s: int, t_end_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False alarms of radar ``s`` from t=0 to ``t_end_s``: times ``(m,)``, reported ECEF
    positions ``(m, 3)`` and covariances ``(m, 3, 3)`` (as for a real report at that point).
    Every scan instant of each :data:`BLOCK_S` block that starts by ``t_end_s`` gets its
    Poisson count and points from the block's stream (:func:`block_stream`); those after
    ``t_end_s`` or in an outage are then dropped. Draws nothing when the rate is zero."""
    rate = float(sensors.false_alarms_per_scan[s])
    if rate <= 0.0:
        return np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3, 3))
    rev = float(sensors.revisit_s[s])
    n_blocks = int(np.floor(t_end_s / BLOCK_S)) + 1
    scans = np.arange(int(np.ceil(n_blocks * BLOCK_S / rev))) * rev
    scans = scans[scans < n_blocks * BLOCK_S]
    block = (scans // BLOCK_S).astype(np.int64)
    per_block = np.bincount(block, minlength=n_blocks)
    gens = [block_stream(rng, b) for b in range(n_blocks)]
    counts = np.concatenate([g.poisson(rate, int(k)) for g, k in zip(gens, per_block, strict=True)])
    t_s = np.repeat(scans, counts)
    sizes = np.bincount(np.repeat(block, counts), minlength=n_blocks)
    moving = sensors.orbit_speed_m_s[s] > 0
    obs = Observers(*platform_frames(sensors, s, t_s if moving else np.zeros(())))
    prm = RadarParams.of(sensors, s)
    z, cov, ok = _draw_in_cover(gens, sizes, obs, prm)
    keep = ok & (t_s <= t_end_s) & ~in_outages(t_s, sensors.outages[s])
    if keep.all():
        return t_s, z, cov
    return t_s[keep], z[keep], cov[keep]
