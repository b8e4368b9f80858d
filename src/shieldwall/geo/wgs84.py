"""WGS84 geodetic, ECEF, ENU and AER conversions and great-circle helpers.

All functions are pure, vectorised numpy: scalar or array inputs broadcast against each other,
outputs are float64. Vector arguments carry their components in the last axis, ``(..., 3)``.
Angles are degrees at the interface (``_deg``), lengths metres (``_m``).

Sources:
- WGS84 constants: NIMA TR8350.2, *Department of Defense World Geodetic System 1984*, 3rd ed.
- ECEF/ENU/AER rotations: J. Farrell, *GNSS Aided Navigation and Tracking* (2008), ch. 2;
  identical to pymap3d's ``ecef2enu``/``enu2aer`` (used as the test reference).
- Geodetic from ECEF: B. R. Bowring, "Transformation from spatial to geographical
  coordinates", Survey Review 23 (181), 1976, iterated to convergence.
- Great-circle formulas (haversine, bearing, destination, slerp): spherical Earth of
  IUGG mean radius R1 = 6,371,008.8 m (Moritz, "Geodetic Reference System 1980", 2000);
  formulas as in E. Williams, *Aviation Formulary* v1.46, and K. Shoemake, "Animating rotation
  with quaternion curves", SIGGRAPH 1985 (slerp). Spherical distances differ from ellipsoidal
  geodesics by up to ~0.5 %.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

WGS84_A_M = 6378137.0
"""WGS84 semi-major axis a (m)."""
WGS84_F = 1.0 / 298.257223563
"""WGS84 flattening f."""
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
"""WGS84 semi-minor axis b = a (1 - f) (m)."""
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
"""First eccentricity squared e^2 = f (2 - f)."""
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
"""Second eccentricity squared e'^2 = e^2 / (1 - e^2)."""
EARTH_MEAN_RADIUS_M = 6371008.8
"""IUGG mean Earth radius R1 = (2a + b) / 3 (m)."""
MU_EARTH_M3_S2 = 3.986004418e14
"""Earth gravitational parameter GM (m^3 s^-2), WGS84."""
OMEGA_EARTH_RAD_S = 7.292115e-5
"""WGS 84 nominal mean angular velocity of the Earth, rad/s (NGA.STND.0036, 2014)."""

_BOWRING_ITERATIONS = 4

FloatArray = NDArray[np.float64]


def _f64(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


# Constants of the hot conversions as 0-d arrays: numpy combines those with an array faster
# than a Python float (same values, so the same bits)
_A, _E2, _ONE, _THREE = np.array(WGS84_A_M), np.array(WGS84_E2), np.array(1.0), np.array(3.0)
_ONE_F = np.array(1.0 - WGS84_F)
_EP2_B = np.array(WGS84_EP2 * WGS84_B_M)
_E2_A = np.array(WGS84_E2 * WGS84_A_M)
_ONE_E2 = np.array(1.0 - WGS84_E2)


def _stack3(x: FloatArray, y: FloatArray, z: FloatArray) -> FloatArray:
    """``np.stack(np.broadcast_arrays(x, y, z), axis=-1)``, without the Python-level cost of
    those two when the three already share a shape (the usual case)."""
    shape = np.shape(x)
    if np.shape(y) != shape or np.shape(z) != shape:
        return np.stack(np.broadcast_arrays(x, y, z), axis=-1)
    out = np.empty(shape + (3,))
    out[..., 0], out[..., 1], out[..., 2] = x, y, z
    return out


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike) -> FloatArray:
    """Geodetic (WGS84) to Earth-centred Earth-fixed coordinates, ``(..., 3)`` metres.

    N = a / sqrt(1 - e^2 sin^2(lat));  x = (N + h) cos(lat) cos(lon),
    y = (N + h) cos(lat) sin(lon),  z = (N (1 - e^2) + h) sin(lat)   (TR8350.2 eq. 4-14).
    """
    lat = np.radians(_f64(lat_deg))
    lon = np.radians(_f64(lon_deg))
    h = _f64(alt_m)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = _A / np.sqrt(_ONE - _E2 * sin_lat**2)
    nh_cos = (n + h) * cos_lat
    z = (n * _ONE_E2 + h) * sin_lat
    return _stack3(nh_cos * np.cos(lon), nh_cos * np.sin(lon), z)


def ecef_to_geodetic(
    xyz_m: ArrayLike, iterations: int | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ECEF ``(..., 3)`` metres to geodetic ``(lat_deg, lon_deg, alt_m)``, each ``(...)``.

    Bowring (1976) iteration on the parametric latitude beta:
    lat = atan2(z + e'^2 b sin^3(beta), p - e^2 a cos^3(beta)),
    tan(beta) = (1 - f) tan(lat), with p = sqrt(x^2 + y^2), started at
    tan(beta) = z / ((1 - f) p). Four iterations give < 1 micrometre from -1 km to beyond
    10,000 km altitude. Height from h = p cos(lat) + z sin(lat) - a sqrt(1 - e^2 sin^2(lat)),
    which is well conditioned at all latitudes including the poles. Not valid within ~40 km
    of the Earth's centre. ``iterations=1`` (Bowring's one-step formula) is about four
    times cheaper and stays within centimetres below 1,000 km: enough for engagement geometry.
    """
    x, y, lat, alt = _bowring(xyz_m, iterations)
    return np.degrees(lat), np.degrees(np.arctan2(y, x)), alt


def geodetic_height_m(xyz_m: ArrayLike, iterations: int | None = None) -> FloatArray:
    """Height (m) above the ellipsoid of ECEF points ``(..., 3)``: the ``alt_m`` of
    :func:`ecef_to_geodetic` (same ``iterations``, same bits) without the latitude and
    longitude conversions."""
    return _bowring(xyz_m, iterations)[3]


def geodetic_lat_lon_deg(
    xyz_m: ArrayLike, iterations: int | None = None
) -> tuple[FloatArray, FloatArray]:
    """``lat_deg, lon_deg`` of :func:`ecef_to_geodetic` (same ``iterations``, same bits)
    without the height (whose sine, cosine and root cost as much again on small arrays)."""
    x, y, _, _, lat = _bowring_lat(xyz_m, iterations)
    return np.degrees(lat), np.degrees(np.arctan2(y, x))


def _bowring(xyz_m: ArrayLike, iterations: int | None) -> tuple[FloatArray, ...]:
    """x, y, geodetic latitude (rad) and height (m) of :func:`ecef_to_geodetic`."""
    x, y, z, p, lat = _bowring_lat(xyz_m, iterations)
    return x, y, lat, _height_m(z, p, lat)


def _height_m(z: FloatArray, p: FloatArray, lat: FloatArray) -> FloatArray:
    """Height above the ellipsoid: h = p cos(lat) + z sin(lat) - a sqrt(1 - e^2 sin^2(lat))."""
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    return p * cos_lat + z * sin_lat - _A * np.sqrt(_ONE - _E2 * sin_lat**2)


def _bowring_lat(xyz_m: ArrayLike, iterations: int | None) -> tuple[FloatArray, ...]:
    """x, y, z, p = sqrt(x^2 + y^2) and the geodetic latitude (rad): Bowring's iteration."""
    xyz = _f64(xyz_m)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    p = np.hypot(x, y)
    beta = np.arctan2(z, _ONE_F * p)
    n_iter = _BOWRING_ITERATIONS if iterations is None else iterations
    for i in range(n_iter):
        lat = _step_lat(z, p, beta)
        if i + 1 < n_iter:  # the last iteration's beta would go unused
            beta = _step_beta(lat)
    return x, y, z, p, lat


def _step_lat(z: FloatArray, p: FloatArray, beta: FloatArray) -> FloatArray:
    """Bowring's step: lat = atan2(z + e'^2 b sin^3(beta), p - e^2 a cos^3(beta))."""
    return np.arctan2(z + _EP2_B * np.sin(beta) ** _THREE, p - _E2_A * np.cos(beta) ** _THREE)


def _step_beta(lat: FloatArray) -> FloatArray:
    """Parametric latitude of ``lat``: tan(beta) = (1 - f) tan(lat)."""
    return np.arctan2(_ONE_F * np.sin(lat), np.cos(lat))


def ecef_to_geodetic_settled(xyz_m: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`ecef_to_geodetic` (four Bowring iterations) bit for bit, with each point's
    iterations stopped once its parametric latitude repeats: an iteration is a fixed function
    of beta (``lat = f(beta)``, ``beta = g(lat)``), so when ``beta_2 == beta_1`` every later one
    returns the same bits and ``lat_4 = lat_2``, and when ``beta_3 == beta_2``, ``lat_4 =
    lat_3``. After two iterations about a third of the points have settled, after three almost
    all: for many points ``(n, 3)`` the conversion costs about a quarter less."""
    xyz = np.asarray(xyz_m, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[0] < 64 or _BOWRING_ITERATIONS != 4:  # the plain form
        return ecef_to_geodetic(xyz)
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    p = np.hypot(x, y)
    beta_1 = _step_beta(_step_lat(z, p, np.arctan2(z, _ONE_F * p)))
    lat = _step_lat(z, p, beta_1)
    beta_2 = _step_beta(lat)
    act = np.flatnonzero(beta_2 != beta_1)  # NaN never equals: such points run all four
    z_a, p_a, beta_2 = z[act], p[act], beta_2[act]
    lat_3 = _step_lat(z_a, p_a, beta_2)
    beta_3 = _step_beta(lat_3)
    lat[act] = lat_3
    moved = np.flatnonzero(beta_3 != beta_2)
    lat[act[moved]] = _step_lat(z_a[moved], p_a[moved], beta_3[moved])
    return np.degrees(lat), np.degrees(np.arctan2(y, x)), _height_m(z, p, lat)


def _enu_basis(lat0_deg: ArrayLike, lon0_deg: ArrayLike) -> tuple[FloatArray, ...]:
    lat0 = np.radians(_f64(lat0_deg))
    lon0 = np.radians(_f64(lon0_deg))
    return np.sin(lat0), np.cos(lat0), np.sin(lon0), np.cos(lon0)


def ecef_delta_to_enu(dxyz: ArrayLike, lat0_deg: ArrayLike, lon0_deg: ArrayLike) -> FloatArray:
    """Rotate an ECEF difference or velocity ``(..., 3)`` into the local ENU frame.

    [e, n, u]^T = R [dx, dy, dz]^T with (Farrell 2008, eq. 2.30)
    R = [[-sin lon, cos lon, 0],
         [-sin lat cos lon, -sin lat sin lon, cos lat],
         [ cos lat cos lon,  cos lat sin lon, sin lat]].
    """
    d = _f64(dxyz)
    sl, cl, so, co = _enu_basis(lat0_deg, lon0_deg)
    dx, dy, dz = d[..., 0], d[..., 1], d[..., 2]
    e = -so * dx + co * dy
    n = -sl * co * dx - sl * so * dy + cl * dz
    u = cl * co * dx + cl * so * dy + sl * dz
    return _stack3(e, n, u)


def enu_delta_to_ecef(enu: ArrayLike, lat0_deg: ArrayLike, lon0_deg: ArrayLike) -> FloatArray:
    """Inverse rotation of :func:`ecef_delta_to_enu`: ECEF delta = R^T [e, n, u]^T."""
    v = _f64(enu)
    sl, cl, so, co = _enu_basis(lat0_deg, lon0_deg)
    e, n, u = v[..., 0], v[..., 1], v[..., 2]
    dx = -so * e - sl * co * n + cl * co * u
    dy = co * e - sl * so * n + cl * so * u
    dz = cl * n + sl * u
    return np.stack(np.broadcast_arrays(dx, dy, dz), axis=-1)


def ecef_to_enu(
    xyz_m: ArrayLike, lat0_deg: ArrayLike, lon0_deg: ArrayLike, alt0_m: ArrayLike
) -> FloatArray:
    """ECEF positions ``(..., 3)`` to ENU ``(..., 3)`` metres about the geodetic origin.

    enu = R (xyz - xyz0), xyz0 = geodetic_to_ecef(lat0, lon0, alt0); R as in
    :func:`ecef_delta_to_enu`.
    """
    origin = geodetic_to_ecef(lat0_deg, lon0_deg, alt0_m)
    return ecef_delta_to_enu(_f64(xyz_m) - origin, lat0_deg, lon0_deg)


def enu_to_ecef(
    enu_m: ArrayLike, lat0_deg: ArrayLike, lon0_deg: ArrayLike, alt0_m: ArrayLike
) -> FloatArray:
    """ENU positions ``(..., 3)`` about a geodetic origin to ECEF ``(..., 3)`` metres.

    xyz = xyz0 + R^T enu (inverse of :func:`ecef_to_enu`).
    """
    origin = geodetic_to_ecef(lat0_deg, lon0_deg, alt0_m)
    return origin + enu_delta_to_ecef(enu_m, lat0_deg, lon0_deg)


def enu_to_aer(enu: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ENU ``(..., 3)`` to ``(az_deg, el_deg, range_m)``.

    az = atan2(e, n) in [0, 360), clockwise from north; el = atan2(u, sqrt(e^2 + n^2));
    range = |enu|. At zero range az = el = 0.
    """
    v = _f64(enu)
    e, n, u = v[..., 0], v[..., 1], v[..., 2]
    horiz = np.hypot(e, n)
    az = np.mod(np.degrees(np.arctan2(e, n)), 360.0)
    az = np.where(az >= 360.0, 0.0, az)  # mod of a tiny negative rounds up to 360.0
    el = np.degrees(np.arctan2(u, horiz))
    return az, el, np.sqrt(horiz**2 + u**2)


def aer_to_enu(az_deg: ArrayLike, el_deg: ArrayLike, range_m: ArrayLike) -> FloatArray:
    """``(az_deg, el_deg, range_m)`` to ENU ``(..., 3)``: e = r cos(el) sin(az),
    n = r cos(el) cos(az), u = r sin(el)."""
    az = np.radians(_f64(az_deg))
    el = np.radians(_f64(el_deg))
    r = _f64(range_m)
    horiz = r * np.cos(el)
    e, n, u = horiz * np.sin(az), horiz * np.cos(az), r * np.sin(el)
    return np.stack(np.broadcast_arrays(e, n, u), axis=-1)


def great_circle_distance_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> FloatArray:
    """Great-circle distance (m) on the mean-radius sphere (R = 6,371,008.8 m), haversine.

    a = sin^2(dlat/2) + cos(lat1) cos(lat2) sin^2(dlon/2);  d = 2 R asin(sqrt(a))
    (Sinnott, "Virtues of the haversine", Sky & Telescope 68(2), 1984). Spherical, so it
    differs from the WGS84 geodesic by up to ~0.5 %.
    """
    lat1, lon1 = np.radians(_f64(lat1_deg)), np.radians(_f64(lon1_deg))
    lat2, lon2 = np.radians(_f64(lat2_deg)), np.radians(_f64(lon2_deg))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2.0 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def initial_bearing_deg(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> FloatArray:
    """Initial great-circle bearing from point 1 to point 2, degrees in [0, 360) from north.

    theta = atan2(sin(dlon) cos(lat2), cos(lat1) sin(lat2) - sin(lat1) cos(lat2) cos(dlon))
    (Aviation Formulary, "Course between points").
    """
    lat1, lon1 = np.radians(_f64(lat1_deg)), np.radians(_f64(lon1_deg))
    lat2, lon2 = np.radians(_f64(lat2_deg)), np.radians(_f64(lon2_deg))
    dlon = lon2 - lon1
    y = np.sin(dlon) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    brg = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    return np.where(brg >= 360.0, 0.0, brg)


def _unit_vectors(lat_deg: ArrayLike, lon_deg: ArrayLike) -> FloatArray:
    lat, lon = np.radians(_f64(lat_deg)), np.radians(_f64(lon_deg))
    x, y, z = np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def _unit_to_latlon(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    lat = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return lat, np.degrees(np.arctan2(v[..., 1], v[..., 0]))


def great_circle_interpolate(
    lat1_deg: ArrayLike,
    lon1_deg: ArrayLike,
    lat2_deg: ArrayLike,
    lon2_deg: ArrayLike,
    frac: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Point at fraction ``frac`` along the great circle from 1 to 2 (spherical slerp).

    p(f) = [sin((1 - f) w) p1 + sin(f w) p2] / sin(w), w = angle(p1, p2) (Shoemake 1985);
    for w -> 0 it falls back to the normalised linear blend. Undefined for antipodal points.
    ``frac`` broadcasts (e.g. endpoints ``(N, 1)`` with ``frac`` ``(T,)`` gives ``(N, T)``);
    frac outside [0, 1] extrapolates along the same great circle. Longitudes in (-180, 180].
    """
    p1 = _unit_vectors(lat1_deg, lon1_deg)
    p2 = _unit_vectors(lat2_deg, lon2_deg)
    f = _f64(frac)[..., None]
    cos_w = np.clip(np.sum(p1 * p2, axis=-1, keepdims=True), -1.0, 1.0)
    w = np.arccos(cos_w)
    sin_w = np.sin(w)
    small = sin_w < 1e-12
    safe = np.where(small, 1.0, sin_w)
    w1 = np.where(small, 1.0 - f, np.sin((1.0 - f) * w) / safe)
    w2 = np.where(small, f, np.sin(f * w) / safe)
    v = w1 * p1 + w2 * p2
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return _unit_to_latlon(v)


def destination_point(
    lat_deg: ArrayLike, lon_deg: ArrayLike, bearing_deg: ArrayLike, distance_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Point reached from (lat, lon) along initial bearing for distance on the mean sphere.

    d = distance / R;  lat2 = asin(sin lat1 cos d + cos lat1 sin d cos brg);
    lon2 = lon1 + atan2(sin brg sin d cos lat1, cos d - sin lat1 sin lat2)
    (Aviation Formulary, "Lat/lon given radial and distance"). Longitude in [-180, 180).
    """
    lat1, lon1 = np.radians(_f64(lat_deg)), np.radians(_f64(lon_deg))
    brg = np.radians(_f64(bearing_deg))
    d = _f64(distance_m) / EARTH_MEAN_RADIUS_M
    sin_lat2 = np.sin(lat1) * np.cos(d) + np.cos(lat1) * np.sin(d) * np.cos(brg)
    lat2 = np.arcsin(np.clip(sin_lat2, -1.0, 1.0))
    lon2 = lon1 + np.arctan2(
        np.sin(brg) * np.sin(d) * np.cos(lat1), np.cos(d) - np.sin(lat1) * sin_lat2
    )
    lon2_deg = np.mod(np.degrees(lon2) + 180.0, 360.0) - 180.0
    return np.degrees(lat2), lon2_deg
