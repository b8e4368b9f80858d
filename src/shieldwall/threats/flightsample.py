"""Reading a recorded flight (:func:`shieldwall.threats.flight.propagate` with its step history)
at any times: ECEF positions and Earth-relative velocities by cubic Hermite interpolation
between the integrator's steps, for every missile at once."""

from __future__ import annotations

import numpy as np

from shieldwall.threats.flight import Flight, eci_to_ecef, hermite, relative_velocity


def sample(flight: Flight, t_s: np.ndarray, omega: float) -> tuple[np.ndarray, np.ndarray]:
    """ECEF positions and Earth-relative velocities (n, K, 3) at missile times ``t_s`` (n, K),
    by cubic Hermite interpolation between the recorded steps (error ~ h^4 |r''''| / 384:
    centimetres in free flight, about 0.1 m at peak reentry deceleration with 1 s steps;
    checked against DOP853 in the tests). Times are clamped to [0, impact]."""
    th, rh, vh = flight.t_hist, flight.r_hist, flight.v_hist
    assert th is not None and rh is not None and vh is not None, "propagate(history=True)"
    n, S = th.shape
    tq = np.clip(t_s, 0.0, flight.impact_t_s[:, None])
    span = float(th.max()) + 1.0
    offset = np.arange(n)[:, None] * span
    # bracketing step of every query, all rows at once: rows are laid end to end in time
    j = np.searchsorted((th + offset).ravel(), (tq + offset).ravel(), side="right") - 1
    j = np.clip(j.reshape(tq.shape) - np.arange(n)[:, None] * S, 0, S - 2)
    rows = np.arange(n)[:, None]
    t0, t1 = th[rows, j], th[rows, j + 1]
    h = np.where(t1 > t0, t1 - t0, 1.0)
    s = np.clip((tq - t0) / h, 0.0, 1.0)[..., None]
    hh = h[..., None]
    p = hermite(rh[rows, j], vh[rows, j], rh[rows, j + 1], vh[rows, j + 1], hh, s)
    # velocity: derivative of the Hermite cubic
    s2 = s * s
    vel = (
        (6 * s2 - 6 * s) * rh[rows, j]
        + (3 * s2 - 4 * s + 1) * hh * vh[rows, j]
        + (-6 * s2 + 6 * s) * rh[rows, j + 1]
        + (3 * s2 - 2 * s) * hh * vh[rows, j + 1]
    ) / hh
    p3, v3 = np.moveaxis(p, -1, 0), np.moveaxis(vel, -1, 0)
    pos = eci_to_ecef(p3, tq, omega)
    vel = eci_to_ecef(relative_velocity(p3, v3, omega), tq, omega)
    return np.moveaxis(pos, 0, -1), np.moveaxis(vel, 0, -1)
