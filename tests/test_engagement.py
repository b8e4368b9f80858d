"""Engagement: shooters and authorities from a scenario, predicted paths against an independent
integrator, engagement windows against hand-solved geometry, the greedy assignment's invariants
and the airspace raster.

References: straight fly-out window ``reaction + d / V <= tau`` (Zarchan, *Tactical and
Strategic Missile Guidance*, ch. 1); two-body motion ``r'' = -mu r / |r|^3`` integrated by
scipy's DOP853 at rtol 1e-12 as the reference for the RK4 prediction.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from shieldwall.engagement import authorities, shooters
from shieldwall.engagement.airspace import AirspaceGrid
from shieldwall.engagement.assign import MIN_PK, Candidates, greedy_assign
from shieldwall.engagement.engage import Engagements
from shieldwall.engagement.feasibility import (
    LOOKAHEAD_S,
    R_BELOW_GROUND_M,
    STEP_S,
    PredictedPaths,
    feasible_windows,
    predict_paths,
)
from shieldwall.engagement.shooters import KIND_BATTERY, KIND_PATROL, Shooters
from shieldwall.geo import ecef_to_geodetic, enu_to_ecef, geodetic_to_ecef
from shieldwall.scenario import ScenarioError, load_scenario
from shieldwall.sharing import ThreatView
from shieldwall.tracking.kalman import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S

SITE = (31.2, 35.0)
REGION = {"lat_min": 31.0, "lat_max": 34.0, "lon_min": 33.5, "lon_max": 36.5}


def _scenario(batteries=(), patrols=(), auths=()):
    return load_scenario(
        {
            "name": "engage-test",
            "region": REGION,
            "nations": [{"id": n, "name": n} for n in ("ISR", "USA", "GBR", "JOR")],
            # a wide asset: the hand-made threats below fly straight at SITE, and with drag a
            # re-entry vehicle falls a few km short; they must stay threats (not open ground)
            "assets": [{"id": "a", "owner": "ISR", "lat_deg": SITE[0], "lon_deg": SITE[1],
                        "radius_m": 20000}],
            "batteries": list(batteries),
            "patrols": list(patrols),
            "authorities": list(auths),
            "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                                 "launch": {"lat_deg": 33.0, "lon_deg": 36.0},
                                 "window_s": [0, 0], "aim": ["a"]}]},
        }
    )  # fmt: skip


def _battery(id_, owner, type_="iron-dome", magazine=20, **kw):
    return {"id": id_, "type": type_, "owner": owner, "lat_deg": SITE[0], "lon_deg": SITE[1],
            "magazine": magazine, **kw}  # fmt: skip


AUTHS = [
    {"nation": "ISR", "classes": ["ballistic", "cruise", "drone"], "airspace": ["any"]},
    {"nation": "USA", "classes": ["ballistic"], "airspace": ["ISR", "INTL"]},
    {"nation": "GBR", "classes": ["drone", "cruise"], "airspace": ["any"],
     "requires_invitation": True, "letters": {"request_s": 500, "ack_s": 1000}},
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Shooters and authorities
# --------------------------------------------------------------------------------------------


def test_shooters_from_scenario():
    sc = _scenario(
        batteries=[_battery("idome", "ISR"), _battery("a3", "ISR", "arrow-3", 6, channels=2)],
        patrols=[{"id": "cap", "type": "f-15e", "owner": "USA", "lat_deg": 32.0, "lon_deg": 35.5,
                  "aircraft": 2, "from_s": 100, "until_s": 5000}],
    )  # fmt: skip
    sh = shooters(sc)
    assert sh.ids == ("idome", "a3", "cap") and sh.n == 3
    np.testing.assert_array_equal(sh.kind, [KIND_BATTERY, KIND_BATTERY, KIND_PATROL])
    np.testing.assert_array_equal(sh.owner, [0, 0, 1])
    # Iron Dome: 4-70 km, 0-10 km altitude, 600 m/s, 5 s reaction, 10 channels, pk per class
    np.testing.assert_allclose(
        [sh.min_range_m[0], sh.max_range_m[0], sh.min_alt_m[0], sh.max_alt_m[0]],
        [4e3, 70e3, 0.0, 10e3],
    )
    assert sh.speed_m_s[0] == 600 and sh.reaction_s[0] == 5 and sh.channels[0] == 10
    np.testing.assert_allclose(sh.pk[0], [0.0, 0.85, 0.9])
    np.testing.assert_allclose(sh.pk[1], [0.8, 0.0, 0.0])
    assert sh.channels[1] == 2 and sh.magazine[1] == 6  # battery override of channels
    # F-15E patrol of 2: radius 150 km, channels 2 x 2, 8 shots x 2 aircraft, on station 100-5000
    assert sh.max_range_m[2] == 150e3 and sh.min_range_m[2] == 0.0
    assert sh.channels[2] == 4 and sh.magazine[2] == 16
    assert sh.from_s[2] == 100 and sh.until_s[2] == 5000
    assert sh.from_s[0] == 0 and sh.until_s[0] == np.inf
    np.testing.assert_allclose(sh.pos_ecef_m[0], geodetic_to_ecef(*SITE, 0.0), atol=1e-6)


def test_authorities_letters_and_missing_entries():
    sc = _scenario(auths=AUTHS)
    au = authorities(sc)
    np.testing.assert_array_equal(
        au.classes,
        [[True, True, True], [True, False, False], [False, True, True], [False, False, False]],
    )
    # no invitation needed: -inf; GBR: max(request 500, ack 1000); JOR (no entry): never
    np.testing.assert_array_equal(au.from_s, [-np.inf, -np.inf, 1000.0, np.inf])
    assert au.airspace[0] is None and au.airspace[2] is None
    assert au.airspace[1] == frozenset({"ISR", "INTL"})
    assert au.airspace[3] == frozenset()


def test_authorities_letters_ack_equal_request():
    auths = [{"nation": "GBR", "classes": ["drone"], "requires_invitation": True,
              "letters": {"request_s": -3600, "ack_s": -3600}}]  # fmt: skip
    assert authorities(_scenario(auths=auths)).from_s[2] == -3600.0


def _drone_picture(n_nations, t_s=0.0, east_m=20e3, speed=50.0, up_m=300.0):
    """Every nation's picture holds one drone ``east_m`` east of the site flying due west."""
    pos = enu_to_ecef(np.array([east_m, 0.0, up_m]), *SITE, 0.0)
    vel = enu_to_ecef(np.array([east_m - speed, 0.0, up_m]), *SITE, 0.0) - pos
    x = np.concatenate([pos, vel])[None]
    P = np.eye(6)[None] * 100.0
    return [
        ThreatView(t_s, np.array([True]), x, P, np.array([0]), np.array([2]))
        for _ in range(n_nations)
    ]


@pytest.mark.parametrize(
    ("owner", "t_s", "fires"),
    [("ISR", 0.0, True), ("GBR", 999.0, False), ("GBR", 1000.0, True), ("JOR", 0.0, False),
     ("JOR", 1e6, False)],
)  # fmt: skip
def test_only_authorised_nations_fire(owner, t_s, fires):
    """The same Iron Dome and the same drone 20 km out: Israel fires at once, Britain only once
    its letters are complete (t >= 1000 s), Jordan (no authority entry) never."""
    sc = _scenario(batteries=[_battery("b", owner)], auths=AUTHS)
    eng = Engagements(sc, seed=1)
    shots = eng.assign(t_s, _drone_picture(4, t_s), np.array([2]), np.array([True]))
    assert (len(shots) == 1) is fires
    if fires:
        # tau* = (5 + 20000 / 600) / (1 + 50 / 600) = 35.4 s -> first 5 s step is 40 s
        assert shots[0].t_intercept_s - t_s == pytest.approx(40.0)
        assert eng.rounds[0] == 19


def test_air_speed_limit_is_one_and_a_half_times_the_fastest_air_breather():
    """Read off the catalog file itself (not through the models): the limit is 1.5 x the
    fastest cruise missile or drone type's speed."""
    from importlib.resources import files

    from ruamel.yaml import YAML

    text = files("shieldwall.scenario.data").joinpath("catalog.yaml").read_text()
    raw = YAML(typ="safe").load(text)["threat_types"]
    speeds = [t["speed_m_s"] for t in raw.values() if t["class"] in ("cruise", "drone")]
    assert load_scenario("tutorial").catalog.air_speed_limit_m_s() == 1.5 * max(speeds)


@pytest.mark.parametrize(
    ("speed", "vel_sigma", "cls", "fires"),
    [(50.0, 10.0, 2, True), (800.0, 10.0, 2, False), (800.0, 10.0, 1, True),
     (800.0, 300.0, 2, True), (350.0, 10.0, 1, True)],
)  # fmt: skip
def test_no_shot_on_a_drone_track_surely_faster_than_any_air_breather(speed, vel_sigma, cls, fires):
    """A track called drone that is surely (speed - 2 sigma) faster than the catalog's
    air-breathing limit (360 m/s here) has a made-up velocity: Iron Dome leaves it. At 800 +-
    300 m/s it may be slower than the limit, at 350 m/s it is: both are engaged; so is a track
    called cruise at 800 m/s (the node calls such a track cruise only when it is real)."""
    sc = _scenario(batteries=[_battery("b", "ISR")], auths=AUTHS)
    assert sc.catalog.air_speed_limit_m_s() == pytest.approx(360.0)
    views = _drone_picture(4, 0.0, east_m=60e3, speed=speed)
    for v in views:
        v.P[0, 3:, 3:] = np.eye(3) * vel_sigma**2
        v.cls[0] = cls
    shots = Engagements(sc, seed=1).assign(0.0, views, np.array([2]), np.array([True]))
    assert (len(shots) == 1) is fires


@pytest.mark.parametrize(("seen_s", "fires"), [(None, True), (-20.0, True), (-20.5, False)])
def test_no_shot_on_a_track_not_seen_lately(seen_s, fires):
    """``sim.engage_max_age_s`` (20 s): a track whose latest detection is older draws no fire
    (the missile may have broken up); one seen 20 s ago, or with no detection time, does."""
    sc = _scenario(batteries=[_battery("b", "ISR")], auths=AUTHS)
    assert sc.sim.engage_max_age_s == 20.0
    views = _drone_picture(4, 0.0)
    if seen_s is not None:
        views = [replace(v, seen_s=np.array([seen_s])) for v in views]
    shots = Engagements(sc, seed=1).assign(0.0, views, np.array([2]), np.array([True]))
    assert (len(shots) == 1) is fires


def test_made_up_velocity_only_for_drone_tracks_surely_too_fast():
    """A ballistic track at 2 km/s is not made up; a drone at 900 +- 5 m/s is; a drone at 60
    m/s is not; nor one at 400 +- 30 m/s (400 - 60 < 360); nor a track called cruise at 900
    m/s (the node calls a track that fast cruise only when it dives or was first seen high)."""
    from shieldwall.engagement.rows import made_up_velocity

    x = np.zeros((5, 6))
    x[:, :3] = enu_to_ecef(np.zeros(3), *SITE, 0.0)
    x[:, 3] = [2000.0, 900.0, 60.0, 400.0, 900.0]
    P = np.broadcast_to(np.eye(6) * 25.0, (5, 6, 6)).copy()
    P[3, 3:, 3:] = np.eye(3) * 30.0**2
    pic = ThreatView(0.0, np.ones(5, bool), x, P, np.zeros(5, int), np.array([0, 2, 2, 2, 1]))
    np.testing.assert_array_equal(made_up_velocity(pic, np.arange(5), 360.0),
                                  [False, True, False, False, False])  # fmt: skip
    np.testing.assert_array_equal(made_up_velocity(pic, np.array([1, 2]), 360.0), [True, False])


def test_a_steep_diver_the_node_calls_cruise_is_fit_to_fire_on():
    """A low track diving at 45 degrees at 900 m/s (a ballistic missile first seen in its
    dive, known to fly at 900 m/s by +-5 m/s) is called cruise by the node's classifier with
    the catalog's limit (steep), and the engagement finds its velocity not made up; the same
    speed level is called drone and is made up (the classifier and the test agree)."""
    from shieldwall.engagement.rows import made_up_velocity
    from shieldwall.tracking.frame import classify

    ecef = lambda enu: enu_to_ecef(np.asarray(enu), *SITE, 0.0)  # noqa: E731
    x = np.zeros((2, 6))
    x[:, :3] = ecef([0.0, 0.0, 8000.0])
    x[0, 3:] = ecef([636.4, 0.0, 8000.0 - 636.4]) - x[0, :3]  # 900 m/s, 45 degrees down
    x[1, 3:] = ecef([900.0, 0.0, 8000.0]) - x[1, :3]  # 900 m/s level
    P = np.broadcast_to(np.diag([100.0] * 3 + [25.0] * 3), (2, 6, 6)).copy()
    cls = classify(x, P, speed_test=np.array([False, False]), cruise_max_m_s=360.0)
    np.testing.assert_array_equal(cls, [1, 2])
    pic = ThreatView(0.0, np.ones(2, bool), x, P, np.zeros(2, int), cls)
    np.testing.assert_array_equal(made_up_velocity(pic, np.arange(2), 360.0), [False, True])


# --------------------------------------------------------------------------------------------
# Predicted paths
# --------------------------------------------------------------------------------------------


def test_airbreather_paths_hold_height_along_their_heading():
    """Cruise/drone prediction: constant speed along the heading, geocentric radius held (so
    the altitude stays put instead of climbing d^2 / 2R above the curving Earth)."""
    x = np.array([[4.0e6, 3.0e6, 3.5e6, 100.0, -200.0, 30.0],
                  [4.1e6, 3.1e6, 3.3e6, -40.0, 10.0, 0.0]])  # fmt: skip
    paths = predict_paths(x, np.array([False, False]))
    line = x[:, None, :3] + LOOKAHEAD_S[None, :, None] * x[:, None, 3:]
    r0 = np.linalg.norm(x[:, :3], axis=1)
    np.testing.assert_allclose(
        np.linalg.norm(paths.pos_ecef_m, axis=2), r0[:, None] + 0 * line[..., 0], rtol=1e-12
    )
    # the direction from the centre is the straight line's: within 1 m of the radial projection
    unit = line / np.linalg.norm(line, axis=2, keepdims=True)
    np.testing.assert_allclose(paths.pos_ecef_m, unit * r0[:, None, None], atol=1e-6)
    assert paths.pos_ecef_m.shape == (2, 120, 3)
    assert LOOKAHEAD_S[0] == STEP_S and LOOKAHEAD_S[-1] == 600.0


def _two_body_reference(x0):
    """Two-body motion seen from the rotating Earth: gravity, Coriolis, centrifugal."""
    w = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])

    def rhs(_, y):
        r, v = y[:3], y[3:]
        a = -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3 - 2 * np.cross(w, v)
        return np.concatenate([v, a - np.cross(w, np.cross(w, r))])

    sol = solve_ivp(rhs, (0.0, LOOKAHEAD_S[-1]), x0, method="DOP853", t_eval=LOOKAHEAD_S,
                    rtol=1e-12, atol=1e-6)  # fmt: skip
    assert sol.success
    return sol.y[:3].T


def test_ballistic_paths_follow_two_body_gravity():
    """An RV at 150 km altitude moving 2.5 km/s west and 0.8 km/s up, and one near apogee of
    a long arc: the RK4 prediction stays within 1 m of DOP853 (rtol 1e-12) over 600 s, or
    until the path is surely underground."""
    states = []
    for lat, lon, alt, v_enu in (
        (32.0, 42.0, 150e3, (-2500.0, 0.0, 800.0)),
        (33.0, 40.0, 400e3, (-1500.0, -1500.0, 0.0)),
    ):
        p = geodetic_to_ecef(lat, lon, alt)
        v = enu_to_ecef(np.array(v_enu), lat, lon, alt) - p
        states.append(np.concatenate([p, v]))
    x = np.array(states)
    paths = predict_paths(x, np.array([True, True]))
    for i in range(2):
        ref = _two_body_reference(x[i])
        # compared until the reference is surely underground (the prediction stops there)
        above = np.linalg.norm(ref, axis=1) >= R_BELOW_GROUND_M
        err = np.linalg.norm(paths.pos_ecef_m[i] - ref, axis=1)[above]
        assert err.max() < 1.0, err.max()
        # the path is not a straight line: gravity moved it by kilometres
        straight = x[i, :3] + LOOKAHEAD_S[:, None] * x[i, 3:]
        assert np.linalg.norm(ref[-1] - straight[-1]) > 100e3
    # the first RV comes down within the look-ahead: airborne turns false and stays false
    air = paths.airborne[0]
    assert air[0] and not air[-1]
    k = np.argmin(air)
    assert not air[k:].any() and air[:k].all()
    _, _, alt_ref = pymap3d.ecef2geodetic(*paths.pos_ecef_m[0].T)
    assert alt_ref[k - 1] > 0 and alt_ref[k] <= 0


# --------------------------------------------------------------------------------------------
# Engagement windows
# --------------------------------------------------------------------------------------------


def _shooter(min_range=0.0, max_range=1e6, min_alt=0.0, max_alt=1e6, speed=1000.0,
             reaction=10.0, pk=(0.0, 0.9, 0.9)) -> Shooters:  # fmt: skip
    def a(v):
        return np.array([v], dtype=float)

    return Shooters(
        ids=("s",), type_ids=("t",), kind=np.array([0], dtype=np.int8),
        owner=np.array([0], dtype=np.int32), lat_deg=a(SITE[0]), lon_deg=a(SITE[1]),
        pos_ecef_m=geodetic_to_ecef(*SITE, 0.0)[None], min_range_m=a(min_range),
        max_range_m=a(max_range), min_alt_m=a(min_alt), max_alt_m=a(max_alt), speed_m_s=a(speed),
        reaction_s=a(reaction), pk=np.array([pk], dtype=float), cost_usd=a(1e5),
        channels=np.array([4]), magazine=np.array([10]), from_s=a(0.0), until_s=a(np.inf),
    )  # fmt: skip


D0, SPEED = 60e3, 310.0


def _inbound_paths(n=1):
    """A threat 60 km from the battery on a 3 deg line of sight, flying straight at it at
    310 m/s (ECEF straight line through the battery): d(tau) = 60,000 - 310 tau, arriving at
    193.5 s."""
    b = geodetic_to_ecef(*SITE, 0.0)
    el = math.radians(3.0)
    start = enu_to_ecef(np.array([D0 * math.cos(el), 0.0, D0 * math.sin(el)]), *SITE, 0.0)
    u = (start - b) / np.linalg.norm(start - b)
    pos = b + u * D0 - u * SPEED * LOOKAHEAD_S[:, None]
    pos = np.repeat(pos[None], n, axis=0)
    lat, lon, alt = ecef_to_geodetic(pos)
    airborne = np.logical_and.accumulate(alt > 0.0, axis=1)
    return PredictedPaths(pos, lat, lon, alt, airborne)


def _steps(mask):
    return LOOKAHEAD_S[mask]


def test_first_feasible_step_matches_analytic_solution():
    # reaction + d(tau) / V <= tau  <=>  tau >= (10 + 60) / (1 + 310 / 1000) = 53.44 s
    tau_star = (10.0 + D0 / 1000.0) / (1.0 + SPEED / 1000.0)
    assert tau_star == pytest.approx(53.435, abs=1e-3)
    w = feasible_windows(_shooter(), np.array([0]), _inbound_paths(), np.array([2]), slack_s=1e9)
    assert w.shape == (1, 1, 120)
    steps = _steps(w[0, 0])
    assert steps[0] == math.ceil(tau_star / STEP_S) * STEP_S == 55.0
    assert steps[0] - tau_star < STEP_S
    # feasible until the threat reaches the battery (193.5 s): last airborne step is 190 s
    np.testing.assert_array_equal(steps, np.arange(55.0, 191.0, 5.0))


def test_min_range_and_slack_respected():
    # min range 5 km: d = 60000 - 310 tau >= 5000  <=>  tau <= 177.4 s
    w = feasible_windows(_shooter(min_range=5e3), np.array([0]), _inbound_paths(), np.array([1]),
                         slack_s=1e9)  # fmt: skip
    assert _steps(w[0, 0])[-1] == 175.0
    # max range 30 km: d <= 30000 <=> tau >= 96.8 s (later than the fly-out bound)
    w = feasible_windows(_shooter(max_range=30e3), np.array([0]), _inbound_paths(),
                         np.array([1]), slack_s=1e9)  # fmt: skip
    assert _steps(w[0, 0])[0] == 100.0
    # default slack 10 s: 0 <= 1.31 tau - 70 <= 10  <=>  53.44 <= tau <= 61.07
    w = feasible_windows(_shooter(), np.array([0]), _inbound_paths(), np.array([1]))
    np.testing.assert_array_equal(_steps(w[0, 0]), [55.0, 60.0])


def test_altitude_band_respected():
    paths = _inbound_paths()
    _, _, alt = pymap3d.ecef2geodetic(*paths.pos_ecef_m[0].T)  # independent geodetic heights
    lo, hi = 500.0, 2500.0
    w = feasible_windows(_shooter(min_alt=lo, max_alt=hi), np.array([0]), paths, np.array([2]),
                         slack_s=1e9)[0, 0]  # fmt: skip
    assert w.any()
    assert np.all((alt[w] >= lo) & (alt[w] <= hi))
    # steps that pass the fly-out bound and are airborne but outside the band are refused
    flyout_ok = (LOOKAHEAD_S >= 53.44) & (LOOKAHEAD_S <= 190.0)
    outside = flyout_ok & ((alt < lo - 1.0) | (alt > hi + 1.0))
    assert outside.sum() >= 5 and not w[outside].any()
    inside = flyout_ok & (alt > lo + 1.0) & (alt < hi - 1.0)
    assert w[inside].all()


def test_zero_pk_class_never_feasible():
    paths = _inbound_paths(3)
    w = feasible_windows(_shooter(pk=(0.0, 0.0, 0.9)), np.array([0]), paths,
                         np.array([0, 1, 2]), slack_s=1e9)  # fmt: skip
    assert not w[0, 0].any() and not w[0, 1].any()
    assert w[0, 2].any()


# --------------------------------------------------------------------------------------------
# Greedy assignment
# --------------------------------------------------------------------------------------------


def _cand(rows):
    """rows: (shooter, threat, first, last, pk, cost_usd)."""
    cols = list(zip(*rows, strict=True))
    return Candidates(
        np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64),
        np.array(cols[2], dtype=np.int64), np.array(cols[3], dtype=np.int64),
        np.array(cols[4], dtype=float), np.array(cols[5], dtype=float),
    )  # fmt: skip


def test_best_score_wins():
    # score = pk - 0.02 cost/1e6: 0.90 - 0.07 = 0.83 (Arrow-class) < 0.85 - 0.001 = 0.849
    cand = _cand([(0, 0, 3, 20, 0.90, 3.5e6), (1, 0, 5, 20, 0.85, 5e4)])
    assert greedy_assign(cand, np.array([5, 5]), np.array([2, 2])) == [(1, 0, 5)]


def test_tie_goes_to_earliest_intercept():
    cand = _cand([(0, 0, 9, 20, 0.8, 1e5), (1, 0, 4, 20, 0.8, 1e5), (2, 0, 6, 20, 0.8, 1e5)])
    assert greedy_assign(cand, np.ones(3, dtype=np.int64), np.ones(3, dtype=np.int64)) == [
        (1, 0, 4)
    ]


def test_most_urgent_threat_served_first():
    """One round left: threat 1 (last feasible step 6) is served before threat 0 (step 30),
    though threat 0 has the better score and the lower index."""
    cand = _cand([(0, 0, 2, 30, 0.95, 0.0), (0, 1, 2, 6, 0.5, 0.0)])
    assert greedy_assign(cand, np.array([1]), np.array([4])) == [(0, 1, 2)]
    # with two rounds both are served, the urgent one first
    assert greedy_assign(cand, np.array([2]), np.array([4])) == [(0, 1, 2), (0, 0, 2)]


def test_min_pk_and_empty():
    cand = _cand([(0, 0, 1, 5, MIN_PK - 0.01, 0.0)])
    assert greedy_assign(cand, np.array([5]), np.array([5])) == []
    assert greedy_assign(Candidates.concat([]), np.array([5]), np.array([5])) == []
    cand = _cand([(0, 0, 1, 5, MIN_PK, 0.0)])
    assert greedy_assign(cand, np.array([5]), np.array([5])) == [(0, 0, 1)]


def test_assign_leaves_inputs_unmodified():
    cand = _cand([(0, 0, 1, 5, 0.9, 0.0), (0, 1, 1, 5, 0.9, 0.0)])
    rounds, free = np.array([3]), np.array([3])
    greedy_assign(cand, rounds, free)
    assert rounds[0] == 3 and free[0] == 3


@st.composite
def assignment_problems(draw):
    n_sh = draw(st.integers(1, 5))
    n_th = draw(st.integers(1, 8))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n_sh - 1), st.integers(0, n_th - 1)), max_size=30,
                 unique=True)
    )  # fmt: skip
    rows = []
    for s, j in pairs:
        first = draw(st.integers(0, 100))
        last = draw(st.integers(first, 119))
        pk = draw(st.floats(0.0, 1.0))
        cost = draw(st.sampled_from([5e4, 1e6, 3.5e6, 1.2e7]))
        rows.append((s, j, first, last, pk, cost))
    rounds = np.array(draw(st.lists(st.integers(0, 3), min_size=n_sh, max_size=n_sh)))
    free = np.array(draw(st.lists(st.integers(0, 3), min_size=n_sh, max_size=n_sh)))
    return rows, rounds, free


@settings(max_examples=200, deadline=None)
@given(assignment_problems())
def test_greedy_assign_invariants(problem):
    rows, rounds, free = problem
    cand = _cand(rows) if rows else Candidates.concat([])
    shots = greedy_assign(cand, rounds, free)
    used = np.bincount([s for s, _, _ in shots], minlength=rounds.size)
    # never beyond magazine or free channels
    assert np.all(used <= rounds) and np.all(used <= free)
    # one shot per threat
    threats = [j for _, j, _ in shots]
    assert len(threats) == len(set(threats))
    by_pair = {(r[0], r[1]): r for r in rows}
    for s, j, k in shots:
        r = by_pair[(s, j)]  # only candidate pairs
        assert r[4] >= MIN_PK and k == r[2]  # at the pair's earliest intercept
        assert r[4] - 0.02 * r[5] / 1e6 > 0  # worth its cost
    # greedy is maximal: no unserved threat has a usable candidate with capacity left
    cap = np.minimum(rounds, free) - used
    served = set(threats)
    for s, j, _, _, pk, c in rows:
        assert j in served or pk < MIN_PK or pk - 0.02 * c / 1e6 <= 0 or cap[s] <= 0
    # each served threat got the best-scoring shooter among those still available when it
    # was served; at least, no unused-capacity shooter scores higher for it
    for s, j, _ in shots:
        best = by_pair[(s, j)][4] - 0.02 * by_pair[(s, j)][5] / 1e6
        for s2, j2, _, _, pk2, c2 in rows:
            if j2 == j and pk2 >= MIN_PK and cap[s2] > 0:
                assert pk2 - 0.02 * c2 / 1e6 <= best + 1e-12


# --------------------------------------------------------------------------------------------
# Airspace
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid():
    return AirspaceGrid(REGION["lat_min"], REGION["lat_max"], REGION["lon_min"],
                        REGION["lon_max"])  # fmt: skip


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [(32.08, 34.78, "ISR"), (31.95, 35.93, "JOR"), (33.5, 33.0, "INTL"), (33.51, 36.29, "SYR"),
     (33.87, 35.55, "LBN"), (10.0, 10.0, "INTL")],
)  # fmt: skip
def test_airspace_lookup_cities(grid, lat, lon, code):
    """Tel Aviv, Amman, the Eastern Mediterranean, Damascus, east Beirut (the city centre,
    33.89 N 35.50 E, lies just off the simplified coastline: exactly, that is sea); a point
    off the grid."""
    assert grid.codes[grid.lookup(np.array([lat]), np.array([lon]))][0] == code


def test_airspace_allowed_mask(grid):
    pts = grid.lookup(np.array([32.08, 31.95, 33.5]), np.array([34.78, 35.93, 33.0]))
    allowed = grid.allowed_mask(frozenset({"ISR", "INTL"}))
    np.testing.assert_array_equal(allowed[pts], [True, False, True])
    assert allowed[-1] == np.False_  # missing-code index -1


# --------------------------------------------------------------------------------------------
# Regression tests for two defects found in review (cost indexing, merged authorities)
# --------------------------------------------------------------------------------------------


def _isr_layered(batteries_first_usa):
    usa = _battery("thaad-usa", "USA", "thaad", 8)
    isr = [_battery("idome", "ISR"), _battery("sling", "ISR", "davids-sling", 8)]
    bats = [usa, *isr] if batteries_first_usa else [*isr, usa]
    return _scenario(batteries=bats, auths=AUTHS)


def _chosen_type(sc):
    eng = Engagements(sc, seed=1)
    shots = eng.assign(0.0, _drone_picture(4), np.array([2]), np.array([True]))
    assert len(shots) == 1
    return eng.shooters.type_ids[shots[0].shooter]


def test_cheaper_better_battery_chosen_when_nation_owns_first_shooters():
    """Iron Dome (pk 0.9, $50k: score 0.899) beats David's Sling (pk 0.8, $1M: score 0.78)."""
    assert _chosen_type(_isr_layered(batteries_first_usa=False)) == "iron-dome"


def test_cheaper_better_battery_chosen_whatever_the_shooter_order():
    """Same defence with a US THAAD listed first: the choice must not change. With the bug the
    Iron Dome is scored with THAAD's $12.5M (0.9 - 0.25 = 0.65) and loses to the Sling."""
    assert _chosen_type(_isr_layered(batteries_first_usa=True)) == "iron-dome"


def _rv_picture(n_nations):
    """A re-entry vehicle 40 km east of the site at 20 km altitude, diving at it at 1.5 km/s."""
    pos_enu = np.array([40e3, 0.0, 20e3])
    pos = enu_to_ecef(pos_enu, *SITE, 0.0)
    vel = enu_to_ecef(pos_enu * (1 - 1500.0 / np.linalg.norm(pos_enu)), *SITE, 0.0) - pos
    x = np.concatenate([pos, vel])[None]
    P = np.eye(6)[None] * 100.0
    return [
        ThreatView(0.0, np.array([True]), x, P, np.array([0]), np.array([0]))
        for _ in range(n_nations)
    ]


def _gbr_sling_shots(auths):
    sc = _scenario(batteries=[_battery("sling", "GBR", "davids-sling", 8)], auths=auths)
    eng = Engagements(sc, seed=1)
    return eng.assign(0.0, _rv_picture(4), np.array([0]), np.array([True]))


LETTERS_LATE = {"request_s": 0, "ack_s": 10000}


def test_ballistic_shot_waits_for_letters():
    ok = [{"nation": "GBR", "classes": ["ballistic"], "requires_invitation": True,
           "letters": {"request_s": -200, "ack_s": -100}}]  # fmt: skip
    assert len(_gbr_sling_shots(ok)) == 1
    late = [{"nation": "GBR", "classes": ["ballistic"], "requires_invitation": True,
             "letters": LETTERS_LATE}]  # fmt: skip
    assert _gbr_sling_shots(late) == []


def test_second_authority_entry_is_rejected_not_merged():
    """Merging two entries of one nation would let a drone-only entry without letters lift the
    letters requirement of its ballistic entry; the scenario is refused instead."""
    from shieldwall.scenario import ScenarioError

    auths = [
        {"nation": "GBR", "classes": ["drone"]},
        {"nation": "GBR", "classes": ["ballistic"], "requires_invitation": True,
         "letters": LETTERS_LATE},
    ]  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        _gbr_sling_shots(auths)
    assert any("authorities.1.nation" in p for p in err.value.problems)


# --------------------------------------------------------------------------------------------
# Reserve policy and cost weight (assignment issue)
# --------------------------------------------------------------------------------------------


def test_reserve_rounds_only_for_ballistic_tracks():
    """A David's Sling with 2 rounds, both in reserve: it lets a drone pass but fires at a
    re-entry vehicle; with one round above the reserve it fires at the drone too."""
    auths = [{"nation": "ISR", "classes": ["ballistic", "cruise", "drone"]}]
    kept = _scenario(batteries=[_battery("s", "ISR", "davids-sling", 2, reserve=2)], auths=auths)
    assert Engagements(kept, seed=1).assign(0.0, _drone_picture(4), np.array([2]),
                                            np.array([True])) == []  # fmt: skip
    shots = Engagements(kept, seed=1).assign(0.0, _rv_picture(4), np.array([0]),
                                             np.array([True]))  # fmt: skip
    assert len(shots) == 1
    spare = _scenario(batteries=[_battery("s", "ISR", "davids-sling", 3, reserve=2)], auths=auths)
    assert len(Engagements(spare, seed=1).assign(0.0, _drone_picture(4), np.array([2]),
                                                 np.array([True]))) == 1  # fmt: skip


def test_reserve_above_magazine_is_a_clear_error():
    with pytest.raises(ScenarioError, match=r"reserve \(5\) exceeds magazine \(2\)"):
        _scenario(batteries=[_battery("s", "ISR", "davids-sling", 2, reserve=5)], auths=AUTHS)


def test_cost_weight_zero_takes_the_better_pk_whatever_its_price():
    """Score pk - w cost/US$1M: at w = 0.02 the US$50k pk 0.85 beats the US$3.5M pk 0.90;
    at w = 0 the better kill probability wins."""
    cand = _cand([(0, 0, 3, 20, 0.90, 3.5e6), (1, 0, 5, 20, 0.85, 5e4)])
    rounds, free = np.array([5, 5]), np.array([2, 2])
    assert greedy_assign(cand, rounds, free) == [(1, 0, 5)]
    assert greedy_assign(cand, rounds, free, cost_weight=0.0) == [(0, 0, 3)]


def test_explain_names_airspace_when_every_window_lies_outside_it():
    """Two David's Slings at the same site see the same re-entry vehicle: Israel's fires; the
    US one, allowed to fire only over Saudi airspace, is recorded as barred by airspace (not
    as out of its window)."""
    import json

    auths = [{"nation": "ISR", "classes": ["ballistic"], "airspace": ["any"]},
             {"nation": "USA", "classes": ["ballistic"], "airspace": ["SAU"]}]  # fmt: skip
    sc = _scenario(batteries=[_battery("isr", "ISR", "davids-sling", 8),
                              _battery("usa", "USA", "davids-sling", 8)], auths=auths)  # fmt: skip
    shots = Engagements(sc, seed=1).assign(0.0, _rv_picture(4), np.array([0]), np.array([True]))
    assert [s.nation for s in shots] == [0]
    status = {c["unit"]: c["status"] for c in json.loads(shots[0].candidates)}
    assert status["isr"] == "chosen"
    assert status["usa"] == "no airspace (its only windows lie where it may not fire)"
