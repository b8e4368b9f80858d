"""Sensor models checked against analytic references (issue 4, sensors).

References: Swerling 1 Pd = Pfa ** (1 / (1 + SNR)) with SNR ~ sigma R^-4 (Skolnik, *Introduction
to Radar Systems*, 3rd ed., eqs. 2.1, 2.51); RCS by aspect interpolated in dB (hand values);
Poisson false alarms (mean = variance, P(0) = exp(-lambda)); racetrack lap 2 L + pi W; radar
horizon d = sqrt(2kRh1) + sqrt(2kRh2) (Skolnik eq. 8.2). Monte Carlo tolerances are 4 sigma of
the estimator (binomial sqrt(p (1 - p) / n); mean sigma / sqrt(n); standard deviation
sigma / sqrt(2 n)), with fixed seeds.
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
    aer_to_enu,
    clears_effective_earth,
    ecef_delta_to_enu,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_to_aer,
    enu_to_ecef,
    geodetic_to_ecef,
    geodetic_up_and_height,
    great_circle_distance_m,
    initial_bearing_deg,
    line_of_sight,
    radar_horizon_m,
)
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.sensors import (
    FALSE_ALARM,
    KIND_RADAR,
    Observers,
    RadarParams,
    Targets,
    aspect_angle_rad,
    aspect_rcs_m2,
    detect_all,
    interpolate_truth,
    radar_scan,
    rcs_aspect_table_m2,
    scan_all,
    sensor_array,
)
from shieldwall.sensors.core import apparent_elevation_rad
from shieldwall.sensors.falsealarm import horizon_dip_rad
from shieldwall.sensors.platform import (
    platform_frames,
    platform_lat_lon,
    racetrack_lap_m,
    racetrack_offsets_m,
)
from shieldwall.sensors.reference import ScalarRadar, look

SITE = (31.2, 35.0)
FAR_M = np.array([3000e3])  # a target this far away is never seen
GROUND_10M = {  # a ground radar with the AWACS's figures but a 10 m antenna
    "kind": "radar", "ref_range_km": 300, "max_range_km": 400, "min_elev_deg": -10,
    "max_elev_deg": 30, "revisit_s": 10, "height_m": 10, "source": "test: notional",
}  # fmt: skip


def _scenario(sensors, extra_types=None):
    return load_scenario(
        {
            "name": "sensor-models",
            "region": {"lat_min": 25.0, "lat_max": 40.0, "lon_min": 30.0, "lon_max": 50.0},
            "nations": [{"id": "USA", "name": "US"}],
            "assets": [{"id": "a", "owner": "USA", "lat_deg": 31.2, "lon_deg": 35.0}],
            "catalog": {"sensor_types": extra_types or {}},
            "sensors": sensors,
            "raid": {"salvos": [{"id": "s", "threat": "paveh", "count": 1, "window_s": [0, 0],
                                 "launch": {"lat_deg": 33.0, "lon_deg": 45.0}, "aim": ["a"]}]},
        }
    )  # fmt: skip


def _sensor(sid, stype, lat=SITE[0], lon=SITE[1], **kw):
    return {"id": sid, "type": stype, "owner": "USA", "lat_deg": lat, "lon_deg": lon, **kw}


def _with(sa, **cols):
    return dataclasses.replace(sa, **{k: np.asarray(v, dtype=float) for k, v in cols.items()})


def _points(lat, lon, bearing_deg, ground_m, alt_m):
    """Geodetic points at ``ground_m`` along ``bearing_deg`` from (lat, lon), ``alt_m`` up."""
    enu = np.stack(
        np.broadcast_arrays(
            np.sin(np.radians(bearing_deg)) * ground_m, np.cos(np.radians(bearing_deg)) * ground_m,
            0.0 * ground_m,
        ), -1,
    )  # fmt: skip
    la, lo, _ = ecef_to_geodetic(enu_to_ecef(enu, lat, lon, 0.0))
    return geodetic_to_ecef(la, lo, alt_m)


def _binomial_ok(k, n, p, z=4.0):
    return abs(k / n - p) <= z * math.sqrt(p * (1 - p) / n) + 1e-12


# --------------------------------------------------------------------------------------------
# RCS by aspect
# --------------------------------------------------------------------------------------------


def test_aspect_rcs_hand_values():
    table = np.array([0.1, 1.0, 0.3])  # -10 dB, 0 dB, -5.23 dB
    deg = np.array([0.0, 45.0, 90.0, 135.0, 180.0])
    got = aspect_rcs_m2(np.radians(deg), table)
    # halfway in dB is the geometric mean: sqrt(0.1 * 1) = 0.31623, sqrt(1 * 0.3) = 0.54772
    np.testing.assert_allclose(got, [0.1, 0.316228, 1.0, 0.547723, 0.3], rtol=1e-5)
    # a third of the way from nose to side: -10 + 10/3 dB = -6.667 dB = 0.21544 m^2
    assert aspect_rcs_m2(np.radians(30.0), table) == pytest.approx(10 ** (-2 / 3), rel=1e-12)


def test_aspect_angle_hand_values():
    v = np.array([100.0, 0.0, 0.0])
    lines = np.array([[5.0, 0, 0], [1.0, 1.0, 0], [0, 0, 7.0], [-3.0, 0, 0]])
    np.testing.assert_allclose(
        aspect_angle_rad(v, lines), [0.0, np.pi / 4, np.pi / 2, np.pi], atol=1e-15
    )


def test_catalog_aspect_table():
    sc = _scenario([_sensor("r", "tpy-2")])
    types = np.array(["paveh", "shahed-136", "emad"])
    table = rcs_aspect_table_m2(sc, types, np.array([0.3, 0.1, 0.2]))
    np.testing.assert_allclose(table[0], [0.1, 1.0, 0.3])  # catalog nose/side/tail
    np.testing.assert_allclose(table[1], [0.1, 0.1, 0.1])  # no aspect values: the mean
    np.testing.assert_allclose(table[2], [0.05, 0.5, 0.2])
    for name in ("paveh", "soumar", "shahab-3", "emad", "ghadr", "kheibar-shekan", "fattah-1"):
        assert sc.catalog.threat_types[name].rcs_aspect_m2 is not None


def test_pd_against_range_nose_on_follows_swerling1():
    """400 targets at each of five ranges fly straight at the radar (aspect 0: nose RCS
    0.05 m^2, mean 1 m^2); one look each. Detected fraction = Pfa^(1/(1+SNR)),
    SNR = SNR_ref 0.05 (R_ref/R)^4, within 4 binomial sigmas."""
    sa = sensor_array(_scenario([_sensor("r", "tpy-2", azimuth_deg=70)]))
    sa = _with(sa, false_alarms_per_scan=[0.0])
    ranges = np.repeat([500e3, 700e3, 800e3, 900e3, 1100e3], 400)
    enu = aer_to_enu(70.0, 5.0, ranges)
    pos = enu_to_ecef(enu, *SITE, sa.alt_m[0])
    vel = -300.0 * (pos - sa.pos_ecef_m[0]) / ranges[:, None]  # towards the radar
    truth = static_truth(pos, 1.0, end_s=100.0, vel_ecef=vel)
    table = np.tile([0.05, 5.0, 1.0], (ranges.size, 1))
    dets = detect_all(sa, truth, 1.0, [stream(1, "sensor", "r")], table)  # one scan, t = 0
    snr_ref = math.log(1e-6) / math.log(0.9) - 1
    for r in np.unique(ranges):
        pd = 1e-6 ** (1 / (1 + snr_ref * 0.05 * (1.3e6 / r) ** 4))
        k = np.isin(dets.threat, np.flatnonzero(ranges == r)).sum()
        assert _binomial_ok(k, 400, pd), (r, k, pd)
    # with the mean RCS (1 m^2) every range here would give Pd >= 0.9: the aspect matters
    assert np.isin(dets.threat, np.flatnonzero(ranges == 1100e3)).sum() < 0.5 * 400


# --------------------------------------------------------------------------------------------
# False alarms
# --------------------------------------------------------------------------------------------


def _fa_only(stype="tpy-2", rate=2.0, **kw):
    sa = sensor_array(_scenario([_sensor("r", stype, azimuth_deg=70, **kw)]))
    return _with(sa, false_alarms_per_scan=[rate])


def test_false_alarm_count_is_poisson_at_stated_rate():
    sa = _fa_only(rate=2.0)
    truth = static_truth(_points(*SITE, 250.0, FAR_M, 0.0), 1.0)  # far away: never seen
    dets = detect_all(sa, truth, 1999.0, [stream(2, "sensor", "r")])  # 1000 scans of 2 s
    assert np.all(dets.threat == FALSE_ALARM) and np.all(dets.kind == KIND_RADAR)
    counts = np.bincount((dets.t_s / 2.0).astype(int), minlength=1000)
    n, lam = counts.size, 2.0
    assert n == 1000
    # mean: sd sqrt(lam / n); variance = mean for a Poisson count: sd ~ sqrt((lam + 2 lam^2) / n)
    assert abs(counts.mean() - lam) < 4 * math.sqrt(lam / n)
    assert abs(counts.var(ddof=1) - lam) < 4 * math.sqrt((lam + 2 * lam**2) / n)
    assert _binomial_ok(np.sum(counts == 0), n, math.exp(-lam))
    np.testing.assert_array_equal(dets.false_alarm_counts(1), [counts.sum()])


def _apparent_from(sa, s, pos, t_s):
    """Apparent elevation (rad) of points seen from sensor ``s`` at times ``t_s``."""
    p, rot, h = platform_frames(sa, s, t_s)
    enu = np.einsum("...ij,...j->...i", rot, pos - p)
    return apparent_elevation_rad(np.hypot(enu[:, 0], enu[:, 1]), enu[:, 2], h)


def _aer_from(sa, s, pos, t_s):
    """AER of points seen from sensor ``s`` at times ``t_s`` (moving platforms included)."""
    p, rot, h = platform_frames(sa, s, t_s)
    la, lo = platform_lat_lon(sa, s, t_s)
    enu = ecef_delta_to_enu(pos - p, la, lo)
    return enu_to_aer(enu), p


@pytest.mark.parametrize("stype", ["tpy-2", "e-3-awacs", "elm-2084"])
def test_false_alarms_lie_uniformly_inside_coverage(stype):
    kw = {"orbit": {"heading_deg": 40, "length_km": 100, "width_km": 30, "speed_m_s": 150}}
    sa = _fa_only(stype, rate=5.0, **(kw if stype == "e-3-awacs" else {}))
    truth = static_truth(_points(*SITE, 250.0, FAR_M, 0.0), 1.0)
    dets = detect_all(sa, truth, 999.0, [stream(3, "sensor", "r")])
    (az, el, rng_m), p_sensor = _aer_from(sa, 0, dets.z_ecef_m, dets.t_s)
    n = dets.n
    assert n > 400
    assert rng_m.max() <= sa.max_range_m[0] * (1 + 1e-9)
    off = np.mod(np.radians(az) - sa.boresight_rad[0] + np.pi, 2 * np.pi) - np.pi
    assert np.abs(off).max() <= sa.half_sector_rad[0] + 1e-9
    h1 = sa.alt_m[0]
    el_app = _apparent_from(sa, 0, dets.z_ecef_m, dets.t_s)
    el_lo = max(sa.min_el_rad[0], -horizon_dip_rad(h1))
    assert el_app.min() >= el_lo - 1e-9
    assert el_app.max() <= sa.max_el_rad[0] + 1e-9
    assert np.all(line_of_sight(p_sensor, dets.z_ecef_m))
    # uniform in the radar's coordinates: sin(el_app) ~ U(sin el_lo, sin el_hi)
    u_el = (np.sin(el_app) - np.sin(el_lo)) / (np.sin(sa.max_el_rad[0]) - np.sin(el_lo))
    assert abs(u_el.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)
    # uniform in volume: (r / R)^3 ~ U(0, 1), mean 1/2 with sd sqrt(1/12 / n)
    u_r = (rng_m / sa.max_range_m[0]) ** 3
    assert abs(u_r.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)
    u_az = (off + sa.half_sector_rad[0]) / (2 * sa.half_sector_rad[0])
    assert abs(u_az.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)


def test_false_alarms_never_reach_events_or_tracks():
    sc = load_scenario("tutorial")
    from shieldwall.sim.engine import simulate

    res = simulate(sc, 3)
    fa = res.false_alarms
    assert set(fa) == {s.id for s in sc.sensors}
    assert all(fa[s.id] > 0 for s in sc.sensors)  # built-in radars have a nonzero rate
    events = _events(res)
    detect = [e for e in events if e["event"] == "detect"]
    assert detect and all(e["threat_id"] in set(res.truth.threats.threat_id) for e in detect)


def _events(res) -> list[dict]:
    th = res.truth.threats
    table = res.events.table(th.threat_id, th.threat_class(), lambda j, t: (np.zeros(len(j)),) * 3)
    return table.to_pylist()


# --------------------------------------------------------------------------------------------
# Airborne early warning: racetrack orbits and the horizon
# --------------------------------------------------------------------------------------------

ORBIT = {"heading_deg": 30.0, "length_km": 120.0, "width_km": 40.0, "speed_m_s": 180.0}


def test_racetrack_hand_values():
    big_l, w, v = 120e3, 40e3, 180.0
    lap = racetrack_lap_m(big_l, w)
    assert lap == pytest.approx(2 * 120e3 + math.pi * 40e3, rel=1e-15)  # 365.66 km
    t = np.array([0.0, big_l / v, (big_l + math.pi * w / 4) / v, (big_l + math.pi * w / 2) / v])
    x, y = racetrack_offsets_m(t, big_l, w, v)
    np.testing.assert_allclose(x, [-60e3, 60e3, 80e3, 60e3], atol=1e-6)
    np.testing.assert_allclose(y, [-20e3, -20e3, 0.0, 20e3], atol=1e-6)


def test_racetrack_lap_period_altitude_and_speed():
    sa = sensor_array(_scenario([_sensor("aew", "e-3-awacs", 32.0, 38.0, orbit=ORBIT)]))
    lap = 2 * 120e3 + math.pi * 40e3
    period = lap / 180.0
    t = np.linspace(0.0, period, 20001)
    lat, lon = platform_lat_lon(sa, 0, t)
    steps = great_circle_distance_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    # path length of one lap on the sphere. Offsets are laid out azimuthal-equidistantly from
    # the centre: radial distances exact, transverse ones scaled by sin(rho/R) / (rho/R), at
    # most rho^2 / (6 R^2) = 2.6e-5 short at rho = 80 km; the 20,000-chord polygon adds < 1 mm
    assert steps.sum() == pytest.approx(lap, rel=2.7e-5)
    assert steps.sum() <= lap
    np.testing.assert_allclose(steps / (t[1] - t[0]), 180.0, rtol=2.7e-5)  # constant speed
    # periodic, at the placed altitude (9,000 m), never farther than L/2 + W/2 from the centre
    pos, _, alt = platform_frames(sa, 0, t)
    np.testing.assert_allclose(pos[-1], pos[0], atol=1e-6)
    assert np.abs(ecef_to_geodetic(pos)[2] - 9000.0).max() < 1e-6
    np.testing.assert_array_equal(alt, 9000.0)
    assert great_circle_distance_m(32.0, 38.0, lat, lon).max() <= 80e3 * (1 + 1e-9)
    # the first leg is flown along the heading, as measured at the centre: at the start point
    # (72 km away) true north has turned by the meridian convergence dlon sin(lat) ~ 0.3 deg
    brg = initial_bearing_deg(lat[0], lon[0], lat[50], lon[50])
    convergence = (lon[0] - 38.0) * math.sin(math.radians(32.0))
    assert brg == pytest.approx(30.0 + convergence, abs=0.02)


def _first_leg_count(sa, bearing, ground, alt_m, t_end):
    truth = static_truth(_points(SITE[0], SITE[1], bearing, ground, alt_m), 1e4)
    dets = detect_all(_with(sa, false_alarms_per_scan=[0.0]), truth, t_end, [stream(4, "s")])
    return np.bincount(dets.threat, minlength=ground.size)


def test_aew_sees_a_50m_cruise_missile_several_times_farther_than_a_10m_ground_radar():
    """Horizon-limited: ground radar (10 m) sees a 50 m target to sqrt(2kR 10) + sqrt(2kR 50)
    = 42.2 km; the same radar at 9 km altitude to its 400 km instrumented range (horizon
    420 km). Targets have a huge RCS, so only geometry limits."""
    ground = np.arange(5e3, 450e3, 2.5e3)
    sc = _scenario(
        [_sensor("g", "ground-10m"), _sensor("aew", "e-3-awacs")], {"ground-10m": GROUND_10M}
    )
    sa = sensor_array(sc)
    reach = []
    for s in range(2):
        one = dataclasses.replace(sa, **{f.name: getattr(sa, f.name)[s : s + 1]
                                         for f in dataclasses.fields(sa)})  # fmt: skip
        seen = _first_leg_count(one, 90.0, ground, 50.0, 0.5) > 0
        reach.append(ground[seen].max())
    horizon = float(radar_horizon_m(10.0, 50.0))
    assert horizon == pytest.approx(42.2e3, rel=0.01)
    assert reach[0] == pytest.approx(horizon, abs=2.5e3)
    assert reach[1] >= 0.97 * 400e3 and reach[1] >= 5 * reach[0]


def test_aew_outage_and_orbit_motion():
    sa = sensor_array(
        _scenario([_sensor("aew", "e-3-awacs", 32.0, 38.0, orbit=ORBIT,
                           outages=[{"from_s": 100, "until_s": 300}])])
    )  # fmt: skip
    sa = _with(sa, false_alarms_per_scan=[1.0])
    truth = static_truth(_points(32.0, 38.0, 0.0, np.array([150e3]), 50.0), 1e4)
    dets = detect_all(sa, truth, 999.0, [stream(5, "sensor", "aew")])
    assert not np.any((dets.t_s >= 100) & (dets.t_s < 300))
    real = dets.threat == 0
    assert real.sum() == 100 - 20  # scans every 10 s over [0, 1000) minus the outage
    assert (~real).sum() > 0
    # measured from where the platform is (it moves up to 80 km): the errors are consistent
    # with the stated covariance, chi-square 3 dof, mean 3 +- 4 sqrt(6 / n)
    err = dets.z_ecef_m[real] - truth.pos_ecef_m[0, 0]
    d2 = np.einsum("pi,pij,pj->p", err, np.linalg.inv(dets.r_ecef_m2[real]), err)
    assert abs(d2.mean() - 3.0) < 4 * math.sqrt(6 / d2.size)
    lat, lon = platform_lat_lon(sa, 0, dets.t_s[real])
    assert great_circle_distance_m(lat, lon, 32.0, 38.0).max() > 50e3


# --------------------------------------------------------------------------------------------
# Space IR launch warning
# --------------------------------------------------------------------------------------------


def _ir_case(n, boost_end_s=60.0, outages=None, climb_m_s=200.0):
    """n ballistic missiles launched at t = 0 from near (33, 45), climbing at ``climb_m_s``."""
    sc = _scenario([_sensor("ir", "sbirs", 30.0, 45.0, outages=outages or [])])
    sa = sensor_array(sc)
    rng = np.random.default_rng(9)
    lat0, lon0 = 33.0 + rng.uniform(-1, 1, n), 45.0 + rng.uniform(-1, 1, n)
    pos = geodetic_to_ecef(lat0, lon0, 0.0)
    up, _ = geodetic_up_and_height(pos)
    truth = static_truth(pos, 0.2, end_s=600.0, class_code=0, vel_ecef=climb_m_s * up,
                         boost_end_s=boost_end_s)  # fmt: skip
    th = dataclasses.replace(
        truth.threats, launch_lat_deg=lat0, launch_lon_deg=lon0,
        impact_lat_deg=np.full(n, 31.2), impact_lon_deg=np.full(n, 35.0),
    )  # fmt: skip
    return sa, dataclasses.replace(truth, threats=th)


def test_ir_reports_only_while_boosting_above_the_plume_altitude():
    sa, truth = _ir_case(200)
    rep = scan_all(sa, truth, 600.0, [stream(6, "sensor", "ir")])
    dets = rep.detections
    # plume above 3 km at 200 m/s: t >= 15 s; burnout at 60 s; looks every 10 s: 20..60
    assert set(np.unique(dets.t_s).tolist()) == {20.0, 30.0, 40.0, 50.0, 60.0}
    # true altitude at each report: the missiles climb along the ellipsoid normal
    _, _, alt = ecef_to_geodetic(interpolate_truth(truth, dets.threat, dets.t_s))
    np.testing.assert_allclose(alt, 200.0 * dets.t_s, atol=1e-3)
    assert alt.min() >= sa.plume_alt_m[0]
    assert _binomial_ok(dets.n, 200 * 5, 0.95)
    assert np.all(dets.kind == 1)
    # one warning per missile, issued at its first detection
    w = rep.launch_warnings
    assert w.n == 200 and np.array_equal(np.sort(w.threat), np.arange(200))
    first = {j: dets.t_s[dets.threat == j].min() for j in range(200)}
    assert all(w.t_s[i] == first[int(w.threat[i])] for i in range(w.n))


def test_ir_warning_errors_match_stated_sigmas():
    n = 4000
    sa, truth = _ir_case(n)
    w = scan_all(sa, truth, 600.0, [stream(7, "sensor", "ir")]).launch_warnings
    assert w.n == n
    th = truth.threats
    j = w.threat
    checks = []
    dt = w.launch_t_s - truth.t0_s[j]
    checks.append((dt, 5.0))
    d_az = (
        np.mod(
            w.azimuth_deg
            - initial_bearing_deg(th.launch_lat_deg[j], th.launch_lon_deg[j], 31.2, 35.0)
            + 180.0,
            360.0,
        )
        - 180.0
    )
    checks.append((d_az, 5.0))
    enu = ecef_to_enu(geodetic_to_ecef(w.launch_lat_deg, w.launch_lon_deg, 0.0),
                      th.launch_lat_deg[j], th.launch_lon_deg[j], 0.0)  # fmt: skip
    checks += [(enu[:, 0], 2000.0), (enu[:, 1], 2000.0)]
    for err, sigma in checks:
        assert abs(err.mean()) < 4 * sigma / math.sqrt(n)
        assert abs(err.std() - sigma) < 4 * sigma / math.sqrt(2 * n)
    np.testing.assert_array_equal(w.sigma_launch_m, 2000.0)
    np.testing.assert_array_equal(w.sigma_launch_t_s, 5.0)
    np.testing.assert_allclose(w.sigma_azimuth_deg, 5.0)


def test_ir_outage_and_no_report_after_burnout():
    sa, truth = _ir_case(50, outages=[{"from_s": 0, "until_s": 45}])
    rep = scan_all(sa, truth, 600.0, [stream(8, "sensor", "ir")])
    assert set(np.unique(rep.detections.t_s).tolist()) <= {50.0, 60.0}
    sa, truth = _ir_case(50, boost_end_s=12.0)  # burns out below the plume altitude
    rep = scan_all(sa, truth, 600.0, [stream(8, "sensor", "ir")])
    assert rep.detections.n == 0 and rep.launch_warnings.n == 0


def test_ir_launch_warning_in_detect_event():
    sc = load_scenario("tutorial")
    data = sc.model_dump(by_alias=True, exclude={"catalog"})
    data["sensors"].append(_sensor("sbirs", "sbirs", 30.0, 45.0))
    from shieldwall.sim.engine import simulate

    res = simulate(load_scenario(data), 1)
    ir = [e for e in _events(res) if e["event"] == "detect" and e["unit_id"] == "sbirs"]
    assert ir and all(e["detail"].startswith("launch warning: az ") for e in ir)
    assert all(" deg, launch t " in e["detail"] for e in ir)


# --------------------------------------------------------------------------------------------
# The vectorised core against the scalar reference
# --------------------------------------------------------------------------------------------


def _mixed_sensors():
    sensors = [
        _sensor("tpy", "tpy-2", azimuth_deg=70),
        _sensor("mmr", "elm-2084", 31.8, 35.2, azimuth_deg=80),
        _sensor("aew", "e-3-awacs", 32.0, 38.0, orbit=ORBIT),
        _sensor("g10", "ground-10m", 33.0, 40.0),
    ]
    return sensor_array(_scenario(sensors, {"ground-10m": GROUND_10M}))


def _scalar_radar(sa, s, lat, lon):
    names = [f for f in ScalarRadar.__slots__ if f not in ("lat_deg", "lon_deg", "alt_m")]
    return ScalarRadar(lat, lon, float(sa.alt_m[s]), *(float(getattr(sa, f)[s]) for f in names))


def test_core_pairs_match_scalar_reference():
    sa = _mixed_sensors()
    rng = np.random.default_rng(11)
    p = 3000
    s_idx, t_s = rng.integers(0, sa.n, p), rng.uniform(0, 5000, p)
    lat0, lon0 = platform_lat_lon(sa, s_idx, t_s)
    pos = _points(lat0, lon0, rng.uniform(0, 360, p), rng.uniform(1e3, 500e3, p),
                  rng.choice([50.0, 300.0, 20e3, 150e3], p))  # fmt: skip
    vel = 300.0 * rng.standard_normal((p, 3))
    vel[::7] = 0.0
    table = rng.uniform(0.01, 2.0, (p, 3))
    rcs = rng.uniform(0.05, 1.0, p)
    u, normals = rng.random(p), rng.standard_normal((p, 3))
    obs = Observers(*platform_frames(sa, s_idx, t_s))
    looks = radar_scan(obs, Targets.at(pos, vel, rcs, table), RadarParams.of(sa, s_idx), u, normals)
    hits = 0
    for k in range(p):
        radar = _scalar_radar(sa, s_idx[k], float(lat0[k]), float(lon0[k]))
        det, z, r = look(radar, pos[k].tolist(), vel[k].tolist(), rcs[k], table[k], u[k],
                         normals[k].tolist())  # fmt: skip
        assert det == bool(looks.detected[k]), k
        if det:
            i = int(np.flatnonzero(looks.index == k)[0])
            np.testing.assert_allclose(looks.z_ecef_m[i], z, rtol=0, atol=1e-6)
            np.testing.assert_allclose(looks.r_ecef_m2[i], r, rtol=1e-9, atol=1e-9)
            hits += 1
    assert 200 < hits < p - 200  # both outcomes well represented


def test_core_grid_equals_flat_pairs():
    """Sensors (S, 1) x targets (1, N) gives the same looks as the same pairs flattened."""
    sa = _mixed_sensors()
    rng = np.random.default_rng(12)
    n = 300
    pos = _points(32.0, 37.0, rng.uniform(0, 360, n), rng.uniform(1e3, 400e3, n), 300.0)
    vel, rcs = 50.0 * rng.standard_normal((n, 3)), np.full(n, 0.5)
    u, normals = rng.random((sa.n, n)), rng.standard_normal((sa.n, n, 3))
    idx = np.arange(sa.n)[:, None]
    grid = radar_scan(Observers(*platform_frames(sa, idx, 1234.0)),
                      Targets.at(pos[None], vel[None], rcs[None]),
                      RadarParams.of(sa, idx), u, normals)  # fmt: skip
    s_flat, j_flat = np.repeat(np.arange(sa.n), n), np.tile(np.arange(n), sa.n)
    flat = radar_scan(Observers(*platform_frames(sa, s_flat, np.full(s_flat.size, 1234.0))),
                      Targets.at(pos[j_flat], vel[j_flat], rcs[j_flat]),
                      RadarParams.of(sa, s_flat), u.ravel(), normals.reshape(-1, 3))  # fmt: skip
    np.testing.assert_array_equal(grid.detected.ravel(), flat.detected)
    np.testing.assert_array_equal(grid.index, flat.index)
    np.testing.assert_allclose(grid.z_ecef_m, flat.z_ecef_m, rtol=0, atol=1e-6)
    assert grid.detected.any() and not grid.detected.all()


@settings(max_examples=80, deadline=None)
@given(
    lat=st.floats(-60.0, 60.0),
    lon=st.floats(-180.0, 180.0),
    h1=st.floats(0.0, 20e3),
    bearing=st.floats(0.0, 360.0),
    dist_m=st.floats(0.0, 1_500e3),
    h2=st.floats(0.0, 500e3),
)
def test_pairwise_line_of_sight_symmetric_and_equal_to_geo(lat, lon, h1, bearing, dist_m, h2):
    a = geodetic_to_ecef(lat, lon, h1)
    b = _points(lat, lon, bearing, dist_m, h2)
    ua, ha = geodetic_up_and_height(a)
    ub, hb = geodetic_up_and_height(b)
    ab = bool(clears_effective_earth(ua, ha, ub, hb))
    assert ab == bool(clears_effective_earth(ub, hb, ua, ha))
    assert ab == bool(line_of_sight(a, b))


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"sensor_types": {"x": {**GROUND_10M, "false_alarms_per_scan": -1}}}, "must be >= 0"),
        ({"sensor_types": {"x": {**GROUND_10M, "kind": "space_ir", "false_alarms_per_scan": 1}}},
         "false_alarms_per_scan applies to radars"),
        ({"sensor_types": {"x": {**GROUND_10M, "min_elev_deg": 20, "max_elev_deg": 10}}},
         "max_elev_deg"),
        ({"sensor_types": {"x": {**GROUND_10M, "launch_time_sigma_s": -2}}}, "must be >= 0"),
        ({"threat_types": {"y": {"class": "cruise", "speed_m_s": 200, "max_range_km": 500,
                                 "rcs_m2": 0.3, "cost_usd": 1, "source": "notional",
                                 "rcs_aspect_m2": {"nose": 0.1, "side": 0}}}},
         "side: must be > 0"),
    ],
)  # fmt: skip
def test_bad_catalog_fields_rejected(patch, message):
    from shieldwall.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        load_scenario(
            {"name": "bad", "region": {"lat_min": 25, "lat_max": 40, "lon_min": 30,
                                       "lon_max": 50},
             "nations": [{"id": "A", "name": "A"}], "catalog": patch,
             "assets": [{"id": "a", "owner": "A", "lat_deg": 31.2, "lon_deg": 35.0}],
             "raid": {"salvos": [{"id": "s", "threat": "paveh", "count": 1, "window_s": [0, 0],
                                  "launch": {"lat_deg": 33.0, "lon_deg": 45.0}, "aim": ["a"]}]}}
        )  # fmt: skip


def _aew(**kw):
    return _sensor("a", "e-3-awacs", **kw)


@pytest.mark.parametrize(
    "sensor, message",
    [
        (_sensor("r", "tpy-2", orbit=ORBIT), "only airborne \\(aew\\) sensors fly an orbit"),
        (_aew(orbit={**ORBIT, "speed_m_s": -5}), "speed_m_s: must be > 0"),
        (_aew(orbit={**ORBIT, "width_km": 0}), "width_km: must be > 0"),
        (_aew(orbit={**ORBIT, "altitude_km": 9}), "unknown field 'altitude_km'"),
        (_aew(outages=[{"from_s": 50, "until_s": 10}]),
         "until_s must be after from_s"),
    ],
)  # fmt: skip
def test_bad_sensor_fields_rejected(sensor, message):
    from shieldwall.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        _scenario([sensor])
