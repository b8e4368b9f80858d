"""Pricing for the set-partitioning lower bound of the static WTA: at weapon prices ``lam``, the
best multiset of units for every target, by a vectorised branch and bound.

For target j (value v, log-survivals ``q_i = -log(1 - p_ij)``) and prices ``lam_i >= 0``:

    g_j(lam) = min over integer 0 <= x_i <= c_i of  v e^{-sum_i q_i x_i} + sum_i lam_i x_i

(the pricing problem of the column generation in :mod:`shieldwall.engagement.wta_bound`). The
weapons are ranked by their price per unit of exposure, ``rho_i = lam_i / q_i``, and a multiset is
built in that order. Every completion of a partial multiset from rank k on costs at least its
continuous relaxation (a fractional covering knapsack, Martello & Toth, "Knapsack problems", 1990,
section 2.2, under the convex survival term):

    phi(v', k) = min_y  v' e^{-y} + K_k(y),   K_k piecewise linear with slopes rho_k <= rho_k+1 ...

whose minimum lies where ``v' e^{-y}`` meets the slope ``rho_l`` of the segment holding y
(``y = log(v' / rho_l)``, clipped to the segment), found by bisection over the segments. Since
``phi`` can only grow as ranks are dropped, the children of a node worth expanding are a range of
ranks, also found by bisection. The search runs level by level (one unit more per level) over all
targets at once. When the work ``budget`` runs out, the nodes left unexpanded contribute their
bound instead, so ``lower`` is a valid lower bound on g_j either way, equal to it when ``exact``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

HUGE = 1e300  # rho of a weapon that cannot hit the target (p = 0) or has no units
SAFETY = 1e-12  # relative margin taken off every lower bound for rounding in the bounds
CHUNK = 400_000  # children materialised at once
MAX_DEPTH = 24  # units in one multiset (deeper nodes are bounded, not expanded)


@dataclass(frozen=True, slots=True)
class Priced:
    """Pricing result: ``lower`` ``(T,)`` lower bounds on g_j; ``found`` ``(T,)`` the value of the
    best multiset found for each target; candidate columns, the best multiset of each size met in
    the search for each target: ``col_t`` ``(n,)`` its target, ``col_w`` ``(n, D)`` the weapon of
    each unit (-1 padded), ``col_f`` ``(n,)`` its value ``v e^{-Q} + Lam``; ``exact`` True when no
    node was left unexpanded."""

    lower: np.ndarray
    found: np.ndarray
    col_t: np.ndarray
    col_w: np.ndarray
    col_f: np.ndarray
    exact: bool


class Ranked:
    """Each target's weapons ranked by ``rho = lam / q`` ascending: ``w`` ``(T, W)`` the weapon at
    each rank, and ``q``, ``lam``, ``rho``, ``cap`` at each rank (cap 0 where q = 0); cumulative
    exposure ``cq`` and cost ``cl`` ``(T, W + 1)`` of all units of the ranks before."""

    def __init__(self, q: np.ndarray, cap: np.ndarray, lam: np.ndarray) -> None:
        qt = q.T
        ok = (qt > 0) & (cap > 0)[None, :]
        rho = np.where(ok, lam[None, :] / np.where(ok, qt, 1.0), HUGE)
        self.w = np.argsort(rho, axis=1, kind="stable")
        self.q = np.take_along_axis(np.where(ok, qt, 0.0), self.w, axis=1)
        self.rho = np.take_along_axis(rho, self.w, axis=1)
        self.lam = lam[self.w]
        self.cap = np.take_along_axis(np.where(ok, cap[None, :], 0), self.w, axis=1)
        zero = np.zeros((qt.shape[0], 1))
        self.cq = np.hstack([zero, np.cumsum(self.cap * self.q, axis=1)])
        self.cl = np.hstack([zero, np.cumsum(self.cap * self.lam, axis=1)])
        self.n_ok = ok.sum(axis=1)
        self.W = qt.shape[1]
        # flat copies for fast gathers, and h = cq_{l+1} + log rho_l (nondecreasing in l)
        self.logrho = np.log(np.clip(self.rho, 1e-300, HUGE))
        self.qf, self.lamf, self.rhof = self.q.ravel(), self.lam.ravel(), self.rho.ravel()
        self.cqf, self.clf = self.cq.ravel(), self.cl.ravel()
        self.logrhof = self.logrho.ravel()
        self.hf = (self.cq[:, 1:] + self.logrho).ravel()

    def phi(self, j: np.ndarray, k: np.ndarray, m: np.ndarray, lvp: np.ndarray) -> np.ndarray:
        """Lower bound on ``v' e^{-Q_B} + Lam_B`` over multisets B of ``m`` units of rank ``k`` at
        most and any units of the ranks after it (module docstring), ``lvp = log v'``; ``(N,)``.

        Segment l >= k ends at exposure ``y(l + 1) = m q_k - cq_{k+1} + cq_{l+1}``; the minimum
        lies in the first segment with ``v' e^{-y(l + 1)} <= rho_l``, that is with
        ``h_l = cq_{l+1} + log rho_l >= log v' + cq_{k+1} - m q_k``, and h grows with l."""
        W = self.W
        row = j * W
        rowc = j * (W + 1)
        kc = np.minimum(k, W - 1)
        qk, lk = self.qf[row + kc], self.lamf[row + kc]
        cq1, cl1 = self.cqf[rowc + kc + 1], self.clf[rowc + kc + 1]
        target = lvp + cq1 - m * qk
        lo, hi = k.copy(), np.full(k.shape, W)
        while (act := lo < hi).any():
            mid = (lo + hi) // 2
            stop = act & (self.hf[row + np.minimum(mid, W - 1)] >= target)
            hi = np.where(stop, mid, hi)
            lo = np.where(act & ~stop, mid + 1, lo)
        # segment lo spans [ys, ye]; K(ys) = cost of all units before it
        at_k = lo == k
        ys = np.where(at_k, 0.0, m * qk - cq1 + self.cqf[rowc + lo])
        cost = np.where(at_k, 0.0, m * lk - cl1 + self.clf[rowc + lo])
        inside = lo < W
        lc = row + np.minimum(lo, W - 1)
        ye = np.where(inside, m * qk - cq1 + self.cqf[rowc + np.minimum(lo + 1, W)], ys)
        rho = np.where(inside, self.rhof[lc], 0.0)
        # y* = log(v' / rho_l) clipped to the segment; K(y*) = K(ys) + rho_l (y* - ys)
        y = np.clip(lvp - self.logrhof[lc], ys, ye)
        return np.exp(lvp - y) + cost + rho * (y - ys)


def greedy_sets(v: np.ndarray, q: np.ndarray, cap: np.ndarray, lam: np.ndarray, depth: int = 8):
    """Per target, units added one at a time by largest gain ``v' (1 - e^{-q_i}) - lam_i`` while
    positive: (values ``(T,)``, weapons ``(T, depth)`` -1 padded). A first incumbent."""
    T, W = v.size, cap.size
    gain1 = 1.0 - np.exp(-q.T)  # (T, W)
    left = np.broadcast_to(cap, (T, W)).copy()
    vp, cost = v.copy(), np.zeros(T)
    sets = np.full((T, depth), -1)
    rows = np.arange(T)
    for d in range(depth):
        gain = np.where(left > 0, vp[:, None] * gain1 - lam[None, :], -np.inf)
        i = gain.argmax(axis=1)
        go = gain[rows, i] > 0
        if not go.any():
            break
        r, i = rows[go], i[go]
        sets[r, d] = i
        left[r, i] -= 1
        cost[r] += lam[i]
        vp[r] *= np.exp(-q[i, r])
    return vp + cost, sets


def price(
    v: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    lam: np.ndarray,
    budget: int = 20_000_000,
    known: np.ndarray | None = None,
    deadline: float = np.inf,
) -> Priced:
    """Best multisets at prices ``lam`` ``(W,)`` (module docstring); ``q`` ``(W, T)``, ``cap``
    ``(W,)`` units per weapon; ``budget`` caps the nodes evaluated and ``deadline``
    (``time.perf_counter``) the time; ``known`` ``(T,)`` values of multisets known already (the
    search looks for better ones only)."""
    T = v.size
    ranked = Ranked(q, cap, lam)
    greedy, gsets = greedy_sets(v, q, cap, lam)
    cols = [(np.arange(T), gsets, greedy.copy())]
    found = greedy if known is None else np.minimum(greedy, known)
    floor = np.full(T, np.inf)
    # a node: target j, last rank k with m units of it still free, log of the value left
    # lv = log v_j - Q, cost L, ranks taken
    j = np.flatnonzero(v > 0)
    k = np.zeros(j.size, dtype=np.int64)
    m = ranked.cap[j, 0].astype(np.int64)
    lv, L = np.log(v[j]), np.zeros(j.size)
    path = np.zeros((j.size, 0), dtype=np.int64)
    exact = True
    for _ in range(MAX_DEPTH):
        if j.size == 0 or time.perf_counter() >= deadline:
            break
        lo, n = _children_range(ranked, j, k, m, lv, L, found)
        if n.sum() > budget:  # bound the worst nodes instead of expanding them
            bound = L + ranked.phi(j, k, m, lv)
            order = np.argsort(bound, kind="stable")
            cut = order[np.cumsum(n[order]) > budget]
            np.minimum.at(floor, j[cut], bound[cut])
            n[cut] = 0
            exact = False
        budget -= int(n.sum())
        late, children, level = _expand(ranked, found, j, k, m, lv, L, path, lo, n, deadline)
        if late.size:  # out of time: bound the nodes not expanded
            np.minimum.at(floor, j[late], L[late] + ranked.phi(j[late], k[late], m[late], lv[late]))
            exact = False
        j, k, m, lv, L, path = children
        cols.append(level)
    if j.size:  # out of depth or time: bound what is left
        bound = L + ranked.phi(j, k, m, lv)
        np.minimum.at(floor, j, bound)
        exact = False
    lower = np.minimum(found, floor) * (1.0 - SAFETY)
    return Priced(lower, found, *_stack_columns(cols), exact)


def _children_range(ranked: Ranked, j, k, m, lv, L, found):
    """(first child rank, number of children) per node: the ranks r >= k (r = k only while units
    of k are free) whose completions may still beat the target's best, L + phi(r) < found_j."""
    W = ranked.W
    first = np.where(m >= 1, k, k + 1)
    end = ranked.n_ok[j]
    lo, hi = first.copy(), np.maximum(end, first)
    while (act := lo < hi).any():
        mid = np.minimum((lo + hi) // 2, W - 1)
        units = np.where(mid == k, m, ranked.cap[j, mid])
        stop = act & (L + ranked.phi(j, mid, units, lv) >= found[j])
        hi = np.where(stop, mid, hi)
        lo = np.where(act & ~stop, mid + 1, lo)
    return first, np.maximum(lo - first, 0)


def _expand(ranked: Ranked, found, j, k, m, lv, L, path, first, n, deadline):
    """Children of every node, ``CHUNK`` at a time until ``deadline``; lowers ``found`` in place.
    Returns the nodes not expanded in time, the children worth expanding and the best child of
    each target (a candidate column)."""
    T, depth = found.size, path.shape[1] + 1
    best_f, best_w = np.full(T, np.inf), np.full((T, depth), -1)
    out = [(j[:0], k[:0], m[:0], lv[:0], L[:0], np.zeros((0, depth), dtype=np.int64))]
    group = (np.cumsum(n) - n) // CHUNK  # nodes whose children start in the same chunk
    chunks = np.split(np.arange(j.size), np.flatnonzero(np.diff(group)) + 1)
    late = np.zeros(0, dtype=np.int64)
    for c, sel in enumerate(chunks):
        if time.perf_counter() >= deadline:
            late = np.concatenate(chunks[c:])
            break
        nn = n[sel]
        par = np.repeat(sel, nn)
        r = first[par] + np.arange(par.size) - np.repeat(np.cumsum(nn) - nn, nn)
        jc = j[par]
        mc = np.where(r == k[par], m[par] - 1, ranked.cap[jc, r] - 1)
        lvc, Lc = lv[par] - ranked.q[jc, r], L[par] + ranked.lam[jc, r]
        f = np.exp(lvc) + Lc
        i = _argmin_by(jc, f)
        found[jc[i]] = np.minimum(found[jc[i]], f[i])
        i = i[f[i] < best_f[jc[i]]]
        best_f[jc[i]] = f[i]
        ranks = np.hstack([path[par[i]], r[i, None]])
        best_w[jc[i]] = np.take_along_axis(ranked.w[jc[i]], ranks, axis=1)
        # completions from rank r: first the bound at slope rho_r alone (no unit limits), then
        # phi on the children that pass it
        keep = Lc + _phi_free(lvc, ranked.rhof[jc * ranked.W + r]) < found[jc]
        sub = np.flatnonzero(keep)
        keep[sub] = Lc[sub] + ranked.phi(jc[sub], r[sub], mc[sub], lvc[sub]) < found[jc[sub]]
        ranks = np.hstack([path[par[keep]], r[keep, None]])
        out.append((jc[keep], r[keep], mc[keep], lvc[keep], Lc[keep], ranks))
    children = tuple(np.concatenate(a) for a in zip(*out, strict=True))
    t = np.flatnonzero(np.isfinite(best_f))
    return late, children, (t, best_w[t], best_f[t])


def _phi_free(lv: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """min over y >= 0 of e^{lv - y} + rho y: v' if v' <= rho, else rho (1 + log(v' / rho))."""
    lr = np.log(np.maximum(rho, 1e-300))
    return np.where(lv <= lr, np.exp(lv), rho * (1.0 + lv - lr))


def _argmin_by(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Index of the smallest value in each run of equal, sorted ``group`` (ties: first)."""
    starts = np.flatnonzero(np.diff(group, prepend=-1))
    low = np.minimum.reduceat(value, starts)
    hit = np.flatnonzero(value == np.repeat(low, np.diff(starts, append=value.size)))
    return hit[np.unique(group[hit], return_index=True)[1]]


def _stack_columns(cols: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    depth = max(w.shape[1] for _, w, _ in cols)
    pad = [np.pad(w, ((0, 0), (0, depth - w.shape[1])), constant_values=-1) for _, w, _ in cols]
    return (np.concatenate([t for t, _, _ in cols]), np.vstack(pad),
            np.concatenate([f for _, _, f in cols]))  # fmt: skip
