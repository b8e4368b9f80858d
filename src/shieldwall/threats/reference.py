"""Scalar reference of one ballistic flight: the same equations of motion as
:mod:`shieldwall.threats.flight`, written out again one missile at a time with ``math`` and
integrated by scipy's DOP853 (Hairer, Norsett & Wanner, *Solving ODEs I*, sec. II.10) with a
ground-crossing event. It is the independent check of the vectorised RK4 propagator and the
per-missile baseline that ``bench/truth_build.py`` measures it against.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, WGS84_A_M, WGS84_E2
from shieldwall.threats.flight import (
    BOOST_BETA_KG_M2,
    J2_EARTH,
    OMEGA_EARTH_RAD_S,
    RHO0_KG_M3,
    SCALE_HEIGHT_M,
)


def _height(r) -> float:
    rho2 = r[0] * r[0] + r[1] * r[1]
    r2 = rho2 + r[2] * r[2]
    return math.sqrt(r2) - WGS84_A_M * math.sqrt((1 - WGS84_E2) / (1 - WGS84_E2 * rho2 / r2))


def _rates(t: float, y: np.ndarray, p: dict) -> np.ndarray:
    x, yy, z, vx, vy, vz = y
    r2 = x * x + yy * yy + z * z
    rn = math.sqrt(r2)
    k, s = 1.5 * J2_EARTH * WGS84_A_M**2 / r2, 5 * z * z / r2
    g = -MU_EARTH_M3_S2 / (r2 * rn)
    a = [g * x * (1 + k * (1 - s)), g * yy * (1 + k * (1 - s)), g * z * (1 + k * (3 - s))]
    w = OMEGA_EARTH_RAD_S
    vr = (vx + w * yy, vy - w * x, vz)
    speed = math.sqrt(vr[0] ** 2 + vr[1] ** 2 + vr[2] ** 2)
    boosting = t < p["boost_s"]
    beta = BOOST_BETA_KG_M2 if boosting else p["beta"]
    drag = RHO0_KG_M3 * math.exp(-max(_height(y), 0.0) / SCALE_HEIGHT_M) * speed / (2 * beta)
    a = [a[i] - drag * vr[i] for i in range(3)]
    if boosting:
        tb, zeta = p["boost_s"], 1 - 1 / p["mass_ratio"]
        tv = min(10.0, 0.1 * tb)
        s = min(max((t - tv) / (tb - tv), 0.0), 1.0)
        theta = p["theta"] + (math.pi / 2 - p["theta"]) * (1 - s) ** 2
        mag = p["ve"] * zeta / tb / (1 - zeta * t / tb)
        a = [a[i] + mag * (math.cos(theta) * p["d"][i] + math.sin(theta) * p["up"][i])
             for i in range(3)]  # fmt: skip
    return np.array([vx, vy, vz, *a])


def _ground(t: float, y: np.ndarray, p: dict) -> float:
    return _height(y) if t > p["boost_s"] else 1.0


_ground.terminal, _ground.direction = True, -1  # type: ignore[attr-defined]


def reference_flight(
    r0_ecef: np.ndarray, up: np.ndarray, down_range: np.ndarray, boost_s: float,
    mass_ratio: float, beta_kg_m2: float, ve_m_s: float, theta_rad: float, rtol: float = 1e-11,
):  # fmt: skip
    """Fly one boosted missile from rest at ``r0_ecef`` (3,) on the rotating Earth with the
    full model; ``up`` and ``down_range`` (3,) span the launch plane. Returns the impact time
    (s), the impact point (ECEF, (3,)) and a function ``t -> ECEF position (3,)``."""
    p = {"boost_s": boost_s, "mass_ratio": mass_ratio, "beta": beta_kg_m2, "ve": ve_m_s,
         "theta": theta_rad, "up": up, "d": down_range}  # fmt: skip
    w = OMEGA_EARTH_RAD_S
    y0 = np.array([*r0_ecef, -w * r0_ecef[1], w * r0_ecef[0], 0.0])
    kw = dict(method="DOP853", rtol=rtol, atol=1e-6, args=(p,), dense_output=True)
    boost = solve_ivp(_rates, (0.0, boost_s), y0, **kw)
    coast = solve_ivp(_rates, (boost_s, 4000.0), boost.y[:, -1], events=_ground, **kw)
    t_imp = float(coast.t_events[0][0])

    def position(t_s: float) -> np.ndarray:
        seg = boost if t_s <= boost_s else coast
        return _eci_to_ecef(seg.sol(t_s)[:3], t_s)

    return t_imp, _eci_to_ecef(coast.y_events[0][0][:3], t_imp), position


def _eci_to_ecef(r: np.ndarray, t_s: float) -> np.ndarray:
    c, s = math.cos(OMEGA_EARTH_RAD_S * t_s), math.sin(OMEGA_EARTH_RAD_S * t_s)
    return np.array([c * r[0] + s * r[1], -s * r[0] + c * r[1], r[2]])
