"""One RK4 step of n ballistic missiles (:mod:`shieldwall.threats.flight`), written for few numpy
calls: the integration is all per-call overhead at a few hundred missiles, so the state is one
``(6, n)`` array ``y = [r; v]`` (the RK4 sums are then one call each, not one per half), and the
thrust of a step's three stage times is evaluated in one batch.

The arithmetic is the textbook one of the module docstring of :mod:`shieldwall.threats.flight`,
operation for operation (same operands, same order), so a flight is the same to the bit as with
the per-component form written there (``gravity``, ``density_kg_m3``, ``relative_velocity``).
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, WGS84_A_M, WGS84_E2

J2_EARTH = 1.082_626_68e-3  # WGS 84 / EGM96 second zonal harmonic (Vallado, table D-1)
RHO0_KG_M3 = 1.225  # sea-level density, US Standard Atmosphere 1976
SCALE_HEIGHT_M = 7_160.0  # exponential-atmosphere scale height (Regan & Anandakrishnan, ch. 2)
BOOST_BETA_KG_M2 = 30_000.0  # fuelled missile m/(C_D A): ~16 t / (0.35 x 1.2 m^2), notional
FINE_STEP_S = 1.0

# Constants as 0-d arrays: numpy combines those with an array faster than a Python float
# (same values, so the same bits)
_NEG_MU = np.array(-MU_EARTH_M3_S2)
_J2_K = np.array(1.5 * J2_EARTH * WGS84_A_M**2)  # the J2 factor's numerator, k = _J2_K / r^2
_ONE_THREE = np.array([[1.0], [3.0]])  # the J2 brackets (1 - s) and (3 - s), together
_ELL = np.array(1.0 - WGS84_E2)  # polar equation of the ellipse: a^2 (1 - e2) / (1 - e2 cos^2)
_A, _E2 = np.array(WGS84_A_M), np.array(WGS84_E2)
_ZERO, _HALF, _ONE, _TWO, _FIVE, _SIX = (np.array(x) for x in (0.0, 0.5, 1.0, 2.0, 5.0, 6.0))
_RHO0, _NEG_H = np.array(RHO0_KG_M3), np.array(-SCALE_HEIGHT_M)


def down_range_unit(up: np.ndarray, az_rad: np.ndarray) -> np.ndarray:
    """Horizontal unit vectors (3, n) at azimuth ``az_rad`` (clockwise from north) in the
    planes normal to ``up`` (3, n): ``cos(az) north + sin(az) east``."""
    north = np.stack([-up[2] * up[0], -up[2] * up[1], up[0] ** 2 + up[1] ** 2])
    norm = np.linalg.norm(north, axis=0)
    # at a pole every direction is south (north): azimuths count from the Greenwich meridian
    pole = norm < 1e-12
    north = np.where(pole, np.array([[-1.0], [0.0], [0.0]]) * np.sign(up[2]), north)
    north /= np.where(pole, 1.0, norm)
    east = np.cross(north.T, up.T).T
    return np.cos(az_rad) * north + np.sin(az_rad) * east


class Program:
    """Launch geometry and thrust law of n missiles (precomputed per propagation), and the
    world settings the step needs (``veh``: a :class:`~shieldwall.threats.flight.Vehicle`)."""

    def __init__(self, r0: np.ndarray, up: np.ndarray, veh, ctl) -> None:
        self.down_range = down_range_unit(up, ctl.az_rad)
        self.up = up
        self.r0 = r0
        self.boost = veh.boost_s
        self.t_v = np.minimum(10.0, 0.1 * veh.boost_s)
        zeta = 1.0 - 1.0 / veh.mass_ratio
        self.zeta = zeta
        self.c = ctl.ve_m_s * zeta / np.where(veh.boost_s > 0, veh.boost_s, 1.0)
        self.theta_bo = ctl.theta_rad
        # step-invariant parts of the thrust law and the step sizes, computed once
        self.tb = np.where(self.boost > 0, self.boost, 1.0)
        self.ramp = np.maximum(self.tb - self.t_v, 1e-9)
        self.rise = 0.5 * np.pi - self.theta_bo
        self.boost_end = veh.boost_s - 1e-9
        n_boost = np.maximum(np.ceil(veh.boost_s / FINE_STEP_S), 1.0)
        self.boost_h = veh.boost_s / n_boost
        # the world: 2 beta after the boost, and the Earth-rotation pair (omega, -omega)
        self.veh = veh
        self.drag, self.j2, self.omega = veh.drag, veh.j2, veh.omega
        self.two_beta_free = 2.0 * veh.beta_kg_m2
        self.spin = np.array([[self.omega], [-self.omega]])

    def thrust(self, t: np.ndarray, on: np.ndarray) -> np.ndarray:
        """Thrust acceleration (3, n) at missile times ``t`` (n,) for missiles whose current
        step lies in the boost (``on``); zero for the others. ``t`` may also be (m, n) (m
        times per missile): then (m, 3, n)."""
        tb = self.tb
        s = np.minimum(np.maximum((t - self.t_v) / self.ramp, 0.0), 1.0)  # clip to [0, 1]
        theta = self.theta_bo + self.rise * (1.0 - s) ** 2
        mag = np.where(on, self.c / (1.0 - self.zeta * np.minimum(t, tb) / tb), 0.0)
        if t.ndim == 1:
            return mag * (np.cos(theta) * self.down_range + np.sin(theta) * self.up)
        cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
        return mag[:, None] * (cos * self.down_range + sin * self.up)


def geometry(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x^2 + y^2``, ``|r|^2``, ``|r|`` and the height above the ellipsoid along the radius
    (``|r| - a sqrt(1 - e2) / sqrt(1 - e2 cos^2 phi_c)``) of positions ``r`` (3, n): what the
    acceleration and the step bookkeeping share."""
    sq = r * r
    rho2 = sq[0] + sq[1]
    r2 = rho2 + sq[2]
    sr = np.sqrt(r2)
    return rho2, r2, sr, sr - _A * np.sqrt(_ELL / (_ONE - _E2 * (rho2 / r2)))


def accel_into(out, y, two_beta, thrust, prog: Program, geo=None) -> None:
    """Total acceleration (3, n) in the inertial frame of the states ``y`` (6, n), written to
    ``out``: gravity (``-mu r / r^3`` and J2, Vallado eq. 8-30), drag ``-rho |v_rel| v_rel /
    (2 beta)`` (``two_beta``: 2 beta per missile) and ``thrust`` (None: none boosts).
    ``geo``: :func:`geometry` of ``r`` when already known."""
    r, v = y[:3], y[3:]
    z = r[2]
    if geo is None:
        sq = r * r
        rho2 = sq[0] + sq[1]
        r2 = rho2 + sq[2]  # shared by gravity and the height (same sums, same bits)
        sr = np.sqrt(r2)
        h = None
    else:
        rho2, r2, sr, h = geo
    g = _NEG_MU / (r2 * sr)  # -mu / r^3
    if prog.j2:
        k = _J2_K / r2
        s = _FIVE * z * z / r2
        # 1 + k (1 - s) and 1 + k (3 - s)
        c = _ONE_THREE - s
        np.multiply(k, c, out=c)
        np.add(_ONE, c, out=c)
        np.multiply(r, g * c[0], out=out)
        np.multiply(z * g, c[1], out=out[2])
    else:
        np.multiply(g, r, out=out)
    if prog.drag:
        # h = |r| - a sqrt(1 - e2) / sqrt(1 - e2 cos^2 phi_c)
        if h is None:
            h = sr - _A * np.sqrt(_ELL / (_ONE - _E2 * (rho2 / r2)))
        if prog.omega:  # v_rel = v - omega z x r
            vr = v.copy()
            vr[:2] += prog.spin * r[1::-1]
        else:
            vr = v
        q = vr * vr
        speed = np.sqrt(q[0] + q[1] + q[2])
        # a_D = -rho |v_rel| v_rel / (2 beta), rho = rho0 exp(-h / H) (h clipped at 0)
        rho = _RHO0 * np.exp(np.maximum(h, _ZERO) / _NEG_H)
        out -= (rho * speed / two_beta) * vr
    if thrust is not None:
        out += thrust


def rk4(t, y, h, prog: Program, geo=None, on=None) -> np.ndarray:
    """One classical RK4 step (Press et al. eq. 17.1.3) of ``r' = v, v' = a(t, r, v)`` for
    the states ``y`` (6, n) with per-missile steps ``h`` (``geo``: :func:`geometry` of ``r``
    if known): ``y + h/6 (k1 + 2 k2 + 2 k3 + k4)``. A missile's step is a boost step when it
    starts in the boost (then its thrust acts at all four stages, at mid-step for stages 2 and
    3, and its ballistic coefficient is the fuelled one). ``on``: the missiles in a boost
    step, None when none is."""
    if on is not None:
        th = prog.thrust(np.stack([t, t + _HALF * h, t + h]), on)
        th1, th_mid, th4 = th
        two_beta = _TWO * np.where(on, BOOST_BETA_KG_M2, prog.veh.beta_kg_m2) if prog.drag else None
    else:
        th1 = th_mid = th4 = None
        two_beta = prog.two_beta_free
    half = _HALF * h
    k = np.empty((4, 6, y.shape[1]))
    k[0, :3] = y[3:]
    accel_into(k[0, 3:], y, two_beta, th1, prog, geo)
    y2 = y + half * k[0]
    k[1, :3] = y2[3:]
    accel_into(k[1, 3:], y2, two_beta, th_mid, prog)
    y3 = y + half * k[1]
    k[2, :3] = y3[3:]
    accel_into(k[2, 3:], y3, two_beta, th_mid, prog)
    y4 = y + h * k[2]
    k[3, :3] = y4[3:]
    accel_into(k[3, 3:], y4, two_beta, th4, prog)
    # y_{k+1} = y_k + h/6 (k1 + 2 k2 + 2 k3 + k4)
    return y + h / _SIX * (k[0] + _TWO * k[1] + _TWO * k[2] + k[3])
