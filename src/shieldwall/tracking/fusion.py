"""Track-level fusion maths: covariance intersection and track-to-track association, batched.

Covariance intersection (CI; Julier & Uhlmann, "A non-divergent estimation algorithm in the
presence of unknown correlations", Proc. ACC 1997) fuses two estimates whose cross-correlation
is unknown::

    P^-1 = w P1^-1 + (1 - w) P2^-1
    x    = P (w P1^-1 x1 + (1 - w) P2^-1 x2),     w in [0, 1]

For every ``w`` the result is consistent (``P >= E[e e']`` whatever the cross-covariance), so
``w`` only buys tightness. Here ``w`` is the exact minimiser of ``tr P`` or ``det P``: with
``P1 = L L'`` (Cholesky) and ``L^-1 P2 L^-T = U diag(mu) U'`` (the generalised eigenproblem
``P2 v = mu P1 v``), ``T = L U`` diagonalises both, ``P1 = T T'``, ``P2 = T diag(mu) T'`` and

    P(w) = T diag(g) T',   g_i = mu_i / (1 + w (mu_i - 1))
    x(w) = T z,            z_i = (w mu_i y1_i + (1 - w) y2_i) / (1 + w (mu_i - 1)),  y = T^-1 x

so ``tr P = sum c_i g_i`` (``c_i = |T e_i|^2``) and ``log det P = const + sum log g_i`` are
scalar rational functions of ``w``, both convex on [0, 1]. A safeguarded Newton iteration on
their derivative (bisection whenever Newton leaves the bracket) finds ``w`` to machine precision
in a handful of vectorised steps. ``x`` and ``P`` for that ``w`` are then formed in
information form, which keeps full precision when ``mu`` spans many decades. The fast CI of
Niehsen ("Information fusion based on fast covariance intersection filtering", Proc. FUSION
2002) takes instead ``w = tr P2 / (tr P1 + tr P2)``.

Track-to-track association (Bar-Shalom & Chen, "Multisensor track-to-track association for
tracks with dependent errors", J. Adv. Inf. Fusion 1(1), 2006, with the cross-covariance set to
zero): ``d = x1 - x2``, ``S = P1 + P2``, ``d' S^-1 d ~ chi2(6)`` for the same object. The true
``S`` is ``P1 + P2 - P12 - P12'``; partners' cross-covariance is unknown, and in the usual case
(common process noise, Bar-Shalom, IEEE TAES 17(4), 1981) it is positive, so ignoring it makes
the gate a little looser, not tighter. Pairs are then assigned globally by
``linear_sum_assignment``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from shieldwall.tracking.fastnp import einsum, inv, solve

Criterion = Literal["trace", "det", "fast"]
_NEWTON_STEPS = 60
_BRUTE_FORCE_PAIRS = 4096  # below this many pairs a k-d tree costs more than it saves


def _joint_basis(P1: np.ndarray, P2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``T`` ``(m, d, d)`` and ``mu`` ``(m, d)`` with ``P1 = T T'``, ``P2 = T diag(mu) T'``."""
    L = np.linalg.cholesky(P1)
    Linv = np.linalg.inv(L)
    # B = L^-1 P2 L^-T = U diag(mu) U'
    B = Linv @ P2 @ Linv.transpose(0, 2, 1)
    mu, U = np.linalg.eigh(0.5 * (B + B.transpose(0, 2, 1)))
    return L @ U, np.maximum(mu, 0.0)


def _derivatives(
    w: np.ndarray, mu: np.ndarray, c: np.ndarray, criterion: str
) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivative in ``w`` of ``tr P(w)`` or ``log det P(w)``."""
    a = mu - 1.0
    den = 1.0 + w[:, None] * a
    if criterion == "trace":
        # t = sum c mu / den ; t' = -sum c mu a / den^2 ; t'' = 2 sum c mu a^2 / den^3
        cm = c * mu
        return -(cm * a / den**2).sum(1), 2.0 * (cm * a**2 / den**3).sum(1)
    # l = sum log mu - log den ; l' = -sum a / den ; l'' = sum a^2 / den^2
    return -(a / den).sum(1), ((a / den) ** 2).sum(1)


def optimal_weight(mu: np.ndarray, c: np.ndarray, criterion: str) -> np.ndarray:
    """``w`` ``(m,)`` in [0, 1] minimising ``tr P`` (``criterion="trace"``) or ``det P``
    (``"det"``) given the joint-basis eigenvalues ``mu`` and column norms ``c`` ``(m, d)``.
    Both objectives are convex, so the end points are optimal when the slope there says so;
    otherwise safeguarded Newton on the slope (Press et al., *Numerical Recipes* 3rd ed.,
    sec. 9.4, ``rtsafe``), converged elements frozen so a batch equals its parts."""
    m = mu.shape[0]
    d0, _ = _derivatives(np.zeros(m), mu, c, criterion)
    d1, _ = _derivatives(np.ones(m), mu, c, criterion)
    w = np.where(d1 <= 0.0, 1.0, 0.0)
    active = (d0 < 0.0) & (d1 > 0.0)
    lo, hi = np.zeros(m), np.ones(m)
    w[active] = 0.5
    for _ in range(_NEWTON_STEPS):
        if not active.any():
            break
        i = np.flatnonzero(active)
        g, h = _derivatives(w[i], mu[i], c[i], criterion)
        lo[i] = np.where(g < 0.0, w[i], lo[i])
        hi[i] = np.where(g > 0.0, w[i], hi[i])
        step = w[i] - g / np.maximum(h, 1e-300)
        inside = (step > lo[i]) & (step < hi[i])
        new = np.where(inside, step, 0.5 * (lo[i] + hi[i]))
        done = (np.abs(new - w[i]) <= 1e-15) | (g == 0.0) | (hi[i] - lo[i] <= 1e-15)
        w[i] = new
        active[i[done]] = False
    return w


def covariance_intersection(
    x1: np.ndarray,
    P1: np.ndarray,
    x2: np.ndarray,
    P2: np.ndarray,
    criterion: Criterion = "trace",
    w: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fuse pairs of estimates by CI. ``x1, x2`` ``(m, d)``, ``P1, P2`` ``(m, d, d)``
    positive definite. ``criterion``: ``"trace"`` or ``"det"`` (exact minimiser, Julier &
    Uhlmann 1997) or ``"fast"`` (Niehsen 2002, ``w = tr P2 / (tr P1 + tr P2)``); a given ``w``
    ``(m,)`` overrides it. Returns ``(x, P, w)``."""
    if w is None:
        if criterion == "fast":
            t1, t2 = np.trace(P1, axis1=1, axis2=2), np.trace(P2, axis1=1, axis2=2)
            w = t2 / (t1 + t2)
        elif criterion in ("trace", "det"):
            T, mu = _joint_basis(P1, P2)  # only the exact minimisers need the joint basis
            w = optimal_weight(mu, (T**2).sum(1), criterion)
        else:
            raise ValueError(f"unknown CI criterion {criterion!r}")
    w = np.asarray(w, dtype=float)
    x, P = _fuse_information(x1, P1, x2, P2, w)
    # the end points are the inputs exactly (no round trip through two inversions)
    for end, xe, Pe in ((1.0, x1, P1), (0.0, x2, P2)):
        e = w == end
        x[e], P[e] = xe[e], Pe[e]
    return x, P, w


def _fuse_information(
    x1: np.ndarray, P1: np.ndarray, x2: np.ndarray, P2: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CI for given ``w`` in information form (more accurate than the joint basis when the
    generalised eigenvalues span many decades; checked against 50-digit arithmetic)."""
    I1, I2 = _spd_inverse(P1), _spd_inverse(P2)
    wb = w[:, None, None]
    # P^-1 = w P1^-1 + (1 - w) P2^-1
    P = _spd_inverse(wb * I1 + (1.0 - wb) * I2)
    # x = P (w P1^-1 x1 + (1 - w) P2^-1 x2) = x2 + w P P1^-1 (x1 - x2)  (as P P^-1 = I)
    b = einsum("mij,mj->mi", wb * I1, x1 - x2)
    return x2 + einsum("mij,mj->mi", P, b), P


def _spd_inverse(A: np.ndarray) -> np.ndarray:
    """Symmetric inverse of SPD matrices ``(m, d, d)``."""
    Ai = inv(A)
    return 0.5 * (Ai + Ai.transpose(0, 2, 1))


def ci_gains(P1: np.ndarray, P2: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The linear gains of CI, ``x = K1 x1 + K2 x2`` with ``K1 = w P P1^-1``,
    ``K2 = (1 - w) P P2^-1`` ``(m, d, d)``: what the error covariance of the fused estimate is
    computed from for a known cross-covariance (used by the consistency tests)."""
    I1, I2 = np.linalg.inv(P1), np.linalg.inv(P2)
    wb = w[:, None, None]
    P = np.linalg.inv(wb * I1 + (1.0 - wb) * I2)
    return wb * P @ I1, (1.0 - wb) * P @ I2


def track_pair_candidates(
    pos1_m: np.ndarray, tr1_m2: np.ndarray, pos2_m: np.ndarray, tr2_m2: np.ndarray, gate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` that may pass a chi-square gate ``gate`` on any state that includes
    position: a spatial prefilter by k-d tree (scipy ``cKDTree``) that never loses a pair.
    The joint Mahalanobis distance is at least the position one (Schur complement), and that
    is at least ``|dp|^2 / lambda_max(S_pp) >= |dp|^2 / (tr P1_pp + tr P2_pp)``, so a pair can
    pass only if ``|dp|^2 <= gate (tr1_i + tr2_j)``; ``tr`` are the position-block traces."""
    if pos1_m.shape[0] == 0 or pos2_m.shape[0] == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if pos1_m.shape[0] * pos2_m.shape[0] <= _BRUTE_FORCE_PAIRS:
        # few pairs: test them all (the same pairs in the same order, without a tree)
        dp = pos1_m[:, None, :] - pos2_m[None, :, :]
        i, j = np.nonzero((dp**2).sum(2) <= gate * (tr1_m2[:, None] + tr2_m2[None, :]))
        return i, j
    radius = np.sqrt(gate * (tr1_m2 + tr2_m2.max()))
    hits = cKDTree(pos2_m).query_ball_point(pos1_m, radius)
    counts = np.fromiter((len(h) for h in hits), dtype=np.intp, count=len(hits))
    i = np.repeat(np.arange(pos1_m.shape[0]), counts)
    j = np.concatenate([np.asarray(h, dtype=np.intp) for h in hits]) if i.size else i
    dp = pos1_m[i] - pos2_m[j]
    keep = (dp**2).sum(1) <= gate * (tr1_m2[i] + tr2_m2[j])
    return i[keep], j[keep]


def pair_distances(x1: np.ndarray, P1: np.ndarray, x2: np.ndarray, P2: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance ``d' (P1 + P2)^-1 d`` ``(k,)`` of aligned pairs, ``d = x1 -
    x2``; the cross-covariance of the two tracks is ignored (see module notes)."""
    d = x1 - x2
    # S = P1 + P2 ; d2 = d' S^-1 d
    S = P1 + P2
    return einsum("ki,ki->k", d, solve(S, d[..., None])[..., 0])


def associate_tracks(
    x1: np.ndarray, P1: np.ndarray, x2: np.ndarray, P2: np.ndarray, gate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Globally optimal one-to-one association of track lists 1 ``(n1, 6)`` and 2 ``(n2, 6)``
    (positions first). Cost ``d' S^-1 d`` on gated pairs (``<= gate``, e.g.
    ``associate.gate_threshold(0.9999, 6)``), computed only for the pairs that survive
    :func:`track_pair_candidates`; ``linear_sum_assignment`` on the rows and columns that have
    a candidate, with gated-out pairs forbidden. Needs no source identity, only states and
    covariances. Returns matched indices ``(i, j)`` and their distances, sorted by ``i``."""
    tr1 = P1[:, :3, :3].trace(axis1=1, axis2=2)
    tr2 = P2[:, :3, :3].trace(axis1=1, axis2=2)
    i, j = track_pair_candidates(x1[:, :3], tr1, x2[:, :3], tr2, gate)
    if i.size == 0:
        return i, j, np.zeros(0)
    d2 = pair_distances(x1[i], P1[i], x2[j], P2[j])
    ok = d2 <= gate
    i, j, d2 = i[ok], j[ok], d2[ok]
    if i.size == 0:
        return i, j, d2
    # the distinct rows and columns with a candidate, and each pair's place among them (as
    # np.unique(..., return_inverse=True); the candidates come sorted by i)
    first = np.empty(i.size, dtype=bool)
    first[0] = True
    np.not_equal(i[1:], i[:-1], out=first[1:])
    rows, ri = i[first], np.cumsum(first) - 1
    has = np.zeros(x2.shape[0], dtype=bool)
    has[j] = True
    cols, cj = has.nonzero()[0], (np.cumsum(has) - 1)[j]
    # forbidden pairs cost more than any full set of allowed ones, so the solver maximises the
    # number of gated matches first and minimises their total distance second
    big = gate * (min(rows.size, cols.size) + 1.0) + 1.0
    cost = np.full((rows.size, cols.size), big)
    cost[ri, cj] = d2
    r, c = linear_sum_assignment(cost)
    keep = cost[r, c] < big
    r, c = r[keep], c[keep]
    return rows[r], cols[c], cost[r, c]
