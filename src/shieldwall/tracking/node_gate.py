"""Retrodicted gating of several nations' tracks and detections at once (see
:func:`~shieldwall.tracking.frame.retro_gate` for the method), with two cheap necessary
conditions before the chi-square test, so that the 3x3 solves run only on plausible pairs.

1. **Ball.** A track can only take a detection within ``radius`` of it (the ball of
   :func:`~shieldwall.tracking.frame._near`); the squared distances of all pairs come from one
   matrix product, ``|p - z|^2 = |p|^2 + |z|^2 - 2 p.z``, whose rounding error (a few ulps of
   ``|p|^2 + |z|^2``, centimetres squared at the Earth's radius) is covered by a margin.
2. **Trace.** ``d2 = y' S^-1 y >= |y|^2 / lambda_max(S) >= |y|^2 / tr S`` for ``S``
   positive definite, and ``tr S`` of a pair takes a few traces of the track's covariance
   blocks: a pair with ``|y|^2 > gamma tr S`` (with a margin) is outside the gate.

Both only drop pairs that the chi-square gate drops, so the pairs inside the gate and every
number computed for them are those of :func:`~shieldwall.tracking.frame.retro_gate`.
"""

from __future__ import annotations

import numpy as np

from shieldwall.tracking.fastnp import amax, amin, einsum, logdet, solve
from shieldwall.tracking.filters import LOG_2PI
from shieldwall.tracking.frame import ALL_PAIRS_MAX, EYE3, Frame

BALL_MARGIN = 1e-12  # of |p|^2 + |z|^2: far above the rounding of the expanded distance
TRACE_MARGIN = 1.001  # on gamma tr S: far above the rounding of the trace


def stack_gate(x, P, acc, q, t_s: float, frame: Frame, gamma: float, tn, nation):
    """The (track, detection) pairs of one nation (tracks' ``tn`` ``(k,)``, detections'
    ``nation`` ``(m,)``) inside the chi-square gate ``gamma``, by track then detection: ``ti``,
    ``dj``, innovation ``y``, ``qt = q tau^3 / 3`` and ``loglik``; None when there are none.
    Tracks ``x`` ``(k, 6)``, ``P`` held at ``t_s``, known acceleration ``acc`` (None: zero),
    process noise ``q`` ``(k,)``."""
    k, m = x.shape[0], frame.t_s.size
    mask = tn[:, None] == nation
    diag, tr_r = P.diagonal(0, 1, 2), einsum("mii->m", frame.R)  # diag: a view, as einsum's
    tr = np.add.reduce(diag.reshape(k, 2, 3), 2)  # tr Ppp, tr Pvv
    if k * m > ALL_PAIRS_MAX:
        mask &= _ball(x, tr, acc, q, t_s, frame, float(amax(tr_r)), gamma)
    ti, dj = mask.nonzero()
    if ti.size == 0:
        return None
    # y = z - (p - tau v + a tau^2 / 2), as frame._retro_terms
    tau = t_s - frame.t_s.take(dj)
    xt = x.take(ti, 0)
    t = tau[:, None]
    back = xt[:, :3] - t * xt[:, 3:]
    if acc is not None:
        back = back + 0.5 * acc.take(ti, 0) * (t * t)
    y = frame.z.take(dj, 0) - back
    qt = q.take(ti) * tau**3 / 3.0
    # tr S = tr Ppp - 2 tau tr Ppv + tau^2 tr Pvv + tr R + 3 q tau^3 / 3
    tr_pv = einsum("kii->k", P[:, :3, 3:])
    tr_s = (tr[:, 0].take(ti) - 2.0 * tau * tr_pv.take(ti) + tau * tau * tr[:, 1].take(ti)
            + tr_r.take(dj) + 3.0 * qt)  # fmt: skip
    keep = (np.add.reduce(y * y, 1) <= TRACE_MARGIN * gamma * tr_s).nonzero()[0]
    if keep.size == 0:
        return None
    if keep.size < ti.size:
        ti, dj, tau, qt = ti.take(keep), dj.take(keep), tau.take(keep), qt.take(keep)
        y = y.take(keep, 0)
    # S = H P H' + R + q tau^3 / 3 I, as frame._retro_terms
    Pt = P.take(ti, 0)
    tb = tau[:, None, None]
    Pc = Pt[:, :3, 3:]
    S = Pt[:, :3, :3] - tb * (Pc + Pc.transpose(0, 2, 1)) + (tb * tb) * Pt[:, 3:, 3:]
    S = S + frame.R.take(dj, 0)
    S += qt[:, None, None] * EYE3
    # d2 = y' S^-1 y; ln N(y; 0, S) only inside the gate (as filters.gaussian_loglik: the
    # same kernels, each pair's numbers independent of the others)
    d2 = einsum("ni,ni->n", y, solve(S, y[:, :, None])[:, :, 0])
    inside = (d2 <= gamma).nonzero()[0]
    if inside.size == 0:
        return None
    if inside.size < ti.size:
        ti, dj, y, qt = ti.take(inside), dj.take(inside), y.take(inside, 0), qt.take(inside)
        d2, S = d2.take(inside), S.take(inside, 0)
    loglik = -0.5 * (d2 + logdet(S) + y.shape[1] * LOG_2PI)
    return ti, dj, y, qt, loglik


def _ball(x, tr, acc, q, t_s: float, frame: Frame, tr_r_max: float, gamma: float):
    """``(k, m)`` mask of the pairs inside :func:`~shieldwall.tracking.frame._near`'s ball
    (its radius, the distance by one matrix product; see the module docstring); ``tr``
    ``(k, 2)``: the traces of each track's position and velocity covariances."""
    tau_max = t_s - float(amin(frame.t_s))
    # sqrt(tr Ppp), sqrt(tr Pvv)
    sd = np.sqrt(tr)
    spread = sd[:, 0] + tau_max * sd[:, 1]
    tr_s = spread * spread + (tr_r_max + q * tau_max**3)
    v = x[:, 3:]
    radius = np.sqrt(gamma * tr_s) + tau_max * np.sqrt(einsum("ki,ki->k", v, v))
    if acc is not None:
        radius += 0.5 * tau_max**2 * np.sqrt(einsum("ki,ki->k", acc, acc))
    p, z = x[:, :3], frame.z
    # |p - z|^2 <= r^2, with |p - z|^2 = |p|^2 + |z|^2 - 2 p.z, the margin taken off the
    # squared norms: (1 - M) |p|^2 - r^2 + (1 - M) |z|^2 <= 2 p.z (three (k, m) operations)
    a = (1.0 - BALL_MARGIN) * einsum("ki,ki->k", p, p) - radius * radius
    b = (1.0 - BALL_MARGIN) * einsum("mi,mi->m", z, z)
    return a[:, None] + b <= (2.0 * p) @ z.T
