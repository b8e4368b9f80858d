"""The radar scan core: one vectorised evaluation of arbitrary (sensor, target) pairs.

Every argument broadcasts, so the same code evaluates a sensor's looks along a raid (pairs
``(p,)``, the sensor fixed or moving), or every sensor against every target at one instant
(sensors ``(S, 1)`` against targets ``(1, N)``). Random draws come in as arrays (uniforms for the
detection draw, standard normals for the measurement errors), so the core itself is a pure
function: callers draw from each sensor's own stream, and tests can feed the same draws to a
scalar reference (:mod:`shieldwall.sensors.reference`).

A pair is *covered* when the target is within the instrumented range and inside the azimuth
sector (ENU of the sensor's geodetic position), its *apparent* (refracted) elevation is inside the
elevation limits, and it is in line of sight over the 4/3 effective Earth (Skolnik, *Introduction
to Radar Systems*, 3rd ed., sec. 8.2). Refraction and line of sight are one model: the apparent
elevation is the elevation of the straight ray on the same effective sphere
(:func:`apparent_elevation_rad`). A covered pair is detected with the Swerling 1 probability of
the radar equation scaled from the reference (:mod:`shieldwall.sensors.detection`), using the
target's RCS at its current aspect. Measurements are of the geometric position (:func:`measure`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from shieldwall.geo import (
    EARTH_MEAN_RADIUS_M,
    EFFECTIVE_EARTH_K,
    clears_effective_earth,
    geodetic_up_and_height,
)
from shieldwall.sensors.detection import (
    aer_point_and_covariance_ecef,
    aspect_angle_rad,
    aspect_rcs_m2,
    radar_pd,
)
from shieldwall.sensors.geocache import GeodeticCache


@dataclass(frozen=True, slots=True)
class Observers:
    """Sensor end of each pair: ECEF position ``(..., 3)``, ENU rows ``(..., 3, 3)`` (east,
    north, up unit vectors in ECEF) and height above the ellipsoid ``(...)``."""

    pos_ecef_m: np.ndarray
    rot_enu: np.ndarray
    height_m: np.ndarray


@dataclass(frozen=True, slots=True)
class Targets:
    """Target end of each pair: ECEF position and velocity ``(..., 3)``, geodetic up unit
    vector ``(..., 3)``, height ``(...)``, mean RCS ``(...)`` and RCS at nose/side/tail
    ``(..., 3)`` (m^2; equal to the mean where the catalog gives no aspect values). ``up`` and
    ``height_m`` may be None: computed where needed."""

    pos_ecef_m: np.ndarray
    vel_ecef_m_s: np.ndarray
    up: np.ndarray | None
    height_m: np.ndarray | None
    rcs_m2: np.ndarray
    rcs_aspect_m2: np.ndarray
    key: np.ndarray | None = None
    cache: GeodeticCache | None = None

    @classmethod
    def at(
        cls, pos_ecef_m, vel_ecef_m_s, rcs_m2, rcs_aspect_m2=None, geodetic=True, key=None,
        cache=None,
    ) -> Targets:  # fmt: skip
        """Targets with their geodetic up vector and height (one geodetic conversion each).
        ``geodetic=False`` defers the conversion to the pairs that pass the cheap tests (for
        pairs of one sensor, where every target point is used once); with a ``cache``
        (:class:`~shieldwall.sensors.geocache.GeodeticCache`) and the points' ``key`` those
        conversions are shared with other sensors looking at the same points."""
        up, h = geodetic_up_and_height(pos_ecef_m) if geodetic else (None, None)
        rcs = np.asarray(rcs_m2, dtype=float)
        table = np.repeat(rcs[..., None], 3, -1) if rcs_aspect_m2 is None else rcs_aspect_m2
        pos, vel = np.asarray(pos_ecef_m), np.asarray(vel_ecef_m_s)
        return cls(pos, vel, up, h, rcs, table, key, cache if key is not None else None)


@dataclass(frozen=True, slots=True)
class RadarParams:
    """Per-pair radar figures (SI, radians), each broadcastable against the pairs."""

    max_range_m: np.ndarray
    boresight_rad: np.ndarray
    half_sector_rad: np.ndarray
    min_el_rad: np.ndarray
    max_el_rad: np.ndarray
    ref_range_m: np.ndarray
    pfa: np.ndarray
    sigma_range_m: np.ndarray
    sigma_az_rad: np.ndarray
    sigma_el_rad: np.ndarray

    @classmethod
    def of(cls, sensors, index) -> RadarParams:
        """Figures of sensors ``index`` (an int, or an index array shaped like the pairs)."""
        return cls(*(getattr(sensors, f.name)[index] for f in fields(cls)))

    def take(self, mask: np.ndarray) -> RadarParams:
        """The figures of the pairs selected by boolean ``mask`` (flattened). One sensor's
        figure (a scalar) stays a scalar: it broadcasts against the pairs."""

        def rows(x: np.ndarray) -> np.ndarray:
            if np.ndim(x) == 0:
                return x
            return np.broadcast_to(x, mask.shape)[mask]

        return RadarParams(*(rows(getattr(self, f.name)) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class Looks:
    """Result of a scan: ``detected`` ``(...)``; for the detected pairs only, in row-major
    order: ``index`` (flat pair index), measured ECEF ``z_ecef_m (m, 3)``, covariance
    ``r_ecef_m2 (m, 3, 3)``. ``covered`` and ``pd`` are kept for analysis."""

    detected: np.ndarray
    covered: np.ndarray
    pd: np.ndarray
    index: np.ndarray
    z_ecef_m: np.ndarray
    r_ecef_m2: np.ndarray


def enu_of(obs: Observers, tgt: Targets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up (m) of each target from its sensor: ``[e, n, u] = rows (t - o)``,
    written out per component (no reductions over a size-3 axis, which numpy does slowly)."""
    t, o, rot = tgt.pos_ecef_m, obs.pos_ecef_m, obs.rot_enu
    dx, dy, dz = (t[..., k] - o[..., k] for k in range(3))
    e, n, u = (rot[..., i, 0] * dx + rot[..., i, 1] * dy + rot[..., i, 2] * dz for i in range(3))
    return e, n, u


def aer_of(obs: Observers, tgt: Targets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth (rad, clockwise from north, (-pi, pi]), geometric elevation (rad) and range (m)."""
    e, n, u = enu_of(obs, tgt)
    horiz = np.hypot(e, n)
    return np.arctan2(e, n), np.arctan2(u, horiz), np.hypot(horiz, u)


def apparent_elevation_rad(
    horiz_m: np.ndarray, up_m: np.ndarray, h_sensor_m: np.ndarray, k: float = EFFECTIVE_EARTH_K
) -> np.ndarray:
    """Apparent (refracted) elevation (rad) of a target ``horiz_m`` from the sensor along its
    tangent plane and ``up_m`` above it, the sensor ``h_sensor_m`` above the ellipsoid.
    Broadcasts.

    Standard refraction as the k = 4/3 effective Earth (Skolnik, *Introduction to Radar
    Systems*, 3rd ed., sec. 8.2), the model of :func:`shieldwall.geo.clears_effective_earth`:
    keep the ground distance and both heights, shrink the curvature by k, and the ray is
    straight. On the mean-radius sphere (R = 6,371,008.8 m) the sensor is at r1 = R + h1 and
    the target at ``r2 = hypot(x, r1 + u)``, central angle ``th = atan2(x, r1 + u)``; on the
    sphere of radius kR, ``r_i' = r_i + (k - 1) R`` and ``th' = th / k``, so

        el_app = atan2(r2' cos th' - r1', r2' sin th')

    To first order in rho/R and h/R (rho^2 = x^2 + u^2): the target's drop below the tangent
    plane is x^2 / 2R on the Earth and x^2 / 2kR on the effective Earth, so it is
    (1 - 1/k) x^2 / 2R higher there, and (1 - 1/k) (h1 + u) x / R nearer along the plane, so

        el_app - el_geo ~= (1 - 1/k) x (x^2 / 2 + u^2 + u h1) / (R rho^2)

    Near the horizon (u << x) this is the textbook lift rho (1 - 1/k) / (2R), i.e.
    ``sin(el_app) ~= sin(el_geo) + rho (1 - 1/k) / (2R)``; the factors in x and u make it vanish
    at the zenith, where a stratified atmosphere bends no ray (the horizon form would put a
    target overhead above 90 deg). The exact form is used here; the tests hold the first-order
    one to it within 2 % of rho (1 - 1/k) / (2R) for rho <= 1,000 km and heights <= 100 km. The
    mean sphere stands in for the ellipsoid's local curvature (< 0.5 % off, as in the line of
    sight), so the lift is off by about 0.5 % of itself.
    """
    r1 = EARTH_MEAN_RADIUS_M + h_sensor_m
    y = r1 + up_m
    th_k = np.arctan2(horiz_m, y) / k
    # effective radii r_i' = r_i + (k - 1) R
    grow = (k - 1.0) * EARTH_MEAN_RADIUS_M
    r2k, r1k = np.hypot(horiz_m, y) + grow, r1 + grow
    # el_app = atan2(r2' cos th' - r1', r2' sin th')
    return np.arctan2(r2k * np.cos(th_k) - r1k, r2k * np.sin(th_k))


def geometric_elevation_rad(
    el_app_rad: np.ndarray, range_m: np.ndarray, h_sensor_m: np.ndarray
) -> np.ndarray:
    """Geometric elevation (rad) whose apparent elevation at slant range ``range_m`` is
    ``el_app_rad``: the inverse of :func:`apparent_elevation_rad` by the fixed-point iteration
    ``el <- el + (el_app - f(el))``, which contracts by |d(lift)/d(el)| ~ (1 - 1/k) rho / R
    (< 0.1 at 1,500 km), until a step is below 1e-10 rad (f itself rounds at ~2e-9 m / rho).
    Broadcasts."""
    el_app = np.asarray(el_app_rad, dtype=np.float64)
    el = el_app
    for _ in range(40):
        step = el_app - apparent_elevation_rad(
            range_m * np.cos(el), range_m * np.sin(el), h_sensor_m
        )
        el = el + step
        if not np.any(np.abs(step) > 1e-10):
            break
    return el


def covered(obs: Observers, tgt: Targets, prm: RadarParams) -> tuple[np.ndarray, ...]:
    """Coverage mask and the pair geometry ``(covered, az_rad, el_rad, range_m)``, ``el_rad``
    geometric. Range and sector are tested on every pair, the apparent elevation
    (:func:`apparent_elevation_rad`) on those inside, line of sight on the rest."""
    inside, az, up_m, horiz_m, rng_m = covered_geometry(obs, tgt, prm)
    return inside, az, np.arctan2(up_m, horiz_m), rng_m


def covered_geometry(obs: Observers, tgt: Targets, prm: RadarParams) -> tuple[np.ndarray, ...]:
    """:func:`covered` with the elevation left as its up and horizontal parts ``(covered,
    az_rad, up_m, horiz_m, range_m)``, for callers needing it on a few pairs only."""
    inside, e, n, u, horiz, rng_m = _coverage(obs, tgt, prm)
    return inside, np.arctan2(e, n), u, horiz, rng_m


def _coverage(obs: Observers, tgt: Targets, prm: RadarParams) -> tuple[np.ndarray, ...]:
    """Coverage mask and the pair geometry ``(covered, e, n, u, horiz_m, range_m)`` (ENU
    metres). The azimuth is taken only for a sector narrower than the full circle: the
    wrapped offset ``mod(az - bore + pi, 2 pi) - pi`` lies in [-pi, pi], so a half sector of
    pi or more passes every pair."""
    e, n, u = enu_of(obs, tgt)
    horiz = np.hypot(e, n)
    rng_m = np.hypot(horiz, u)
    inside = rng_m <= prm.max_range_m
    if not np.all(prm.half_sector_rad >= np.pi):
        off = np.mod(np.arctan2(e, n) - prm.boresight_rad + np.pi, 2.0 * np.pi) - np.pi
        inside &= np.abs(off) <= prm.half_sector_rad
    shape = inside.shape
    sel = np.flatnonzero(inside)
    multi = np.unravel_index(sel, shape)
    el_app = apparent_elevation_rad(
        horiz.flat[sel], u.flat[sel], _pick(obs.height_m, shape, 0, multi)
    )
    ok = (el_app >= _pick(prm.min_el_rad, shape, 0, multi)) & (
        el_app <= _pick(prm.max_el_rad, shape, 0, multi)
    )
    # line of sight only where the cheap tests pass
    multi = tuple(m[ok] for m in multi)
    ok[ok] = clears_effective_earth(
        _pick(obs.rot_enu[..., 2, :], shape, 1, multi),
        _pick(obs.height_m, shape, 0, multi),
        *_target_up_height(tgt, shape, multi),
    )
    inside.flat[sel[~ok]] = False
    return inside, e, n, u, horiz, rng_m


def _target_up_height(tgt: Targets, shape: tuple, multi: tuple) -> tuple[np.ndarray, ...]:
    if tgt.up is None:
        pos = _pick(tgt.pos_ecef_m, shape, 1, multi)
        if tgt.cache is not None:
            return tgt.cache.up_and_height(_pick(tgt.key, shape, 0, multi), pos)
        return geodetic_up_and_height(pos)
    return _pick(tgt.up, shape, 1, multi), _pick(tgt.height_m, shape, 0, multi)


def target_rcs_m2(obs: Observers, tgt: Targets) -> np.ndarray:
    """RCS (m^2) of each target at its aspect from the sensor (a motionless target, whose
    aspect is undefined, shows its mean RCS)."""
    to_sensor = obs.pos_ecef_m - tgt.pos_ecef_m
    aspect = aspect_angle_rad(tgt.vel_ecef_m_s, to_sensor)
    still = np.sum(tgt.vel_ecef_m_s * tgt.vel_ecef_m_s, axis=-1) == 0.0
    return np.where(still, tgt.rcs_m2, aspect_rcs_m2(aspect, tgt.rcs_aspect_m2))


def measure(
    obs: Observers, prm: RadarParams, aer: tuple[np.ndarray, ...], normals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Measured ECEF position and covariance from true ``aer`` and standard normals ``(..., 3)``.

    The elevation here is geometric: the radar is taken to correct its apparent elevation for
    standard refraction exactly, so a report carries the stated (r, az, el) errors and no
    refraction bias (only coverage sees the apparent elevation, :func:`covered`).
    ``(r, az, el)_meas = (r, az, el) + (sr, saz, sel) * n``, converted exactly to ENU
    (``e = r cos(el) sin(az)``, ...) and to ECEF; covariance ``A A^T`` from
    :func:`aer_sqrt_covariance_ecef` at the measured point.
    """
    az = aer[0] + prm.sigma_az_rad * normals[..., 1]
    el = aer[1] + prm.sigma_el_rad * normals[..., 2]
    r = np.abs(aer[2] + prm.sigma_range_m * normals[..., 0])
    offset, cov = aer_point_and_covariance_ecef(
        az, el, r, (prm.sigma_range_m, prm.sigma_az_rad, prm.sigma_el_rad), obs.rot_enu
    )
    return np.add(obs.pos_ecef_m, offset, out=offset), cov


def radar_scan(
    obs: Observers, tgt: Targets, prm: RadarParams, uniforms: np.ndarray, normals: np.ndarray
) -> Looks:
    """Evaluate every (sensor, target) pair: coverage, Pd, the detection draw
    ``uniform < Pd``, and measurements of the detected pairs. Shapes broadcast to the pairs'
    shape ``P``; ``uniforms`` is ``P`` and ``normals`` ``P + (3,)``."""
    inside, e, n, up_m, horiz_m, rng_m = _coverage(obs, tgt, prm)
    shape = inside.shape
    pd = np.zeros(shape)
    sel = np.flatnonzero(inside)
    sub_obs, sub_tgt = _take_obs(obs, shape, sel), _take_tgt(tgt, shape, sel)
    sub_prm = prm.take(inside)
    rcs = target_rcs_m2(sub_obs, sub_tgt)
    pd.flat[sel] = radar_pd(rng_m.flat[sel], rcs, sub_prm.ref_range_m, sub_prm.pfa)
    detected = np.asarray(uniforms) < pd
    hit = detected.flat[sel]
    # azimuth and elevation on the detections only
    az = np.arctan2(e.flat[sel][hit], n.flat[sel][hit])
    el = np.arctan2(up_m.flat[sel][hit], horiz_m.flat[sel][hit])
    aer = (az, el, rng_m.flat[sel][hit])
    z, r = measure(
        _take_obs(sub_obs, sel.shape, np.flatnonzero(hit)),
        _flat_params(sub_prm, hit),
        aer,
        np.take(np.reshape(normals, (-1, 3)), sel[hit], axis=0),
    )
    return Looks(detected, inside, pd, sel[hit], z, r)


def _flat_params(prm: RadarParams, mask: np.ndarray) -> RadarParams:
    """The figures of the pairs ``mask`` selects; a scalar figure (every pair's) stays one."""
    return RadarParams(*(_masked(getattr(prm, f.name), mask) for f in fields(prm)))


def _masked(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return x if np.ndim(x) == 0 else x[mask]


def _pick(a: np.ndarray, shape: tuple, ndim_tail: int, multi: tuple) -> np.ndarray:
    """Rows ``multi`` (a multi-index into ``shape``) of ``a``, which broadcasts to ``shape``
    plus ``ndim_tail`` trailing axes, without materialising the broadcast array. When ``a``
    does not vary over ``shape`` its single row is returned (it broadcasts against the rows)."""
    a = np.asarray(a)
    tail = a.shape[a.ndim - ndim_tail :]
    lead = a.shape[: a.ndim - ndim_tail]
    lead = (1,) * (len(shape) - len(lead)) + lead
    if all(d == 1 for d in lead):  # the same row for every pair (a fixed sensor): broadcast it
        return a.reshape(tail)
    zero = np.zeros_like(multi[0]) if multi else np.zeros(0, dtype=np.intp)
    idx = tuple(m if d != 1 else zero for m, d in zip(multi, lead, strict=True))
    if len(idx) == 1:  # pairs along one axis: np.take copies rows faster than fancy indexing
        return np.take(a.reshape(lead + tail), idx[0], axis=0)
    return a.reshape(lead + tail)[idx] if idx else np.broadcast_to(a, (zero.size, *tail))


def _take_obs(obs: Observers, shape: tuple, flat: np.ndarray) -> Observers:
    multi = np.unravel_index(flat, shape)
    return Observers(
        _pick(obs.pos_ecef_m, shape, 1, multi),
        _pick(obs.rot_enu, shape, 2, multi),
        _pick(obs.height_m, shape, 0, multi),
    )


def _take_tgt(tgt: Targets, shape: tuple, flat: np.ndarray) -> Targets:
    multi = np.unravel_index(flat, shape)
    return Targets(
        _pick(tgt.pos_ecef_m, shape, 1, multi),
        _pick(tgt.vel_ecef_m_s, shape, 1, multi),
        None,
        None,
        _pick(tgt.rcs_m2, shape, 0, multi),
        _pick(tgt.rcs_aspect_m2, shape, 1, multi),
    )
