"""Tests for shieldwall.geo: frames against pymap3d, great circles, horizon, borders."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall import geo
from shieldwall.geo import (
    EARTH_MEAN_RADIUS_M,
    aer_to_enu,
    country_at,
    destination_point,
    ecef_delta_to_enu,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_delta_to_ecef,
    enu_to_aer,
    enu_to_ecef,
    geodetic_to_ecef,
    great_circle_distance_m,
    great_circle_interpolate,
    initial_bearing_deg,
    line_of_sight,
    radar_horizon_m,
)

MM = 1e-3  # 1 mm, the accuracy target for frame conversions
N = 2000


@pytest.fixture(scope="module")
def rng_points() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random geodetic points incl. high latitudes and altitudes -1 km .. 2,000 km."""
    rng = np.random.default_rng(20240413)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, N)))
    lat[:20] = np.array([90.0, -90.0, 89.9999, -89.9999, 0.0] * 4)  # poles and equator
    lon = rng.uniform(-180.0, 180.0, N)
    alt = rng.uniform(-1_000.0, 2_000_000.0, N)
    alt[20:40] = 1_500_000.0
    return lat, lon, alt


def _angle_err_m(lat_a, lon_a, lat_b, lon_b):
    """Surface separation (m) of two lat/lon sets, robust to longitude wrap at the poles."""
    return great_circle_distance_m(lat_a, lon_a, lat_b, lon_b)


def test_geodetic_to_ecef_matches_pymap3d(rng_points):
    lat, lon, alt = rng_points
    ours = geodetic_to_ecef(lat, lon, alt)
    ref = np.stack(pymap3d.geodetic2ecef(lat, lon, alt), axis=-1)
    assert ours.shape == (N, 3)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=MM)


def test_ecef_to_geodetic_matches_pymap3d_and_roundtrips(rng_points):
    lat, lon, alt = rng_points
    xyz = geodetic_to_ecef(lat, lon, alt)
    lat2, lon2, alt2 = ecef_to_geodetic(xyz)
    # round trip: position error (scaled to the point's radius) < 1 mm
    r = np.linalg.norm(xyz, axis=-1)
    np.testing.assert_allclose(alt2, alt, atol=MM)
    assert np.all(_angle_err_m(lat, lon, lat2, lon2) * r / EARTH_MEAN_RADIUS_M < MM)
    # pymap3d's inverse (You 2000) drifts above ~500 km (0.7 mm at 500 km, ~4 cm at 1,500 km,
    # measured against its own exact forward transform), so compare to it only up to 400 km;
    # above that the exact closed-form forward transform (checked against pymap3d to 1 mm in
    # the previous test) is the reference, as in the round trip above.
    low = alt <= 400e3
    rlat, rlon, ralt = pymap3d.ecef2geodetic(xyz[low, 0], xyz[low, 1], xyz[low, 2])
    np.testing.assert_allclose(alt2[low], ralt, atol=MM)
    err_m = _angle_err_m(lat2[low], lon2[low], rlat, rlon) * r[low] / EARTH_MEAN_RADIUS_M
    assert np.all(err_m < MM)


def test_ecef_enu_matches_pymap3d_and_roundtrips(rng_points):
    lat, lon, alt = rng_points
    rng = np.random.default_rng(7)
    lat0 = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, N)))
    lon0 = rng.uniform(-180.0, 180.0, N)
    alt0 = rng.uniform(-400.0, 3_000.0, N)
    xyz = geodetic_to_ecef(lat, lon, alt)
    enu = ecef_to_enu(xyz, lat0, lon0, alt0)
    ref = np.stack(pymap3d.ecef2enu(xyz[:, 0], xyz[:, 1], xyz[:, 2], lat0, lon0, alt0), -1)
    np.testing.assert_allclose(enu, ref, rtol=0, atol=MM)
    np.testing.assert_allclose(enu_to_ecef(enu, lat0, lon0, alt0), xyz, rtol=0, atol=MM)
    ref_back = np.stack(pymap3d.enu2ecef(enu[:, 0], enu[:, 1], enu[:, 2], lat0, lon0, alt0), -1)
    np.testing.assert_allclose(enu_to_ecef(enu, lat0, lon0, alt0), ref_back, rtol=0, atol=MM)


def test_enu_aer_matches_pymap3d_and_roundtrips():
    rng = np.random.default_rng(11)
    enu = rng.normal(0.0, 500_000.0, (N, 3))
    az, el, rng_m = enu_to_aer(enu)
    raz, rel, rrng = pymap3d.enu2aer(enu[:, 0], enu[:, 1], enu[:, 2])
    assert np.all((az >= 0.0) & (az < 360.0))
    # compare angles as arc length at the target's range, in metres
    np.testing.assert_allclose(rng_m, rrng, atol=MM)
    daz = (az - raz + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(np.radians(daz)) * rng_m < MM)
    assert np.all(np.abs(np.radians(el - rel)) * rng_m < MM)
    np.testing.assert_allclose(aer_to_enu(az, el, rng_m), enu, rtol=0, atol=MM)


def test_aer_conventions_and_broadcasting():
    np.testing.assert_allclose(aer_to_enu(90.0, 0.0, 1000.0), [1000.0, 0.0, 0.0], atol=1e-9)
    az, el, r = enu_to_aer(np.array([-1e-20, 1.0, 0.0]))  # just west of north: az wraps to 0
    assert 0.0 <= az < 360.0
    assert enu_to_aer(np.array([0.0, -5.0, 0.0]))[0] == pytest.approx(180.0)
    assert enu_to_aer(np.array([0.0, 0.0, 7.0]))[1] == pytest.approx(90.0)
    sensors = geodetic_to_ecef(np.array([[31.0], [32.0]]), 35.0, 0.0)  # (2, 1, 3)
    assert sensors.shape == (2, 1, 3)
    enu = ecef_to_enu(np.zeros((1, 5, 3)) + sensors, 31.0, 35.0, 0.0)
    assert enu.shape == (2, 5, 3)


def test_ecef_delta_rotation_is_orthonormal():
    rng = np.random.default_rng(3)
    v = rng.normal(size=(500, 3)) * 300.0
    lat0, lon0 = rng.uniform(-90, 90, 500), rng.uniform(-180, 180, 500)
    venu = ecef_delta_to_enu(v, lat0, lon0)
    np.testing.assert_allclose(np.linalg.norm(venu, axis=-1), np.linalg.norm(v, axis=-1))
    np.testing.assert_allclose(enu_delta_to_ecef(venu, lat0, lon0), v, atol=1e-9)
    # local "up" at (lat0, lon0) is the ellipsoid normal: ENU of the normal is (0, 0, 1)
    up = geodetic_to_ecef(lat0, lon0, 1.0) - geodetic_to_ecef(lat0, lon0, 0.0)
    # (the 1 m difference of two ~6e6 m vectors carries ~1e-9 m of rounding)
    np.testing.assert_allclose(ecef_delta_to_enu(up, lat0, lon0), [[0, 0, 1]] * 500, atol=1e-8)


def test_great_circle_distance_reference_values():
    # raid-facts.md sec. 5: Qasr-e Shirin (34.52N, 45.58E) -> Tel Aviv (32.08N, 34.78E) ~1,040 km
    d = great_circle_distance_m(34.52, 45.58, 32.08, 34.78)
    assert d == pytest.approx(1_040e3, rel=0.01)
    # quarter meridian on the mean sphere: pi/2 R exactly
    assert great_circle_distance_m(0.0, 10.0, 90.0, 10.0) == pytest.approx(
        np.pi / 2 * EARTH_MEAN_RADIUS_M, rel=1e-12
    )
    # one degree of longitude on the equator
    assert great_circle_distance_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(
        np.radians(1.0) * EARTH_MEAN_RADIUS_M, rel=1e-12
    )
    # within 0.5 % of the WGS84 geodesic (pymap3d.vincenty)
    from pymap3d.vincenty import vdist

    s_ellip = vdist(34.52, 45.58, 32.08, 34.78)[0]
    assert d == pytest.approx(float(s_ellip), rel=0.005)


def test_bearing_and_destination():
    assert initial_bearing_deg(0.0, 0.0, 0.0, 10.0) == pytest.approx(90.0)
    assert initial_bearing_deg(0.0, 0.0, 10.0, 0.0) == pytest.approx(0.0)
    assert initial_bearing_deg(10.0, 0.0, 0.0, 0.0) == pytest.approx(180.0)
    assert initial_bearing_deg(0.0, 10.0, 0.0, 0.0) == pytest.approx(270.0)
    rng = np.random.default_rng(5)
    lat1, lon1 = rng.uniform(-70, 70, 300), rng.uniform(-180, 180, 300)
    lat2, lon2 = rng.uniform(-70, 70, 300), rng.uniform(-180, 180, 300)
    d = great_circle_distance_m(lat1, lon1, lat2, lon2)
    brg = initial_bearing_deg(lat1, lon1, lat2, lon2)
    lat3, lon3 = destination_point(lat1, lon1, brg, d)
    assert np.all(great_circle_distance_m(lat3, lon3, lat2, lon2) < MM)


def test_great_circle_interpolate():
    rng = np.random.default_rng(9)
    lat1, lon1 = rng.uniform(-60, 60, (50, 1)), rng.uniform(-180, 180, (50, 1))
    lat2, lon2 = rng.uniform(-60, 60, (50, 1)), rng.uniform(-180, 180, (50, 1))
    frac = np.linspace(0.0, 1.0, 11)
    lat, lon = great_circle_interpolate(lat1, lon1, lat2, lon2, frac)
    assert lat.shape == (50, 11)
    d_total = great_circle_distance_m(lat1, lon1, lat2, lon2)
    d_part = great_circle_distance_m(lat1, lon1, lat, lon)
    np.testing.assert_allclose(d_part, frac * d_total, atol=MM)
    # points lie on the great circle: same as destination along the initial bearing
    brg = initial_bearing_deg(lat1, lon1, lat2, lon2)
    lat_d, lon_d = destination_point(lat1, lon1, brg, frac * d_total)
    assert np.all(great_circle_distance_m(lat, lon, lat_d, lon_d) < 1e-2)
    # coincident endpoints do not produce NaN
    lat_c, lon_c = great_circle_interpolate(31.0, 35.0, 31.0, 35.0, frac)
    np.testing.assert_allclose(lat_c, 31.0)
    np.testing.assert_allclose(lon_c, 35.0)


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-90.0, 90.0),
    lon=st.floats(-180.0, 180.0),
    alt=st.floats(-1_000.0, 2_000_000.0),
)
def test_geodetic_roundtrip_property(lat, lon, alt):
    lat2, lon2, alt2 = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt))
    assert abs(alt2 - alt) < MM
    assert great_circle_distance_m(lat, lon, lat2, lon2) < MM


def test_radar_horizon_analytic():
    kr = 4.0 / 3.0 * EARTH_MEAN_RADIUS_M
    expected = np.sqrt(2 * kr * 10.0) + np.sqrt(2 * kr * 100.0)  # 13.03 km + 41.22 km
    assert radar_horizon_m(10.0, 100.0) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(54_252.5, abs=1.0)
    # rule of thumb d[km] ~ 4.12 (sqrt(h1[m]) + sqrt(h2[m])) (Skolnik 2001, eq. 8.3)
    assert expected / 1e3 == pytest.approx(4.12 * (np.sqrt(10.0) + 10.0), rel=0.002)
    assert radar_horizon_m(-5.0, 0.0) == 0.0
    assert radar_horizon_m(np.array([[10.0], [20.0]]), np.array([0, 100, 1000])).shape == (2, 3)


def _point_at(lat0, lon0, bearing_deg, dist_m, alt_m):
    lat, lon = destination_point(lat0, lon0, bearing_deg, dist_m)
    return geodetic_to_ecef(lat, lon, alt_m)


@pytest.mark.parametrize("h_sensor, h_target", [(10.0, 100.0), (30.0, 5_000.0), (500.0, 10e3)])
def test_line_of_sight_either_side_of_horizon(h_sensor, h_target):
    horizon = float(radar_horizon_m(h_sensor, h_target))
    sensor = geodetic_to_ecef(31.25, 34.8, h_sensor)
    inside = _point_at(31.25, 34.8, 60.0, 0.98 * horizon, h_target)
    outside = _point_at(31.25, 34.8, 60.0, 1.02 * horizon, h_target)
    assert line_of_sight(sensor, inside)
    assert not line_of_sight(sensor, outside)
    assert line_of_sight(inside, sensor)  # symmetric


def test_line_of_sight_broadcast_and_high_targets():
    sensors = geodetic_to_ecef(np.array([31.0, 29.5]), np.array([35.0, 34.9]), 20.0)
    dists = np.array([1e3, 30e3, 200e3, 2_000e3])
    targets = _point_at(31.0, 35.0, 90.0, dists, np.array([100.0, 100.0, 100.0, 600e3]))
    los = line_of_sight(sensors[:, None, :], targets[None, :, :])
    assert los.shape == (2, 4) and los.dtype == bool
    np.testing.assert_array_equal(los[0], [True, True, False, True])
    # a 600 km-high object 2,000 km away is well above the 4/3-earth horizon of a 20 m mast
    assert los[1, 3]
    # points on the surface at the same place see each other; across 100 km they do not
    p = geodetic_to_ecef(31.0, 35.0, 0.0)
    assert line_of_sight(p, p)
    assert not line_of_sight(p, _point_at(31.0, 35.0, 0.0, 100e3, 0.0))


@pytest.mark.parametrize(
    "lat, lon, code",
    [
        (32.08, 34.78, "ISR"),  # Tel Aviv
        (31.95, 35.93, "JOR"),  # Amman
        (33.31, 44.37, "IRQ"),  # Baghdad
        (35.69, 51.39, "IRN"),  # Tehran
        (33.5, 33.0, "INTL"),  # Eastern Mediterranean
        (24.71, 46.68, "SAU"),  # Riyadh
        (15.35, 44.21, "YEM"),  # Sanaa
        (33.51, 36.29, "SYR"),  # Damascus
        (33.87, 35.52, "LBN"),  # Beirut (east; the 1:50m coast cuts the cape)
        (30.04, 31.24, "EGY"),  # Cairo
        (20.0, 38.5, "INTL"),  # Red Sea
        (27.0, 51.0, "INTL"),  # Persian Gulf
        (50.0, 10.0, "INTL"),  # outside the data box
    ],
)
def test_country_at_known_places(lat, lon, code):
    assert country_at(lat, lon) == code


def test_country_at_vectorised_and_names():
    lat = np.array([[32.08, 31.95], [33.31, 33.5]])
    lon = np.array([[34.78, 35.93], [44.37, 33.0]])
    out = country_at(lat, lon)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, [["ISR", "JOR"], ["IRQ", "INTL"]])
    names = geo.country_names()
    assert names["ISR"] == "Israel" and names["IRN"] == "Iran" and names["XNC"] == "N. Cyprus"
    polys = geo.countries()
    assert set(polys) == set(names)
    for code in ["ISR", "JOR", "IRQ", "IRN", "SYR", "LBN", "SAU", "YEM", "EGY", "TUR", "CYP"]:
        assert polys[code].is_valid and polys[code].area > 0.0
    for code in ["KWT", "QAT", "BHR", "ARE", "OMN", "PSE"]:
        assert polys[code].is_valid and polys[code].area > 0.0
    # Israel is about 22,000 km^2: ~2.1 deg^2 at 31.5N
    assert 1.5 < polys["ISR"].area < 2.6


def test_package_data_small_and_licensed():
    data = resources.files("shieldwall.geo").joinpath("data")
    blob = data.joinpath("countries-mideast.json").read_bytes()
    assert 0 < len(blob) < 400 * 1024
    lic = data.joinpath("DATA_LICENSES.md").read_text("utf-8")
    assert "Natural Earth" in lic and "world-atlas" in lic


_lat = st.floats(-89.9, 89.9)
_lon = st.floats(-180.0, 180.0)


@settings(max_examples=60, deadline=None)
@given(
    lat=_lat,
    lon=_lon,
    alt=st.floats(-1_000.0, 2_000_000.0),
    lat0=_lat,
    lon0=_lon,
    alt0=st.floats(-400.0, 10_000.0),
)
def test_ecef_enu_roundtrip_property(lat, lon, alt, lat0, lon0, alt0):
    xyz = geodetic_to_ecef(lat, lon, alt)
    enu = ecef_to_enu(xyz, lat0, lon0, alt0)
    np.testing.assert_allclose(enu_to_ecef(enu, lat0, lon0, alt0), xyz, rtol=0, atol=MM)
    # a rotation plus a shift: distance to the origin is kept
    origin = geodetic_to_ecef(lat0, lon0, alt0)
    assert np.linalg.norm(enu) == pytest.approx(np.linalg.norm(xyz - origin), abs=MM)


@settings(max_examples=100, deadline=None)
@given(
    lat1=_lat,
    lon1=_lon,
    h1=st.floats(-500.0, 20_000.0),
    bearing=st.floats(0.0, 360.0),
    dist_m=st.floats(0.0, 2_000e3),
    h2=st.floats(-500.0, 1_000e3),
)
def test_line_of_sight_symmetric_property(lat1, lon1, h1, bearing, dist_m, h2):
    a = geodetic_to_ecef(lat1, lon1, h1)
    b = _point_at(lat1, lon1, bearing, dist_m, h2)
    assert bool(line_of_sight(a, b)) == bool(line_of_sight(b, a))
