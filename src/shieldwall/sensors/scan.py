"""Detections of every sensor over the whole raid, computed as arrays.

Sensors only look at truth, so all their scans can be evaluated up front, vectorised over
(scan, threat) pairs. The simulator later discards detections of threats already destroyed.
A coarse pass over each threat's trajectory samples finds when it could possibly be in a
sensor's cover; only those (scan, threat) pairs are evaluated exactly. Each sensor draws from
its own random stream, so adding a sensor never changes another sensor's detections
(common random numbers across what-if variants).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo import ecef_to_enu, ecef_to_geodetic, enu_to_aer, line_of_sight, radar_horizon_m
from shieldwall.sensors.detection import aer_covariance_enu, radar_pd
from shieldwall.sensors.placement import KIND_IR, SensorArray, enu_to_ecef_rotation
from shieldwall.threats import Truth

BALLISTIC = 0


@dataclass(frozen=True, slots=True)
class Detections:
    """Sensor reports, sorted by time. ``z_ecef_m`` is the measured position and ``r_ecef_m2``
    its covariance (ECEF). ``kind`` is 0 for radar-quality reports, 1 for IR launch warnings."""

    t_s: np.ndarray
    sensor: np.ndarray
    threat: np.ndarray
    z_ecef_m: np.ndarray
    r_ecef_m2: np.ndarray
    kind: np.ndarray

    @property
    def n(self) -> int:
        return int(self.t_s.size)


def interpolate_truth(truth: Truth, threat: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Positions ``(p, 3)`` of threats ``threat[k]`` at times ``t_s[k]`` (linear in samples)."""
    u = (t_s - truth.t0_s[threat]) / truth.dt_s[threat]
    last = np.maximum(truth.n_samples[threat] - 1, 0)
    u = np.clip(u, 0.0, last)
    k0 = np.minimum(np.floor(u).astype(np.int64), np.maximum(last - 1, 0))
    w = (u - k0)[:, None]
    k1 = np.minimum(k0 + 1, last)
    p0 = truth.pos_ecef_m[threat, k0]
    p1 = truth.pos_ecef_m[threat, k1]
    return p0 + w * (p1 - p0)


def _candidate_pairs(
    sensors: SensorArray, s: int, truth: Truth, alt_m: np.ndarray, t_end_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """(threat, scan time) pairs of sensor ``s`` worth an exact look (coarse, conservative)."""
    pos = truth.pos_ecef_m
    dist = np.linalg.norm(pos - sensors.pos_ecef_m[s], axis=-1)
    valid = np.arange(pos.shape[1])[None, :] < truth.n_samples[:, None]
    if sensors.kind[s] == KIND_IR:
        boost = truth.threats.class_code == BALLISTIC
        t_lo, t_hi = truth.t0_s.copy(), truth.boost_end_t_s.copy()
        near = (dist <= sensors.max_range_m[s] + 50e3) & valid
        ok = boost & near.any(axis=1)
    else:
        reach = radar_horizon_m(sensors.height_m[s], np.maximum(alt_m, 0.0)) + 20e3
        near = (dist <= np.minimum(reach, sensors.max_range_m[s] + 20e3)) & valid
        ok = near.any(axis=1)
        first = np.argmax(near, axis=1)
        last = near.shape[1] - 1 - np.argmax(near[:, ::-1], axis=1)
        t_lo = truth.t0_s + (first - 1) * truth.dt_s
        t_hi = truth.t0_s + (last + 1) * truth.dt_s
    t_hi = np.minimum(t_hi, t_end_s)
    rev = sensors.revisit_s[s]
    k_lo = np.ceil(np.maximum(t_lo, 0.0) / rev).astype(np.int64)
    k_hi = np.floor(t_hi / rev).astype(np.int64)
    counts = np.where(ok, np.maximum(k_hi - k_lo + 1, 0), 0)
    threat = np.repeat(np.arange(truth.t0_s.size), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    t_s = (np.repeat(k_lo, counts) + offsets) * rev
    return threat, t_s


def _in_outage(sensors: SensorArray, s: int, t_s: np.ndarray) -> np.ndarray:
    dark = np.zeros(t_s.shape, dtype=bool)
    for start, stop in sensors.outages[s]:
        dark |= (t_s >= start) & (t_s < stop)
    return dark


def _radar_looks(
    sensors: SensorArray, s: int, truth: Truth, threat: np.ndarray, t_s: np.ndarray, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact radar evaluation: returns (detected mask, measured ECEF, ECEF covariance)."""
    p = interpolate_truth(truth, threat, t_s)
    lat0, lon0, h0 = sensors.lat_deg[s], sensors.lon_deg[s], sensors.alt_m[s]
    enu = ecef_to_enu(p, lat0, lon0, h0)
    az, el, rng_m = enu_to_aer(enu)
    off = (np.deg2rad(az) - sensors.boresight_rad[s] + np.pi) % (2 * np.pi) - np.pi
    seen = (
        (rng_m <= sensors.max_range_m[s])
        & (np.abs(off) <= sensors.half_sector_rad[s])
        & (np.deg2rad(el) >= sensors.min_el_rad[s])
        & (np.deg2rad(el) <= sensors.max_el_rad[s])
        & line_of_sight(sensors.pos_ecef_m[s], p)
    )
    pd = radar_pd(rng_m, truth.threats.rcs_m2[threat], sensors.ref_range_m[s], sensors.pfa[s])
    detected = seen & (rng.random(t_s.size) < pd)
    cov_enu = aer_covariance_enu(
        np.deg2rad(az),
        np.deg2rad(el),
        rng_m,
        sensors.sigma_range_m[s],
        sensors.sigma_az_rad[s],
        sensors.sigma_el_rad[s],
    )
    noise = rng.standard_normal((t_s.size, 3))
    chol = np.linalg.cholesky(cov_enu + np.eye(3) * 1e-6)
    rot = enu_to_ecef_rotation(lat0, lon0)
    z = p + np.einsum("ij,pjk,pk->pi", rot, chol, noise)
    r_ecef = np.einsum("ij,pjk,lk->pil", rot, cov_enu, rot)
    return detected, z, r_ecef


def _ir_looks(
    sensors: SensorArray, s: int, truth: Truth, threat: np.ndarray, t_s: np.ndarray, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Space IR launch warning: a boosting ballistic missile inside the coverage is seen with
    probability ``pd_ir`` per look; its position is reported with ``sigma_range_m`` per axis."""
    p = interpolate_truth(truth, threat, t_s)
    enu = ecef_to_enu(p, sensors.lat_deg[s], sensors.lon_deg[s], 0.0)
    ground_m = np.hypot(enu[:, 0], enu[:, 1])
    inside = ground_m <= sensors.max_range_m[s]
    boosting = (t_s >= truth.t0_s[threat]) & (t_s <= truth.boost_end_t_s[threat])
    detected = inside & boosting & (rng.random(t_s.size) < sensors.pd_ir[s])
    sigma = sensors.sigma_range_m[s]
    z = p + sigma * rng.standard_normal((t_s.size, 3))
    r_ecef = np.broadcast_to(np.eye(3) * sigma**2, (t_s.size, 3, 3)).copy()
    return detected, z, r_ecef


def detect_all(
    sensors: SensorArray, truth: Truth, t_end_s: float, rngs: list[np.random.Generator]
) -> Detections:
    """All detections of all sensors from t=0 to ``t_end_s``, sorted by (time, sensor, threat)."""
    _, _, alt_m = ecef_to_geodetic(truth.pos_ecef_m)
    parts = []
    for s in range(sensors.n):
        threat, t_s = _candidate_pairs(sensors, s, truth, alt_m, t_end_s)
        live = (t_s >= truth.t0_s[threat]) & (t_s < truth.end_t_s[threat])
        live &= ~_in_outage(sensors, s, t_s)
        threat, t_s = threat[live], t_s[live]
        look = _ir_looks if sensors.kind[s] == KIND_IR else _radar_looks
        detected, z, r = look(sensors, s, truth, threat, t_s, rngs[s])
        kind = np.full(int(detected.sum()), sensors.kind[s], dtype=np.int8)
        sensor = np.full(kind.size, s, dtype=np.int32)
        parts.append((t_s[detected], sensor, threat[detected], z[detected], r[detected], kind))
    if not parts:
        return _empty()
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    order = np.lexsort((cols[2], cols[1], cols[0]))
    return Detections(*(c[order] for c in cols))


def _empty() -> Detections:
    z = np.zeros(0)
    return Detections(
        z,
        z.astype(np.int32),
        z.astype(np.int64),
        np.zeros((0, 3)),
        np.zeros((0, 3, 3)),
        z.astype(np.int8),
    )
