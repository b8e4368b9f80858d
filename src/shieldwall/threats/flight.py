"""Powered and free flight of ballistic missiles: boost, inverse-square gravity (+ J2), drag in an
exponential atmosphere, on the rotating WGS 84 Earth. Vectorised over missiles.

Each missile flies in its own Earth-centred inertial frame (ECI), aligned with ECEF at its
launch instant ``t = 0`` (so ``ECEF = R_z(-omega t) ECI``). Vectors are stored as ``(3, n)``
arrays (one column per missile), which keeps every operation a handful of 1-D numpy calls.

Forces per unit mass (all textbook forms):

- gravity ``-mu r / r^3`` plus the J2 zonal term (Vallado, *Fundamentals of Astrodynamics and
  Applications*, 4th ed., eq. 8-30):
  ``a_J2 = -3/2 J2 mu Re^2 / r^5 [x (1 - 5 z^2/r^2), y (1 - 5 z^2/r^2), z (3 - 5 z^2/r^2)]``;
- drag ``-rho |v_rel| v_rel / (2 beta)`` with the velocity relative to the co-rotating
  atmosphere ``v_rel = v - omega x r``, ballistic coefficient ``beta = m / (C_D A)`` (kg/m^2),
  and the exponential atmosphere ``rho = rho0 exp(-h / H)`` (Allen & Eggers, NACA Report 1381,
  1958; Regan & Anandakrishnan, *Dynamics of Atmospheric Re-Entry*, AIAA 1993, ch. 2);
- thrust (boost, ``0 <= t < t_b``): a constant-mass-flow rocket, whose thrust acceleration is
  ``a_T(t) = c / (1 - zeta t / t_b)`` with ``zeta = 1 - 1/MR`` the propellant fraction, so the
  ideal velocity gain is the rocket equation ``ve ln MR`` with ``c = ve zeta / t_b`` (Sutton &
  Biblarz, *Rocket Propulsion Elements*, 9th ed., eq. 4-6). The thrust points along a pitch
  program in the launch vertical plane: straight up for ``t_v`` seconds, then the pitch above
  the launch horizon falls as ``theta = theta_bo + (90 deg - theta_bo) (1 - s)^2``,
  ``s = (t - t_v) / (t_b - t_v)`` (a notional gravity-turn-like steering law). The *energy*
  knob is ``ve`` (an exhaust velocity times a throttle), which targeting solves for.

Heights use the geocentric approximation ``h = |r| - r_ell(phi_c)`` to the WGS 84 ellipsoid
(exact on the surface; < 3 m off the geodetic height below 500 km), so impact is the crossing
of the ellipsoid. Integration is classical RK4 (Press et al., *Numerical Recipes*, 3rd ed., eq.
17.1.3) with a step per missile: fine (about 1 s) in boost and below ``FINE_BELOW_M``, coarse
above, landing exactly on burnout; the impact and the 100 km crossing are refined inside their
step by cubic Hermite interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M, WGS84_E2
from shieldwall.threats.flightstep import (  # noqa: F401 (re-exported)
    BOOST_BETA_KG_M2,
    FINE_STEP_S,
    J2_EARTH,
    RHO0_KG_M3,
    SCALE_HEIGHT_M,
    Program,
    down_range_unit,
    geometry,
    rk4,
)

COARSE_STEP_S = 10.0
FINE_BELOW_M = 150_000.0
REENTRY_ALT_M = 100_000.0
MAX_FLIGHT_S = 4_000.0  # longer than any flight a scenario or the CLI may ask for (3,600 s)
MIN_LIFTOFF_THRUST_TO_WEIGHT = 1.2  # a boost weaker than this never leaves the pad
G0_M_S2 = 9.80665


@dataclass(frozen=True, slots=True)
class Vehicle:
    """Per-missile vehicle and world settings, arrays of shape (n,) (booleans are scalars).

    ``boost_s`` 0 means free flight from the launch point (no boost phase): then the controls'
    ``ve`` is the Earth-relative launch speed and ``theta`` the launch flight-path angle."""

    boost_s: np.ndarray
    mass_ratio: np.ndarray
    beta_kg_m2: np.ndarray
    drag: bool = True
    rotation: bool = True
    j2: bool = True

    @property
    def omega(self) -> float:
        return OMEGA_EARTH_RAD_S if self.rotation else 0.0

    def min_ve_m_s(self) -> np.ndarray:
        """Least energy knob ``ve`` (n,) whose lift-off thrust ``ve zeta / t_b`` is
        ``MIN_LIFTOFF_THRUST_TO_WEIGHT`` times the weight; 0 without a boost. The boost burns
        for its full ``boost_s``, so this floor also sets the type's minimum range."""
        zeta = 1.0 - 1.0 / self.mass_ratio
        floor = MIN_LIFTOFF_THRUST_TO_WEIGHT * G0_M_S2 * self.boost_s / zeta
        return np.where(self.boost_s > 0, floor, 0.0)


@dataclass(frozen=True, slots=True)
class Controls:
    """What targeting chooses, per missile (n,): energy ``ve_m_s``, launch azimuth ``az_rad``
    (clockwise from north) and burnout pitch ``theta_rad`` above the launch horizon."""

    ve_m_s: np.ndarray
    az_rad: np.ndarray
    theta_rad: np.ndarray


@dataclass(frozen=True, slots=True)
class Flight:
    """One propagation, per missile: impact (ECEF, time), apogee height, burnout and reentry
    speeds (Earth-relative); with ``history`` the step states (n, S) / (n, S, 3) in ECI."""

    impact_ecef_m: np.ndarray  # (n, 3)
    impact_t_s: np.ndarray
    apogee_m: np.ndarray
    burnout_speed_m_s: np.ndarray
    burnout_t_s: np.ndarray
    reentry_speed_m_s: np.ndarray
    t_hist: np.ndarray | None = None
    r_hist: np.ndarray | None = None
    v_hist: np.ndarray | None = None


def ellipsoid_height_m(r: np.ndarray) -> np.ndarray:
    """Height (n,) of positions ``r`` (3, n) above the WGS 84 ellipsoid along the radius:
    ``|r| - a sqrt(1 - e2) / sqrt(1 - e2 cos^2 phi_c)`` (polar equation of the ellipse)."""
    rho2 = r[0] * r[0] + r[1] * r[1]
    return _height_m(rho2, rho2 + r[2] * r[2])


def _height_m(rho2: np.ndarray, r2: np.ndarray) -> np.ndarray:  # from x^2 + y^2 and |r|^2
    cos2 = rho2 / r2
    return np.sqrt(r2) - WGS84_A_M * np.sqrt((1.0 - WGS84_E2) / (1.0 - WGS84_E2 * cos2))


def gravity(r: np.ndarray, j2: bool, r2: np.ndarray | None = None) -> np.ndarray:
    """Point-mass gravity plus, when ``j2``, the J2 term (Vallado eq. 8-30). (3, n) -> (3, n).
    ``r2``: ``|r|^2`` if known."""
    if r2 is None:
        r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2]
    g = -MU_EARTH_M3_S2 / (r2 * np.sqrt(r2))
    if not j2:
        return g * r
    k = 1.5 * J2_EARTH * WGS84_A_M**2 / r2
    s = 5.0 * r[2] * r[2] / r2
    a = r * (g * (1.0 + k * (1.0 - s)))
    a[2] = r[2] * g * (1.0 + k * (3.0 - s))
    return a


def density_kg_m3(h_m: np.ndarray) -> np.ndarray:
    """Exponential atmosphere ``rho0 exp(-h / H)``; heights below the ellipsoid count as 0."""
    return RHO0_KG_M3 * np.exp(-np.maximum(h_m, 0.0) / SCALE_HEIGHT_M)


def relative_velocity(r: np.ndarray, v: np.ndarray, omega: float) -> np.ndarray:
    """``v - omega z x r``: velocity relative to the rotating Earth (and its air)."""
    vr = v.copy()
    if omega:
        vr[0] += omega * r[1]
        vr[1] -= omega * r[0]
    return vr


def hermite(p0, v0, p1, v1, h, s):
    """Cubic Hermite point at fraction ``s`` of a step ``h`` from (p0, v0) to (p1, v1)."""
    s2, s3 = s * s, s * s * s
    return ((2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * h * v0 + (-2 * s3 + 3 * s2) * p1
            + (s3 - s2) * h * v1)  # fmt: skip


def _crossing(r0, v0, r1, v1, h, level_m, h0=None, h1=None):
    """Fraction s in [0, 1] of a step where the height falls through ``level_m``: a chord
    guess, then three corrections of the Hermite position's height by the step's mean sink
    rate (a fixed-slope Newton iteration). ``h0``, ``h1``: the heights of r0 and r1 if known."""
    h0 = (ellipsoid_height_m(r0) if h0 is None else h0) - level_m
    h1 = (ellipsoid_height_m(r1) if h1 is None else h1) - level_m
    s = _unit_clip(h0 / np.where(h0 != h1, h0 - h1, 1.0))
    rate = np.where(h1 - h0 != 0, h1 - h0, -1.0)
    for _ in range(3):
        hs = ellipsoid_height_m(hermite(r0, v0, r1, v1, h, s)) - level_m
        s = _unit_clip(s - hs / rate)
    return s


def _unit_clip(x: np.ndarray) -> np.ndarray:  # np.clip(x, 0, 1) without its Python wrapper
    return np.minimum(np.maximum(x, 0.0, out=x), 1.0, out=x)


def eci_to_ecef(r: np.ndarray, t_s: np.ndarray, omega: float) -> np.ndarray:
    """Rotate inertial positions (3, ...) at times ``t_s`` into ECEF: ``R_z(-omega t) r``."""
    c, s = np.cos(omega * t_s), np.sin(omega * t_s)
    return np.stack([c * r[0] + s * r[1], -s * r[0] + c * r[1], r[2]])


def _step_sizes(on, h_r, prog: Program) -> np.ndarray:
    """Per-missile step (heights ``h_r``, ``on`` in the boost, None if none is): boost split
    to end on burnout; fine low, coarse high."""
    free = np.where(h_r < FINE_BELOW_M, FINE_STEP_S, COARSE_STEP_S)
    return free if on is None else np.where(on, prog.boost_h, free)


def propagate(
    r0_ecef: np.ndarray,
    up: np.ndarray,
    veh: Vehicle,
    ctl: Controls,
    history: bool = False,
    v0_eci: np.ndarray | None = None,
) -> Flight:
    """Fly n missiles from launch points ``r0_ecef`` (3, n) (local up ``up`` (3, n)) to impact.

    The missile starts at rest on the rotating Earth (boost) or with the Earth-relative launch
    velocity ``ve (cos theta d + sin theta up)`` (no boost), unless an inertial start velocity
    ``v0_eci`` (3, n) is given (e.g. a reentry study starting high up). Returns a
    :class:`Flight`.
    """
    n = r0_ecef.shape[1]
    prog = Program(r0_ecef, up, veh, ctl)
    y = np.empty((6, n))  # the state [r; v]
    r = y[:3]
    r[...] = r0_ecef
    v = np.stack([-veh.omega * r[1], veh.omega * r[0], np.zeros(n)])
    free = veh.boost_s <= 0
    if free.any():
        launch = np.cos(ctl.theta_rad) * prog.down_range + np.sin(ctl.theta_rad) * up
        v = np.where(free, v + ctl.ve_m_s * launch, v)
    if v0_eci is not None:
        v = np.array(v0_eci, dtype=float)
    y[3:] = v
    t = np.zeros(n)
    geo = geometry(y[:3])  # of r, carried from step to step (its last item: the height)
    out = _Tracker(n, y[:3], y[3:], veh.omega, history, geo[3])
    alive = np.ones(n, dtype=bool)
    n_alive, steps = n, 0
    while n_alive:
        on = t < prog.boost_end  # the step is a boost step
        on = on if np.count_nonzero(on) else None  # (count_nonzero: no Python-level wrapper)
        h = np.where(alive, _step_sizes(on, geo[3], prog), 0.0)  # a missile at rest stays
        y1 = rk4(t, y, h, prog, geo, on)
        t1 = t + h
        geo1 = geometry(y1[:3])
        down = out.step(t, y[:3], y[3:], t1, y1[:3], y1[3:], h, prog, alive, geo[3], geo1[3],
                        on is not None)  # fmt: skip
        y, t, geo = y1, t1, geo1
        steps += 1
        if down is not None:
            alive &= ~down
        if steps * COARSE_STEP_S >= MAX_FLIGHT_S - 1.0:  # (no step is longer than coarse)
            alive &= t < MAX_FLIGHT_S
        if down is not None or steps * COARSE_STEP_S >= MAX_FLIGHT_S - 1.0:
            n_alive = np.count_nonzero(alive)
    return out.flight()


class _Tracker:
    """Bookkeeping of one propagation: burnout, apogee, 100 km crossing, impact, history."""

    def __init__(self, n, r, v, omega, history, h):
        self.omega = omega
        self.landed = np.zeros(n, dtype=bool)
        self.impact_r = np.full((3, n), np.nan)
        self.impact_t = np.full(n, np.nan)
        self.apogee = h.copy()
        self.bo_speed = _speed(relative_velocity(r, v, omega))
        self.bo_t = np.zeros(n)
        self.reentry = np.full(n, np.nan)
        self.hist = ([np.zeros(n)], [r], [v]) if history else None
        self.radial = None  # r . v at the end of the last step
        self.low = h < REENTRY_ALT_M  # below 100 km at the end of the last step

    def step(self, t0, r0, v0, t1, r1, v1, h, prog: Program, alive, h0, h1, boosting=True):
        """Book a step (t0, r0, v0) (height ``h0``) -> (t1, r1, v1) (height ``h1``); returns
        the mask of the missiles that landed in it, or None. ``boosting``: some missile's step
        started in the boost. Burnout, the 100 km crossing and the impact are refined on the
        missiles concerned only (elementwise arithmetic). A missile no longer ``alive`` stands
        still (its step is 0), so its height and radial speed repeat: no event."""
        np.maximum(self.apogee, h1, out=self.apogee)
        self._apogee(r0, v0, r1, v1, h)
        if boosting:
            burnt = alive & (t0 < prog.boost_end) & (t1 >= prog.boost_end)
            if np.count_nonzero(burnt):
                speed1 = _speed(relative_velocity(r1, v1, self.omega))
                self.bo_speed = np.where(burnt, speed1, self.bo_speed)
                self.bo_t = np.where(burnt, t1, self.bo_t)
        low = h1 < REENTRY_ALT_M
        cross = np.greater(low, self.low)  # from 100 km or above to below
        self.low = low
        if np.count_nonzero(cross):
            self._reentry(r0, v0, r1, v1, h, np.flatnonzero(cross), h0, h1)
        if self.hist is not None:
            for lst, x in zip(self.hist, (t1, r1, v1), strict=True):
                lst.append(x)
        # ground contact at any time, boost included (a boost weaker than gravity sinks)
        down = alive & (h1 < 0.0)
        if not np.count_nonzero(down):
            return None
        i = np.flatnonzero(down)
        r0i, v0i, r1i, v1i, hi = r0[:, i], v0[:, i], r1[:, i], v1[:, i], h[i]
        s = _crossing(r0i, v0i, r1i, v1i, hi, 0.0, h0[i], h1[i])
        self.impact_t[i] = t0[i] + s * hi
        self.impact_r[:, i] = hermite(r0i, v0i, r1i, v1i, hi, s)
        self.landed |= down
        return down

    def _apogee(self, r0, v0, r1, v1, h):
        """Refine the apogee inside the step where the radial speed turns negative: the
        highest of 33 Hermite points (0.3 s apart at the coarse step: centimetres off)."""
        rad0 = _dot(r0, v0) if self.radial is None else self.radial
        self.radial = _dot(r1, v1)
        top = (rad0 > 0) & (self.radial <= 0)
        if np.count_nonzero(top):
            i = np.flatnonzero(top)
            s = np.linspace(0.0, 1.0, 33)[:, None, None]
            p = hermite(r0[:, i], v0[:, i], r1[:, i], v1[:, i], h[i], s)  # (33, 3, m)
            hs = ellipsoid_height_m(np.moveaxis(p, 1, 0).reshape(3, -1)).reshape(33, -1)
            self.apogee[i] = np.maximum(self.apogee[i], hs.max(axis=0))

    def _reentry(self, r0, v0, r1, v1, h, i, h0, h1):
        """Earth-relative speed of missiles ``i`` where they fall through 100 km this step."""
        r0, v0, r1, v1 = r0[:, i], v0[:, i], r1[:, i], v1[:, i]
        s = _crossing(r0, v0, r1, v1, h[i], REENTRY_ALT_M, h0[i], h1[i])
        sp0 = _speed(relative_velocity(r0, v0, self.omega))
        sp1 = _speed(relative_velocity(r1, v1, self.omega))
        self.reentry[i] = sp0 + s * (sp1 - sp0)

    def flight(self) -> Flight:
        impact = eci_to_ecef(self.impact_r, self.impact_t, self.omega).T
        hist = (None, None, None)
        if self.hist is not None:
            t, r, v = self.hist
            hist = (np.stack(t, axis=1), np.stack(r, axis=2).transpose(1, 2, 0),
                    np.stack(v, axis=2).transpose(1, 2, 0))  # fmt: skip
        return Flight(impact, self.impact_t, self.apogee, self.bo_speed, self.bo_t,
                      self.reentry, *hist)  # fmt: skip


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # a . b per column, as np.sum(axis=0)
    p = a * b
    return p[0] + p[1] + p[2]


def _speed(v: np.ndarray) -> np.ndarray:
    return np.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
