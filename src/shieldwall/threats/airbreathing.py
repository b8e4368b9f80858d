"""Cruise missiles and one-way attack drones: great-circle legs at constant speed and height.

Model: the route is launch -> waypoints -> impact, each leg a great circle on the mean sphere;
the ground track is flown at constant ``speed_m_s``; the height above the ellipsoid climbs
linearly from 0 to ``cruise_alt_m`` over the first ``CLIMB_S`` seconds and, when the type has a
terminal dive (``dive_km`` > 0, default ``DIVE_M``), dives linearly to 0 over the last ``dive``
metres of track:

    alt(t) = cruise_alt * clip(min(t / CLIMB_S, distance_to_go / dive), 0, 1)

Without a dive (``dive_km`` 0) the threat holds its height to the aim point, where it ends
(an air burst, or a strike from level flight).

Latitudes are treated as spherical on the great circles and handed back as geodetic with a
height above the WGS 84 ellipsoid, so routes start and end exactly on the given points (the
sphere/ellipsoid mismatch bends a leg by well under 0.5 % of its length).

This module also holds the small great-circle helpers the threat models share (spherical
trigonometry after Williams, "Aviation Formulary" v1.47, and Shoemake 1985 for slerp); they
will defer to :mod:`shieldwall.geo.wgs84` once that settles.
"""

from __future__ import annotations

import numpy as np

from shieldwall.threats.ballistic import EARTH_MEAN_RADIUS_M

CLIMB_S = 30.0  # seconds from launch to cruise height
DIVE_M = 5_000.0  # ground distance of the terminal dive
MIN_FLIGHT_S = 1.0  # a degenerate (zero-length) route still lasts this long


# ---------------------------------------------------------------------------------------------
# Great-circle helpers on the mean sphere; unit vectors have a trailing axis of 3.
# ---------------------------------------------------------------------------------------------


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """(...,) latitudes and longitudes -> (..., 3) unit vectors (Earth-centred, z north)."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def latlon_deg(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 3) vectors -> latitude, longitude in degrees (the vectors need not be unit)."""
    x, y, z = u[..., 0], u[..., 1], u[..., 2]
    return np.degrees(np.arctan2(z, np.hypot(x, y))), np.degrees(np.arctan2(y, x))


def central_angle_rad(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Angle between unit vectors, ``atan2(|u1 x u2|, u1 . u2)`` (well conditioned everywhere)."""
    cross = np.linalg.norm(np.cross(u1, u2), axis=-1)
    return np.arctan2(cross, np.sum(u1 * u2, axis=-1))


def slerp(u1: np.ndarray, u2: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Point a fraction ``f`` of the way along the great circle from ``u1`` to ``u2``.

    ``u = sin((1 - f) w) / sin w * u1 + sin(f w) / sin w * u2`` with ``w`` the central angle
    (Shoemake, SIGGRAPH 1985); falls back to normalised linear blending when ``w`` ~ 0.
    ``u1, u2``: (..., 3); ``f``: broadcastable to (...,).
    """
    return _slerp(u1, u2, np.asarray(f, dtype=float), central_angle_rad(u1, u2))


def _slerp(u1: np.ndarray, u2: np.ndarray, f: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`slerp` given the central angle ``w`` of ``u1`` and ``u2``."""
    sw = np.sin(w)
    ok = sw > 1e-12
    safe = np.where(ok, sw, 1.0)
    c1 = np.where(ok, np.sin((1.0 - f) * w) / safe, 1.0 - f)
    c2 = np.where(ok, np.sin(f * w) / safe, f)
    u = c1[..., None] * u1 + c2[..., None] * u2
    return u / np.linalg.norm(u, axis=-1, keepdims=True)


def destination_point(
    lat_deg: np.ndarray, lon_deg: np.ndarray, bearing_rad: np.ndarray, distance_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Point reached along a great circle from a start, an initial bearing and a distance.

    ``lat2 = asin(sin lat1 cos d + cos lat1 sin d cos b)``;
    ``lon2 = lon1 + atan2(sin b sin d cos lat1, cos d - sin lat1 sin lat2)``,
    ``d = distance / R`` (Williams, "Aviation Formulary", "Lat/lon given radial and distance").
    """
    lat1, lon1 = np.radians(lat_deg), np.radians(lon_deg)
    d = np.asarray(distance_m, dtype=float) / EARTH_MEAN_RADIUS_M
    sin_lat2 = np.sin(lat1) * np.cos(d) + np.cos(lat1) * np.sin(d) * np.cos(bearing_rad)
    lat2 = np.arcsin(np.clip(sin_lat2, -1.0, 1.0))
    dlon = np.arctan2(
        np.sin(bearing_rad) * np.sin(d) * np.cos(lat1), np.cos(d) - np.sin(lat1) * sin_lat2
    )
    lon2 = (np.degrees(lon1 + dlon) + 180.0) % 360.0 - 180.0
    return np.degrees(lat2), lon2


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------


def route_points(launch_u: np.ndarray, waypoints_u: np.ndarray, impact_u: np.ndarray) -> np.ndarray:
    """(n, 3) launches, (W, 3) shared waypoints, (n, 3) impacts -> (n, W + 2, 3) route points."""
    n = launch_u.shape[0]
    mid = np.broadcast_to(waypoints_u.reshape(1, -1, 3), (n, waypoints_u.size // 3, 3))
    return np.concatenate([launch_u[:, None, :], mid, impact_u[:, None, :]], axis=1)


def route_length_m(points_u: np.ndarray) -> np.ndarray:
    """(n, P, 3) route points -> (n,) length of the great-circle legs on the mean sphere."""
    legs = central_angle_rad(points_u[:, :-1], points_u[:, 1:])
    return EARTH_MEAN_RADIUS_M * legs.sum(axis=1)


def route_flight_time_s(points_u: np.ndarray, speed_m_s: float) -> np.ndarray:
    """(n,) nominal flight time: route length / ground speed (at least ``MIN_FLIGHT_S``)."""
    return np.maximum(route_length_m(points_u) / speed_m_s, MIN_FLIGHT_S)


def _along_route(points_u: np.ndarray, s_rad: np.ndarray) -> np.ndarray:
    """Unit vectors at route angle ``s_rad`` (n, K) along routes ``points_u`` (n, P, 3)."""
    legs = central_angle_rad(points_u[:, :-1], points_u[:, 1:])  # (n, L)
    cum = np.concatenate([np.zeros((legs.shape[0], 1)), np.cumsum(legs, axis=1)], axis=1)
    # leg index = number of inner leg boundaries already passed
    leg = (s_rad[:, :, None] > cum[:, None, 1:-1]).sum(axis=-1)  # (n, K)
    rows = np.arange(points_u.shape[0])[:, None]
    w = legs[rows, leg]  # each sample's leg angle: what slerp would compute again
    f = np.where(w > 0.0, (s_rad - cum[rows, leg]) / np.where(w > 0.0, w, 1.0), 0.0)
    return _slerp(points_u[rows, leg], points_u[rows, leg + 1], np.clip(f, 0.0, 1.0), w)


def airbreathing_tracks(
    points_u: np.ndarray,
    speed_m_s: float,
    cruise_alt_m: float,
    dt_max_s: float,
    dive_m: float = DIVE_M,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sampled tracks for routes ``points_u`` (n, P, 3) flown by one threat type.

    Each route gets a step ``dt_s = T / ceil(T / dt_max_s)`` (<= ``dt_max_s``) so that the
    first sample is the launch point and the last valid one the impact point. Returns
    ``dt_s`` (n,), ``n_samples`` (n,), and ``lat_deg``, ``lon_deg``, ``alt_m`` (n, K), rows
    padded past ``n_samples`` with the impact point.
    """
    t_flight = route_flight_time_s(points_u, speed_m_s)
    n_steps = np.maximum(np.ceil(t_flight / dt_max_s - 1e-9), 1).astype(np.int64)
    dt = t_flight / n_steps
    k = np.arange(int(n_steps.max()) + 1)[None, :]
    t = np.minimum(k * dt[:, None], t_flight[:, None])  # (n, K) time since launch
    total_m = route_length_m(points_u)[:, None]
    s_m = np.minimum(t * speed_m_s, total_m)
    lat, lon = latlon_deg(_along_route(points_u, s_m / EARTH_MEAN_RADIUS_M))
    # alt = cruise_alt * clip(min(t / CLIMB_S, to_go / dive), 0, 1)
    to_go = (total_m - s_m) / dive_m if dive_m > 0 else np.inf
    frac = np.minimum(t / CLIMB_S, to_go)
    alt = cruise_alt_m * np.clip(frac, 0.0, 1.0)
    return dt, n_steps + 1, lat, lon, alt
