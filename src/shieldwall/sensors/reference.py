"""Scalar reference of one radar look, in plain Python (``math`` only), written straight from
the formulas: the independent check of the vectorised core (:mod:`shieldwall.sensors.core`)
and the per-pair baseline the benchmark measures the core against.

Same model, same sources: geodetic from ECEF by Bowring's iteration (Bowring 1976), ENU
rotation (Farrell 2008, eq. 2.30), 4/3-Earth line of sight and elevation limits on the apparent
(refracted) elevation over the same effective Earth (Skolnik 2001, sec. 8.2), RCS by
aspect interpolated in dB, Swerling 1 ``Pd = Pfa ** (1 / (1 + SNR))`` with the R^-4 radar
equation scaled from the reference (Skolnik eqs. 2.1, 2.51), AER errors converted exactly and
the first-order covariance ``J diag(s^2) J^T`` (Bar-Shalom, Li & Kirubarajan sec. 10.4.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

A, F = 6378137.0, 1.0 / 298.257223563
B, E2 = A * (1.0 - F), F * (2.0 - F)
EP2 = E2 / (1.0 - E2)
R_MEAN, K_EFF = 6371008.8, 4.0 / 3.0

Vec = Sequence[float]


@dataclass(frozen=True, slots=True)
class ScalarRadar:
    """One radar's figures (SI, radians) and its position (geodetic, degrees / metres)."""

    lat_deg: float
    lon_deg: float
    alt_m: float
    max_range_m: float
    boresight_rad: float
    half_sector_rad: float
    min_el_rad: float
    max_el_rad: float
    ref_range_m: float
    pfa: float
    sigma_range_m: float
    sigma_az_rad: float
    sigma_el_rad: float


def geodetic(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Latitude, longitude (radians) and height (m): Bowring's iteration, four steps."""
    p = math.hypot(x, y)
    beta = math.atan2(z, (1.0 - F) * p)
    lat = 0.0
    for _ in range(4):
        lat = math.atan2(z + EP2 * B * math.sin(beta) ** 3, p - E2 * A * math.cos(beta) ** 3)
        beta = math.atan2((1.0 - F) * math.sin(lat), math.cos(lat))
    s = math.sin(lat)
    h = p * math.cos(lat) + z * s - A * math.sqrt(1.0 - E2 * s * s)
    return lat, math.atan2(y, x), h


def ecef(lat: float, lon: float, h: float) -> list[float]:
    n = A / math.sqrt(1.0 - E2 * math.sin(lat) ** 2)
    return [
        (n + h) * math.cos(lat) * math.cos(lon),
        (n + h) * math.cos(lat) * math.sin(lon),
        (n * (1.0 - E2) + h) * math.sin(lat),
    ]


def enu_rows(lat: float, lon: float) -> list[list[float]]:
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    return [[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]]


def dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def clears(lat1: float, lon1: float, h1: float, lat2: float, lon2: float, h2: float) -> bool:
    """4/3-Earth line of sight: haversine ground distance, then the closest approach of the
    straight ray to the centre of the effective sphere (see ``shieldwall.geo.los``)."""
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    kr = K_EFF * R_MEAN
    theta = 2.0 * R_MEAN * math.asin(math.sqrt(min(max(a, 0.0), 1.0))) / kr
    r1, r2 = kr + max(h1, 0.0), kr + max(h2, 0.0)
    dx, dy = r2 * math.cos(theta) - r1, r2 * math.sin(theta)
    seg2 = dx * dx + dy * dy
    t = min(max(-r1 * dx / seg2 if seg2 > 0 else 0.0, 0.0), 1.0)
    return math.hypot(r1 + t * dx, t * dy) >= kr - 1e-3


def apparent_elevation(horiz: float, up: float, h_sensor: float) -> float:
    """Elevation (rad) of the straight ray on the 4/3 effective Earth: the target's ground
    angle and radius on the mean sphere, ``th = atan2(x, R + h1 + u)``, carried to the sphere
    of radius kR with the ground distance and heights kept (``th' = th / k``)."""
    r1 = R_MEAN + h_sensor
    th = math.atan2(horiz, r1 + up) / K_EFF
    r2k = math.hypot(horiz, r1 + up) + (K_EFF - 1.0) * R_MEAN
    r1k = r1 + (K_EFF - 1.0) * R_MEAN
    return math.atan2(r2k * math.cos(th) - r1k, r2k * math.sin(th))


def rcs_at_aspect(vel: Vec, to_sensor: Vec, mean_m2: float, nose_side_tail: Vec) -> float:
    """RCS (m^2) at the aspect angle; piecewise linear in dB over 0, 90, 180 deg."""
    if dot(vel, vel) == 0.0:
        return mean_m2
    cx = vel[1] * to_sensor[2] - vel[2] * to_sensor[1]
    cy = vel[2] * to_sensor[0] - vel[0] * to_sensor[2]
    cz = vel[0] * to_sensor[1] - vel[1] * to_sensor[0]
    f = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), dot(vel, to_sensor)) / (math.pi / 2)
    db = [10.0 * math.log10(v) for v in nose_side_tail]
    k = 0 if f <= 1.0 else 1
    return 10.0 ** ((db[k] + (db[k + 1] - db[k]) * (f - k)) / 10.0)


def look(
    radar: ScalarRadar,
    pos: Vec,
    vel: Vec,
    rcs_m2: float,
    nose_side_tail: Vec,
    uniform: float,
    normals: Vec,
) -> tuple[bool, list[float] | None, list[list[float]] | None]:
    """One look: (detected, measured ECEF position, ECEF covariance) or (False, None, None).
    Limits on the apparent elevation; the measurement is of the geometric one."""
    lat0, lon0 = math.radians(radar.lat_deg), math.radians(radar.lon_deg)
    origin = ecef(lat0, lon0, radar.alt_m)
    rows = enu_rows(lat0, lon0)
    d = [pos[i] - origin[i] for i in range(3)]
    e, n, u = (dot(r, d) for r in rows)
    az, el, rng = math.atan2(e, n), math.atan2(u, math.hypot(e, n)), math.sqrt(dot(d, d))
    off = (az - radar.boresight_rad + math.pi) % (2 * math.pi) - math.pi
    el_app = apparent_elevation(math.hypot(e, n), u, radar.alt_m)
    lat, lon, h = geodetic(*pos)
    if not (
        rng <= radar.max_range_m
        and abs(off) <= radar.half_sector_rad
        and radar.min_el_rad <= el_app <= radar.max_el_rad
        and clears(lat0, lon0, radar.alt_m, lat, lon, h)
    ):
        return False, None, None
    sigma = rcs_at_aspect(vel, [-c for c in d], rcs_m2, nose_side_tail)
    snr = (math.log(radar.pfa) / math.log(0.9) - 1.0) * sigma * (radar.ref_range_m / rng) ** 4
    if not uniform < radar.pfa ** (1.0 / (1.0 + snr)):
        return False, None, None
    return (True, *_measure(radar, rows, origin, (az, el, rng), normals))


def _measure(radar: ScalarRadar, rows, origin, aer, normals):
    """Measured AER -> ECEF, and R = sum_k a_k a_k^T over the scaled Jacobian columns."""
    az = aer[0] + radar.sigma_az_rad * normals[1]
    el = aer[1] + radar.sigma_el_rad * normals[2]
    r = abs(aer[2] + radar.sigma_range_m * normals[0])
    sa, ca, se, ce = math.sin(az), math.cos(az), math.sin(el), math.cos(el)
    enu = [r * ce * sa, r * ce * ca, r * se]
    cols_enu = [
        [radar.sigma_range_m * ce * sa, radar.sigma_range_m * ce * ca, radar.sigma_range_m * se],
        [radar.sigma_az_rad * r * ce * ca, -radar.sigma_az_rad * r * ce * sa, 0.0],
        [-radar.sigma_el_rad * r * se * sa, -radar.sigma_el_rad * r * se * ca,
         radar.sigma_el_rad * r * ce],
    ]  # fmt: skip

    def to_ecef(v: Vec) -> list[float]:
        return [sum(v[k] * rows[k][i] for k in range(3)) for i in range(3)]

    z = [origin[i] + c for i, c in enumerate(to_ecef(enu))]
    cols = [to_ecef(c) for c in cols_enu]
    cov = [[sum(c[i] * c[j] for c in cols) for j in range(3)] for i in range(3)]
    return z, cov
