"""Threat models: closed forms vs raid-facts.md 4a, numeric vs analytic, raid draws, truth.

Reference values: raid-facts.md section 4a "Derived MRBM trajectory envelope" (minimum-energy,
vacuum, spherical Earth), itself from Wheelon (1959) / Bate, Mueller & White (1971) ch. 6.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pymap3d
import pytest

from shieldwall.scenario.models import Scenario
from shieldwall.threats import (
    CLASS_CODES,
    build_raid,
    build_truth,
    min_energy_apogee_m,
    min_energy_burnout,
    min_energy_flight_time_s,
)
from shieldwall.threats.airbreathing import CLIMB_S
from shieldwall.threats.ballistic import EARTH_MEAN_RADIUS_M

R = EARTH_MEAN_RADIUS_M
WAYPOINT = (29.5, 43.0)


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance on the mean sphere (haversine; Sinnott, Sky & Telescope 1984)."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(np.subtract(lon2, lon1))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R * np.arcsin(np.sqrt(h))


def make_scenario(
    n_bm=4, n_cm=3, n_uav=5, bm_rel=0.9, radius_km=20.0, cep_m=None, drone_window=(0, 600)
):
    """A small notional scenario: one ballistic, one cruise and one drone salvo."""
    src = "test figures, notional"
    catalog = {
        "threat_types": {
            "mrbm": {"class": "ballistic", "max_range_km": 2000, "boost_s": 90, "rcs_m2": 0.1,
                     "cep_m": 500 if cep_m is None else cep_m, "reliability": 0.9,
                     "cost_usd": 1e6, "source": src},
            "lacm": {"class": "cruise", "speed_m_s": 240, "cruise_alt_m": 50,
                     "max_range_km": 1650, "rcs_m2": 0.5, "cep_m": 10 if cep_m is None else cep_m,
                     "reliability": 0.8, "cost_usd": 5e5, "source": src},
            "owa": {"class": "drone", "speed_m_s": 51.4, "cruise_alt_m": 1000,
                    "max_range_km": 2500, "rcs_m2": 0.01, "cep_m": 20 if cep_m is None else cep_m,
                    "reliability": 0.9, "cost_usd": 3e4, "source": src},
        }
    }  # fmt: skip
    launch = {"lat_deg": 31.0, "lon_deg": 50.5, "radius_km": radius_km}
    salvos = [
        {"id": "bm", "threat": "mrbm", "count": n_bm, "launch": launch, "window_s": [600, 900],
         "aim": ["base1", "base2"], "reliability": bm_rel},
        {"id": "cm", "threat": "lacm", "count": n_cm, "launch": launch, "window_s": [300, 400],
         "aim": ["base2"], "waypoints": [{"lat_deg": WAYPOINT[0], "lon_deg": WAYPOINT[1]}]},
        {"id": "uav", "threat": "owa", "count": n_uav, "launch": launch,
         "window_s": list(drone_window), "aim": ["base1"],
         "waypoints": [{"lat_deg": WAYPOINT[0], "lon_deg": WAYPOINT[1]}]},
    ]  # fmt: skip
    return Scenario.model_validate(
        {
            "name": "threat-test",
            "region": {"lat_min": 20, "lat_max": 40, "lon_min": 25, "lon_max": 60},
            "catalog": catalog,
            "nations": [{"id": "H", "name": "Host"}],
            "assets": [
                {"id": "base1", "owner": "H", "lat_deg": 31.0, "lon_deg": 35.0},
                {"id": "base2", "owner": "H", "lat_deg": 30.5, "lon_deg": 34.9},
            ],
            "raid": {"salvos": salvos},
        }
    )


@pytest.fixture(scope="module")
def small():
    sc = make_scenario()
    threats = build_raid(sc, np.random.default_rng(1))
    return sc, threats, build_truth(sc, threats)


# --------------------------------------------------------------------------------------------
# Ballistic closed forms and numerics
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("range_km", "v_km_s", "apogee_km", "t_min"),
    [(1000, 3.0, 240, 8), (1300, 3.4, 310, 9), (1500, 3.6, 350, 10), (1800, 3.9, 420, 11),
     (2000, 4.1, 460, 12)],
)  # fmt: skip
def test_min_energy_matches_raid_facts_table(range_km, v_km_s, apogee_km, t_min):
    psi = range_km * 1e3 / R
    v, gamma = min_energy_burnout(psi)
    assert v / 1e3 == pytest.approx(v_km_s, rel=0.05)
    assert math.degrees(gamma) == pytest.approx(45 - math.degrees(psi) / 4, abs=1e-9)
    assert min_energy_apogee_m(psi) / 1e3 == pytest.approx(apogee_km, rel=0.05)
    assert min_energy_flight_time_s(psi) / 60 == pytest.approx(t_min, rel=0.05)


def test_min_energy_is_minimum_energy():
    """Vacuum range equation (Bate, Mueller & White eq. 6.2-12): at fixed v, no other flight-path
    angle reaches psi; the min-energy gamma maximises range at that speed."""
    psi = 1500e3 / R
    v, g0 = min_energy_burnout(psi)
    nu = v**2 * R / 3.986004418e14
    g = g0 + np.linspace(-0.2, 0.2, 41)
    # cos(psi/2) = (1 - nu cos^2 g) / sqrt(1 + nu (nu - 2) cos^2 g)
    c2 = np.cos(g) ** 2
    half = np.arccos((1 - nu * c2) / np.sqrt(1 + nu * (nu - 2) * c2))
    assert 2 * half.max() == pytest.approx(psi, rel=1e-6)
    assert g[np.argmax(half)] == pytest.approx(g0, abs=0.011)


# --------------------------------------------------------------------------------------------
# Raid draws
# --------------------------------------------------------------------------------------------


def test_raid_columns_and_order(small):
    sc, th, _ = small
    assert th.n == 12
    assert len(set(th.threat_id)) == th.n
    assert np.all(np.diff(th.launch_t_s) >= 0)
    assert set(th.threat_id) >= {"bm-000", "cm-002", "uav-004"}
    assert th.class_code.dtype == np.int8
    names = th.threat_class()
    assert set(names[th.type_id == "mrbm"]) == {"ballistic"}
    assert set(names[th.type_id == "owa"]) == {"drone"}
    for j, salvo in enumerate(sc.raid.salvos):
        t = th.launch_t_s[th.salvo == j]
        assert np.all((t >= salvo.window_s[0]) & (t <= salvo.window_s[1]))
    bm = np.sort(th.threat_id[th.salvo == 0])
    aims = th.aim_asset[th.salvo == 0][np.argsort(th.threat_id[th.salvo == 0])]
    assert list(aims) == [0, 1, 0, 1] and list(bm) == ["bm-000", "bm-001", "bm-002", "bm-003"]
    d = haversine_m(31.0, 50.5, th.launch_lat_deg, th.launch_lon_deg)
    assert np.all(d <= 20e3 + 1)
    with pytest.raises(ValueError):
        th.launch_t_s[0] = 0.0  # read-only


def test_same_seed_same_raid_different_seed_differs():
    sc = make_scenario()
    a = build_raid(sc, np.random.default_rng(7))
    b = build_raid(sc, np.random.default_rng(7))
    c = build_raid(sc, np.random.default_rng(8))
    assert a.equals(b)
    assert not a.equals(c)


def test_cep_median_miss():
    """Circular normal: the median miss distance is the CEP (CEP = sqrt(2 ln 2) sigma)."""
    sc = make_scenario(n_bm=4000, n_cm=1, n_uav=1, cep_m=2000.0)
    th = build_raid(sc, np.random.default_rng(3))
    bm = th.salvo == 0
    lat = np.where(th.aim_asset[bm] == 0, 31.0, 30.5)
    lon = np.where(th.aim_asset[bm] == 0, 35.0, 34.9)
    miss = haversine_m(lat, lon, th.impact_lat_deg[bm], th.impact_lon_deg[bm])
    assert np.median(miss) == pytest.approx(2000.0, rel=0.05)


def test_failure_fraction_and_times():
    n, rel = 4000, 0.8
    sc = make_scenario(n_bm=n, n_cm=1, n_uav=1, bm_rel=rel)
    th = build_raid(sc, np.random.default_rng(5))
    bm = th.salvo == 0
    k = th.fails[bm].sum()
    assert abs(k - n * (1 - rel)) <= 4 * math.sqrt(n * rel * (1 - rel))
    f = th.fails & bm
    assert np.all(np.isnan(th.fail_frac[~th.fails]))
    frac = th.fail_frac[f]
    assert frac.min() >= 0 and frac.max() <= 0.9 + 1e-9 and frac.max() > 0.85
    # uniform on [0, 0.9): the mean is 0.45 within 4 standard errors
    assert abs(frac.mean() - 0.45) < 4 * 0.9 / math.sqrt(12 * frac.size)


# --------------------------------------------------------------------------------------------
# Truth
# --------------------------------------------------------------------------------------------


def test_trajectories_start_and_end_on_the_ground(small):
    _, th, tr = small
    _, active = tr.position_ecef(-1.0)
    assert not active.any()
    start = np.stack(pymap3d.geodetic2ecef(th.launch_lat_deg, th.launch_lon_deg, 0.0), -1)
    for i in range(th.n):
        p, _ = tr.positions_ecef(np.array([th.launch_t_s[i]]))
        assert np.linalg.norm(p[i, 0] - start[i]) < 1.0
    ok = ~th.fails
    nominal_end = tr.t0_s + tr.dt_s * (tr.n_samples - 1)
    assert th.fails.any() and ok.any()
    lat, lon, alt = tr.geodetic_at(nominal_end)
    miss = haversine_m(lat, lon, th.impact_lat_deg, th.impact_lon_deg)
    assert np.all(miss[ok] < 1e3) and np.all(np.abs(alt[ok]) < 10.0)
    # the last valid sample is the impact point even for failing threats (clamped at fail_t_s)
    last = tr.pos_ecef_m[np.arange(th.n), tr.n_samples - 1]
    lat, lon, alt = pymap3d.ecef2geodetic(last[:, 0], last[:, 1], last[:, 2])
    assert np.all(haversine_m(lat, lon, th.impact_lat_deg, th.impact_lon_deg) < 1e3)
    assert np.all(np.abs(alt) < 10.0)
    assert np.allclose(tr.end_t_s[ok], nominal_end[ok])
    bal = th.class_code == CLASS_CODES["ballistic"]
    assert np.allclose(tr.boost_end_t_s[bal], th.launch_t_s[bal] + 90.0)
    assert np.all(tr.dt_s[bal] <= 1.0) and np.all(tr.dt_s[th.class_code == 2] <= 10.0)


def test_in_flight_mask_and_clamping(small):
    _, th, tr = small
    for t in (0.0, 400.0, 800.0, 5000.0, 40000.0):
        _, active = tr.position_ecef(t)
        expect = (th.launch_t_s <= t) & (t < tr.end_t_s)
        assert np.array_equal(active, expect)
    after, active = tr.position_ecef(1e6)
    assert not active.any()
    end_pos, _ = tr.positions_ecef(tr.end_t_s[:1])
    assert np.allclose(after[0], end_pos[0, 0])
    assert np.all(tr.velocity_ecef(1e6) == 0.0)


def test_position_vs_positions_equivalence(small):
    _, _, tr = small
    ts = np.linspace(0.0, tr.end_t_s.max() + 100, 97)
    pos, act = tr.positions_ecef(ts)
    for j, t in enumerate(ts):
        p, a = tr.position_ecef(t)
        np.testing.assert_allclose(pos[:, j], p, rtol=0, atol=1e-9)
        assert np.array_equal(act[:, j], a)


def test_velocity_and_heights(small):
    sc, th, tr = small
    for i in range(th.n):
        t = th.launch_t_s[i] + 0.4 * (tr.end_t_s[i] - th.launch_t_s[i]) + 0.5
        speed = np.linalg.norm(tr.velocity_ecef(t)[i])
        _, _, alt = tr.geodetic_at(np.full(th.n, t))
        ttype = sc.catalog.threat_types[th.type_id[i]]
        if ttype.threat_class == "ballistic":
            assert 2000 < speed < 4200 and 50e3 < alt[i] < 500e3
        elif t - th.launch_t_s[i] > CLIMB_S:
            assert speed == pytest.approx(ttype.speed_m_s, rel=0.01)
            assert alt[i] == pytest.approx(ttype.cruise_alt_m, abs=1.0)


def test_drone_route_time_and_waypoint():
    """Shahed-class: 51.4 m/s (~185 km/h, raid-facts 4a) over ~1,500 km takes ~8.1 h."""
    sc = make_scenario(n_bm=1, n_cm=1, n_uav=1, radius_km=0.0, cep_m=0.0)
    th = build_raid(sc, np.random.default_rng(0))
    tr = build_truth(sc, th)
    i = int(np.flatnonzero(th.type_id == "owa")[0])
    dist = haversine_m(31.0, 50.5, *WAYPOINT) + haversine_m(*WAYPOINT, 31.0, 35.0)
    hours = (tr.end_t_s[i] - th.launch_t_s[i]) / 3600
    assert 1450e3 < dist < 1550e3
    assert hours == pytest.approx(dist / 51.4 / 3600, rel=0.01)
    assert hours == pytest.approx(8.1, abs=0.2)
    lat, lon = tr.ground_track(i, max_points=10_000)
    gap = haversine_m(lat, lon, *WAYPOINT).min()
    assert gap < 0.5 * 51.4 * tr.dt_s[i] + 1.0  # the leg passes through the waypoint
    assert haversine_m(lat[-1], lon[-1], 31.0, 35.0) < 1.0
    assert len(tr.ground_track(i)[0]) == 200


def test_april_sized_build_is_fast():
    """~320 threats (170 drones flying ~8 h, 30 cruise, 120 ballistic): build under 2 s."""
    sc = make_scenario(n_bm=120, n_cm=30, n_uav=170, drone_window=(0, 3600))
    t = time.perf_counter()
    th = build_raid(sc, np.random.default_rng(2024))
    tr = build_truth(sc, th)
    elapsed = time.perf_counter() - t
    print(f"april-sized raid: {th.n} threats, pos {tr.pos_ecef_m.shape} "
          f"({tr.pos_ecef_m.nbytes / 1e6:.0f} MB), built in {elapsed:.2f} s")  # fmt: skip
    assert th.n == 320
    assert elapsed < 10.0


def _with(sc: Scenario, salvo: int, **changes) -> Scenario:
    data = sc.model_dump(by_alias=True)
    data["raid"]["salvos"][salvo].update(changes)
    return Scenario.model_validate(data)


def test_lofted_and_timed_salvos_fly_their_profile():
    """A lofted salvo by apogee and a depressed one by flight time reach what they ask for
    (truth sampled every second: apogee within 20 m, flight time within 1 s)."""
    base = make_scenario(n_bm=3, n_cm=1, n_uav=1, bm_rel=1.0, radius_km=0.0, cep_m=0.0)
    lofted = _with(base, 0, profile="lofted", apogee_km=700.0)
    th = build_raid(lofted, np.random.default_rng(4))
    tr = build_truth(lofted, th)
    bm = np.flatnonzero(th.class_code == CLASS_CODES["ballistic"])
    _, _, alt = pymap3d.ecef2geodetic(*np.moveaxis(tr.pos_ecef_m[bm], -1, 0))
    assert np.allclose(alt.max(axis=1), 700e3, atol=20.0)
    me = build_truth(base, build_raid(base, np.random.default_rng(4)))
    t_me = (me.end_t_s - me.t0_s)[bm]
    timed = _with(base, 0, profile="depressed", flight_time_s=float(t_me.min() - 60.0))
    tr2 = build_truth(timed, build_raid(timed, np.random.default_rng(4)))
    assert np.allclose((tr2.end_t_s - tr2.t0_s)[bm], t_me.min() - 60.0, atol=1.0)


def test_no_dive_holds_height_to_the_aim_point():
    sc = make_scenario(n_bm=1, n_cm=2, n_uav=1, radius_km=0.0, cep_m=0.0)
    data = sc.model_dump(by_alias=True)
    data["catalog"]["threat_types"]["lacm"]["dive_km"] = 0.0
    flat = Scenario.model_validate(data)
    th = build_raid(flat, np.random.default_rng(0))
    tr = build_truth(flat, th)
    cm = np.flatnonzero(th.type_id == "lacm")
    last = tr.pos_ecef_m[cm, tr.n_samples[cm] - 1]
    _, _, alt = pymap3d.ecef2geodetic(*last.T)
    assert np.allclose(alt, 50.0, atol=0.5)  # cruise height, no dive
    dived = build_truth(sc, build_raid(sc, np.random.default_rng(0)))
    last = dived.pos_ecef_m[cm, dived.n_samples[cm] - 1]
    assert np.allclose(pymap3d.ecef2geodetic(*last.T)[2], 0.0, atol=0.5)


@pytest.mark.parametrize(
    ("salvo", "changes", "needle"),
    [
        (0, {"profile": "lofted"}, "exactly one of apogee_km or flight_time_s"),
        (0, {"profile": "lofted", "apogee_km": 600, "flight_time_s": 900}, "exactly one"),
        (0, {"apogee_km": 600}, "set profile"),
        (1, {"profile": "lofted", "apogee_km": 600}, "ballistic missiles only"),
    ],
)
def test_profile_fields_are_checked(salvo, changes, needle):
    with pytest.raises(ValueError, match=needle):
        _with(make_scenario(), salvo, **changes)


def test_aim_beyond_the_type_range_is_a_validation_error():
    sc = make_scenario()
    data = sc.model_dump(by_alias=True)
    data["catalog"]["threat_types"]["mrbm"]["max_range_km"] = 1000.0  # base1 is ~1,450 km away
    with pytest.raises(ValueError, match=r"raid.salvos.0.aim.0: 'base1' is 1,4\d\d km"):
        Scenario.model_validate(data)
