"""RK4 integration of coasting states in the rotating ECEF frame, with few numpy calls per step.

The engagement stage integrates a handful of states (about 10 look-ahead paths, or 15 sigma
points per ballistic track) over tens of 5 s steps every decision cycle, so the cost is numpy's
per-call overhead, not arithmetic. These kernels hold position and velocity as one ``(m, 6)``
state ``y = (p, v)`` with preallocated stage buffers, and evaluate the classical RK4 step
(Press et al., sec. 17.1) ``y + h/6 (k1 + 2 k2 + 2 k3 + k4)`` on it. Every elementwise
operation is the one, in the same order, of :func:`~shieldwall.tracking.kalman.gravity_ecef`
(Vallado, 4th ed., sec. 3.7), of the exponential-atmosphere drag of
:mod:`~shieldwall.engagement.evaluate` and of their RK4 steps, so the results are
bit-identical to them; each row is integrated independently of the others.
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo.wgs84 import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M, WGS84_E2
from shieldwall.threats.flight import RHO0_KG_M3, SCALE_HEIGHT_M

_NEG_MU = -MU_EARTH_M3_S2
_W = OMEGA_EARTH_RAD_S
# -2 w x v = 2 w (v_y, -v_x, 0), taken on the columns (v_y, v_x) = y[:, 4], y[:, 3]
_CORIOLIS = np.array([2.0 * _W, -2.0 * _W])
_W2 = _W * _W  # -w x (w x r) = w^2 (x, y, 0)
_ONE_LESS_E2 = 1.0 - WGS84_E2


def _einsum_rows(a: np.ndarray) -> np.ndarray:
    """Row-wise ``a . a`` of ``(m, 3)``, by ``einsum`` as in ``gravity_ecef`` (a plain sum of
    squares rounds differently)."""
    return np.einsum("ij,ij->i", a, a)


def height_m(p: np.ndarray) -> np.ndarray:
    """Height of ``p`` ``(m, 3)`` above the WGS 84 ellipsoid along the radius, as
    :func:`~shieldwall.threats.flight.ellipsoid_height_m` computes it."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    rho2 = x * x + y * y
    r2 = rho2 + z * z
    cos2 = rho2 / r2
    return np.sqrt(r2) - WGS84_A_M * np.sqrt(_ONE_LESS_E2 / (1.0 - WGS84_E2 * cos2))


class Coast:
    """Derivative and RK4 step buffers for ``m`` states; ``drag`` adds the air drag of
    ``inv2b`` ``(m,)`` (``1 / (2 beta)``) to gravity."""

    def __init__(self, m: int, h_s: float) -> None:
        self.h = h_s
        self.half, self.sixth = 0.5 * h_s, h_s / 6.0
        self.k = [np.empty((m, 6)) for _ in range(4)]
        self.stage = np.empty((m, 6))
        self.acc = np.empty((m, 6))

    def _gravity(self, y: np.ndarray, k: np.ndarray, r2: np.ndarray | None = None) -> None:
        """``k = (v, a)`` with ``a`` the gravity of :func:`gravity_ecef` at ``y``."""
        p = y[:, :3]
        if r2 is None:
            r2 = _einsum_rows(p)
        k[:, :3] = y[:, 3:]
        s = _NEG_MU / np.maximum(np.sqrt(r2), 1.0) ** 3
        np.multiply(p, s[:, None], out=k[:, 3:])
        k[:, 3:5] += y[:, 4:2:-1] * _CORIOLIS + _W2 * y[:, :2]

    def _drag(self, y: np.ndarray, k: np.ndarray, inv2b: np.ndarray, h: np.ndarray | None):
        """``k = (v, a)`` with gravity and drag ``-rho(h) |v| v inv2b`` (``h``: the height of
        ``y``'s positions when known)."""
        self._gravity(y, k)
        if h is None:
            h = height_m(y[:, :3])
        rho = RHO0_KG_M3 * np.exp(-np.maximum(h, 0.0) / SCALE_HEIGHT_M)
        v = y[:, 3:]
        speed = np.sqrt(_einsum_rows(v))
        k[:, 3:] -= (rho * speed * inv2b)[:, None] * v

    def step(self, y: np.ndarray, inv2b: np.ndarray | None = None, r2=None, h=None):
        """One RK4 step of ``y`` (in place). Gravity alone when ``inv2b`` is None; ``r2``
        (``|p|^2`` by einsum) or ``h`` (height) of the current positions when known."""
        k1, k2, k3, k4 = (a[: y.shape[0]] for a in self.k)
        st, tmp = self.stage[: y.shape[0]], self.acc[: y.shape[0]]
        if inv2b is None:
            self._gravity(y, k1, r2)
        else:
            self._drag(y, k1, inv2b, h)
        for k_in, k_out, f in ((k1, k2, self.half), (k2, k3, self.half), (k3, k4, self.h)):
            np.multiply(k_in, f, out=tmp)
            np.add(y, tmp, out=st)
            if inv2b is None:
                self._gravity(st, k_out)
            else:
                self._drag(st, k_out, inv2b, None)
        np.multiply(k2, 2, out=tmp)
        np.add(k1, tmp, out=st)
        np.multiply(k3, 2, out=tmp)
        st += tmp
        st += k4
        st *= self.sixth
        y += st


def gravity_path(
    x: np.ndarray, n_steps: int, h_s: float, r_below_m: float, needed: int | None = None
) -> np.ndarray:
    """Positions ``(m, n_steps, 3)`` of states ``x`` ``(m, 6)`` after each of ``n_steps`` RK4
    steps of ``h_s`` under gravity alone; once every state is inside ``r_below_m`` (surely
    underground), or after the first ``needed`` steps, the rest of the path stays at the last
    positions."""
    y = np.array(x, dtype=float)
    out = np.empty((y.shape[0], n_steps, 3))
    coast = Coast(y.shape[0], h_s)
    below2 = r_below_m**2
    r2, done = None, 0
    for done in range(1, 1 + (n_steps if needed is None else min(needed, n_steps))):
        coast.step(y, r2=r2)
        out[:, done - 1] = y[:, :3]
        r2 = _einsum_rows(y[:, :3])
        if np.all(r2 < below2):
            break
    out[:, done:] = y[:, None, :3]
    return out


def fall(
    x: np.ndarray,
    inv2b: np.ndarray,
    h_s: float,
    max_s: float,
    group: int = 1,
    window_s: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Impact point ``(m, 3)`` (linear in height between the last two steps) and time of fall
    ``(m,)`` of states ``x`` ``(m, 6)`` under gravity and drag (``inv2b = 1 / (2 beta)``),
    RK4 steps of ``h_s`` until every state is down or ``max_s`` has passed (NaN and inf for
    those still up). Only the states still falling are integrated.

    With ``window_s = (lo, hi)`` the rows come in consecutive groups of ``group`` (the sigma
    points of one track, its centre first) and a group whose first row comes down before
    ``lo`` or not by ``hi`` is no longer followed (its other rows may stay NaN and inf): a
    caller that only needs groups whose first row falls within the window saves the steps."""
    h = height_m(x[:, :3])
    impact = np.full((x.shape[0], 3), np.nan)
    t_hit = np.full(x.shape[0], np.inf)
    down = h <= 0.0
    impact[down], t_hit[down] = x[down, :3], 0.0
    live = np.flatnonzero(~down)
    y, h, inv2b = x[live], h[live], np.asarray(inv2b, dtype=float)[live]
    if window_s is not None:
        lo, hi = window_s
        drop = (t_hit[::group] < lo)[live // group]
        y, h, inv2b, live = y[~drop], h[~drop], inv2b[~drop], live[~drop]
    coast = Coast(live.size, h_s)
    t = 0.0
    while live.size and t < max_s:
        if window_s is not None and t > hi:  # first rows still up: too late
            late = np.zeros(x.shape[0] // group, dtype=bool)
            late[live[live % group == 0] // group] = True
            keep = ~late[live // group]
            y, h, inv2b, live = y[keep], h[keep], inv2b[keep], live[keep]
            window_s = None
            continue
        prev = y[:, :3].copy()
        coast.step(y, inv2b, h=h)
        h1 = height_m(y[:, :3])
        hit = h1 <= 0.0
        if hit.any():
            f = (h[hit] / (h[hit] - h1[hit]))[:, None]
            rows = live[hit]
            impact[rows] = prev[hit] + f * (y[hit, :3] - prev[hit])
            t_hit[rows] = t + f[:, 0] * h_s
            keep = ~hit
            if window_s is not None:
                first = rows[rows % group == 0]
                out = first[(t_hit[first] < lo) | (t_hit[first] > hi)] // group
                if out.size:
                    gone = np.zeros(x.shape[0] // group, dtype=bool)
                    gone[out] = True
                    keep &= ~gone[live // group]
            y, h1, inv2b, live = y[keep], h1[keep], inv2b[keep], live[keep]
        h = h1
        t += h_s
    return impact, t_hit
