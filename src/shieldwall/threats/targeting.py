"""Targeting: the controls that put each ballistic missile on its aim point, for a profile.

A missile's controls are its energy ``ve``, launch azimuth and burnout pitch ``theta``
(:mod:`shieldwall.threats.flight`). The aim point gives two conditions (down-range and
cross-range miss zero); the profile gives the third:

- **minimum energy**: the least ``ve`` that reaches the range. ``ve(theta)`` is flat at the
  optimum, so the optimal pitch is tabulated once per vehicle over a grid of ranges (a
  non-rotating Earth; each grid point solves ``ve`` for seven pitches and fits a parabola
  through the three around the least), and each missile then takes the pitch for its own
  range. With Earth rotation the true optimum moves by a fraction of a degree, which costs
  well under 0.1 % of energy (a flat optimum).
- **lofted / depressed**: a given apogee or flight time, on the branch above (lofted) or
  below (depressed) the minimum-energy pitch; Newton's method on (``ve``, ``theta``) with a
  finite-difference Jacobian.

In every case the down-range miss is removed by Newton steps on ``ve`` and the cross-range miss
by turning the azimuth by ``miss / (R sin psi)`` (a small rotation of a great circle about
the launch point moves its end sideways by ``R sin psi`` per radian).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo.wgs84 import (
    EARTH_MEAN_RADIUS_M,
    destination_point,
    geodetic_to_ecef,
    initial_bearing_deg,
)
from shieldwall.threats.ballistic import min_energy_burnout
from shieldwall.threats.flight import Controls, Flight, Vehicle, propagate

PROFILES = ("min-energy", "lofted", "depressed")
THETA_GRID_DEG = np.arange(14.0, 63.0, 6.0)  # burnout pitches tried when tabulating
N_RANGES = 12
MISS_TOL_M = 1.0
MAX_ITER = 12
PROFILE_START_DEG = {"lofted": 14.0, "depressed": -10.0}
RANGE_MARGIN = 1.1
"""A shot may exceed the catalog's (approximate, public) range by 10 %. That sets the type's
energy too: no profile may use more than its minimum-energy shot to this many times its range
(:func:`max_energy_m_s`), so a lofted or depressed shot is flown only within what the
missile has."""


class TargetingError(ValueError):
    """No trajectory of the asked profile reaches the aim point; ``rows``: the failing
    missiles' indices in the call, when known."""

    def __init__(self, message: str, rows: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.rows = rows


@dataclass(frozen=True, slots=True)
class Solution:
    """Controls that hit the aim points, and the flight they give (with its step history)."""

    controls: Controls
    flight: Flight
    miss_m: np.ndarray
    converged: np.ndarray


def launch_frame(lat_deg: np.ndarray, lon_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Launch points on the ellipsoid (3, n) ECEF and their geodetic up vectors (3, n)."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    r0 = geodetic_to_ecef(lat_deg, lon_deg, np.zeros_like(lat)).reshape(-1, 3).T
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return r0, up.reshape(3, -1)


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=0)


def miss_components(
    impact_ecef: np.ndarray, aim_ecef: np.ndarray, launch_ecef: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Down-range (beyond the aim is positive) and cross-range (left of track is positive)
    miss, metres, of impacts (n, 3) against aims (3, n) for launches (3, n)."""
    aim_u = _unit(aim_ecef)
    left = _unit(np.cross(launch_ecef.T, aim_ecef.T).T)  # normal of the launch-aim plane
    fwd = np.cross(left.T, aim_u.T).T
    d = impact_ecef.T - aim_ecef
    return np.sum(d * fwd, axis=0), np.sum(d * left, axis=0)


def central_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (rad) between geocentric vectors (3, n)."""
    cross = np.linalg.norm(np.cross(a.T, b.T), axis=-1)
    return np.arctan2(cross, np.sum(a * b, axis=0))


# --------------------------------------------------------------------------------------------
# The minimum-energy table
# --------------------------------------------------------------------------------------------


def _ve_guess(range_m: np.ndarray, veh: Vehicle) -> np.ndarray:
    """Starting energy: the closed-form minimum-energy speed plus typical gravity and drag
    losses, over ``ln MR`` (rocket equation); the launch speed itself without a boost."""
    v_me, _ = min_energy_burnout(range_m / EARTH_MEAN_RADIUS_M)
    boost = veh.boost_s > 0
    dv = v_me + boost * (5.0 * veh.boost_s + 150.0 * veh.drag)
    return np.where(boost, dv / np.log(np.where(boost, veh.mass_ratio, np.e)), v_me)


def _solve_range(
    lat: np.ndarray, lon: np.ndarray, aim_lat: np.ndarray, aim_lon: np.ndarray,
    veh: Vehicle, theta: np.ndarray, ve0: np.ndarray, history: bool = False,
) -> tuple[Controls, np.ndarray, Flight | None]:  # fmt: skip
    """``ve`` and azimuth hitting each aim at fixed pitch ``theta`` (secant on the down-range
    miss, azimuth turned by the cross-range miss). Returns (controls, converged, flight): with
    ``history``, the flight of exactly those controls with its step history, or None when the
    iterations ran out after a last correction (the controls were never flown); without, None.

    A missile that hits keeps its controls, so its flight would repeat to the bit (each
    missile's arithmetic is its own): without ``history`` only the others are flown again."""
    r0, up = launch_frame(lat, lon)
    aim = geodetic_to_ecef(aim_lat, aim_lon, np.zeros_like(aim_lat)).reshape(-1, 3).T
    sin_psi = np.maximum(np.sin(central_angle(r0, aim)), 1e-6)
    az = np.radians(initial_bearing_deg(lat, lon, aim_lat, aim_lon))
    ve_min = veh.min_ve_m_s()
    ve, ve_prev, down_prev = np.maximum(ve0, ve_min), None, None
    impact, ok, flight = None, np.zeros(ve.size, dtype=bool), None
    for _ in range(MAX_ITER):
        ctl = Controls(ve, az, theta)
        if history or impact is None:
            flight = propagate(r0, up, veh, ctl, history=history)
            impact = flight.impact_ecef_m
        else:
            todo = np.flatnonzero(~ok)
            again = propagate(r0[:, todo], up[:, todo], _subset(veh, todo),
                              Controls(ve[todo], az[todo], theta[todo]))  # fmt: skip
            impact = impact.copy()
            impact[todo] = again.impact_ecef_m
        down, left = miss_components(impact, aim, r0)
        ok = np.hypot(down, left) < MISS_TOL_M
        # overshooting at the lift-off thrust floor: too short a shot for this boost, for good
        stuck = (ve <= ve_min) & (down > MISS_TOL_M)
        if (ok | stuck).all():
            return ctl, ok, flight if history else None
        if ve_prev is None:
            slope = ve * 0.5 / (EARTH_MEAN_RADIUS_M * central_angle(r0, aim) + 1e5)  # dve/dR
        else:
            dd = down - down_prev
            slope = np.where(np.abs(dd) > 1e-6, (ve - ve_prev) / np.where(dd != 0, dd, 1), 0.0)
        step = np.clip(-down * slope, -0.3 * ve, 0.3 * ve)
        ve_prev, down_prev = ve, down
        ve = np.where(ok, ve, np.maximum(ve + step, ve_min))
        az = np.where(ok, az, az + left / (EARTH_MEAN_RADIUS_M * sin_psi))
    return Controls(ve, az, theta), ok, None


def _subset(veh: Vehicle, rows: np.ndarray) -> Vehicle:
    return Vehicle(veh.boost_s[rows], veh.mass_ratio[rows], veh.beta_kg_m2[rows], veh.drag,
                   veh.rotation, veh.j2)  # fmt: skip


_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _tables(keys: list[tuple]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Minimum-energy pitch and energy against range for each vehicle key (see module doc),
    the missing ones solved together in one batch and kept for the process's lifetime."""
    todo = [k for k in dict.fromkeys(keys) if k not in _TABLES]
    if todo:
        th = np.radians(THETA_GRID_DEG)
        frac = np.linspace(0.12, 1.3, N_RANGES)
        grid = np.array([(*k[:3], f * k[5], t) for k in todo for f in frac for t in th])
        boost, mass_ratio, beta, rr, tt = grid.T
        m = rr.size
        drag, j2 = todo[0][3], todo[0][4]
        veh = Vehicle(boost, mass_ratio, beta, drag, False, j2)
        lat, lon = np.full(m, 30.0), np.full(m, 50.0)
        aim_lat, aim_lon = _destination(lat, lon, 270.0, rr)
        ctl, ok, _ = _solve_range(lat, lon, aim_lat, aim_lon, veh, tt, _ve_guess(rr, veh))
        ve = np.where(ok, ctl.ve_m_s, np.inf).reshape(len(todo) * N_RANGES, th.size)
        theta_opt, ve_opt = _parabola_vertex(th, ve)
        # rounded far below any physical effect, so a table is the same to the bit whichever
        # other vehicles shared its batch (vectorised transcendental functions may differ in
        # the last place between SIMD lanes): the same seed gives the same run in any process
        theta_opt, ve_opt = np.round(theta_opt, 9), np.round(ve_opt, 6)
        for i, k in enumerate(todo):
            sl = slice(i * N_RANGES, (i + 1) * N_RANGES)
            _TABLES[k] = (frac * k[5], theta_opt[sl], ve_opt[sl])
    return [_TABLES[k] for k in keys]


def _destination(lat, lon, bearing_deg, dist_m):
    return destination_point(lat, lon, np.full_like(lat, bearing_deg), dist_m)


def _parabola_vertex(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex of the parabola through the least of each row of ``y`` (r, k) on the uniform
    grid ``x`` (k,) and its two neighbours: ``x_m - dx/2 (y+ - y-) / (y+ - 2 y_m + y-)``.
    A row without such an interior minimum (its least point on the edge of the grid, or a
    neighbour that could not reach the range, as when the lift-off thrust floor binds) has no
    minimum-energy shot there: ``inf``."""
    j = np.clip(np.argmin(y, axis=1), 1, x.size - 2)
    rows = np.arange(y.shape[0])
    ym, yp, yl = y[rows, j], y[rows, j + 1], y[rows, j - 1]
    good = np.isfinite(ym) & np.isfinite(yp) & np.isfinite(yl)
    ym_, yp_, yl_ = (np.where(good, a, 0.0) for a in (ym, yp, yl))
    curv = yp_ - 2.0 * ym_ + yl_
    good &= curv > 0
    safe = np.where(good, curv, 1.0)
    dx = x[1] - x[0]
    shift = np.where(good, np.clip(-0.5 * dx * (yp_ - yl_) / safe, -dx, dx), 0.0)
    return x[j] + shift, np.where(good, ym_ - (yp_ - yl_) ** 2 / (8.0 * safe), np.inf)


def min_energy_start(
    range_m: np.ndarray, veh: Vehicle, max_range_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tabulated minimum-energy pitch (rad) and energy for each missile's range; one table per
    distinct vehicle (boost, mass ratio, ballistic coefficient, max range to 1 km). Also the
    (2, n) span of ranges each missile's vehicle can fly (the table's reachable part, up to
    ``RANGE_MARGIN`` times its catalog range) and the mask of missiles whose range lies
    inside it."""
    cols = np.stack([veh.boost_s, veh.mass_ratio, veh.beta_kg_m2, np.round(max_range_m, -3)])
    uniq, inverse = np.unique(cols, axis=1, return_inverse=True)
    keys = [(*map(float, u[:3]), veh.drag, veh.j2, float(u[3])) for u in uniq.T]
    theta, ve = np.zeros(range_m.size), np.ones(range_m.size)
    span = np.zeros((2, range_m.size))
    for g, (ranges, th, v) in enumerate(_tables(keys)):  # a handful of vehicles per raid
        rows = inverse.ravel() == g
        ok = np.isfinite(v)
        if ok.sum() < 2:
            continue
        r_ok = ranges[ok]
        span[0, rows] = r_ok[0]
        span[1, rows] = np.minimum(r_ok[-1], RANGE_MARGIN * max_range_m[rows])
        theta[rows] = np.interp(range_m[rows], r_ok, th[ok])
        ve[rows] = np.interp(range_m[rows], r_ok, v[ok])
    inside = (range_m >= span[0]) & (range_m <= span[1])
    return theta, ve, span, inside


# --------------------------------------------------------------------------------------------
# Solving
# --------------------------------------------------------------------------------------------


def _ground_range_m(lat, lon, aim_lat, aim_lon) -> np.ndarray:
    r0, _ = launch_frame(lat, lon)
    aim, _ = launch_frame(aim_lat, aim_lon)
    return EARTH_MEAN_RADIUS_M * central_angle(r0, aim)


def max_energy_m_s(veh: Vehicle, max_range_m: np.ndarray) -> np.ndarray:
    """Each missile's energy ``ve`` (m/s) at most: that of its minimum-energy shot to the far
    end of its span (``RANGE_MARGIN`` times its catalog range, or less where its boost cannot
    reach that far)."""
    far = RANGE_MARGIN * np.asarray(max_range_m, dtype=float)
    _, _, span, _ = min_energy_start(far, veh, max_range_m)
    return min_energy_start(np.minimum(far, span[1]), veh, max_range_m)[1]


def solve(
    lat: np.ndarray, lon: np.ndarray, aim_lat: np.ndarray, aim_lon: np.ndarray,
    veh: Vehicle, max_range_m: np.ndarray, profile: str = "min-energy",
    apogee_m: float | None = None, flight_time_s: float | None = None,
) -> Solution:  # fmt: skip
    """Controls putting missiles launched at (lat, lon) on (aim_lat, aim_lon), all (n,) deg.

    ``profile`` is one of :data:`PROFILES`; lofted and depressed need ``apogee_m`` or
    ``flight_time_s`` (launch to impact). The returned flight keeps its step history.
    """
    if profile not in PROFILES:
        raise TargetingError(f"unknown profile '{profile}' (use {', '.join(PROFILES)})")
    rng_m = _ground_range_m(lat, lon, aim_lat, aim_lon)
    theta, ve, span, inside = min_energy_start(rng_m, veh, max_range_m)
    if not inside.all():
        out = np.flatnonzero(~inside)
        i = int(out[0])
        raise TargetingError(
            f"a {rng_m[i] / 1e3:,.0f} km shot is outside what this missile type can fly"
            f" ({span[0, i] / 1e3:,.0f}-{span[1, i] / 1e3:,.0f} km with its boost)",
            out,
        )
    me = profile == "min-energy"
    ctl, ok, flight = _solve_range(lat, lon, aim_lat, aim_lon, veh, theta, ve, history=me)
    if not me:
        ctl, ok = _solve_profile(lat, lon, aim_lat, aim_lon, veh, ctl, profile, apogee_m,
                                 flight_time_s)  # fmt: skip
        ok = ok & (ctl.ve_m_s <= max_energy_m_s(veh, max_range_m) * (1.0 + 1e-9))
    if flight is None or not me:
        r0, up = launch_frame(lat, lon)
        flight = propagate(r0, up, veh, ctl, history=True)
    aim = geodetic_to_ecef(aim_lat, aim_lon, np.zeros_like(aim_lat)).reshape(-1, 3).T
    miss = np.linalg.norm(flight.impact_ecef_m - aim.T, axis=1)
    converged = ok & np.isfinite(miss) & (miss < 2.0 * MISS_TOL_M)
    return Solution(ctl, flight, np.where(np.isfinite(miss), miss, np.inf), converged)


def _profile_residual(flight: Flight, apogee_m, flight_time_s) -> np.ndarray:
    if apogee_m is not None:
        return flight.apogee_m - apogee_m
    return flight.impact_t_s - flight_time_s


def _solve_profile(lat, lon, aim_lat, aim_lon, veh, me: Controls, profile, apogee_m, t_s):
    """Newton on (ve, theta) for (down-range miss, apogee or time) = 0; azimuth as above."""
    if (apogee_m is None) == (t_s is None):
        raise TargetingError(f"a {profile} trajectory needs exactly one of apogee or flight time")
    r0, up = launch_frame(lat, lon)
    aim = geodetic_to_ecef(aim_lat, aim_lon, np.zeros_like(aim_lat)).reshape(-1, 3).T
    sin_psi = np.maximum(np.sin(central_angle(r0, aim)), 1e-6)
    lofted = profile == "lofted"
    lo = np.where(lofted, me.theta_rad, np.radians(2.0))
    hi = np.where(lofted, np.radians(88.0), me.theta_rad)
    theta = np.clip(me.theta_rad + np.radians(PROFILE_START_DEG[profile]), lo, hi)
    ve, az, n = me.ve_m_s * 1.05, me.az_rad.copy(), lat.size
    tile = lambda a: np.concatenate([a, a, a])  # noqa: E731
    big = Vehicle(tile(veh.boost_s), tile(veh.mass_ratio), tile(veh.beta_kg_m2), veh.drag,
                  veh.rotation, veh.j2)  # fmt: skip
    d_ve, d_th = 1e-3 * ve, np.full(n, np.radians(0.05))
    for _ in range(3 * MAX_ITER):
        ctl = Controls(tile(ve) + np.concatenate([0 * ve, d_ve, 0 * ve]), tile(az),
                       tile(theta) + np.concatenate([0 * ve, 0 * ve, d_th]))  # fmt: skip
        f = propagate(tile(r0.T).T, tile(up.T).T, big, ctl)
        down, left = miss_components(f.impact_ecef_m, tile(aim.T).T, tile(r0.T).T)
        g = _profile_residual(f, apogee_m, t_s)
        d0, g0 = down[:n], g[:n]
        tol_g = 10.0 if apogee_m is not None else 0.05
        ok = (np.abs(d0) < MISS_TOL_M) & (np.abs(left[:n]) < MISS_TOL_M) & (np.abs(g0) < tol_g)
        if ok.all():
            break
        # J = [[dd/dve, dd/dth], [dg/dve, dg/dth]]; step = -J^-1 (d, g)
        a, b = (down[n : 2 * n] - d0) / d_ve, (down[2 * n :] - d0) / d_th
        c, d = (g[n : 2 * n] - g0) / d_ve, (g[2 * n :] - g0) / d_th
        det = a * d - b * c
        det = np.where(np.abs(det) > 1e-30, det, 1e-30)
        s_ve = np.clip(-(d * d0 - b * g0) / det, -0.1 * ve, 0.1 * ve)
        s_th = np.clip(-(-c * d0 + a * g0) / det, -np.radians(4), np.radians(4))
        ve = np.where(ok, ve, np.maximum(ve + s_ve, veh.min_ve_m_s()))
        theta = np.where(ok, theta, np.clip(theta + s_th, lo, hi))
        az = np.where(ok, az, az + left[:n] / (EARTH_MEAN_RADIUS_M * sin_psi))
    return Controls(ve, az, theta), ok
