"""Radar horizon and line of sight over a 4/3 effective-Earth sphere.

Standard atmospheric refraction bends radar rays towards the ground; the classical model
replaces the Earth (radius R) by a sphere of radius k R with k = 4/3, over which rays travel
in straight lines (M. Skolnik, *Introduction to Radar Systems*, 3rd ed., 2001, sec. 8.2;
*Radar Handbook*, 3rd ed., 2008, ch. 26). R here is the mean Earth radius 6,371,008.8 m.
Terrain is ignored: heights are above the WGS84 ellipsoid, and heights below it (e.g. the
Dead Sea shore) are treated as zero.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shieldwall.geo.wgs84 import EARTH_MEAN_RADIUS_M, ecef_to_geodetic_settled

EFFECTIVE_EARTH_K = 4.0 / 3.0
"""Effective Earth radius factor for a standard atmosphere (Skolnik 2001, eq. 8.1)."""


def radar_horizon_m(
    h_sensor_m: ArrayLike, h_target_m: ArrayLike, k: float = EFFECTIVE_EARTH_K
) -> NDArray[np.float64]:
    """Maximum ground distance (m) at which a target is above the radar horizon.

    d = sqrt(2 k R h1) + sqrt(2 k R h2)  (Skolnik, *Introduction to Radar Systems*, eq. 8.2;
    small-angle form of the tangent-line distance, accurate to ~h/(kR)). Negative heights
    are clipped to zero. Broadcasts.
    """
    kr = k * EARTH_MEAN_RADIUS_M
    h1 = np.clip(np.asarray(h_sensor_m, dtype=np.float64), 0.0, None)
    h2 = np.clip(np.asarray(h_target_m, dtype=np.float64), 0.0, None)
    return np.sqrt(2.0 * kr * h1) + np.sqrt(2.0 * kr * h2)


def line_of_sight(
    sensor_ecef: ArrayLike, target_ecef: ArrayLike, k: float = EFFECTIVE_EARTH_K
) -> NDArray[np.bool_]:
    """True where the straight ray from sensor to target clears the k R effective Earth.

    Shapes: ``sensor_ecef (..., 3)`` and ``target_ecef (..., 3)`` broadcast (e.g. sensors
    ``(S, 1, 3)`` against targets ``(1, N, 3)`` gives ``(S, N)``).

    Method (documented approximation): take both geodetic heights h1, h2 (clipped at 0) and
    the great-circle ground distance d between the sub-points on the mean-radius sphere; place
    the two points on the effective sphere at radii r_i = kR + h_i separated by the central
    angle theta = d / (kR) (so the ground distance is kept and the curvature reduced by k);
    the ray clears the Earth when its closest approach to the centre is >= kR. For a tangent
    ray this reduces to d = sqrt(2kR h1) + sqrt(2kR h2) to first order in h / kR, i.e. to
    :func:`radar_horizon_m`, but it stays correct for high targets (ballistic apogees,
    satellites). Ignores terrain and the ellipsoid's varying curvature (~0.3 %).
    """
    up1, h1 = geodetic_up_and_height(sensor_ecef)
    up2, h2 = geodetic_up_and_height(target_ecef)
    return clears_effective_earth(up1, h1, up2, h2, k)


def geodetic_up_and_height(xyz_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Geodetic up unit vector ``(..., 3)`` (the ellipsoid normal) and height (m) of ECEF points.

    Compute once per object and reuse with :func:`clears_effective_earth` for every pair: the
    iterative geodetic conversion is the expensive part of a line-of-sight test."""
    lat, lon, h = ecef_to_geodetic_settled(xyz_m)
    la, lo = np.radians(lat), np.radians(lon)
    cos_la = np.cos(la)
    up = np.empty(np.shape(h) + (3,))
    np.multiply(cos_la, np.cos(lo), out=up[..., 0])
    np.multiply(cos_la, np.sin(lo), out=up[..., 1])
    np.sin(la, out=up[..., 2])
    return up, h


def clears_effective_earth(
    up1: ArrayLike, h1_m: ArrayLike, up2: ArrayLike, h2_m: ArrayLike, k: float = EFFECTIVE_EARTH_K
) -> NDArray[np.bool_]:
    """The core of :func:`line_of_sight` on precomputed up vectors and heights (broadcasts).

    The ground distance is R times the angle between the two up vectors, which equals the
    haversine distance of the geodetic sub-points: 2 asin(|u2 - u1| / 2) (chord form, accurate
    at small angles). The rest is the effective-sphere closest approach described there.
    """
    u1, u2 = np.asarray(up1, dtype=np.float64), np.asarray(up2, dtype=np.float64)
    chord = np.sqrt(sum((u2[..., i] - u1[..., i]) ** 2 for i in range(3)))
    kr = k * EARTH_MEAN_RADIUS_M
    theta = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)) / k
    r1 = kr + np.clip(h1_m, 0.0, None)
    r2 = kr + np.clip(h2_m, 0.0, None)
    # 2-D geometry in the plane of the two points: P1 = (r1, 0), P2 = r2 (cos th, sin th).
    dx = r2 * np.cos(theta) - r1
    dy = r2 * np.sin(theta)
    seg2 = dx * dx + dy * dy
    # closest point P1 + t (P2 - P1), t = -P1.(P2 - P1) / |P2 - P1|^2 clamped to [0, 1]
    t_star = np.clip(-r1 * dx / np.where(seg2 > 0.0, seg2, 1.0), 0.0, 1.0)
    min_r = np.hypot(r1 + t_star * dx, t_star * dy)
    # 1 mm slack so two points on the surface at the same spot still see each other
    return min_r >= kr - 1e-3
