"""Set-partitioning lower bound for the static WTA by column generation (Dantzig-Wolfe).

Each target j takes one multiset A of units (a column, cost ``v_j prod_{u in A} (1 - p_uj)``)
and weapon i gives at most c_i units over all columns:

    min  sum_{j, A} cost_jA z_jA   s.t.  sum_A z_jA = 1 (each j),
                                        sum_{j, A} n_iA z_jA <= c_i (each i),   z >= 0

(the master LP, over the columns generated so far; the set-partitioning reformulation of the WTA
behind branch-and-price, e.g. Lu & Chen, "A new exact algorithm for the weapon-target assignment
problem", Omega 98, 2021). For any weapon prices ``lam >= 0`` the Lagrangian dual function

    L(lam) = sum_j g_j(lam) - sum_i lam_i c_i,   g_j(lam) = min_A cost_jA + sum_i lam_i n_iA

is a lower bound on the optimum F* (weak duality), and its maximum equals the LP optimum over all
columns. That bound is far tighter than the continuous relaxation of the exponential objective:
at 200x80 by the Ahuja recipe 22.709 against 16.559, with the best assignment known at 22.728.
The pricing problems g_j are solved by branch and bound
(:mod:`shieldwall.engagement.wta_pricing`) at the LP's weapon duals; the LP is solved by HiGHS's
interior point method without crossover, whose duals, central in the optimal face, make the
column generation converge in a few rounds where simplex duals oscillate (the stabilisation of
primal-dual column generation, Gondzio, Gonzalez-Brevis & Munari, European Journal of
Operational Research 224(1), 2013). The bound reported is the best L found, valid whether or not
the generation converged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from shieldwall.engagement.wta import MIN_SURVIVAL
from shieldwall.engagement.wta_pricing import price

REL_TOL = 1e-7  # converged when the master LP is within this of the bound
START_BUDGET = 8_000_000  # branch-and-bound nodes in a pricing round; x4 when a round stalls
N_NEAR = 20  # weapons tried in the columns near the start assignment
LP_OPTIONS = {"output_flag": False, "solver": "ipm", "run_crossover": "off"}


@dataclass(frozen=True, slots=True)
class DwBound:
    """``bound`` a valid lower bound on the optimum; ``lp`` the last master LP value (the
    set-partitioning bound when converged); ``lam`` ``(W,)`` the prices of ``bound``;
    ``rounds`` of column generation; ``exact`` True when the pricing behind ``bound`` was exact;
    ``master`` the master with every column generated."""

    bound: float
    lp: float
    lam: np.ndarray
    rounds: int
    exact: bool
    master: Master


class Master:
    """The master LP in HiGHS: rows 0..T-1 the targets (= 1), rows T..T+W-1 the weapons (<= c);
    ``col_t`` ``(n,)`` and ``col_w`` ``(n, D)`` (-1 padded) its columns, in HiGHS's order."""

    def __init__(self, v: np.ndarray, q: np.ndarray, c: np.ndarray) -> None:
        self.v, self.q, self.c = v, q, c
        self.T, self.W = v.size, c.size
        self.h = highspy._core._Highs()  # the base class: no start-up banner on stdout
        for name, value in LP_OPTIONS.items():
            self.h.setOptionValue(name, value)
        none = np.zeros(0, dtype=np.int32)
        self.h.addRows(self.T, np.ones(self.T), np.ones(self.T), 0, none, none, np.zeros(0))
        lower = np.full(self.W, -highspy.kHighsInf)
        self.h.addRows(self.W, lower, c.astype(float), 0, none, none, np.zeros(0))
        self.index: dict[bytes, int] = {}
        self.col_t = np.zeros(0, dtype=np.int64)
        self.col_w = np.zeros((0, 1), dtype=np.int64)
        self.cost = np.zeros(0)
        self.duals = (np.inf, np.zeros(self.T), np.zeros(self.W))  # of the last LP solved

    def keys(self, t: np.ndarray, w: np.ndarray) -> list[bytes]:
        """One key per column: its target and its units' weapons, sorted, padding dropped."""
        w = np.sort(w, axis=1)
        return [np.append(tt, row[row >= 0]).tobytes() for tt, row in zip(t, w, strict=True)]

    def add(self, t: np.ndarray, w: np.ndarray) -> int:
        """Columns of targets ``t`` ``(n,)`` with unit weapons ``w`` ``(n, D)`` (-1 padded) not
        already in the master and within the weapons' units; returns how many were new."""
        ok = _within(np.sort(w, axis=1), self.c)
        t, w = t[ok], w[ok]
        new = []
        for n, key in enumerate(self.keys(t, w)):
            if key not in self.index:
                self.index[key] = len(self.index)
                new.append(n)
        t, w = t[new], w[new]
        n = t.size
        if n == 0:
            return 0
        col, unit = np.nonzero(w >= 0)
        weapon = w[col, unit]
        expo = np.bincount(col, weights=self.q[weapon, t[col]], minlength=n)
        pair, count = np.unique(col * self.W + weapon, return_counts=True)
        # entries, column by column: the target row, then the weapon rows with unit counts
        rows = np.concatenate([t, self.T + pair % self.W])
        cols = np.concatenate([np.arange(n), pair // self.W])
        vals = np.concatenate([np.ones(n), count.astype(float)])
        order = np.lexsort((rows, cols))
        starts = np.searchsorted(cols[order], np.arange(n)).astype(np.int32)
        cost = self.v[t] * np.exp(-expo)
        self.h.addCols(n, cost, np.zeros(n), np.full(n, highspy.kHighsInf), rows.size,
                       starts, rows[order].astype(np.int32), vals[order])  # fmt: skip
        depth = max(self.col_w.shape[1], w.shape[1])
        self.col_w = np.vstack([_pad(self.col_w, depth), _pad(w, depth)])
        self.col_t = np.concatenate([self.col_t, t])
        self.cost = np.concatenate([self.cost, cost])
        return n

    def best_at(self, lam: np.ndarray) -> np.ndarray:
        """Per target the least ``cost + lam . n`` over its columns ``(T,)``: an upper bound on
        g_j(lam), the pricing's first incumbent."""
        valid = self.col_w >= 0
        w = np.where(valid, self.col_w, 0)
        expo = np.where(valid, self.q[w, self.col_t[:, None]], 0.0).sum(axis=1)
        f = self.v[self.col_t] * np.exp(-expo) + np.where(valid, lam[w], 0.0).sum(axis=1)
        out = np.full(self.T, np.inf)
        np.minimum.at(out, self.col_t, f)
        return out

    def solve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """(LP value, target duals ``(T,)``, weapon prices ``(W,)`` >= 0)."""
        self.h.run()
        dual = np.asarray(self.h.getSolution().row_dual)
        value = float(self.h.getInfo().objective_function_value)
        self.duals = (value, dual[: self.T], np.maximum(-dual[self.T :], 0.0))
        return self.duals

    def reduced_costs(self) -> np.ndarray:
        """``cost + lam . n - pi_t`` of every column at the last LP's duals ``(n,)``."""
        _, pi, lam = self.duals
        return self.cost + np.append(lam, 0.0)[self.col_w].sum(axis=1) - pi[self.col_t]


def dw_bound(
    v: np.ndarray,
    p: np.ndarray,
    c: np.ndarray,
    x_start: np.ndarray,
    deadline: float,
    rel_tol: float = REL_TOL,
) -> DwBound:
    """The set-partitioning bound by column generation until the master LP is within
    ``rel_tol`` of the bound (converged) or ``deadline`` (module docstring). ``x_start`` ``(W, T)``
    counts of an assignment: its columns and their neighbours (:func:`_neighbours`) seed the
    master.

    A round prices within a node budget (inexact pricing still yields good columns and a valid,
    weaker bound); a round that adds no column grows the budget fourfold, and ends the search
    if its pricing was exact: the LP is then optimal."""
    q = -np.log(np.clip(1.0 - p, MIN_SURVIVAL, 1.0))
    T = v.size
    master = Master(v, q, c)
    master.add(np.arange(T), np.full((T, 1), -1))
    master.add(*_neighbours(q, _unit_lists(x_start)))
    # survival factors clipped at MIN_SURVIVAL can raise F by at most this much
    clip = float(v.sum() * c.sum() * MIN_SURVIVAL) if (1.0 - p < MIN_SURVIVAL).any() else 0.0
    best, best_lam, exact = -np.inf, np.zeros(c.size), False
    lp, rounds, budget = np.inf, 0, START_BUDGET
    while time.perf_counter() < deadline:
        lp, pi, lam = master.solve()
        rounds += 1
        priced = price(v, q, c, lam, budget, master.best_at(lam), deadline)
        value = _lagrangian(priced.lower, lam, c) - clip
        if value > best:
            best, best_lam, exact = value, lam, priced.exact
        if lp - best <= rel_tol * abs(lp):
            break
        # columns of negative reduced cost, cost + lam . n - pi_t < 0
        neg = priced.col_f - pi[priced.col_t] < -REL_TOL * max(abs(lp), 1.0) / T
        if master.add(priced.col_t[neg], priced.col_w[neg]) == 0:
            if priced.exact:
                break  # nothing prices out: the LP is optimal
            budget *= 4
    return DwBound(max(best, 0.0), lp, best_lam, rounds, exact, master)


def _lagrangian(lower: np.ndarray, lam: np.ndarray, c: np.ndarray) -> float:
    """L(lam) = sum_j g_j - sum_i lam_i c_i, less a relative 1e-12 for rounding."""
    return float(lower.sum() - lam @ c) - 1e-12 * float(np.abs(lower).sum() + lam @ c)


def _neighbours(q: np.ndarray, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``(t, w)`` near each target's multiset ``sets`` ``(T, D)``: itself, without one of
    its units, with one unit more or with one unit exchanged, the new unit of one of the
    ``N_NEAR`` weapons most lethal to the target. They give the first master LP useful duals."""
    T, D = sets.shape
    near = np.argsort(-q, axis=0, kind="stable")[:N_NEAR].T  # (T, K)
    K = near.shape[1]
    grown = np.hstack([sets, np.full((T, 1), -1)])
    add = np.repeat(grown, K, axis=0)
    add[:, D] = near.ravel()
    out_t, out_w = [np.arange(T), np.repeat(np.arange(T), K)], [grown, add]
    for d in range(D):
        has = np.flatnonzero(sets[:, d] >= 0)
        drop = grown[has].copy()
        drop[:, d] = -1
        swap = np.repeat(drop, K, axis=0)
        swap[:, d] = near[has].ravel()
        out_t += [has, np.repeat(has, K)]
        out_w += [drop, swap]
    return np.concatenate(out_t), np.vstack(out_w)


def _unit_lists(x: np.ndarray) -> np.ndarray:
    """Per target the weapons of its units, ``(T, D)`` -1 padded, from counts ``(W, T)``."""
    per = x.sum(axis=0)
    w, t = np.nonzero(x)
    reps = x[w, t]
    w, t = np.repeat(w, reps), np.repeat(t, reps)
    order = np.lexsort((w, t))
    w, t = w[order], t[order]
    out = np.full((x.shape[1], max(1, int(per.max()))), -1)
    out[t, np.arange(t.size) - np.repeat(np.cumsum(per) - per, per)] = w
    return out


def _within(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Rows of sorted, -1 padded unit weapons ``w`` ``(n, D)`` using no weapon beyond its ``c``
    units, ``(n,)`` bool."""
    same = np.zeros(w.shape, dtype=np.int64)  # units of the same weapon before, in the row
    for d in range(1, w.shape[1]):
        same[:, d] = np.where(w[:, d] == w[:, d - 1], same[:, d - 1] + 1, 0)
    return ~((w >= 0) & (same >= c[np.maximum(w, 0)])).any(axis=1)


def _pad(w: np.ndarray, depth: int) -> np.ndarray:
    return np.pad(w, ((0, 0), (0, depth - w.shape[1])), constant_values=-1)
