"""Ballistic flight physics against closed forms and an independent integrator.

References: the closed-form minimum-energy trajectory (Wheelon 1959; Bate, Mueller & White
1971, ch. 6); the J2 potential (Vallado, 4th ed., eq. 8-29/8-30); Allen & Eggers' ballistic
entry (NACA Report 1381, 1958: peak deceleration ``v_e^2 sin(gamma) / (2 e H)`` at
``h* = H ln(rho0 H / (beta sin gamma))``); scipy's DOP853 on the same equations of motion,
written out again here, one missile at a time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldwall.geo import geodetic_to_ecef, great_circle_distance_m
from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, WGS84_A_M, destination_point
from shieldwall.scenario import builtin_catalog
from shieldwall.threats.ballistic import (
    EARTH_MEAN_RADIUS_M as R,
)
from shieldwall.threats.ballistic import (
    min_energy_apogee_m,
    min_energy_burnout,
    min_energy_flight_time_s,
)
from shieldwall.threats.flight import (
    J2_EARTH,
    OMEGA_EARTH_RAD_S,
    RHO0_KG_M3,
    SCALE_HEIGHT_M,
    Controls,
    Vehicle,
    down_range_unit,
    ellipsoid_height_m,
    gravity,
    propagate,
)
from shieldwall.threats.flightsample import sample
from shieldwall.threats.reference import reference_flight
from shieldwall.threats.targeting import TargetingError, _solve_range, launch_frame, solve
from shieldwall.threats.trajectory import fly

CATALOG = builtin_catalog()
LAUNCH = (33.0, 48.0)


def one(x) -> np.ndarray:
    return np.array([float(x)])


def aim_at(range_km: float, bearing_deg: float = 265.0) -> tuple[float, float]:
    lat, lon = destination_point(
        one(LAUNCH[0]), one(LAUNCH[1]), one(math.radians(bearing_deg)), one(range_km * 1e3)
    )
    return float(lat[0]), float(lon[0])


# --------------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("range_km", [500.0, 1000.0, 1300.0, 2000.0])
def test_vacuum_min_energy_matches_closed_form(range_km):
    """Free flight from the surface, no air, no J2, no rotation: burnout speed and flight time
    within 0.5 %, apogee within 0.8 % of the spherical-Earth closed form (the issue asks for 1 %).
    What is left is the ellipsoid: at 33 N the launch and aim points lie ~1.7 km above the
    mean sphere, and the apogee is measured from the ellipsoid (measured: 0.2-0.3 % and
    0.4-0.55 %)."""
    rep = fly(LAUNCH, aim_at(range_km), CATALOG.threat_types["shahab-3"], vacuum=True,
              rotation=False)  # fmt: skip
    psi = rep.ground_range_m / R
    v, _ = min_energy_burnout(psi)
    assert rep.burnout_speed_m_s == pytest.approx(v, rel=0.005)
    assert rep.flight_time_s == pytest.approx(min_energy_flight_time_s(psi), rel=0.005)
    assert rep.apogee_m == pytest.approx(min_energy_apogee_m(psi), rel=0.008)
    assert rep.impact_error_m < 1.0


def test_full_model_1300_km_envelope():
    """With boost, drag, J2 and rotation a ~1,300 km minimum-energy shot flies roughly 10-13
    minutes with an apogee of roughly 300-400 km (raid-facts 4a: ~9 min ballistic + 1-2 min
    boost, apogee ~310 km)."""
    rep = fly(LAUNCH, aim_at(1300.0), CATALOG.threat_types["shahab-3"])
    assert 10 * 60 <= rep.flight_time_s <= 13 * 60
    assert 300e3 <= rep.apogee_m <= 400e3
    assert rep.ground_range_m == pytest.approx(1300e3, rel=0.003)
    assert rep.impact_error_m < 1.0
    # drag slows the reentry vehicle: it lands far slower than it re-entered
    assert rep.speed_m_s[-1] < 0.7 * rep.reentry_speed_m_s


def test_j2_matches_gradient_of_potential():
    """a = -grad U with U = -mu/r [1 - J2 (a/r)^2 (3 sin^2 phi - 1) / 2] (Vallado eq. 8-29)."""
    rng = np.random.default_rng(3)
    r = rng.normal(size=(3, 20))
    r *= (WGS84_A_M + rng.uniform(0, 2e6, 20)) / np.linalg.norm(r, axis=0)

    def potential(p):
        rn = np.linalg.norm(p, axis=0)
        s2 = (p[2] / rn) ** 2
        return -MU_EARTH_M3_S2 / rn * (1 - J2_EARTH * (WGS84_A_M / rn) ** 2 * (3 * s2 - 1) / 2)

    h = 1.0
    grad = np.stack([(potential(r + h * e[:, None]) - potential(r - h * e[:, None])) / (2 * h)
                     for e in np.eye(3)])  # fmt: skip
    np.testing.assert_allclose(gravity(r, j2=True), -grad, rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        gravity(r, j2=False), -MU_EARTH_M3_S2 * r / np.linalg.norm(r, axis=0) ** 3, rtol=1e-12
    )


def test_reentry_deceleration_follows_allen_eggers():
    """A steep, fast, low-beta entry: peak drag deceleration and its altitude agree with
    Allen & Eggers' closed form, taking the speed and angle at 60 km (where drag is still
    below 1 % of the peak) as the entry state; the closed form neglects gravity, which adds
    ~2 % here: tolerances 4 % and 1.5 km."""
    beta, gamma, v_e = 1000.0, math.radians(60.0), 7000.0
    lat, lon, h0 = 32.0, 35.0, 120e3
    r0 = geodetic_to_ecef(lat, lon, h0).reshape(3, 1)
    up = (r0 / np.linalg.norm(r0)).copy()
    east = np.array([[-math.sin(math.radians(lon))], [math.cos(math.radians(lon))], [0.0]])
    v0 = v_e * (math.cos(gamma) * east - math.sin(gamma) * up)
    veh = Vehicle(one(0.0), one(4.0), one(beta), drag=True, rotation=False, j2=False)
    f = propagate(r0, up, veh, Controls(one(0), one(0), one(0)), history=True, v0_eci=v0)
    t = np.linspace(0, f.impact_t_s[0], 8000)
    pos, vel = sample(f, t[None], 0.0)
    h = ellipsoid_height_m(pos[0].T)
    speed = np.linalg.norm(vel[0], axis=1)
    decel = RHO0_KG_M3 * np.exp(-h / SCALE_HEIGHT_M) * speed**2 / (2 * beta)
    k = np.argmin(np.abs(h - 60e3))
    sin_g = -np.sum(vel[0, k] * pos[0, k]) / (speed[k] * np.linalg.norm(pos[0, k]))
    a_max = speed[k] ** 2 * sin_g / (2 * math.e * SCALE_HEIGHT_M)
    h_star = SCALE_HEIGHT_M * math.log(RHO0_KG_M3 * SCALE_HEIGHT_M / (beta * sin_g))
    assert decel[k] < 0.01 * decel.max()
    assert decel.max() == pytest.approx(a_max, rel=0.04)
    assert h[np.argmax(decel)] == pytest.approx(h_star, abs=1500.0)


# --------------------------------------------------------------------------------------------
# An independent integrator
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("launch", "range_km", "bearing_deg", "profile", "apogee_km"),
    [
        (LAUNCH, 1400.0, 265.0, "min-energy", None),
        (LAUNCH, 1100.0, 265.0, "lofted", 700.0),
        ((88.5, 20.0), 900.0, 100.0, "min-energy", None),  # over the pole
        ((10.0, 179.5), 1200.0, 90.0, "depressed", 150.0),  # across the antimeridian
    ],
)
def test_propagator_matches_scipy_dop853(launch, range_km, bearing_deg, profile, apogee_km):
    """RK4 with per-missile steps and Hermite refinement vs DOP853 (rtol 1e-11) on the full
    model (boost, J2, drag, rotation), written out again in :mod:`shieldwall.threats.reference`:
    impact within 1 m and 0.01 s, samples along the way within 1 m (measured: centimetres)."""
    tt = CATALOG.threat_types["emad"]
    lat, lon = one(launch[0]), one(launch[1])
    alat, alon = destination_point(lat, lon, one(math.radians(bearing_deg)), one(range_km * 1e3))
    veh = Vehicle(one(tt.boost_s), one(tt.mass_ratio), one(tt.beta_kg_m2))
    apogee = None if apogee_km is None else apogee_km * 1e3
    sol = solve(lat, lon, alat, alon, veh, one(tt.max_range_m), profile, apogee)
    assert sol.converged[0]
    ctl = sol.controls
    r0, up = launch_frame(lat, lon)
    down = down_range_unit(up, ctl.az_rad)[:, 0]
    t_imp, impact, position = reference_flight(
        r0[:, 0], up[:, 0], down, tt.boost_s, tt.mass_ratio, tt.beta_kg_m2, ctl.ve_m_s[0],
        ctl.theta_rad[0],
    )  # fmt: skip
    assert sol.flight.impact_t_s[0] == pytest.approx(t_imp, abs=0.01)
    assert np.linalg.norm(sol.flight.impact_ecef_m[0] - impact) < 1.0
    t = np.array([30.0, tt.boost_s + 50, 0.5 * t_imp, t_imp - 20])
    pos, _ = sample(sol.flight, t[None], OMEGA_EARTH_RAD_S)
    for k, tk in enumerate(t):
        assert np.linalg.norm(pos[0, k] - position(tk)) < 1.0


# --------------------------------------------------------------------------------------------
# Targeting and profiles
# --------------------------------------------------------------------------------------------


def test_targeting_hits_on_the_rotating_earth_and_rotation_matters():
    rng = np.random.default_rng(11)
    n = 12
    lat = 32 + rng.uniform(-2, 2, n)
    lon = 47 + rng.uniform(-2, 2, n)
    alat, alon = 31 + rng.uniform(-0.5, 0.5, n), 35 + rng.uniform(-0.5, 0.5, n)
    veh = Vehicle(np.full(n, 110.0), np.full(n, 4.0), np.full(n, 5000.0))
    sol = solve(lat, lon, alat, alon, veh, np.full(n, 1.8e6))
    assert sol.converged.all() and sol.miss_m.max() < 1.0
    # the same controls on a non-rotating Earth land tens of kilometres away
    still = Vehicle(veh.boost_s, veh.mass_ratio, veh.beta_kg_m2, rotation=False)
    r0, up = launch_frame(lat, lon)
    off = propagate(r0, up, still, sol.controls).impact_ecef_m
    aim = geodetic_to_ecef(alat, alon, np.zeros(n))
    assert np.linalg.norm(off - aim, axis=1).min() > 10e3


def test_min_energy_pitch_needs_least_energy():
    """At the tabulated pitch, +-3 degrees of pitch both need more energy to reach the aim."""
    tt = CATALOG.threat_types["ghadr"]
    alat, alon = aim_at(1500.0)
    veh = Vehicle(np.full(3, tt.boost_s), np.full(3, tt.mass_ratio), np.full(3, tt.beta_kg_m2))
    lat, lon = np.full(3, LAUNCH[0]), np.full(3, LAUNCH[1])
    sol = solve(lat[:1], lon[:1], one(alat), one(alon), _take(veh, 1), one(tt.max_range_m))
    th = sol.controls.theta_rad[0] + np.radians([0.0, -3.0, 3.0])
    ctl, ok, _ = _solve_range(lat, lon, np.full(3, alat), np.full(3, alon), veh, th,
                              np.full(3, sol.controls.ve_m_s[0]))  # fmt: skip
    assert ok.all()
    assert ctl.ve_m_s[1] > ctl.ve_m_s[0] and ctl.ve_m_s[2] > ctl.ve_m_s[0]


def _take(veh: Vehicle, n: int) -> Vehicle:
    return Vehicle(veh.boost_s[:n], veh.mass_ratio[:n], veh.beta_kg_m2[:n])


def test_lofted_and_depressed_profiles():
    tt = CATALOG.threat_types["shahab-3"]
    aim = aim_at(1100.0)
    me = fly(LAUNCH, aim, tt)
    lofted = fly(LAUNCH, aim, tt, profile="lofted", apogee_m=500e3)  # (600 km: beyond its
    # energy, that of a minimum-energy shot to 1.1 x 1,300 km)
    depressed = fly(LAUNCH, aim, tt, profile="depressed", apogee_m=150e3)
    timed = fly(LAUNCH, aim, tt, profile="lofted", flight_time_s=me.flight_time_s + 200)
    assert lofted.apogee_m == pytest.approx(500e3, abs=10.0)
    with pytest.raises(TargetingError, match="within the missile's energy"):
        fly(LAUNCH, aim, tt, profile="lofted", apogee_m=600e3)
    assert depressed.apogee_m == pytest.approx(150e3, abs=10.0)
    assert timed.flight_time_s == pytest.approx(me.flight_time_s + 200, abs=0.05)
    assert depressed.flight_time_s < me.flight_time_s < lofted.flight_time_s
    for rep in (lofted, depressed, timed):
        assert rep.impact_error_m < 1.0
        assert rep.burnout_speed_m_s > me.burnout_speed_m_s  # off-optimum costs energy


def test_launch_starts_at_rest_on_the_ground():
    rep = fly(LAUNCH, aim_at(800.0), CATALOG.threat_types["kheibar-shekan"])
    assert rep.speed_m_s[0] == pytest.approx(0.0, abs=1e-6)
    assert rep.alt_m[0] == pytest.approx(0.0, abs=1e-3)
    d = great_circle_distance_m(rep.lat_deg[0], rep.lon_deg[0], *LAUNCH)
    assert d < 1e-3
    assert abs(rep.alt_m[-1]) < 1.0 and np.all(np.diff(rep.t_s) > 0)


def test_tables_do_not_depend_on_their_batch(monkeypatch):
    """Determinism: a vehicle's minimum-energy table is the same to the bit whether it was
    solved alone or together with another vehicle's (so a warm cache changes nothing)."""
    from shieldwall.threats import targeting

    a = (110.0, 4.0, 3000.0, True, True, 1.3e6)
    b = (70.0, 3.0, 8000.0, True, True, 1.45e6)
    monkeypatch.setattr(targeting, "_TABLES", {})
    alone = targeting._tables([a])[0]
    monkeypatch.setattr(targeting, "_TABLES", {})
    together = targeting._tables([b, a])[1]
    for x, y in zip(alone, together, strict=True):
        assert np.array_equal(x, y)
    # and the tables are sensible: the optimal pitch falls with range, the energy rises
    ranges, theta, ve = alone
    ok = np.isfinite(ve)
    assert ok.sum() >= 10 and ok[-1]  # all but the shortest ranges (lift-off thrust floor)
    assert np.all(np.diff(theta[ok]) < 0) and np.all(np.diff(ve[ok]) > 0)
    assert np.all((np.degrees(theta[ok]) > 20) & (np.degrees(theta[ok]) < 55))


@pytest.mark.parametrize(
    ("aim", "needle"),
    [
        ((33.0, 47.95), "outside what this missile type can fly"),  # 5 km: below the minimum
        ((0.0, -170.0), "beyond this type's"),
    ],  # fmt: skip
)
def test_impossible_shots_are_refused_cleanly(aim, needle):
    """Too short for a full-duration boost, or beyond the type's range: a TargetingError, no
    NaN, no warning (warnings are errors in this suite)."""
    with pytest.raises(TargetingError, match=needle):
        fly(LAUNCH, aim, CATALOG.threat_types["shahab-3"])


def test_weak_boost_is_never_accepted():
    """Energy below the lift-off thrust floor is never used: a too-short shot does not
    "converge" by flying underground (the 3-D miss must be small, not just down/cross-range)."""
    tt = CATALOG.threat_types["shahab-3"]
    veh = Vehicle(one(tt.boost_s), one(tt.mass_ratio), one(tt.beta_kg_m2))
    floor = veh.min_ve_m_s()[0]
    assert floor == pytest.approx(1.2 * 9.80665 * 110 / 0.75)
    r0, up = launch_frame(one(0.0), one(0.0))
    weak = propagate(r0, up, veh, Controls(one(0.3 * floor), one(0.0), one(0.7)))
    assert weak.impact_t_s[0] < tt.boost_s  # it lands during the boost, not below ground
    assert abs(ellipsoid_height_m(weak.impact_ecef_m.T)[0]) < 1.0
