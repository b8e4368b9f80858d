"""Threat evaluation: the fall to the ground against an independent integrator, the unscented
impact covariance against Monte Carlo, the circular coverage function against Monte Carlo, and
air-breathers' closest approach worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import ncx2

from shieldwall.engagement.coast import coast_together, fall, gravity_path, norm2
from shieldwall.engagement.evaluate import (
    BETA_LOG_SIGMA,
    BETA_NOMINAL_KG_M2,
    Assets,
    ballistic_impact,
    disc_probability,
    evaluate,
    fall_to_ground,
)
from shieldwall.engagement.open_ground import REDECIDE_S
from shieldwall.geo import ecef_delta_to_enu, ecef_to_geodetic, enu_to_ecef, geodetic_to_ecef
from shieldwall.threats.flight import ellipsoid_height_m
from shieldwall.tracking.kalman import gravity_ecef

SITE = (31.2, 35.0)  # lat, lon of a notional defended site


def _rv(east_km, alt_km, v_enu):
    """A re-entry state ``east_km`` east of SITE at ``alt_km`` with velocity ``v_enu``."""
    p = enu_to_ecef(np.array([east_km * 1e3, 0.0, alt_km * 1e3]), *SITE, 0.0)
    v = enu_to_ecef(np.array([east_km * 1e3, 0.0, alt_km * 1e3]) + np.asarray(v_enu), *SITE,
                    0.0) - p  # fmt: skip
    return np.concatenate([p, v])


def _reference_fall(x0, beta=None):
    def rhs(_, y):
        a = gravity_ecef(y[None, :3], y[None, 3:])[0]
        if beta is not None:
            rho = 1.225 * np.exp(-max(ellipsoid_height_m(y[:3, None])[0], 0.0) / 7160.0)
            a = a - rho * np.linalg.norm(y[3:]) * y[3:] / (2.0 * beta)
        return np.concatenate([y[3:], a])

    def ground(_, y):
        return ellipsoid_height_m(y[:3, None])[0]

    ground.terminal, ground.direction = True, -1
    sol = solve_ivp(rhs, (0, 2000), x0, method="DOP853", rtol=1e-11, atol=1e-6, events=ground)
    return sol.y_events[0][0][:3], sol.t_events[0][0]


@pytest.mark.parametrize(
    ("east_km", "alt_km", "v_enu"),
    [(150.0, 120.0, (-2000.0, 0.0, -800.0)), (60.0, 40.0, (-1500.0, 300.0, -1500.0)),
     (300.0, 250.0, (-2500.0, -100.0, 500.0))],
)  # fmt: skip
def test_fall_to_ground_matches_an_independent_integrator(east_km, alt_km, v_enu):
    """RK4 at 5 s with a linear height crossing lands within 60 m and 0.1 s of DOP853
    (rtol 1e-11) stopped exactly at the ellipsoid, in vacuum and with drag (beta 3,000; the
    time within 0.3 s there, as the last, decelerating step is not straight)."""
    x0 = _rv(east_km, alt_km, v_enu)
    for beta in (None, 3000.0):
        impact, t = fall_to_ground(x0[None], None if beta is None else np.array([beta]))
        ref_p, ref_t = _reference_fall(x0, beta)
        assert np.linalg.norm(impact[0] - ref_p) < 60.0
        assert t[0] == pytest.approx(ref_t, abs=0.1 if beta is None else 0.3)
    # drag shortens the fall by most of a kilometre or more: the defense must model it
    assert np.linalg.norm(fall_to_ground(x0[None])[0][0] - ref_p) > 500.0


def test_unscented_impact_covariance_matches_monte_carlo():
    """A re-entry vehicle with 200 m / 20 m/s track errors and an unknown ballistic
    coefficient: the UT's east-north impact covariance agrees with 4,000 propagated samples
    within 15 % of the trace (sample error ~3 %, the rest the UT's second-order truncation of
    the log-normal drag)."""
    rng = np.random.default_rng(1)
    x0 = _rv(120.0, 80.0, (-2200.0, 100.0, -900.0))
    A = rng.standard_normal((6, 6))
    P = np.diag([200.0] * 3 + [20.0] * 3) ** 2 * 0.7 + 0.3 * (A @ A.T) * np.diag(
        [200.0] * 3 + [20.0] * 3) ** 2 / 6  # fmt: skip
    P = 0.5 * (P + P.T)
    lat, lon, cov, ttg = ballistic_impact(x0[None], P[None])
    samples = rng.multivariate_normal(x0, P, 4000)
    beta = BETA_NOMINAL_KG_M2 * np.exp(BETA_LOG_SIGMA * rng.standard_normal(4000))
    imp, _ = fall_to_ground(samples, beta)
    mean = geodetic_to_ecef(lat[0], lon[0], 0.0)
    en = ecef_delta_to_enu(imp - mean, lat[0], lon[0])[:, :2]
    mc = np.cov(en.T)
    scale = np.trace(mc)
    assert np.abs(cov[0] - mc).max() < 0.15 * scale
    assert np.linalg.norm(en.mean(axis=0)) < 0.1 * np.sqrt(scale)
    assert 0 < ttg[0] < 200


@pytest.mark.parametrize(
    "S",
    [
        np.diag([900.0**2, 900.0**2]),
        np.diag([1500.0**2, 500.0**2]),
        np.array([[4e6, 1.9e6], [1.9e6, 1e6]]),
        np.diag([30.0**2, 20.0**2]),
    ],
)
def test_disc_probability_against_monte_carlo(S):
    """Isotropic (where the noncentral chi-square law is exact), 3:1, correlated and tiny
    ellipses, disc of 1 km at several offsets: within 0.005 of 400,000 samples."""
    rng = np.random.default_rng(2)
    z = rng.multivariate_normal([0.0, 0.0], S, 400_000)
    for c in ((0.0, 0.0), (800.0, 300.0), (2500.0, 0.0), (-1200.0, 1500.0), (900.0, 0.0)):
        mc = np.mean(np.hypot(z[:, 0] - c[0], z[:, 1] - c[1]) <= 1000.0)
        got = disc_probability(np.array(c), S, np.array(1000.0))
        assert got == pytest.approx(mc, abs=0.005), (S, c)
    if S[0, 1] == 0 and S[0, 0] == S[1, 1]:
        s2 = S[0, 0]
        exact = ncx2.cdf(1000.0**2 / s2, 2, 800.0**2 / s2)
        assert disc_probability(np.array([800.0, 0.0]), S, np.array(1000.0)) == pytest.approx(
            exact, abs=1e-4)  # fmt: skip


def _assets(*points_km):
    lat, lon = [], []
    for e, n in points_km:
        la, lo, _ = ecef_to_geodetic(enu_to_ecef(np.array([e * 1e3, n * 1e3, 0.0]), *SITE, 0.0))
        lat.append(float(la))
        lon.append(float(lo))
    k = len(points_km)
    return Assets(np.array(lat), np.array(lon), np.full(k, 2000.0), np.arange(1.0, k + 1))


def test_drone_closest_approach_by_hand():
    """A drone 50 km east of asset 0 flying west at 50 m/s: CPA in 1,000 s, dead on. With
    100 m and 2 m/s per axis the horizontal sigma there is sqrt(100^2 + (1000 x 2)^2) on both
    axes, so P = 1 - exp(-r^2 / 2 sigma^2) (r = 2 km); asset 1, 30 km north of the route, is
    safe."""
    x = _rv(50.0, 0.3, (-50.0, 0.0, 0.0))
    P = np.diag([100.0] * 3 + [2.0] * 3) ** 2
    ev = evaluate(x[None], P[None], np.array([2]), _assets((0, 0), (0, 30)))
    assert ev.time_to_go_s[0] == pytest.approx(1000.0, rel=1e-3)
    sigma2 = 100.0**2 + 2000.0**2
    assert ev.p_hit[0, 0] == pytest.approx(1.0 - np.exp(-(2000.0**2) / (2 * sigma2)), rel=2e-3)
    assert ev.p_hit[0, 1] < 1e-6
    assert ev.asset[0] == 0 and not ev.open_ground[0]
    assert ev.value[0] == pytest.approx(1.0 * 0.4 * ev.p_hit[0, 0])


def test_ballistic_open_ground_and_threat():
    """The same re-entry vehicle threatens an asset at its impact point and leaves one 30 km
    away alone."""
    x = _rv(100.0, 60.0, (-1800.0, 0.0, -1200.0))
    impact, _ = fall_to_ground(x[None])
    la, lo, _ = ecef_to_geodetic(impact[0])
    P = (np.diag([150.0] * 3 + [15.0] * 3) ** 2)[None]
    on = Assets(np.array([la]), np.array([lo]), np.array([2000.0]), np.array([10.0]))
    off = _assets((float(ecef_delta_to_enu(impact[0] - geodetic_to_ecef(*SITE, 0.0), *SITE)[0]
                         / 1e3) + 30.0, 0.0))  # fmt: skip
    hit = evaluate(x[None], P, np.array([0]), on)
    miss = evaluate(x[None], P, np.array([0]), off)
    assert hit.p_hit[0, 0] > 0.5 and hit.asset[0] == 0 and not hit.open_ground[0]
    assert hit.value[0] == pytest.approx(10.0 * hit.p_hit[0, 0])
    assert miss.open_ground[0] and miss.value[0] < 0.01


def _two_falling_vehicles():
    """Engagements of the tutorial and one nation's view of two re-entry vehicles falling
    straight down from 100 km at 1 km/s: one over Nevatim (a defended asset), one over empty
    desert 40 km away."""
    from shieldwall.engagement import Engagements
    from shieldwall.scenario import load_scenario
    from shieldwall.sharing import ThreatView

    sc = load_scenario("tutorial")
    nevatim = next(a for a in sc.assets if a.id == "nevatim")
    rows = []
    for east_km in (0.0, 40.0):
        p = enu_to_ecef(np.array([east_km * 1e3, -40e3 * (east_km > 0), 100e3]),
                        nevatim.lat_deg, nevatim.lon_deg, 0.0)  # fmt: skip
        v = enu_to_ecef(np.array([east_km * 1e3, -40e3 * (east_km > 0), 99e3]),
                        nevatim.lat_deg, nevatim.lon_deg, 0.0) - p  # fmt: skip
        rows.append(np.concatenate([p, v]))  # 1 km/s straight down
    x = np.array(rows)
    P = np.broadcast_to(np.diag([100.0] * 3 + [10.0] * 3) ** 2, (2, 6, 6)).copy()
    view = ThreatView(0.0, np.array([True, True]), x, P, np.array([0, 0]), np.array([0, 0]))
    return Engagements(sc, seed=1), view


def test_engagement_leaves_a_missile_falling_on_open_ground_alone():
    """Of two re-entry vehicles (:func:`_two_falling_vehicles`) the one over Nevatim is kept
    for engagement, the one over the desert is dropped, and the decision is noted once."""
    eng, view = _two_falling_vehicles()
    todo = [(0, view, np.array([0]), np.array([0, 1]))]
    allowed = [np.array([True, True])]
    left = eng._leave_open_ground(100.0, todo, allowed)
    assert left[0].tolist() == [False, True]  # the one over the desert is left alone
    assert [(a, j) for _, a, j, _ in eng.left_alone] == [(0, 1)]
    assert eng._leave_open_ground(100.0, todo, [np.array([True, False])])[0].tolist() == [
        False,
        False,
    ]  # a threat the nation may not engage is not its decision
    eng._leave_open_ground(105.0, todo, allowed)
    assert len(eng.left_alone) == 1  # noted once per nation and threat


def test_open_ground_decisions_held_then_remade_together():
    """Decisions hold REDECIDE_S; a new row or old decisions re-decide every row at once."""
    eng, view = _two_falling_vehicles()
    todo = [(0, view, np.array([0]), np.array([0, 1]))]
    allowed = [np.array([True, True])]
    assert eng._leave_open_ground(100.0, todo, allowed)[0].tolist() == [False, True]
    assert eng._coasted is not None  # followed down
    # within REDECIDE_S: the held decisions, nothing followed down
    assert eng._leave_open_ground(100.0 + REDECIDE_S - 5.0, todo, allowed)[0].tolist() == [
        False,
        True,
    ]
    assert eng._coasted is None and eng._complete == {}
    # a nation's first look at a threat is decided now, with every other row
    todo_b = [(0, view, np.array([0]), np.array([0, 1])), (1, view, np.array([1]), np.array([1]))]
    left = eng._leave_open_ground(100.0 + REDECIDE_S - 5.0, todo_b, allowed + [np.array([True])])
    assert [m.tolist() for m in left] == [[False, True], [True]]
    assert eng._coasted is not None and len(eng._complete) == 2
    # old decisions are made again
    eng._leave_open_ground(100.0 + 2 * REDECIDE_S, todo, allowed)
    assert eng._coasted is not None
    assert [(a, j) for _, a, j, _ in eng.left_alone] == [(0, 1), (1, 1)]


# -- the RK4 kernels of coast.py, bit for bit against the plain formulation -------------------


def _plain_rk4(p, v, h, accel):
    """The textbook RK4 step on separate position and velocity arrays (Press et al., 17.1)."""
    k1v, k1p = accel(p, v), v
    k2p = v + 0.5 * h * k1v
    k2v = accel(p + 0.5 * h * k1p, k2p)
    k3p = v + 0.5 * h * k2v
    k3v = accel(p + 0.5 * h * k2p, k3p)
    k4p = v + h * k3v
    k4v = accel(p + h * k3p, k4p)
    return (p + h / 6.0 * (k1p + 2 * k2p + 2 * k3p + k4p),
            v + h / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v))  # fmt: skip


def _states(n, seed):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(25.0, 40.0, n), rng.uniform(35.0, 60.0, n)
    p = geodetic_to_ecef(lat, lon, rng.uniform(-1e3, 400e3, n)).reshape(n, 3)
    return np.concatenate([p, rng.normal(size=(n, 3)) * 2000.0], axis=1)


def test_norm2_rounds_as_einsum():
    """coast.norm2 reproduces einsum's rounding of |a|^2 (the kernels rely on it to match
    gravity_ecef bit for bit)."""
    rng = np.random.default_rng(1)
    for scale in (1e-3, 1.0, 3e3, 6.4e6):
        a = rng.normal(size=(5000, 3)) * scale
        assert np.array_equal(norm2(a.T), np.einsum("ij,ij->i", a, a))


def test_gravity_path_equals_plain_rk4_bit_for_bit():
    x = _states(40, 2)
    p, v = x[:, :3], x[:, 3:]
    ref = []
    for _ in range(30):
        p, v = _plain_rk4(p, v, 5.0, gravity_ecef)
        ref.append(p)
    assert np.array_equal(gravity_path(x, 30, 5.0, 0.0), np.stack(ref, axis=1))


def test_fall_equals_plain_rk4_with_drag_bit_for_bit():
    x = _states(60, 3)
    beta = np.exp(np.random.default_rng(4).normal(np.log(6000.0), 0.45, 60))

    def accel(p, v):
        rho = 1.225 * np.exp(-np.maximum(ellipsoid_height_m(p.T), 0.0) / 7160.0)
        speed = np.sqrt(np.einsum("ij,ij->i", v, v))
        return gravity_ecef(p, v) - (rho * speed * (0.5 / beta))[:, None] * v

    p, v, h = x[:, :3], x[:, 3:], ellipsoid_height_m(x[:, :3].T)
    t_ref = np.where(h <= 0.0, 0.0, np.inf)
    for step in range(360):
        p1, v1 = _plain_rk4(p, v, 5.0, accel)
        h1 = ellipsoid_height_m(p1.T)
        new = np.isinf(t_ref) & (h1 <= 0.0)
        t_ref[new] = step * 5.0 + h[new] / (h[new] - h1[new]) * 5.0
        p, v, h = p1, v1, h1
    _, t = fall(x, 0.5 / beta, 5.0, 1800.0)
    assert np.array_equal(t, t_ref)
    # grouped: groups whose first row lands within the window are exactly as without it
    _, t_win = fall(x, 0.5 / beta, 5.0, 1800.0, 3, (30.0, 240.0))
    first = t[::3]
    keep = np.repeat((first >= 30.0) & (first <= 240.0), 3)
    assert keep.any()
    assert np.array_equal(t_win[keep], t[keep])


def test_coast_together_equals_separate_integrations():
    """Paths and falls integrated in the same steps give the results of each alone."""
    xg, xd = _states(7, 5), _states(45, 6)
    inv2b = 0.5 / np.exp(np.random.default_rng(7).normal(np.log(6000.0), 0.45, 45))
    for needed, window in ((40, (30.0, 240.0)), (120, None), (0, (30.0, 240.0))):
        pos, impact, t = coast_together(xg, 120, 5.0, 6350e3, xd, inv2b, 1800.0, 15, window,
                                        needed)  # fmt: skip
        assert np.array_equal(pos, gravity_path(xg, 120, 5.0, 6350e3, needed))
        i_ref, t_ref = fall(xd, inv2b, 5.0, 1800.0, 15, window)
        assert np.array_equal(t, t_ref)
        assert np.array_equal(impact, i_ref, equal_nan=True)
