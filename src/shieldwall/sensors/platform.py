"""Where each sensor is at a given time: fixed sites, and airborne racetrack orbits.

A racetrack (the standard AEW/tanker orbit; e.g. FAA Order JO 7110.65, holding patterns) is two
straight legs of length ``L`` joined by half-circle right turns of diameter ``W``, centred on
the sensor's placed point, the first leg flown along ``heading``. Its lap is

    P = 2 L + pi W,

flown at constant ground speed ``v`` (period ``P / v``). The platform starts at the beginning
of the first leg at t = 0. Offsets in the local horizontal plane are laid on the mean-radius
sphere along great circles (:func:`shieldwall.geo.destination_point`), so the altitude above
the ellipsoid stays exactly the placed one.
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo import destination_point, geodetic_to_ecef


def racetrack_lap_m(length_m: np.ndarray, width_m: np.ndarray) -> np.ndarray:
    """Lap length ``2 L + pi W`` (m)."""
    return 2.0 * np.asarray(length_m) + np.pi * np.asarray(width_m)


def racetrack_offsets_m(
    t_s: np.ndarray, length_m: np.ndarray, width_m: np.ndarray, speed_m_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Along-heading ``x`` and right-of-heading ``y`` offsets (m) from the orbit centre.

    Arc length ``s = v t mod P``; leg 1 ``x = -L/2 + s, y = -W/2``; turn 1 about ``(L/2, 0)``
    through ``th = -pi/2 + (s - L) / r`` (``r = W / 2``): ``(L/2 + r cos th, r sin th)``; leg 2
    back at ``y = +W/2``; turn 2 about ``(-L/2, 0)``. All arguments broadcast.
    """
    big_l, r = np.asarray(length_m, dtype=float), np.asarray(width_m, dtype=float) / 2.0
    s = np.mod(np.asarray(speed_m_s) * np.asarray(t_s, dtype=float), racetrack_lap_m(big_l, 2 * r))
    turn = np.pi * r
    th1 = -np.pi / 2.0 + (s - big_l) / r
    th2 = np.pi / 2.0 + (s - 2.0 * big_l - turn) / r
    x = np.select(
        [s < big_l, s < big_l + turn, s < 2.0 * big_l + turn],
        [-big_l / 2.0 + s, big_l / 2.0 + r * np.cos(th1), big_l / 2.0 - (s - big_l - turn)],
        -big_l / 2.0 + r * np.cos(th2),
    )
    y = np.select(
        [s < big_l, s < big_l + turn, s < 2.0 * big_l + turn],
        [-r + 0.0 * s, r * np.sin(th1), r + 0.0 * s],
        r * np.sin(th2),
    )
    return x, y


def racetrack_geodetic(
    t_s: np.ndarray,
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    heading_rad: np.ndarray,
    length_m: np.ndarray,
    width_m: np.ndarray,
    speed_m_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (deg) of a racetrack platform at ``t_s`` (broadcasts).

    Local east/north offsets ``e = x sin h + y cos h``, ``n = x cos h - y sin h`` are laid
    from the centre along the great circle of bearing ``atan2(e, n)`` for ``hypot(e, n)``.
    """
    x, y = racetrack_offsets_m(t_s, length_m, width_m, speed_m_s)
    sh, ch = np.sin(heading_rad), np.cos(heading_rad)
    east, north = x * sh + y * ch, x * ch - y * sh
    bearing = np.degrees(np.arctan2(east, north))
    return destination_point(lat_deg, lon_deg, bearing, np.hypot(east, north))


def enu_rows(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """ENU basis ``(..., 3, 3)``: rows are the east, north and up unit vectors in ECEF.

    ``enu = rows @ (xyz - xyz0)`` (Farrell, *GNSS Aided Navigation and Tracking*, eq. 2.30)."""
    la, lo = np.radians(np.asarray(lat_deg, dtype=float)), np.radians(np.asarray(lon_deg))
    sl, cl, so, co = np.sin(la), np.cos(la), np.sin(lo), np.cos(lo)
    zero = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return np.stack([east, north, up], axis=-2)


def platform_lat_lon(sensors, index: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Latitude and longitude (deg) of sensors ``index`` at times ``t_s`` (broadcast together):
    the placed point for fixed sensors, the racetrack position for orbiting ones."""
    idx = np.asarray(index)
    lat, lon = np.broadcast_arrays(sensors.lat_deg[idx], sensors.lon_deg[idx], t_s)[:2]
    moving = sensors.orbit_speed_m_s[idx] > 0
    if not np.any(moving):
        return lat, lon
    olat, olon = racetrack_geodetic(
        t_s,
        sensors.lat_deg[idx],
        sensors.lon_deg[idx],
        sensors.orbit_heading_rad[idx],
        sensors.orbit_length_m[idx],
        np.where(moving, sensors.orbit_width_m[idx], 1.0),
        sensors.orbit_speed_m_s[idx],
    )
    return np.where(moving, olat, lat), np.where(moving, olon, lon)


def platform_frames(
    sensors, index: np.ndarray, t_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position ``(..., 3)`` ECEF, ENU rows ``(..., 3, 3)`` and height ``(...)`` of sensors
    ``index`` at ``t_s`` (broadcast together)."""
    idx = np.asarray(index)
    lat, lon = platform_lat_lon(sensors, idx, t_s)
    alt = np.broadcast_to(sensors.alt_m[idx], lat.shape)
    return geodetic_to_ecef(lat, lon, alt), enu_rows(lat, lon), alt
