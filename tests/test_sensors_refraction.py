"""Radar elevation limits on the apparent (refracted) elevation, 4/3 effective Earth.

Reference: standard refraction as the effective Earth (Skolnik, *Introduction to Radar Systems*,
3rd ed., sec. 8.2): rays are straight over a sphere of radius kR, k = 4/3, R = 6,371,008.8 m,
with ground distance and heights kept. The elevation of that straight ray is checked against an
independent law-of-cosines form (to 1e-9 rad), the first-order lift
``(1 - 1/k) x (x^2/2 + u^2 + u h1) / (R rho^2)`` against it (to 2 % of the horizon lift
``rho (1 - 1/k) / 2R`` for rho <= 1,000 km, heights <= 100 km), and targets placed exactly on a
ray at the minimum apparent elevation are on the radar's boundary (ellipsoid against the model's
mean sphere: within 1 % of rho / 2R; just inside seen every look, just outside never).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor_truth import static_truth
from shieldwall.geo import (
    EARTH_MEAN_RADIUS_M,
    EFFECTIVE_EARTH_K,
    destination_point,
    ecef_to_enu,
    geodetic_to_ecef,
)
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.sensors import Observers, RadarParams, Targets, detect_all, sensor_array
from shieldwall.sensors.core import apparent_elevation_rad, covered, geometric_elevation_rad
from shieldwall.sensors.platform import platform_frames
from shieldwall.sensors.reference import ScalarRadar, look

R, K = EARTH_MEAN_RADIUS_M, EFFECTIVE_EARTH_K
KR = K * R
SITE = (31.2, 35.0)


def _enu_on_sphere(d_m, h1_m, h2_m, radius_m=R):
    """Horizontal distance and height above the sensor's tangent plane of a target at ground
    distance ``d_m`` and height ``h2_m``, the sensor ``h1_m`` up, on a sphere."""
    th = d_m / radius_m
    r1, r2 = radius_m + h1_m, radius_m + h2_m
    return r2 * np.sin(th), r2 * np.cos(th) - r1


def _effective_el_law_of_cosines(d_m, h1_m, h2_m):
    """Elevation of the straight line on the kR sphere: s^2 = (h2 - h1)^2 + 4 r1 r2 sin^2(th/2),
    sin(el) = (r2^2 - r1^2 - s^2) / (2 r1 s) (triangle centre, sensor, target)."""
    r1, r2, th = KR + h1_m, KR + h2_m, d_m / KR
    s2 = (h2_m - h1_m) ** 2 + 4.0 * r1 * r2 * np.sin(th / 2.0) ** 2
    s = np.sqrt(s2)
    return np.arcsin(((h2_m - h1_m) * (r1 + r2) - s2) / (2.0 * r1 * s))


@settings(max_examples=200, deadline=None)
@given(
    d_m=st.floats(1e3, 1_500e3),
    h1_m=st.floats(0.0, 20e3),
    h2_m=st.floats(0.0, 300e3),
)
def test_apparent_elevation_is_the_straight_ray_on_the_effective_sphere(d_m, h1_m, h2_m):
    x, u = _enu_on_sphere(d_m, h1_m, h2_m)
    got = float(apparent_elevation_rad(x, u, h1_m))
    assert got == pytest.approx(float(_effective_el_law_of_cosines(d_m, h1_m, h2_m)), abs=1e-9)
    assert got >= math.atan2(u, x) - 1e-4 * (1.0 + h1_m / 1e3)  # lifted (bar a steep look down)


def _grid():
    d = np.linspace(1e3, 1000e3, 400)[:, None]
    h2 = np.array([0.0, 50.0, 300.0, 1e3, 10e3, 30e3, 100e3])[None, :]
    return d, h2


@pytest.mark.parametrize("h1_m", [0.0, 10.0, 9000.0])
def test_first_order_lift_against_exact_effective_earth(h1_m):
    d, h2 = _grid()
    x, u = _enu_on_sphere(d, h1_m, h2)
    rho = np.hypot(x, u)
    lift = apparent_elevation_rad(x, u, h1_m) - np.arctan2(u, x)
    first = (1 - 1 / K) * x * (x**2 / 2 + u**2 + u * h1_m) / (R * rho**2)
    horizon_lift = rho * (1 - 1 / K) / (2 * R)
    near = rho <= 1000e3
    assert near.sum() > 1500
    assert np.all(np.abs(first - lift)[near] <= 0.02 * horizon_lift[near])
    # near the horizon the lift is the textbook rho (1 - 1/k) / 2R, i.e.
    # sin(el_app) = sin(el_geo) + rho (1 - 1/k) / 2R; within 5 % of it for |el_geo| <= 1 deg
    low = near & (np.abs(np.arctan2(u, x)) <= np.radians(1.0))
    assert low.sum() > 100
    assert np.all(np.abs(lift - horizon_lift)[low] <= 0.05 * horizon_lift[low])


def test_lift_hand_values_and_zenith():
    # 100 km out along the tangent plane of a sensor on the ground: rho (1 - 1/k) / 2R
    # = 1e5 / (8 * 6,371,008.8) = 1.96201e-3 rad (0.11242 deg)
    lift = float(apparent_elevation_rad(100e3, 0.0, 0.0))
    assert lift == pytest.approx(1e5 / (8 * R), rel=0.01)
    # straight overhead nothing bends; the horizon form would give sin(el_app) > 1 there
    assert float(apparent_elevation_rad(0.0, 100e3, 10.0)) == pytest.approx(np.pi / 2, abs=1e-12)
    assert 1.0 + 100e3 * (1 - 1 / K) / (2 * R) > 1.0


def test_geometric_elevation_inverts_apparent():
    rho = np.array([1.0, 1e3, 100e3, 800e3, 1500e3])[:, None]
    el = np.radians(np.linspace(-6.0, 89.9, 400))[None, :]
    for h1 in (10.0, 9000.0):
        app = apparent_elevation_rad(rho * np.cos(el), rho * np.sin(el), h1)
        back = geometric_elevation_rad(app, rho, h1)
        # to 1e-10 rad, or the forward map's own rounding (eps kR ~ 2e-9 m over rho)
        err = np.abs(back - el)
        assert np.all(err <= 1e-10 + 3e-9 / rho)


# --------------------------------------------------------------------------------------------
# A target on the ray at the minimum apparent elevation is on the radar's boundary
# --------------------------------------------------------------------------------------------


def _tpy2():
    sc = load_scenario(
        {"name": "refraction", "region": {"lat_min": 20, "lat_max": 45, "lon_min": 25,
                                          "lon_max": 55},
         "nations": [{"id": "USA", "name": "US"}],
         "assets": [{"id": "a", "owner": "USA", "lat_deg": SITE[0], "lon_deg": SITE[1]}],
         "sensors": [{"id": "tpy2", "type": "tpy-2", "owner": "USA", "lat_deg": SITE[0],
                      "lon_deg": SITE[1], "azimuth_deg": 70}],
         "raid": {"salvos": [{"id": "s", "threat": "paveh", "count": 1, "window_s": [0, 0],
                              "launch": {"lat_deg": 33.0, "lon_deg": 45.0}, "aim": ["a"]}]}}
    )  # fmt: skip
    return dataclasses.replace(sensor_array(sc), false_alarms_per_scan=np.array([0.0]))


def _on_ray(el_rad, slant_m, h1_m, bearing_deg=70.0):
    """Geodetic point at effective slant ``slant_m`` along the straight ray of elevation
    ``el_rad`` on the kR sphere: its ground distance kR th' and height r2' - kR, kept."""
    x, y = slant_m * np.cos(el_rad), KR + h1_m + slant_m * np.sin(el_rad)
    d, h2 = KR * np.arctan2(x, y), np.hypot(x, y) - KR
    lat, lon = destination_point(*SITE, bearing_deg, d)
    return geodetic_to_ecef(lat, lon, h2)


def test_target_at_min_apparent_elevation_is_on_the_boundary():
    sa = _tpy2()
    h1, e_min = float(sa.alt_m[0]), float(sa.min_el_rad[0])  # 10 m, 0.5 deg
    slant = np.array([100e3, 300e3, 800e3, 1400e3])
    margin = 0.03 * slant / (2 * R)  # 12 % of the lift; 0.013 deg at 100 km, 0.19 at 1400
    on = _on_ray(e_min, slant, h1)
    enu = ecef_to_enu(on, *SITE, h1)
    horiz = np.hypot(enu[:, 0], enu[:, 1])
    # the model's mean sphere against the ellipsoid: within 1 % of rho / 2R (<= 0.5 % seen)
    got = apparent_elevation_rad(horiz, enu[:, 2], h1)
    assert np.all(np.abs(got - e_min) <= 0.01 * slant / (2 * R))
    inside = _on_ray(e_min + margin, slant, h1)
    outside = _on_ray(e_min - margin, slant, h1)
    pos = np.concatenate([inside, outside])
    e, n, u = ecef_to_enu(inside, *SITE, h1).T
    geo_el = np.arctan2(u, np.hypot(e, n))
    assert np.all(geo_el < e_min)  # a geometric limit would miss every inside point
    dets = detect_all(sa, static_truth(pos, 1e4), 199.0, [stream(4, "sensor", "tpy2")])
    counts = np.bincount(dets.threat, minlength=pos.shape[0])
    np.testing.assert_array_equal(counts, [100] * 4 + [0] * 4)
    # the core and the scalar reference agree on each point
    obs = Observers(*platform_frames(sa, 0, np.zeros(())))
    cov = covered(obs, Targets.at(pos, np.zeros_like(pos), np.ones(8)), RadarParams.of(sa, 0))[0]
    names = [f for f in ScalarRadar.__slots__ if f not in ("lat_deg", "lon_deg", "alt_m")]
    radar = ScalarRadar(*SITE, h1, *(float(getattr(sa, f)[0]) for f in names))
    for k in range(8):
        det, _, _ = look(radar, pos[k].tolist(), [0.0] * 3, 1e4, [1e4] * 3, 0.0, [0.0] * 3)
        assert det == bool(cov[k]) == (k < 4), k
