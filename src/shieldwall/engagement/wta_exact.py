"""Exact static WTA: a MILP with outer approximation of the surviving fraction, solved by HiGHS.

With the log-survival ``q_ij = -log(1 - p_ij)`` the objective is separable and convex in the
kill "exposure" ``y_j = sum_i q_ij x_ij`` of each target (Andersen, Pavlikov & Toffolo,
"Weapon-target assignment problem: exact and approximate solution algorithms", Annals of
Operations Research 2022, section 3, the outer-approximation model):

    min  sum_j s_j
    s.t. sum_j x_ij <= c_i                      (units of weapon i)
         y_j = sum_i q_ij x_ij                  (exposure of target j)
         s_j >= v_j e^{-t} (1 + t - y_j)        (tangent of v_j e^{-y} at t, for t in a set P_j)
         x_ij in {0, ..., c_i}

The surviving value ``s_j`` is modelled in value units rather than as the fraction
``z_j = s_j / v_j``, so that HiGHS's row feasibility tolerance (here ``FEAS_TOL``, absolute)
costs at most ``T * FEAS_TOL`` of objective, not ``sum_j v_j * FEAS_TOL``: with fractions and the
default 1e-6/1e-7 tolerances the MILP under-estimated F by up to ~1e-6 relative, the same tangents
were "violated" again every round, and the loop could not close a 1e-6 gap.

Every tangent under-estimates the convex ``e^{-y}``, so each MILP is a relaxation and its dual
bound is a valid lower bound on the optimum F*. The loop (Duran & Grossmann, Mathematical
Programming 36, 1986, outer approximation) solves the MILP, evaluates its solution exactly (an
upper bound), adds the tangents at its ``y_j`` where they cut it off, and stops when
``(UB - LB) <= PROVEN_REL_GAP * UB`` (proven) or at the deadline (best solution and bound).
The heuristic's solution starts the search as incumbent and MIP start.

Before that loop (with at least ``BOUND_MIN_S``), the set-partitioning bound by column generation
(:mod:`shieldwall.engagement.wta_bound`, up to ``BOUND_SHARE`` of the time) and the MIP over its
columns (:mod:`shieldwall.engagement.wta_columns`, up to ``MIP_SHARE``) give a far tighter lower
bound and a better incumbent. Their LP is integral or nearly so on the Ahuja-recipe instances,
where they prove the optimum at every size up to 500x200 in seconds, without the loop; where
they do not meet, the loop starts from their incumbent and keeps the better of the two bounds.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
from scipy import sparse

from shieldwall.engagement.wta import MIN_SURVIVAL, objective
from shieldwall.engagement.wta_assign import start as first_assignment
from shieldwall.engagement.wta_columns import bound_and_mip
from shieldwall.engagement.wta_search import improve

PROVEN_REL_GAP = 1e-6
TANGENT_STEP = 0.1  # initial tangents every 0.1 in y: e^{-y} under-estimated by < 0.13 %
CUT_TOL = 1e-9  # relative violation s_j < v_j e^{-y_j} (1 - CUT_TOL) that earns a new tangent
FEAS_TOL = 1e-9  # HiGHS primal and MIP feasibility tolerances (defaults 1e-7 and 1e-6)
START_MAX_S = 0.25  # local search for the start: 5 % of the time, at most this
BOUND_MIN_S = 0.5  # with less time, no set-partitioning bound (its master alone takes ~50 ms)
BOUND_SHARE = 0.4  # the set-partitioning bound ends by this share of the time at the latest
MIP_SHARE = 0.1  # then the MIP over its columns gets at most this share


def solve_exact(
    v: np.ndarray, p: np.ndarray, c: np.ndarray, deadline: float, seed: int = 0,
    x_start: np.ndarray | None = None,
) -> tuple[np.ndarray, float, bool]:  # fmt: skip
    """(counts ``(W, T)``, lower bound, proven) for the instance (module docstring). ``x_start``:
    a feasible start to use instead of the time-limited local search (whose start depends on
    the machine's speed)."""
    start = time.perf_counter()
    budget = deadline - start
    if x_start is None:
        x_start = improve(
            v, p, first_assignment(v, p, c), start + min(START_MAX_S, 0.05 * budget),
            np.random.default_rng(seed),
        )  # fmt: skip
    x_best = x_start
    ub, lb = objective(v, p, x_best), 0.0
    if budget >= BOUND_MIN_S:
        bound_by = start + BOUND_SHARE * budget
        gen, x_best = bound_and_mip(v, p, c, x_best, bound_by, bound_by + MIP_SHARE * budget)
        ub, lb = objective(v, p, x_best), gen.bound
        if ub - lb <= PROVEN_REL_GAP * ub:
            return x_best, min(lb, ub), True
    model = OaModel(v, p, c, seed)
    model.add_tangents(*_initial_tangents(model, x_best))
    while ub - lb > PROVEN_REL_GAP * ub:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        x, y, s, bound = model.solve(x_best, remaining)
        lb = max(lb, bound)
        if x is None:
            continue
        f = objective(v, p, x)
        if f < ub:
            x_best, ub = x, f
        cut = s < v * np.exp(-y) * (1.0 - CUT_TOL)
        # the MILP is exact at its solution (up to tolerance): nothing left to cut
        if not model.add_tangents(np.flatnonzero(cut), y[cut]):
            break
    return x_best, min(lb, ub), ub - lb <= PROVEN_REL_GAP * ub


def _initial_tangents(model: OaModel, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tangent points: a grid up to the largest useful exposure, and the start's exposures."""
    y0 = model.exposure(x0)
    top = np.sort(model.q, axis=0)[::-1]
    reach = np.minimum(top[: max(1, int(model.c.max()) * 3)].sum(axis=0), -np.log(MIN_SURVIVAL))
    grid = np.arange(0.0, float(reach.max()) + TANGENT_STEP, TANGENT_STEP)
    T = y0.size
    j = np.concatenate([np.repeat(np.arange(T), grid.size), np.arange(T)])
    t = np.concatenate([np.tile(grid, T), y0])
    keep = t <= reach[j] + TANGENT_STEP
    return j[keep], t[keep]


class OaModel:
    """The outer-approximation MILP in HiGHS: columns x (pairs with p > 0), y ``(T,)``,
    s ``(T,)``; rows: units, exposure links, then the tangents added so far."""

    def __init__(self, v: np.ndarray, p: np.ndarray, c: np.ndarray, seed: int) -> None:
        self.v, self.c = v, c
        self.q = -np.log(np.clip(1.0 - p, MIN_SURVIVAL, 1.0))
        self.pair_w, self.pair_t = np.nonzero(p > 0)
        self.n_x, self.T = self.pair_w.size, v.size
        self.h = highspy._core._Highs()  # the base class: no start-up banner on stdout
        options = {"output_flag": False, "mip_rel_gap": PROVEN_REL_GAP / 10,
                   "mip_abs_gap": 1e-12, "random_seed": int(seed) % 2**31,
                   "primal_feasibility_tolerance": FEAS_TOL,
                   "mip_feasibility_tolerance": FEAS_TOL}  # fmt: skip
        for name, value in options.items():
            self.h.setOptionValue(name, value)
        self.h.passModel(self._lp())
        self.tangents: set[tuple[int, float]] = set()

    def _lp(self) -> highspy.HighsLp:
        W, T, n = self.c.size, self.T, self.n_x
        qv = self.q[self.pair_w, self.pair_t]
        # rows 0..W-1: sum_j x_ij <= c_i;  rows W..W+T-1: y_j - sum_i q_ij x_ij = 0
        rows = np.concatenate([self.pair_w, W + self.pair_t, W + np.arange(T)])
        cols = np.concatenate([np.arange(n), np.arange(n), n + np.arange(T)])
        vals = np.concatenate([np.ones(n), -qv, np.ones(T)])
        a = sparse.csc_matrix((vals, (rows, cols)), shape=(W + T, n + 2 * T))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n + 2 * T, W + T
        lp.col_cost_ = np.concatenate([np.zeros(n + T), np.ones(T)])
        lp.col_lower_ = np.zeros(n + 2 * T)
        lp.col_upper_ = np.concatenate([self.c[self.pair_w], np.full(T, np.inf), self.v])
        lp.row_lower_ = np.concatenate([np.full(W, -np.inf), np.zeros(T)])
        lp.row_upper_ = np.concatenate([self.c.astype(float), np.zeros(T)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = a.indptr, a.indices
        lp.a_matrix_.value_ = a.data
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [
            highspy.HighsVarType.kContinuous
        ] * (2 * T)
        return lp

    def exposure(self, x: np.ndarray) -> np.ndarray:
        """y ``(T,)`` = sum_i q_ij x_ij."""
        return np.einsum("ij,ij->j", self.q, x)

    def add_tangents(self, j: np.ndarray, t: np.ndarray) -> int:
        """Rows s_j + v_j e^{-t} y_j >= v_j e^{-t} (1 + t) for each new (j, t); returns how many
        were new (a tangent already in the model is skipped: the MILP violated it only within
        its feasibility tolerance, and adding it again would cut nothing)."""
        keys = list(zip(j.tolist(), np.round(t, 12).tolist(), strict=True))
        new = np.zeros(len(keys), dtype=bool)
        for n, key in enumerate(keys):
            new[n] = key not in self.tangents
            self.tangents.add(key)
        j, t = j[new], t[new]
        e = self.v[j] * np.exp(-t)
        k = j.size
        idx = np.column_stack([self.n_x + self.T + j, self.n_x + j]).ravel().astype(np.int32)
        vals = np.column_stack([np.ones(k), e]).ravel()
        starts = np.arange(0, 2 * k, 2, dtype=np.int32)
        self.h.addRows(k, e * (1.0 + t), np.full(k, np.inf), 2 * k, starts, idx, vals)
        return k

    def solve(self, x_start: np.ndarray, time_limit_s: float):
        """(x, y, s, dual bound) of one MILP solve from the MIP start ``x_start``; x None if
        HiGHS found no solution in time."""
        y0 = self.exposure(x_start)
        start = np.concatenate([x_start[self.pair_w, self.pair_t], y0, self.v * np.exp(-y0)])
        self.h.setSolution(start.size, np.arange(start.size, dtype=np.int32), start)
        self.h.setOptionValue("time_limit", float(time_limit_s))
        self.h.run()
        info = self.h.getInfo()
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else 0.0
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return None, None, None, bound
        col = np.asarray(self.h.getSolution().col_value)
        x = np.zeros((self.c.size, self.T), dtype=np.int64)
        x[self.pair_w, self.pair_t] = np.round(col[: self.n_x]).astype(np.int64)
        y = self.exposure(x)
        return x, y, col[self.n_x + self.T :], bound
