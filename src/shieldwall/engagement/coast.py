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


def length(a: np.ndarray) -> np.ndarray:
    """Euclidean length along the last axis, computed as ``np.linalg.norm(a, axis=-1)``
    computes it for real arrays (the square root of ``add.reduce`` of the squares), without
    its wrapper's overhead."""
    return np.sqrt(np.add.reduce(a * a, axis=-1))


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

    def __init__(self, m: int, h_s: float, inv2b: np.ndarray | None = None, d0: int = 0) -> None:
        self.h, self.half, self.sixth = h_s, 0.5 * h_s, h_s / 6.0
        self.inv2b, self.d0 = inv2b, d0  # drag on the states d0: (inv2b: theirs)
        self._view(m)

    def _view(self, m: int) -> None:
        self.k1, self.k2, self.k3, self.k4, self.st, self.tmp = np.empty((6, 6, m))

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the states of the bool mask ``rows`` from now on."""
        if self.inv2b is not None:
            self.inv2b = self.inv2b[rows[self.d0 :]]
            if self.inv2b.size == 0:
                self.inv2b = None
        self.d0 = int(np.count_nonzero(rows[: self.d0]))
        self._view(int(np.count_nonzero(rows)))

    def _deriv(self, y: np.ndarray, k: np.ndarray, r2=None, h=None) -> None:
        """``k = (v, a)`` at ``y``: ``a`` the gravity of :func:`gravity_ecef` (``r2``: ``|p|^2``
        when known) less, on the states ``d0:``, the drag ``rho(h) |v| v inv2b`` (``h``: the
        height of their positions when known)."""
        p, v, a = y[:3], y[3:], k[3:]
        sq = None
        if r2 is None:
            sq = p * p
            r2 = _norm2_sq(sq)
        k[:3] = v
        np.multiply(p, _NEG_MU / np.maximum(np.sqrt(r2), 1.0) ** 3, out=a)
        k[3:5] += y[4:2:-1] * _CORIOLIS + _W2 * y[:2]
        if self.inv2b is not None:
            d = self.d0
            if h is None:
                h = height_m(p[:, d:], None if sq is None else sq[:, d:])
            rho = RHO0_KG_M3 * np.exp(np.maximum(h, 0.0) / _NEG_SCALE_HEIGHT_M)
            vd = v[:, d:]
            a[:, d:] -= rho * np.sqrt(norm2(vd)) * self.inv2b * vd

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


class _Falls:
    """Bookkeeping of states falling to the ellipsoid (see :func:`fall`): which are still up
    (``live``), their heights ``h``, and the impact points and times found so far."""

    def __init__(self, x: np.ndarray, inv2b: np.ndarray, group: int, window_s) -> None:
        xt = np.asarray(x, dtype=float).T
        h = height_m(xt[:3])
        self.impact = np.full((x.shape[0], 3), np.nan)
        self.t_hit = np.full(x.shape[0], np.inf)
        down = h <= 0.0
        self.impact[down], self.t_hit[down] = x[down, :3], 0.0
        live = np.flatnonzero(~down)
        self.group, self.window, self.n_groups = group, window_s, x.shape[0] // group
        if window_s is not None:
            live = live[~(self.t_hit[::group] < window_s[0])[live // group]]
        self.live, self.h = live, h[live]
        self.y, self.inv2b = xt[:, live], np.asarray(inv2b, dtype=float)[live]

    def late(self, t: float) -> np.ndarray | None:
        """At ``t`` past the window: the mask of live states to keep (groups whose first state
        is down), once; else None."""
        if self.window is None or t <= self.window[1]:
            return None
        live, g = self.live, self.group
        late = np.zeros(self.n_groups, dtype=bool)
        late[live[live % g == 0] // g] = True
        keep = ~late[live // g]
        self.live, self.h, self.window = live[keep], self.h[keep], None
        return keep

    def landed(self, prev: np.ndarray, y: np.ndarray, t: float, h_s: float) -> np.ndarray | None:
        """After the step from ``t`` (positions ``prev`` to ``y`` ``(3, live)``): records the
        states that came down; the mask of live states to keep, or None if all are kept."""
        h, h1, live, g = self.h, height_m(y), self.live, self.group
        hit = h1 <= 0.0
        if not hit.any():
            self.h = h1
            return None
        f = h[hit] / (h[hit] - h1[hit])
        rows = live[hit]
        p0 = prev[:, hit].T
        self.impact[rows] = p0 + f[:, None] * (y[:, hit].T - p0)
        self.t_hit[rows] = t + f * h_s
        keep = ~hit
        if self.window is not None:
            first = rows[rows % g == 0]
            lo, hi = self.window
            out = first[(self.t_hit[first] < lo) | (self.t_hit[first] > hi)] // g
            if out.size:
                gone = np.zeros(self.n_groups, dtype=bool)
                gone[out] = True
                keep &= ~gone[live // g]
        self.live, self.h = live[keep], h1[keep]
        return keep


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
    _, impact, t_hit = coast_together(np.zeros((0, 6)), 0, h_s, 0.0, x, inv2b, max_s, group,
                                      window_s)  # fmt: skip
    return impact, t_hit


def coast_together(
    xg: np.ndarray,
    n_steps: int,
    h_s: float,
    r_below_m: float,
    xd: np.ndarray,
    inv2b: np.ndarray,
    max_s: float,
    group: int = 1,
    window_s: tuple[float, float] | None = None,
    needed: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`gravity_path` of ``xg`` and :func:`fall` of ``xd`` in one integration (the same
    RK4 steps on all states at once: the cost is per step, not per state). Returns the
    paths ``(mg, n_steps, 3)`` and the impact points and times of fall."""
    falls = _Falls(xd, inv2b, group, window_s)
    xg = np.asarray(xg, dtype=float).T
    paths = np.empty((n_steps, 3, xg.shape[1]))
    limit = n_steps if needed is None else min(needed, n_steps)
    if limit == 0:
        paths[:] = xg[None, :3]
        xg = xg[:, :0]
    mg = xg.shape[1]
    y = np.concatenate([xg, falls.y], axis=1)
    coast = Coast(y.shape[1], h_s, falls.inv2b if falls.live.size else None, mg)
    done, below2, t = 0, r_below_m**2, 0.0
    while True:
        on = mg > 0 and done < limit  # the paths still integrated
        if falls.live.size and t >= max_s:  # the rest stays up
            coast.keep(np.arange(y.shape[1]) < mg)
            y, falls.live = y[:, :mg], falls.live[:0]
        if not (on or falls.live.size):
            break
        keep = falls.late(t)
        if keep is not None:
            mask = np.concatenate([np.ones(mg, dtype=bool), keep])
            y = y[:, mask]
            coast.keep(mask)
            continue
        prev = y[:3, mg:].copy()
        coast.step(y, h=falls.h if falls.live.size else None)
        if falls.live.size:
            keep = falls.landed(prev, y[:3, mg:], t, h_s)
            if keep is not None:
                mask = np.concatenate([np.ones(mg, dtype=bool), keep])
                y = y[:, mask]
                coast.keep(mask)
        t += h_s
        if on:
            done += 1
            paths[done - 1] = y[:3, :mg]
            if done == limit or np.all(norm2(y[:3, :mg]) < below2):
                paths[done:] = y[None, :3, :mg]
                coast.keep(np.arange(y.shape[1]) >= mg)
                y, mg = y[:, mg:].copy(), 0
    return paths.transpose(2, 0, 1), falls.impact, falls.t_hit
