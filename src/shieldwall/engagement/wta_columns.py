"""Price and branch for the static WTA: the columns of the set-partitioning bound, solved as a
MIP, give near-optimal assignments.

After column generation (:mod:`shieldwall.engagement.wta_bound`) the master holds, for every
target, the multisets of units that price well; the same master with integer ``z`` (each target
takes exactly one of its columns, each weapon at most its units) is a restricted set-partitioning
MIP that HiGHS solves in about a second at 300x600 (the "price-and-branch" heuristic, Desrosiers &
Luebbecke, "Branch-price-and-cut algorithms", Wiley Encyclopedia of Operations Research and
Management Science, 2011). Its optimum is optimal among the generated columns only, so it is no
proof, but its LP is the set-partitioning bound and is nearly integral on WTA instances: on the
public benchmark of Andersen et al. with 3 units per weapon it lands within 0.06 % of the bound.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
from scipy import sparse

from shieldwall.engagement.wta import objective
from shieldwall.engagement.wta_bound import DwBound, Master, _unit_lists, dw_bound
from shieldwall.engagement.wta_search import improve

MIN_BUDGET_S = 1.0  # below this the heuristic is the local search alone
START_SHARE, START_MAX_S = 0.1, 1.0  # local search before the columns: share of the time, cap
COLUMNS_SHARE = 0.6  # column generation ends by this share of the time
MIP_SHARE = 0.85  # the restricted MIP ends by this share; the rest polishes its solution
COLUMNS_TOL = 1e-5  # column generation for the heuristic ends this close to the bound
NEAR_LP = 1e-4  # the first MIP takes the columns of reduced cost within this share of the LP


def heuristic(
    v: np.ndarray, p: np.ndarray, c: np.ndarray, x0: np.ndarray, deadline: float, rng
) -> np.ndarray:
    """Counts ``(W, T)`` no worse than the start ``x0``: with at least ``MIN_BUDGET_S`` to go,
    local search, price and branch from its result, then local search again from the MIP's
    assignment until ``deadline``; with less, local search alone
    (:func:`shieldwall.engagement.wta_search.improve`)."""
    start = time.perf_counter()
    budget = deadline - start
    if budget < MIN_BUDGET_S:
        return improve(v, p, x0, deadline, rng)
    x = improve(v, p, x0, start + min(START_SHARE * budget, START_MAX_S), rng)
    gen = dw_bound(v, p, c, x, start + COLUMNS_SHARE * budget, COLUMNS_TOL)
    x = best_of(v, p, x, restricted_mip(gen.master, x, start + MIP_SHARE * budget))
    return best_of(v, p, x, improve(v, p, x, deadline, rng))


def restricted_mip(master: Master, x_start: np.ndarray, deadline: float) -> np.ndarray:
    """Counts ``(W, T)`` of the best integer solution HiGHS finds by ``deadline`` over the
    master's columns that may improve on ``x_start``, started from it; ``x_start`` if it finds
    none. A solution of value F uses only columns of reduced cost at most ``F - LP`` at the LP's
    duals (``F >= LP + sum of the reduced costs of its columns``), so only those and the start's
    own columns enter the MIP. First a MIP over the columns within ``NEAR_LP`` of the LP (a few
    per cent of them, solved in a tenth of a second at 250x500 with 3 units) gives a close
    incumbent, whose smaller ``F - LP`` then admits far fewer columns than the start's."""
    x = x_start
    lp = master.duals[0]
    for gap in (NEAR_LP * abs(lp), None):
        if time.perf_counter() >= deadline:
            break
        sets = _unit_lists(x)
        own = np.array([master.index[k] for k in master.keys(np.arange(sets.shape[0]), sets)])
        if gap is None:  # every column that may beat x
            gap = objective(master.v, 1.0 - np.exp(-master.q), x) - lp + 1e-9 * abs(lp)
        keep = np.union1d(np.flatnonzero(master.reduced_costs() <= gap), own)
        h = _mip(master, keep)
        z0 = np.isin(keep, own).astype(float)
        h.setSolution(keep.size, np.arange(keep.size, dtype=np.int32), z0)
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 1e-3))
        h.run()
        if h.getInfo().primal_solution_status == 2:  # kSolutionStatusFeasible
            z = np.asarray(h.getSolution().col_value)
            x = _counts(master, keep[z > 0.5], x_start.shape)
    return x


def _mip(master: Master, cols: np.ndarray) -> highspy._core._Highs:
    """A HiGHS MIP of the master's rows and its columns ``cols``, binary."""
    lp = master.h.getLp()
    a = sparse.csc_matrix(
        (np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_),
         np.asarray(lp.a_matrix_.start_)), shape=(lp.num_row_, lp.num_col_),
    )[:, cols]  # fmt: skip
    h = highspy._core._Highs()
    for name, value in (("output_flag", False), ("mip_rel_gap", 1e-9), ("random_seed", 0)):
        h.setOptionValue(name, value)
    n = cols.size
    h.addRows(lp.num_row_, np.asarray(lp.row_lower_), np.asarray(lp.row_upper_), 0,
              np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))  # fmt: skip
    h.addCols(n, master.cost[cols], np.zeros(n), np.ones(n), a.nnz,
              a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data)  # fmt: skip
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )
    return h


def bound_and_mip(
    v: np.ndarray, p: np.ndarray, c: np.ndarray, x_start: np.ndarray, bound_by: float, mip_by: float
) -> tuple[DwBound, np.ndarray]:
    """(set-partitioning bound by ``bound_by``, the better of ``x_start`` and the restricted MIP's
    assignment by ``mip_by``): the exact method's first steps."""
    gen = dw_bound(v, p, c, x_start, bound_by)
    return gen, best_of(v, p, x_start, restricted_mip(gen.master, x_start, mip_by))


def best_of(v: np.ndarray, p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The assignment with the lower objective (``a`` on ties)."""
    return b if objective(v, p, b) < objective(v, p, a) else a


def _counts(master: Master, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Counts ``(W, T)`` of the master columns ``cols``."""
    w = master.col_w[cols]
    t = np.broadcast_to(master.col_t[cols, None], w.shape)
    x = np.zeros(shape, dtype=np.int64)
    np.add.at(x, (w[w >= 0], t[w >= 0]), 1)
    return x
