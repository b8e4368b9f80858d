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
# the same constants as 0-d arrays: a Python float operand costs a numpy call more than one
_ONE, _ZERO, _TWO, _THREE = np.array(1.0), np.array(0.0), np.array(2.0), np.array(3.0)
_NEG_MU_0D, _W2_0D = np.array(_NEG_MU), np.array(_W2)
_TWO_W, _NEG_TWO_W = np.array(_CORIOLIS[0, 0]), np.array(_CORIOLIS[1, 0])
_E2, _A, _ONE_LESS_E2_0D = np.array(WGS84_E2), np.array(WGS84_A_M), np.array(_ONE_LESS_E2)
_NEG_H, _RHO0 = np.array(_NEG_SCALE_HEIGHT_M), np.array(RHO0_KG_M3)


def length(a: np.ndarray) -> np.ndarray:
    """Euclidean length along the last axis, computed as ``np.linalg.norm(a, axis=-1)``
    computes it for real arrays (the square root of ``add.reduce`` of the squares), without
    its wrapper's overhead. Three components are summed as ``add.reduce`` sums them,
    ``(x^2 + y^2) + z^2``, in two adds: a reduction over so short an axis costs four times
    more (the tests check the two agree)."""
    sq = a * a
    if sq.shape[-1] != 3:
        return np.sqrt(np.add.reduce(sq, axis=-1))
    out = sq[..., 0] + sq[..., 1]
    out += sq[..., 2]
    return np.sqrt(out, out=out)


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
    """RK4 steps of ``m`` states (position, velocity; one contiguous row per component) under
    gravity, plus air drag on the states ``d0:`` when ``inv2b`` (``1 / (2 beta)`` of those)
    is given.

    Stage ``i`` lives in ``buf[i]`` ``(9, m)``: its state ``(p, v)`` and its acceleration
    ``a``, so that its derivative ``k_i = (v, a)`` is the view ``buf[i, 3:]`` (no copy of
    ``v``). ``y`` (``buf[0, :6]``) is the current state; its derivative ``k1`` is evaluated
    right after each step (and at construction), which gives ``r2`` (``|p|^2``) of every
    state and the ``height`` of the dragged ones for the caller's stop rules. Per-call
    overhead is what costs here, so every operand is a contiguous block of one shape or a
    0-d constant (numpy's fast path: broadcasting, strided views and Python-float operands
    each cost about as much as the operation), every view is made once per width, and every
    result lands in a preallocated buffer."""

    def __init__(self, y: np.ndarray, h_s: float, inv2b: np.ndarray | None = None,
                 d0: int = 0) -> None:  # fmt: skip
        self.steps = (np.array(0.5 * h_s), np.array(0.5 * h_s), np.array(h_s))
        self.sixth = np.array(h_s / 6.0)
        self.inv2b, self.d0 = inv2b, d0  # drag on the states d0: (inv2b: theirs)
        buf = np.empty((4, 9, y.shape[1]))
        buf[0, :6] = y
        self._views(buf)
        self._deriv(*self.stage[0])

    def _views(self, buf: np.ndarray) -> None:
        """Stage buffers ``buf`` ``(4, 9, m)`` (``buf[0]``: ``y`` and its ``k1``), fresh work
        buffers for their width, and the views of both that the kernel uses."""
        m, d = buf.shape[2], self.d0
        self.buf, self.y = buf, buf[0, :6]
        w = np.empty((21, m))
        sq, r2v, self.norm, self.g = w[0:6], w[6:8], w[8:10], w[10]
        self.c2, self.w2p, self.tmp = w[11:13], w[13:15], w[15:21]
        self.k23 = np.empty((2, 6, m))
        self.r2 = r2v[0]
        drag = self.inv2b is not None
        roots = (r2v, self.norm) if drag else (r2v[0], self.norm[0])  # |v| only for drag
        self.sums = (sq, sq[0], sq[1], sq[2], sq[3], sq[4], sq[5], r2v[0], r2v[1], *roots,
                     self.norm[0], self.c2[0], self.c2[1])  # fmt: skip
        v = np.empty((10, m - d if drag else 0))
        self.height = v[5]
        self.hv = (sq[0, d:], sq[1, d:], sq[2, d:], v[0], v[1:3], v[2], v[1], v[3:5], v[3],
                   v[4], v[5], v[6], self.norm[1, d:], v[7:10])  # fmt: skip
        self.stage = [(b[:6], b[6:], b[6:8], b[:3], b[:2], b[3], b[4], b[3:6, d:], b[6:9, d:])
                      for b in buf]  # fmt: skip
        self.k = [b[3:] for b in buf]
        self.ks = (buf[0, 3:], self.k23[0], self.k23[1], buf[3, 3:], buf[1:3, 3:])

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the states of the bool mask ``rows`` from now on."""
        if self.inv2b is not None:
            self.inv2b = self.inv2b[rows[self.d0 :]]
            if self.inv2b.size == 0:
                self.inv2b = None
        self.d0 = int(np.count_nonzero(rows[: self.d0]))
        self._views(self.buf[:, :, rows])  # k1 of the kept states kept

    def _deriv(self, s, a, a01, p, p01, vx, vy, vd, ad) -> None:
        """``a`` at the state ``s`` (views of one stage, see :meth:`_views`): the gravity of
        :func:`gravity_ecef` less, on the states ``d0:``, the drag ``rho(h) |v| v inv2b``,
        each operation as there (see the module docstring)."""
        sq, sq0, sq1, sq2, sq3, sq4, sq5, r2, v2, squared, roots, r, c0, c1 = self.sums
        g, c2, w2p, drag = self.g, self.c2, self.w2p, self.inv2b is not None
        mul, add = np.multiply, np.add
        mul(s, s, sq)
        # |p|^2 and |v|^2 in norm2's order: (x^2 + z^2) + y^2
        add(sq0, sq2, r2)
        add(r2, sq1, r2)
        if drag:
            add(sq3, sq5, v2)
            add(v2, sq4, v2)
        np.sqrt(squared, roots)
        # a = p (-mu / max(|p|, 1)^3)
        np.maximum(r, _ONE, out=g)
        np.power(g, _THREE, g)
        np.divide(_NEG_MU_0D, g, g)
        mul(p, g, a)
        # + (-2 w x v) + (-w x (w x r)) on x and y: a += (2 w v_y, -2 w v_x) + w^2 (x, y)
        mul(vy, _TWO_W, c0)
        mul(vx, _NEG_TWO_W, c1)
        mul(p01, _W2_0D, w2p)
        add(c2, w2p, c2)
        add(a01, c2, a01)
        if drag:
            self._drag(vd, ad)

    def _drag(self, vd, ad) -> None:
        """``ad -= rho(h) |v| inv2b vd`` on the dragged states (after :meth:`_deriv`'s
        squares and roots), with their ``height`` as :func:`height_m` computes it."""
        sq0, sq1, sq2, rho2, hq, q, r2h, hs, root_r2, root_q, h, e, speed, f = self.hv
        div, mul = np.divide, np.multiply
        # height: sqrt(r2) - A sqrt((1 - e2) / (1 - e2 rho2 / r2))
        np.add(sq0, sq1, rho2)
        np.add(rho2, sq2, r2h)
        div(rho2, r2h, q)
        mul(q, _E2, q)
        np.subtract(_ONE, q, q)
        div(_ONE_LESS_E2_0D, q, q)
        np.sqrt(hq, hs)
        mul(root_q, _A, h)
        np.subtract(root_r2, h, h)
        # rho0 exp(-max(h, 0) / H) |v| inv2b
        np.maximum(h, _ZERO, out=e)
        div(e, _NEG_H, e)
        np.exp(e, e)
        mul(e, _RHO0, e)
        mul(e, speed, e)
        mul(e, self.inv2b, e)
        mul(vd, e, f)
        np.subtract(ad, f, ad)

    def step(self) -> None:
        """One RK4 step of ``y`` (in place), then ``k1`` (``r2``, ``height``) at the new ``y``."""
        tmp, y, k, stage = self.tmp, self.y, self.k, self.stage
        mul, add = np.multiply, np.add
        for i in (1, 2, 3):
            mul(k[i - 1], self.steps[i - 1], tmp)
            add(y, tmp, stage[i][0])
            self._deriv(*stage[i])
        # y += h/6 (((k1 + 2 k2) + 2 k3) + k4)
        k1, k2x2, k3x2, k4, k23 = self.ks
        mul(k23, _TWO, self.k23)
        add(k1, k2x2, tmp)
        add(tmp, k3x2, tmp)
        add(tmp, k4, tmp)
        mul(tmp, self.sixth, tmp)
        add(y, tmp, y)
        self._deriv(*stage[0])


def gravity_path(
    x: np.ndarray, n_steps: int, h_s: float, r_below_m: float, needed: int | None = None
) -> np.ndarray:
    """Positions ``(m, n_steps, 3)`` of states ``x`` ``(m, 6)`` after each of ``n_steps`` RK4
    steps of ``h_s`` under gravity alone; once every state is inside ``r_below_m`` (surely
    underground), or after the first ``needed`` steps, the rest of the path stays at the last
    positions."""
    coast = Coast(np.asarray(x, dtype=float).T, h_s)
    y = coast.y
    out = np.empty((n_steps, 3, y.shape[1]))
    below2 = r_below_m**2
    done = 0
    for done in range(1, 1 + (n_steps if needed is None else min(needed, n_steps))):
        coast.step()
        out[done - 1] = y[:3]
        if y.shape[1] == 0 or coast.r2.max() < below2:
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

    def landed(
        self, prev: np.ndarray, y: np.ndarray, h1: np.ndarray, t: float, h_s: float
    ) -> np.ndarray | None:
        """After the step from ``t`` (positions ``prev`` to ``y`` ``(3, live)``, now at heights
        ``h1``, a buffer the next step overwrites): records the states that came down; the
        mask of live states to keep, or None if all are kept."""
        h, live, g = self.h, self.live, self.group
        hit = h1 <= 0.0
        if not hit.any():
            self.h = h1.copy()
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
    coast = Coast(np.concatenate([xg, falls.y], axis=1), h_s,
                  falls.inv2b if falls.live.size else None, mg)  # fmt: skip
    done, below2, t = 0, r_below_m**2, 0.0
    while True:
        on = mg > 0 and done < limit  # the paths still integrated
        if falls.live.size and t >= max_s:  # the rest stays up
            coast.keep(np.arange(coast.y.shape[1]) < mg)
            falls.live = falls.live[:0]
        if not (on or falls.live.size):
            break
        keep = falls.late(t)
        if keep is not None:
            coast.keep(np.concatenate([np.ones(mg, dtype=bool), keep]))
            continue
        y = coast.y
        prev = y[:3, mg:].copy()
        coast.step()
        below = on and coast.r2[:mg].max() < below2
        if falls.live.size:
            keep = falls.landed(prev, y[:3, mg:], coast.height, t, h_s)
            if keep is not None:
                coast.keep(np.concatenate([np.ones(mg, dtype=bool), keep]))
                y = coast.y
        t += h_s
        if on:
            done += 1
            paths[done - 1] = y[:3, :mg]
            if done == limit or below:
                paths[done:] = y[None, :3, :mg]
                coast.keep(np.arange(y.shape[1]) >= mg)
                mg = 0
    return paths.transpose(2, 0, 1), falls.impact, falls.t_hit
