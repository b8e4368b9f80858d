"""Sensors: detection probability, measurement covariance, placement frames and scans.

References: Swerling 1 single-look Pd = Pfa ** (1 / (1 + SNR)) (Skolnik, *Introduction to Radar
Systems*, 3rd ed., eq. 2.51), checked here against a Monte Carlo square-law detector; the radar
equation's R^4 law (Skolnik eq. 2.1); first-order AER -> ENU covariance propagation
(Bar-Shalom, Li & Kirubarajan sec. 10.4.3) checked against a central-difference Jacobian and a
Monte Carlo sample. Statistical tolerances are stated at ~4.5 sigma with fixed seeds.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sensor_truth import static_truth
from shieldwall.geo import (
    EARTH_MEAN_RADIUS_M,
    EFFECTIVE_EARTH_K,
    aer_to_enu,
    ecef_delta_to_enu,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_delta_to_ecef,
    enu_to_aer,
    enu_to_ecef,
    geodetic_to_ecef,
    great_circle_distance_m,
    radar_horizon_m,
)
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.sensors import (
    KIND_IR,
    KIND_RADAR,
    detect_all,
    interpolate_truth,
    scan_all,
    sensor_array,
)
from shieldwall.sensors.core import apparent_elevation_rad
from shieldwall.sensors.detection import (
    aer_covariance_enu,
    radar_pd,
    snr_reference,
    swerling1_pd,
)
from shieldwall.sensors.placement import enu_to_ecef_rotation
from shieldwall.threats import build_raid, build_truth

SITE = (31.2, 35.0)  # Negev, notional site used by the synthetic-truth tests


# --------------------------------------------------------------------------------------------
# Detection probability
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pfa", [1e-4, 1e-6, 1e-8])
def test_snr_reference_closed_form(pfa):
    # ln(Pfa) / ln(0.9) - 1, e.g. Pfa = 1e-6 -> 13.8155 / 0.105361 - 1 = 130.127
    expected = math.log(pfa) / math.log(0.9) - 1.0
    assert snr_reference(pfa) == pytest.approx(expected, rel=1e-12)
    assert swerling1_pd(snr_reference(pfa), pfa) == pytest.approx(0.9, abs=1e-12)


def test_snr_reference_hand_value():
    assert snr_reference(1e-6) == pytest.approx(130.127, abs=1e-3)


def test_swerling1_pd_hand_values():
    pfa = 1e-6
    # SNR 0: only noise crosses the threshold
    assert swerling1_pd(0.0, pfa) == pytest.approx(pfa, rel=1e-12)
    # SNR 99: Pd = 1e-6 ** 0.01 = 10 ** -0.06 = 0.870964
    assert swerling1_pd(99.0, pfa) == pytest.approx(10**-0.06, rel=1e-12)
    # negative SNR is clipped to 0 (never below Pfa)
    assert swerling1_pd(-5.0, pfa) == pytest.approx(pfa, rel=1e-12)
    pd = swerling1_pd(np.array([0.0, 1.0, 10.0, 100.0, 1e4]), pfa)
    assert np.all(np.diff(pd) > 0) and pd[-1] < 1.0


def test_swerling1_pd_matches_square_law_monte_carlo():
    """Independent check: a square-law detector with unit complex Gaussian noise and a
    Rayleigh (complex Gaussian) target echo of mean power SNR; threshold -ln(Pfa)."""
    rng = np.random.default_rng(20240413)
    n = 200_000
    pfa = 1e-3
    threshold = -math.log(pfa)
    for snr in (2.0, 10.0, 40.0):
        amp = math.sqrt(snr / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
        noise = math.sqrt(0.5) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
        rate = np.mean(np.abs(amp + noise) ** 2 > threshold)
        pd = float(swerling1_pd(snr, pfa))
        assert abs(rate - pd) < 4.5 * math.sqrt(pd * (1 - pd) / n)


@pytest.mark.parametrize("pfa", [1e-5, 1e-6])
def test_radar_pd_is_0p9_at_reference_range_for_1m2(pfa):
    assert radar_pd(400e3, 1.0, 400e3, pfa) == pytest.approx(0.9, abs=1e-12)


def test_radar_pd_r4_scaling():
    """Sixteen times the RCS doubles the range at equal Pd (R^4 law)."""
    r = np.linspace(50e3, 2000e3, 40)
    for rcs in (0.01, 0.1, 1.0, 5.0):
        a = radar_pd(r, rcs, 800e3, 1e-6)
        b = radar_pd(2 * r, 16 * rcs, 800e3, 1e-6)
        np.testing.assert_allclose(b, a, rtol=1e-12)
    # and Pd falls with range
    assert np.all(np.diff(radar_pd(r, 0.1, 800e3, 1e-6)) < 0)


def test_radar_pd_hand_value():
    # 0.1 m^2 at R_ref / 2: SNR = 130.127 * 0.1 * 16 = 208.2; Pd = 1e-6 ** (1 / 209.2)
    snr = (math.log(1e-6) / math.log(0.9) - 1) * 0.1 * 16
    assert radar_pd(500e3, 0.1, 1000e3, 1e-6) == pytest.approx(1e-6 ** (1 / (1 + snr)), 1e-12)
    assert radar_pd(500e3, 0.1, 1000e3, 1e-6) == pytest.approx(0.93611, abs=1e-4)


# --------------------------------------------------------------------------------------------
# AER -> ENU covariance
# --------------------------------------------------------------------------------------------


def _numeric_jacobian(az, el, r):
    """Central differences of aer_to_enu w.r.t. (range m, az rad, el rad)."""
    h = np.array([1e-3, 1e-7, 1e-7])
    jac = np.empty((3, 3))
    for k in range(3):
        step = np.zeros(3)
        step[k] = h[k]
        plus = aer_to_enu(np.degrees(az + step[1]), np.degrees(el + step[2]), r + step[0])
        minus = aer_to_enu(np.degrees(az - step[1]), np.degrees(el - step[2]), r - step[0])
        jac[:, k] = (plus - minus) / (2 * h[k])
    return jac


def test_aer_covariance_matches_numeric_jacobian():
    rng = np.random.default_rng(7)
    az = rng.uniform(0, 2 * np.pi, 20)
    el = rng.uniform(-0.1, 1.4, 20)
    r = rng.uniform(1e3, 1.5e6, 20)
    s_r, s_az, s_el = 30.0, np.radians(0.1), np.radians(0.2)
    cov = aer_covariance_enu(az, el, r, s_r, s_az, s_el)
    assert cov.shape == (20, 3, 3)
    for i in range(20):
        jac = _numeric_jacobian(az[i], el[i], r[i])
        expected = jac @ np.diag([s_r**2, s_az**2, s_el**2]) @ jac.T
        scale = np.abs(expected).max()
        np.testing.assert_allclose(cov[i], expected, atol=1e-6 * scale)
        np.testing.assert_allclose(cov[i], cov[i].T, atol=1e-9 * scale)
        assert np.linalg.eigvalsh(cov[i]).min() > 0


def test_aer_covariance_matches_monte_carlo():
    rng = np.random.default_rng(11)
    az, el, r = np.radians(70.0), np.radians(5.0), 300e3
    s_r, s_az, s_el = 50.0, np.radians(0.2), np.radians(0.2)
    n = 100_000
    samples = aer_to_enu(
        np.degrees(az + s_az * rng.standard_normal(n)),
        np.degrees(el + s_el * rng.standard_normal(n)),
        r + s_r * rng.standard_normal(n),
    )
    emp = np.cov(samples.T)
    cov = aer_covariance_enu(np.array([az]), np.array([el]), np.array([r]), s_r, s_az, s_el)[0]
    # diagonal variances: sample variance has relative sd sqrt(2/n) = 0.45 %; 3 % allows for it
    np.testing.assert_allclose(np.diag(emp), np.diag(cov), rtol=0.03)
    # whole matrix: whitened sample covariance ~ I within 4.5 sqrt(2/n)
    white = np.linalg.cholesky(np.linalg.inv(cov))
    np.testing.assert_allclose(white.T @ emp @ white, np.eye(3), atol=0.03)


# --------------------------------------------------------------------------------------------
# Placement
# --------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180.0, 180.0),
    v=st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3),
)
def test_enu_to_ecef_rotation_orthonormal_and_consistent(lat, lon, v):
    rot = enu_to_ecef_rotation(lat, lon)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0, abs=1e-12)
    v = np.array(v)
    scale = max(1.0, np.abs(v).max())
    np.testing.assert_allclose(rot @ v, enu_delta_to_ecef(v, lat, lon), atol=1e-12 * scale)
    np.testing.assert_allclose(rot.T @ v, ecef_delta_to_enu(v, lat, lon), atol=1e-12 * scale)
    # third column is the ellipsoid normal (geodetic up)
    la, lo = np.radians(lat), np.radians(lon)
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    np.testing.assert_allclose(rot[:, 2], up, atol=1e-12)


def test_enu_to_ecef_rotation_matches_geodetic_offsets():
    """1 m east / north / up of a site in ENU lands where the rotation says (ECEF)."""
    lat, lon = 31.2, 35.0
    rot = enu_to_ecef_rotation(lat, lon)
    origin = geodetic_to_ecef(lat, lon, 0.0)
    for k in range(3):
        e = np.zeros(3)
        e[k] = 100.0
        np.testing.assert_allclose(enu_to_ecef(e, lat, lon, 0.0) - origin, rot @ e, atol=1e-6)


def _sensor_scenario(extra_sensors=(), outages=None):
    sensors = [
        {"id": "tpy2", "type": "tpy-2", "owner": "USA", "lat_deg": SITE[0], "lon_deg": SITE[1],
         "azimuth_deg": 70, "outages": outages or []},
        {"id": "awacs", "type": "e-3-awacs", "owner": "USA", "lat_deg": 32.0, "lon_deg": 38.0},
        {"id": "gp", "type": "green-pine", "owner": "ISR", "lat_deg": 31.9, "lon_deg": 34.8,
         "azimuth_deg": 75, "alt_m": 50},
        {"id": "mmr", "type": "elm-2084", "owner": "ISR", "lat_deg": 31.2, "lon_deg": 35.0,
         "azimuth_deg": 80},
        *extra_sensors,
    ]  # fmt: skip
    return load_scenario(
        {
            "name": "sensor-test",
            "region": {"lat_min": 28.0, "lat_max": 37.0, "lon_min": 32.0, "lon_max": 49.0},
            "nations": [{"id": "ISR", "name": "Israel"}, {"id": "USA", "name": "US"}],
            "assets": [{"id": "nevatim", "owner": "ISR", "lat_deg": 31.2, "lon_deg": 35.0}],
            "sensors": sensors,
            "raid": {
                "salvos": [
                    {"id": "drones", "threat": "shahed-136", "count": 6,
                     "launch": {"lat_deg": 32.6, "lon_deg": 38.6, "radius_km": 20},
                     "window_s": [0, 200], "aim": ["nevatim"]},
                    {"id": "cm", "threat": "paveh", "count": 3,
                     "launch": {"lat_deg": 33.5, "lon_deg": 39.5, "radius_km": 20},
                     "window_s": [0, 100], "aim": ["nevatim"]},
                    {"id": "bm", "threat": "shahab-3", "count": 3,
                     "launch": {"lat_deg": 34.3, "lon_deg": 47.0, "radius_km": 20},
                     "window_s": [0, 100], "aim": ["nevatim"]},
                ]
            },
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def scenario():
    return _sensor_scenario(
        extra_sensors=[{"id": "sbirs", "type": "sbirs", "owner": "USA", "lat_deg": 33.0,
                        "lon_deg": 44.0}]
    )  # fmt: skip


def test_sensor_array_si_values(scenario):
    sa = sensor_array(scenario)
    assert sa.ids == ("tpy2", "awacs", "gp", "mmr", "sbirs")
    assert sa.n == 5
    np.testing.assert_array_equal(sa.owner, [1, 1, 0, 0, 1])
    np.testing.assert_array_equal(sa.kind, [KIND_RADAR] * 4 + [KIND_IR])
    # tpy-2: 1300 km reference, 1500 km instrumented, 120 deg sector, 0.5 deg min elevation
    assert sa.ref_range_m[0] == 1.3e6 and sa.max_range_m[0] == 1.5e6
    assert sa.half_sector_rad[0] == pytest.approx(np.radians(60.0), abs=1e-15)
    assert sa.boresight_rad[0] == pytest.approx(np.radians(70.0), abs=1e-15)
    assert sa.min_el_rad[0] == pytest.approx(np.radians(0.5), abs=1e-15)
    assert sa.sigma_az_rad[0] == pytest.approx(np.radians(0.05), abs=1e-15)
    assert sa.revisit_s[0] == 2.0
    # altitudes: site + antenna height; AWACS on station at 9 km; green pine site 50 m + 10 m
    np.testing.assert_allclose(sa.alt_m[:4], [10.0, 9000.0, 60.0, 8.0])
    assert sa.alt_m[4] == 0.0  # space IR: the placed point itself
    np.testing.assert_allclose(
        sa.pos_ecef_m, geodetic_to_ecef(sa.lat_deg, sa.lon_deg, sa.alt_m), atol=1e-6
    )
    assert sa.pos_ecef_m.shape == (5, 3)
    assert sa.outages == ((), (), (), (), ())


def test_sensor_array_outages_open_ended():
    sc = _sensor_scenario(outages=[{"from_s": 100, "until_s": 300}, {"from_s": 900}])
    sa = sensor_array(sc)
    assert sa.outages[0] == ((100.0, 300.0), (900.0, np.inf))


# --------------------------------------------------------------------------------------------
# Scans on a real raid
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raid(scenario):
    threats = build_raid(scenario, stream(3, "raid"))
    truth = build_truth(scenario, threats)
    sensors = sensor_array(scenario)
    t_end = float(truth.end_t_s.max())
    dets = detect_all(sensors, truth, t_end, [stream(3, "sensor", i) for i in sensors.ids])
    return sensors, truth, dets, t_end


def test_detect_all_sorted_and_shaped(raid):
    _, truth, dets, _ = raid
    assert dets.n > 100
    key = np.lexsort((dets.threat, dets.sensor, dets.t_s))
    np.testing.assert_array_equal(key, np.arange(dets.n))
    assert dets.z_ecef_m.shape == (dets.n, 3) and dets.r_ecef_m2.shape == (dets.n, 3, 3)
    # every detection of a real object is of a threat in flight; the rest are false alarms
    real = dets.threat >= 0
    assert np.all(dets.t_s[real] >= truth.t0_s[dets.threat[real]])
    assert np.all(dets.t_s[real] < truth.end_t_s[dets.threat[real]])
    assert np.all(dets.threat[~real] == -1) and np.all(dets.kind[~real] == KIND_RADAR)
    assert 0 < (~real).sum() < dets.n


def _truth_at(truth, threat, t_s):
    pos = np.empty((threat.size, 3))
    for i, (j, t) in enumerate(zip(threat, t_s, strict=True)):
        pos[i] = truth.position_ecef(t)[0][j]
    return pos


def test_radar_detections_inside_coverage(raid):
    """No radar report from beyond max range, outside the sector, outside the elevation limits
    (on the apparent elevation) or beyond the 4/3-Earth radar horizon (Skolnik eq. 8.2)."""
    sensors, truth, dets, _ = raid
    radar = (dets.kind == 0) & (dets.threat >= 0)
    seen_by = set(dets.sensor[radar].tolist())
    assert seen_by == {0, 1, 2, 3}  # every radar saw something, so the checks bite
    for s in range(4):
        sel = radar & (dets.sensor == s)
        p = _truth_at(truth, dets.threat[sel], dets.t_s[sel])
        enu = ecef_to_enu(p, sensors.lat_deg[s], sensors.lon_deg[s], sensors.alt_m[s])
        az, el, rng_m = enu_to_aer(enu)
        assert rng_m.max() <= sensors.max_range_m[s] + 1e-6
        off = (np.radians(az) - sensors.boresight_rad[s] + np.pi) % (2 * np.pi) - np.pi
        assert np.abs(off).max() <= sensors.half_sector_rad[s] + 1e-9
        horiz = np.hypot(enu[:, 0], enu[:, 1])
        el_app = apparent_elevation_rad(horiz, enu[:, 2], sensors.alt_m[s])
        assert el_app.min() >= sensors.min_el_rad[s] - 1e-9
        assert el_app.max() <= sensors.max_el_rad[s] + 1e-9
        # independent bound on the refraction lift: (1 - 1/k) (1.1 rho + h1) / 2R (the first-
        # order lift rho cos(el) (1 + sin^2 el) peaks at 1.09 rho; the u h1 term adds <= h1)
        lift = (1 - 1 / EFFECTIVE_EARTH_K) * (1.1 * rng_m + sensors.alt_m[s]) / EARTH_MEAN_RADIUS_M
        assert np.all(np.radians(el) >= sensors.min_el_rad[s] - lift / 2 - 1e-9)
        lat, lon, alt = ecef_to_geodetic(p)
        ground = great_circle_distance_m(sensors.lat_deg[s], sensors.lon_deg[s], lat, lon)
        horizon = radar_horizon_m(sensors.height_m[s], alt)
        # small-angle horizon formula vs exact tangent geometry: agree to well under 1 %
        assert np.all(ground <= horizon * 1.01 + 100.0)


def test_ir_detections_only_boosting_ballistic(raid):
    sensors, truth, dets, _ = raid
    ir = dets.kind == 1
    assert ir.sum() > 0
    assert np.all(dets.sensor[ir] == 4)
    assert np.all(truth.threats.class_code[dets.threat[ir]] == 0)
    assert np.all(dets.t_s[ir] <= truth.boost_end_t_s[dets.threat[ir]] + 1e-9)


def test_detect_all_reproducible(raid, scenario):
    sensors, truth, dets, t_end = raid
    again = detect_all(sensors, truth, t_end, [stream(3, "sensor", i) for i in sensors.ids])
    for f in dataclasses.fields(dets):
        np.testing.assert_array_equal(getattr(again, f.name), getattr(dets, f.name))
    other = detect_all(sensors, truth, t_end, [stream(4, "sensor", i) for i in sensors.ids])
    assert other.n != dets.n or not np.array_equal(other.z_ecef_m, dets.z_ecef_m)


def test_adding_a_sensor_keeps_others_detections(raid):
    """Per-sensor streams: dropping the IR sensor leaves the radars' reports unchanged."""
    sensors, truth, dets, t_end = raid
    keep = slice(0, 4)
    fewer = dataclasses.replace(
        sensors,
        **{f.name: getattr(sensors, f.name)[keep] for f in dataclasses.fields(sensors)},
    )
    sub = detect_all(fewer, truth, t_end, [stream(3, "sensor", i) for i in fewer.ids])
    radar = dets.kind == 0
    np.testing.assert_array_equal(sub.t_s, dets.t_s[radar])
    np.testing.assert_array_equal(sub.z_ecef_m, dets.z_ecef_m[radar])


def _cut(dets, keep):
    return {f.name: getattr(dets, f.name)[keep] for f in dataclasses.fields(dets)}


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_reports_up_to_a_time_do_not_depend_on_the_end(raid):
    """Common random numbers over ``sim.end_s``: stopping a run earlier (half-way, inside a
    false-alarm block) or later (hours past the raid) changes no report made by the earlier
    end, real or false, and the launch warnings likewise; the later run has more clutter."""
    sensors, truth, dets, t_end = raid
    rngs = lambda: [stream(3, "sensor", i) for i in sensors.ids]  # noqa: E731
    half = round(t_end / 2.0, 1)
    short = scan_all(sensors, truth, half, rngs())
    long_ = scan_all(sensors, truth, t_end + 3 * 3600.0, rngs())
    full = scan_all(sensors, truth, t_end, rngs())
    _assert_same(_cut(short.detections, slice(None)), _cut(dets, dets.t_s <= half))
    got = long_.detections
    _assert_same(_cut(got, got.t_s <= t_end), _cut(dets, slice(None)))
    assert (got.t_s > t_end).sum() > 100 and np.all(got.threat[got.t_s > t_end] == -1)
    w, w_half = full.launch_warnings, short.launch_warnings
    assert w.n > w_half.n > 0 or w.t_s.max() <= half
    np.testing.assert_array_equal(w_half.t_s, w.t_s[w.t_s <= half])
    np.testing.assert_array_equal(w_half.launch_lat_deg, w.launch_lat_deg[w.t_s <= half])


def test_an_outage_changes_no_report_outside_it(raid):
    """Common random numbers over outages: a radar dark over a window reports nothing in it,
    and outside it exactly what it reports without the outage (real and false)."""
    sensors, truth, dets, t_end = raid
    s = 0  # the tpy2
    lo, hi = 120.0, 400.0
    dark = dataclasses.replace(sensors, outages=[((lo, hi),), *sensors.outages[1:]])
    got = detect_all(dark, truth, t_end, [stream(3, "sensor", i) for i in sensors.ids])
    inside = (got.sensor == s) & (got.t_s >= lo) & (got.t_s < hi)
    assert not inside.any()
    was = (dets.sensor == s) & (dets.t_s >= lo) & (dets.t_s < hi)
    assert was.sum() > 10 and (dets.threat[was] == -1).any()
    _assert_same(_cut(got, slice(None)), _cut(dets, ~was))


# --------------------------------------------------------------------------------------------
# Scans on synthetic truth: stationary targets at chosen geometry
# --------------------------------------------------------------------------------------------


def _static_truth(pos_ecef, rcs_m2, end_s=1e5, class_code=2):
    """Truth for n stationary targets (two identical samples each), in flight [0, end_s)."""
    return static_truth(pos_ecef, rcs_m2, end_s=end_s, class_code=class_code)


def _tpy2_only(outages=None, false_alarms_per_scan=0.0):
    """The tpy-2 alone; false alarms off unless asked for, so counts are of real targets."""
    sa = sensor_array(_sensor_scenario(outages=outages))
    one = dataclasses.replace(
        sa, **{f.name: getattr(sa, f.name)[:1] for f in dataclasses.fields(sa)}
    )
    return dataclasses.replace(one, false_alarms_per_scan=np.array([false_alarms_per_scan]))


def _points_aer(sa, az_deg, el_deg, range_m):
    enu = aer_to_enu(np.asarray(az_deg), np.asarray(el_deg), np.asarray(range_m))
    return enu_to_ecef(enu, sa.lat_deg[0], sa.lon_deg[0], sa.alt_m[0])


def test_empirical_pd_matches_radar_pd():
    """tpy-2 (R_ref 1300 km, Pfa 1e-6) looks every 2 s at stationary targets on boresight at
    5 deg elevation; detection rate over 1000 looks is binomial around the closed-form Pd."""
    sa = _tpy2_only()
    ranges = np.array([900e3, 1200e3, 1400e3, 1450e3])
    rcs = np.array([0.1, 0.05, 0.02, 0.01])
    truth = _static_truth(_points_aer(sa, np.full(4, 70.0), np.full(4, 5.0), ranges), rcs)
    t_end = 1999.0  # scans at 0, 2, ..., 1998: 1000 looks
    dets = detect_all(sa, truth, t_end, [stream(5, "sensor", "tpy2")])
    snr_ref = math.log(1e-6) / math.log(0.9) - 1
    for j in range(4):
        snr = snr_ref * rcs[j] * (1.3e6 / ranges[j]) ** 4
        pd = 1e-6 ** (1 / (1 + snr))
        k = int(np.sum(dets.threat == j))
        lo, hi = stats.binom.ppf([1e-6, 1 - 1e-6], 1000, pd)
        assert lo <= k <= hi, (j, k, pd)
    # the chosen points span a wide Pd range, so a wrong law would show
    assert np.sum(dets.threat == 0) > 700 and np.sum(dets.threat == 3) < 10


def test_measurement_errors_have_stated_covariance():
    sa = _tpy2_only()
    az = np.array([20.0, 70.0, 120.0])
    el = np.array([1.0, 10.0, 40.0])
    rng_m = np.array([200e3, 600e3, 300e3])
    p = _points_aer(sa, az, el, rng_m)
    truth = _static_truth(p, 100.0)  # huge RCS: detected every look
    dets = detect_all(sa, truth, 3999.0, [stream(6, "sensor", "tpy2")])
    assert dets.n == 6000
    err = dets.z_ecef_m - p[dets.threat]
    d2 = np.einsum("pi,pij,pj->p", err, np.linalg.inv(dets.r_ecef_m2), err)
    # chi-square with 3 dof: mean 3, sd of the mean sqrt(6 / n)
    assert abs(d2.mean() - 3.0) < 4.5 * math.sqrt(6 / dets.n)
    assert abs(np.mean(d2 > stats.chi2.ppf(0.99, 3)) - 0.01) < 4.5 * math.sqrt(0.0099 / dets.n)
    # physical check independent of the covariance function: the error along the line of sight
    # has sd sigma_range (10 m) and the horizontal cross-range error r cos(el) sigma_az
    for j in range(3):
        e = err[dets.threat == j]
        los = (p[j] - sa.pos_ecef_m[0]) / rng_m[j]
        down = e @ los
        assert np.std(down) == pytest.approx(10.0, rel=4.5 * math.sqrt(0.5 / e.shape[0]))
        a = np.radians(az[j])
        east_cross = enu_delta_to_ecef(np.array([np.cos(a), -np.sin(a), 0.0]), *SITE)
        expected = rng_m[j] * np.cos(np.radians(el[j])) * np.radians(0.05)
        assert np.std(e @ east_cross) == pytest.approx(expected, rel=0.1)


def test_radar_never_reports_outside_its_cover():
    """Targets with a huge RCS just inside and just outside each limit of tpy-2 (max range
    1500 km, sector 70 +- 60 deg, min elevation 0.5 deg), looked at 200 times."""
    sa = _tpy2_only()
    az = np.array([70.0, 70.0, 10.5, 9.5, 129.5, 130.5, 70.0, 70.0, 250.0])
    el = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 0.7, 0.3, 5.0])
    rng_m = np.array([1.49e6, 1.51e6, 300e3, 300e3, 300e3, 300e3, 100e3, 100e3, 300e3])
    inside = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0], dtype=bool)
    truth = _static_truth(_points_aer(sa, az, el, rng_m), 1e4)
    dets = detect_all(sa, truth, 399.0, [stream(7, "sensor", "tpy2")])
    counts = np.bincount(dets.threat, minlength=az.size)
    assert np.all(counts[inside] == 200)
    assert np.all(counts[~inside] == 0)


def test_low_target_beyond_horizon_never_seen():
    """A 100 m target: horizon from a 10 m antenna is sqrt(2kRh1) + sqrt(2kRh2) ~ 54 km."""
    sa = _tpy2_only()
    horizon = float(radar_horizon_m(10.0, 100.0))
    assert horizon == pytest.approx(54.3e3, rel=0.01)
    pts = []
    for frac in (0.8, 1.05, 1.3):
        # geodetic point at 100 m altitude, ground distance frac * horizon along azimuth 70
        enu = np.array([np.sin(np.radians(70)), np.cos(np.radians(70)), 0.0]) * frac * horizon
        lat, lon, _ = ecef_to_geodetic(enu_to_ecef(enu, *SITE, 0.0))
        pts.append(geodetic_to_ecef(lat, lon, 100.0))
    sa_low = dataclasses.replace(sa, min_el_rad=np.array([-0.2]))  # horizon, not elevation, limits
    truth = _static_truth(np.array(pts), 1e4)
    dets = detect_all(sa_low, truth, 199.0, [stream(8, "sensor", "tpy2")])
    counts = np.bincount(dets.threat, minlength=3)
    assert counts[0] == 100
    assert counts[1] == 0 and counts[2] == 0


def test_outages_silence_the_sensor():
    sa = _tpy2_only(outages=[{"from_s": 100, "until_s": 300}, {"from_s": 900}])
    truth = _static_truth(_points_aer(sa, [70.0], [5.0], [300e3]), 1e4)
    dets = detect_all(sa, truth, 1999.0, [stream(9, "sensor", "tpy2")])
    t = dets.t_s
    assert not np.any((t >= 100) & (t < 300))
    assert not np.any(t >= 900)
    # looks every 2 s at [0, 100) and [300, 900): 50 + 300
    assert t.size == 350
    assert t.min() == 0.0 and t.max() == 898.0


def test_launch_warnings_on_a_real_raid(raid, scenario):
    """Space IR warns of each boosting BM in its cover within a minute of launch (plume above
    3 km, looks every 10 s), before burnout, and the same seed gives the same reports."""
    sensors, truth, _, t_end = raid
    rngs = [stream(3, "sensor", i) for i in sensors.ids]
    w = scan_all(sensors, truth, t_end, rngs).launch_warnings
    bm = np.flatnonzero(truth.threats.class_code == 0)
    assert w.n > 0 and set(w.threat.tolist()) <= set(bm.tolist())
    delay = w.t_s - truth.t0_s[w.threat]
    assert delay.min() > 0 and delay.max() <= 60.0
    assert np.all(w.t_s <= truth.boost_end_t_s[w.threat])
    _, _, alt = ecef_to_geodetic(interpolate_truth(truth, w.threat, w.t_s))
    assert alt.min() >= 3000.0
    again = scan_all(sensors, truth, t_end, [stream(3, "sensor", i) for i in sensors.ids])
    for f in dataclasses.fields(w):
        np.testing.assert_array_equal(getattr(again.launch_warnings, f.name), getattr(w, f.name))
