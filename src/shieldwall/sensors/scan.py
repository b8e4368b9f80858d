"""Detections of every sensor over the whole raid, computed as arrays.

Sensors only look at truth, so all their scans can be evaluated up front, vectorised over
(scan, threat) pairs. The simulator later discards detections of threats already destroyed.
A coarse pass over each threat's trajectory samples finds when it could possibly be in a
sensor's cover; only those (scan, threat) pairs are evaluated exactly, by the vectorised core
(:func:`shieldwall.sensors.core.radar_scan`). Radars add false alarms (``threat == -1``); space
IR sensors add launch-warning reports (:class:`LaunchWarnings`). Each sensor draws from its own
random stream, so adding a sensor never changes another sensor's detections (common random
numbers across what-if variants).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo import radar_horizon_m
from shieldwall.geo.wgs84 import geodetic_height_m
from shieldwall.sensors.core import Observers, RadarParams, Targets, radar_scan
from shieldwall.sensors.falsealarm import false_alarms, in_outages
from shieldwall.sensors.geocache import GeodeticCache
from shieldwall.sensors.ir import LaunchWarnings, ir_looks, launch_warnings
from shieldwall.sensors.placement import KIND_IR, SensorArray
from shieldwall.sensors.platform import platform_frames
from shieldwall.threats import Truth

BALLISTIC = 0
FALSE_ALARM = -1
"""``Detections.threat`` of a false alarm."""


@dataclass(frozen=True, slots=True)
class Detections:
    """Sensor reports, sorted by (time, sensor, threat). ``z_ecef_m`` is the measured position
    and ``r_ecef_m2`` its covariance (ECEF). ``kind`` is 0 for radar-quality reports, 1 for IR
    looks. ``threat`` is -1 (:data:`FALSE_ALARM`) for a radar false alarm."""

    t_s: np.ndarray
    sensor: np.ndarray
    threat: np.ndarray
    z_ecef_m: np.ndarray
    r_ecef_m2: np.ndarray
    kind: np.ndarray

    @property
    def n(self) -> int:
        return int(self.t_s.size)

    @property
    def is_false_alarm(self) -> np.ndarray:
        return self.threat == FALSE_ALARM

    def false_alarm_counts(self, n_sensors: int) -> np.ndarray:
        """Number of false alarms of each sensor ``(n_sensors,)``."""
        return np.bincount(self.sensor[self.is_false_alarm], minlength=n_sensors)


@dataclass(frozen=True, slots=True)
class SensorReports:
    """Everything the sensors report over a run."""

    detections: Detections
    launch_warnings: LaunchWarnings


def interpolate_truth(
    truth: Truth, threat: np.ndarray, t_s: np.ndarray, with_velocity: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Positions ``(p, 3)`` of threats ``threat[k]`` at times ``t_s[k]`` (linear in samples);
    with ``with_velocity`` also the velocity ``(p, 3)`` of the bracketing sample interval."""
    u = (t_s - truth.t0_s[threat]) / truth.dt_s[threat]
    last = np.maximum(truth.n_samples[threat] - 1, 0)
    u = np.clip(u, 0.0, last)
    k0 = np.minimum(np.floor(u).astype(np.int64), np.maximum(last - 1, 0))
    w = (u - k0)[:, None]
    k1 = np.minimum(k0 + 1, last)
    # rows of the flattened (n * K, 3) samples: np.take is much faster than 2-D fancy indexing
    flat = truth.pos_ecef_m.reshape(-1, 3)
    row0 = threat * truth.pos_ecef_m.shape[1]
    p0 = np.take(flat, row0 + k0, axis=0)
    p1 = np.take(flat, row0 + k1, axis=0)
    step = p1 - p0
    pos = p0 + w * step
    if not with_velocity:
        return pos
    return pos, step / truth.dt_s[threat][:, None]


def _candidate_pairs(
    sensors: SensorArray, s: int, truth: Truth, coarse: _Coarse, t_end_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """(threat, scan time) pairs of sensor ``s`` worth an exact look (coarse, conservative).
    ``coarse`` (:func:`_coarse`): every threat's truth samples laid end to end with their
    squared geocentric radius and target's share of the radar horizon, shared by all
    sensors."""
    c = sensors.pos_ecef_m[s]
    # |p - c|^2 = |p|^2 - 2 p.c + |c|^2 (metre-level rounding is fine for a coarse pass);
    # p.(2c) is exactly 2 (p.c) (scaling by 2 is exact); in place, one buffer
    dist = (coarse.pos_blocks @ (2.0 * c)).reshape(-1)[: coarse.norm2.size]
    np.subtract(coarse.norm2, dist, out=dist)
    np.add(dist, c @ c, out=dist)
    np.sqrt(np.maximum(dist, 0.0, out=dist), out=dist)
    if sensors.kind[s] == KIND_IR:
        boost = truth.threats.class_code == BALLISTIC
        t_lo, t_hi = truth.t0_s.copy(), truth.boost_end_t_s.copy()
        ok = boost & coarse.rows_with(dist <= sensors.max_range_m[s] + 50e3)[0]
    else:
        # slack: 20 km, plus the farthest an orbiting platform gets from its placed point
        slack = 20e3 + (sensors.orbit_length_m[s] + sensors.orbit_width_m[s]) / 2.0
        reach = radar_horizon_m(sensors.height_m[s], 0.0) + coarse.horizon_m
        np.add(reach, slack, out=reach)
        near = dist <= np.minimum(reach, sensors.max_range_m[s] + slack, out=reach)
        ok, first, last = coarse.rows_with(near)
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
    return in_outages(t_s, sensors.outages[s])


def _radar_part(sensors, s, truth, threat, t_s, t_end_s, rng, rcs_table, cache) -> list:
    """Detections of radar ``s`` among its candidate looks, in chunks of :data:`_CHUNK` looks,
    then its false alarms (parts that :func:`_sorted` joins). Every step is elementwise over
    the looks, and the random draws fill the same stream in the same order (all uniforms,
    then the normals chunk by chunk, then the false alarms), so chunking changes no bit; it
    keeps the temporaries small (cache-resident, no fresh pages for each of them)."""
    frames = _frames_at(sensors, s, t_s)
    per_look = frames[0].ndim == 2
    keys = cache.keys(threat, t_s)
    prm = RadarParams.of(sensors, s)
    u = rng.random(t_s.size)
    parts = []
    for lo in range(0, t_s.size, _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        th, ts = threat[sl], t_s[sl]
        pos, vel = interpolate_truth(truth, th, ts, with_velocity=True)
        obs = Observers(*(f[sl] for f in frames)) if per_look else Observers(*frames)
        table = None if rcs_table is None else np.take(rcs_table, th, axis=0)
        key = None if keys is None else keys[sl]
        rcs = truth.threats.rcs_m2[th]
        tgt = Targets.at(pos, vel, rcs, table, geodetic=False, key=key, cache=cache)
        normals = rng.standard_normal((ts.size, 3))
        looks = radar_scan(obs, tgt, prm, u[sl], normals)
        parts.append((ts[looks.index], th[looks.index], looks.z_ecef_m, looks.r_ecef_m2))
    fa_t, fa_z, fa_r = false_alarms(sensors, s, t_end_s, rng)
    parts.append((fa_t, np.full(fa_t.size, FALSE_ALARM), fa_z, fa_r))
    return parts


_CHUNK = 1 << 15
"""Looks per chunk of :func:`_radar_part`."""


def _frames_at(sensors: SensorArray, s: int, t_s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Platform frames of sensor ``s`` for looks at ``t_s``: one frame for a fixed sensor; for
    an orbiting one, the frames of its scan instants (many looks share each) taken per look."""
    if not sensors.orbit_speed_m_s[s] > 0:
        return platform_frames(sensors, s, np.zeros(()))
    rev = float(sensors.revisit_s[s])
    tick = np.rint(t_s / rev).astype(np.int64)
    if t_s.size == 0 or not np.array_equal(tick * rev, t_s):
        return platform_frames(sensors, s, t_s)
    first = int(tick.min())
    frames = platform_frames(sensors, s, np.arange(first, int(tick.max()) + 1) * rev)
    row = tick - first
    return tuple(np.take(f, row, axis=0) for f in frames)


def _ir_part(sensors, s, truth, threat, t_s, rng) -> tuple[tuple, LaunchWarnings]:
    """IR looks of sensor ``s`` and its launch warnings (looks in an outage drawn, then
    dropped)."""
    pos = interpolate_truth(truth, threat, t_s)
    detected, z, r = ir_looks(sensors, s, truth, threat, t_s, pos, rng)
    detected &= ~_in_outage(sensors, s, t_s)
    warn = launch_warnings(sensors, s, truth, threat[detected], t_s[detected], rng)
    return (t_s[detected], threat[detected], z[detected], r[detected]), warn


def scan_all(
    sensors: SensorArray,
    truth: Truth,
    t_end_s: float,
    rngs: list[np.random.Generator],
    rcs_aspect_m2: np.ndarray | None = None,
) -> SensorReports:
    """All reports of all sensors from t=0 to ``t_end_s``: detections sorted by (time, sensor,
    threat), false alarms included, and the IR launch warnings. The reports up to any time
    are the same whatever ``t_end_s``: every look to the raid's end, and the false alarms in
    whole blocks (:data:`~shieldwall.sensors.falsealarm.BLOCK_S`), are drawn, and those
    after ``t_end_s`` dropped. ``rngs[s]`` is sensor ``s``'s
    stream; ``rcs_aspect_m2`` ``(n_threats, 3)`` the nose/side/tail RCS (default: the mean
    ``rcs_m2`` from every aspect)."""
    coarse = _coarse(truth)
    # every look to the raid's end is drawn whatever t_end_s, and those after it are dropped
    # below: the reports up to any time do not depend on when the run stops
    t_look_s = float(truth.end_t_s.max(initial=0.0))
    radar = sensors.kind != KIND_IR
    tick = float(sensors.revisit_s[radar].min()) if radar.any() else 1.0
    cache = GeodeticCache(truth.t0_s, truth.end_t_s, tick)
    parts, warnings = [], []
    for s in range(sensors.n):
        threat, t_s = _candidate_pairs(sensors, s, truth, coarse, t_look_s)
        live = (t_s >= truth.t0_s[threat]) & (t_s < truth.end_t_s[threat])
        threat, t_s = threat[live], t_s[live]  # (looks in an outage are drawn, then dropped)
        if sensors.kind[s] == KIND_IR:
            part, warn = _ir_part(sensors, s, truth, threat, t_s, rngs[s])
            warnings.append(warn)
            own = [part]
        else:
            own = _radar_part(
                sensors, s, truth, threat, t_s, t_end_s, rngs[s], rcs_aspect_m2, cache
            )
        for part in own:
            keep = (part[0] <= t_end_s) & ~_in_outage(sensors, s, part[0])
            if not keep.all():
                part = tuple(c[keep] for c in part)
            kind = np.full(part[0].size, sensors.kind[s], dtype=np.int8)
            parts.append((part[0], np.full(kind.size, s, dtype=np.int32), *part[1:], kind))
    return SensorReports(_sorted(parts), LaunchWarnings.concat(warnings).until(t_end_s))


def detect_all(
    sensors: SensorArray,
    truth: Truth,
    t_end_s: float,
    rngs: list[np.random.Generator],
    rcs_aspect_m2: np.ndarray | None = None,
) -> Detections:
    """The detections of :func:`scan_all` (false alarms included, ``threat == -1``)."""
    return scan_all(sensors, truth, t_end_s, rngs, rcs_aspect_m2).detections


@dataclass(frozen=True, slots=True)
class _Coarse:
    """The sensor-independent part of :func:`_candidate_pairs`: each threat's valid truth
    samples (``n_samples`` of its row, the padding left out) laid end to end: positions
    ``pos_blocks (B, BLOCK, 3)`` (zero past the V samples: a stacked product of small blocks
    is much faster than one long one), squared geocentric radii ``norm2 (V,)``, the target's
    term of the radar horizon ``sqrt(2 k R h)`` (h clipped at 0) ``horizon_m (V,)``; threat
    ``i``'s samples start at ``start[i]``."""

    pos_blocks: np.ndarray
    norm2: np.ndarray
    horizon_m: np.ndarray
    start: np.ndarray
    n_samples: np.ndarray

    def rows_with(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a mask over the samples: per threat, whether any of its samples is set, and
        the sample numbers (within the threat) of the first and last set one."""
        idx = np.flatnonzero(mask)
        lo = np.searchsorted(idx, self.start)
        hi = np.searchsorted(idx, self.start + self.n_samples)
        if idx.size == 0:
            zero = np.zeros(self.start.size, dtype=np.int64)
            return hi > lo, zero, zero
        first = idx[np.minimum(lo, idx.size - 1)] - self.start
        last = idx[np.maximum(hi - 1, 0)] - self.start
        return hi > lo, first, last


def _coarse(truth: Truth) -> _Coarse:
    """The sensor-independent arrays of :func:`_candidate_pairs`, computed once rather than
    once per sensor, on the valid samples only (about half the padded array in a long raid)."""
    valid = np.arange(truth.pos_ecef_m.shape[1])[None, :] < truth.n_samples[:, None]
    pos = truth.pos_ecef_m[valid]
    # altitude (Bowring's one-step formula, centimetres)
    horizon_m = radar_horizon_m(0.0, np.maximum(geodetic_height_m(pos, iterations=1), 0.0))
    start = np.cumsum(truth.n_samples) - truth.n_samples
    blocks = np.zeros((-(-pos.shape[0] // _BLOCK) * _BLOCK, 3))
    blocks[: pos.shape[0]] = pos
    return _Coarse(blocks.reshape(-1, _BLOCK, 3), np.einsum("vi,vi->v", pos, pos), horizon_m,
                   start, truth.n_samples)  # fmt: skip


_BLOCK = 1024


def _sorted(parts: list[tuple]) -> Detections:
    if not parts:
        z = np.zeros(0)
        return Detections(
            z, z.astype(np.int32), z.astype(np.int64), np.zeros((0, 3)), np.zeros((0, 3, 3)),
            z.astype(np.int8),
        )  # fmt: skip
    t_s, sensor, threat, kind = (np.concatenate([p[i] for p in parts]) for i in (0, 1, 2, 5))
    threat = threat.astype(np.int64)
    order = np.lexsort((threat, sensor, t_s))
    # the (n, 3) and (n, 3, 3) columns are written part by part to their sorted rows, not
    # joined and then gathered: one fresh array each instead of two (their pages are the
    # costly part of a first run)
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    z, r = np.empty((order.size, 3)), np.empty((order.size, 3, 3))
    start = 0
    for p in parts:
        rows = rank[start : start + p[0].size]
        z[rows], r[rows] = p[3], p[4]
        start += p[0].size
    small = (np.take(c, order) for c in (t_s, sensor, threat))
    return Detections(*small, z, r, np.take(kind, order))
