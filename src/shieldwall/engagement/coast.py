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
_CORIOLIS = np.array([[2.0 * _W], [-2.0 * _W]])
_W2 = _W * _W  # -w x (w x r) = w^2 (x, y, 0)
_ONE_LESS_E2 = 1.0 - WGS84_E2
_NEG_SCALE_HEIGHT_M = -SCALE_HEIGHT_M  # -max(h, 0) / H, with the sign on H (exact)


def norm2(a: np.ndarray) -> np.ndarray:
    """``|a|^2`` of columns ``a`` ``(3, m)``, rounded as ``np.einsum("ij,ij->i")`` rounds it on
    rows (``gravity_ecef``): ``(a0^2 + a2^2) + a1^2``, its two-lane order (a left-to-right
    sum rounds differently; the tests check the two agree)."""
    return _norm2_sq(a * a)


def _norm2_sq(sq: np.ndarray) -> np.ndarray:
    """:func:`norm2` from the squares ``(3, m)``."""
    return (sq[0] + sq[2]) + sq[1]


def height_m(p: np.ndarray, sq: np.ndarray | None = None) -> np.ndarray:
    """Height of positions ``p`` ``(3, m)`` (``sq``: their squares, when known) above the
    WGS 84 ellipsoid along the radius, as
    :func:`~shieldwall.threats.flight.ellipsoid_height_m` computes it."""
    if sq is None:
        sq = p * p
    rho2 = sq[0] + sq[1]
    r2 = rho2 + sq[2]
    return np.sqrt(r2) - WGS84_A_M * np.sqrt(_ONE_LESS_E2 / (1.0 - WGS84_E2 * (rho2 / r2)))


class Coast:
    """RK4 steps of ``m`` states ``y`` ``(6, m)`` (position, velocity; one contiguous row per
    component, so every operation runs on whole rows) under gravity, plus air drag when
    ``inv2b`` ``(m,)`` (``1 / (2 beta)``) is given; preallocated derivative and stage
    buffers."""

    def __init__(self, m: int, h_s: float, inv2b: np.ndarray | None = None) -> None:
        self.h, self.half, self.sixth = h_s, 0.5 * h_s, h_s / 6.0
        self.inv2b = inv2b
        self._view(m)

    def _view(self, m: int) -> None:
        self.k1, self.k2, self.k3, self.k4, self.st, self.tmp = np.empty((6, 6, m))

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the states ``rows`` (a mask or indices) from now on."""
        self.inv2b = None if self.inv2b is None else self.inv2b[rows]
        self._view(np.arange(self.k1.shape[1])[rows].size)

    def _deriv(self, y: np.ndarray, k: np.ndarray, r2=None, h=None) -> None:
        """``k = (v, a)`` at ``y``: ``a`` the gravity of :func:`gravity_ecef` (``r2``: ``|p|^2``
        when known) less the drag ``rho(h) |v| v inv2b`` (``h``: the height of the positions
        when known)."""
        p, v, a = y[:3], y[3:], k[3:]
        sq = None
        if r2 is None:
            sq = p * p
            r2 = _norm2_sq(sq)
        k[:3] = v
        np.multiply(p, _NEG_MU / np.maximum(np.sqrt(r2), 1.0) ** 3, out=a)
        k[3:5] += y[4:2:-1] * _CORIOLIS + _W2 * y[:2]
        if self.inv2b is not None:
            if h is None:
                h = height_m(p, sq)
            rho = RHO0_KG_M3 * np.exp(np.maximum(h, 0.0) / _NEG_SCALE_HEIGHT_M)
            a -= rho * np.sqrt(norm2(v)) * self.inv2b * v

    def step(self, y: np.ndarray, r2=None, h=None) -> None:
        """One RK4 step of ``y`` (in place); ``r2`` (``|p|^2``) or ``h`` (height) of its
        positions when known."""
        k1, k2, k3, k4, st, tmp = self.k1, self.k2, self.k3, self.k4, self.st, self.tmp
        self._deriv(y, k1, r2, h)
        np.multiply(k1, self.half, out=tmp)
        self._deriv(np.add(y, tmp, out=st), k2)
        np.multiply(k2, self.half, out=tmp)
        self._deriv(np.add(y, tmp, out=st), k3)
        np.multiply(k3, self.h, out=tmp)
        self._deriv(np.add(y, tmp, out=st), k4)
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
    y = np.array(x, dtype=float).T.copy()
    out = np.empty((n_steps, 3, y.shape[1]))
    coast = Coast(y.shape[1], h_s)
    below2 = r_below_m**2
    r2, done = None, 0
    for done in range(1, 1 + (n_steps if needed is None else min(needed, n_steps))):
        coast.step(y, r2=r2)
        out[done - 1] = y[:3]
        r2 = norm2(y[:3])
        if np.all(r2 < below2):
            break
    out[done:] = y[None, :3]
    return out.transpose(2, 0, 1)


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
    xt = np.asarray(x, dtype=float).T
    h = height_m(xt[:3])
    impact = np.full((x.shape[0], 3), np.nan)
    t_hit = np.full(x.shape[0], np.inf)
    down = h <= 0.0
    impact[down], t_hit[down] = x[down, :3], 0.0
    live = np.flatnonzero(~down)
    if window_s is not None:
        lo, hi = window_s
        live = live[~(t_hit[::group] < lo)[live // group]]
    y, h, inv2b = xt[:, live], h[live], np.asarray(inv2b, dtype=float)[live]
    coast = Coast(live.size, h_s, inv2b)
    t = 0.0
    while live.size and t < max_s:
        if window_s is not None and t > hi:  # first rows still up: too late
            late = np.zeros(x.shape[0] // group, dtype=bool)
            late[live[live % group == 0] // group] = True
            keep = ~late[live // group]
            y, h, live = y[:, keep], h[keep], live[keep]
            coast.keep(keep)
            window_s = None
            continue
        prev = y[:3].copy()
        coast.step(y, h=h)
        h1 = height_m(y[:3])
        hit = h1 <= 0.0
        if hit.any():
            f = h[hit] / (h[hit] - h1[hit])
            rows = live[hit]
            p0 = prev[:, hit].T
            impact[rows] = p0 + f[:, None] * (y[:3, hit].T - p0)
            t_hit[rows] = t + f * h_s
            keep = ~hit
            if window_s is not None:
                first = rows[rows % group == 0]
                out = first[(t_hit[first] < lo) | (t_hit[first] > hi)] // group
                if out.size:
                    gone = np.zeros(x.shape[0] // group, dtype=bool)
                    gone[out] = True
                    keep &= ~gone[live // group]
            y, h1, live = y[:, keep], h1[keep], live[keep]
            coast.keep(keep)
        h = h1
        t += h_s
    return impact, t_hit
