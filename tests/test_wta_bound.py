"""The set-partitioning bound of the static WTA and what is built on it: the pricing branch and
bound against brute force, the bound never above the brute-force optimum (hypothesis), the
master's columns, price and branch, and the all-unit exchange neighbourhood."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.engagement import solve_wta
from shieldwall.engagement.wta import MIN_SURVIVAL, objective
from shieldwall.engagement.wta_assign import _change, exchange, layered, permute, start
from shieldwall.engagement.wta_bound import Master, _neighbours, _unit_lists, dw_bound
from shieldwall.engagement.wta_columns import restricted_mip
from shieldwall.engagement.wta_pricing import Ranked, price
from shieldwall.engagement.wta_search import _units, surviving
from wta_brute import brute_force


def pricing_brute_force(v, q, cap, lam) -> np.ndarray:
    """g_j = min over 0 <= x <= cap of v_j e^{-q_j . x} + lam . x, by enumeration ``(T,)``."""
    xs = np.array(list(itertools.product(*[range(int(k) + 1) for k in cap])), dtype=float)
    return (v[None, :] * np.exp(-xs @ q) + (xs @ lam)[:, None]).min(axis=0)


def instance(seed: int, w: int, t: int, max_units: int = 3, special: bool = True):
    """v ``(t,)``, p ``(w, t)`` with some p = 0 and p = 1, counts ``(w,)`` in 0..max_units."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.0, 100.0, t) * (rng.uniform(size=t) < 0.9)
    p = rng.uniform(0.0, 1.0, (w, t))
    if special:
        p[rng.uniform(size=p.shape) < 0.1] = 0.0
        p[rng.uniform(size=p.shape) < 0.05] = 1.0
    return v, p, rng.integers(0, max_units + 1, w)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_pricing_is_exact_and_its_lower_bound_valid(w, t, seed):
    v, p, cap = instance(seed, w, t)
    rng = np.random.default_rng(seed + 1)
    lam = rng.uniform(0.0, 40.0, w) * (rng.uniform(size=w) < 0.8)  # some free weapons
    q = -np.log(np.clip(1.0 - p, MIN_SURVIVAL, 1.0))
    g = pricing_brute_force(v, q, cap, lam)
    exact = price(v, q, cap, lam)
    assert exact.exact
    assert exact.lower == pytest.approx(g, rel=1e-9, abs=1e-9)
    assert (exact.lower <= g * (1 + 1e-12) + 1e-12).all()
    cut = price(v, q, cap, lam, budget=2)  # a node budget too small: a weaker, valid bound
    assert (cut.lower <= g * (1 + 1e-12) + 1e-12).all()
    # every candidate column is within the units and its value is what it says
    for col in (exact, cut):
        for tt, ww, f in zip(col.col_t, col.col_w, col.col_f, strict=True):
            x = np.bincount(ww[ww >= 0], minlength=w)
            assert (x <= cap).all()
            assert f == pytest.approx(v[tt] * np.exp(-q[:, tt] @ x) + lam @ x, rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2**31 - 1), st.floats(0.01, 200.0))
def test_relaxation_bound_phi_never_exceeds_the_integer_completion(w, t, seed, value):
    """phi(k, m) <= min over multisets of m units of rank k at most and any units after it."""
    v, p, cap = instance(seed, w, t, special=False)
    lam = np.random.default_rng(seed).uniform(0.0, 30.0, w)
    q = -np.log(1.0 - p)
    ranked = Ranked(q, cap, lam)
    for j, k in itertools.product(range(t), range(w)):
        for m in range(int(ranked.cap[j, k]) + 1):
            caps = np.where(np.arange(w) > k, ranked.cap[j], 0)
            caps[k] = m
            xs = np.array(list(itertools.product(*[range(int(c) + 1) for c in caps])))
            best = (value * np.exp(-xs @ ranked.q[j]) + xs @ ranked.lam[j]).min()
            phi = ranked.phi(np.array([j]), np.array([k]), np.array([m]), np.log([value]))[0]
            assert phi <= best * (1 + 1e-12) + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_set_partitioning_bound_never_exceeds_the_optimum(w, t, seed):
    v, p, c = instance(seed, w, t, max_units=2)
    while c.sum() > 6:  # keep the brute force small
        c[int(np.argmax(c))] -= 1
    opt = brute_force(v, p, c)
    res = dw_bound(v, p, c, np.zeros(p.shape, dtype=np.int64), time.perf_counter() + 30)
    assert res.exact
    assert res.bound <= opt * (1 + 1e-9) + 1e-9
    # on instances this small the generation converges: the LP is the set-partitioning bound
    assert res.lp >= res.bound - 1e-6 * max(1.0, abs(res.lp))


def test_bound_is_tight_where_the_continuous_relaxation_is_not():
    """20 x 8 by the Ahuja recipe: the continuous relaxation of the exponential objective is far
    below the optimum; the set-partitioning bound within 0.5 % of it."""
    rng = np.random.default_rng([20, 8])
    v, p = rng.uniform(25.0, 100.0, 8), rng.uniform(0.6, 0.9, (20, 8))
    c = np.ones(20, dtype=np.int64)
    opt = solve_wta(v, p, method="exact", time_limit_s=30)
    assert opt.proven
    res = dw_bound(v, p, c, start(v, p, c), time.perf_counter() + 30)
    assert opt.objective * 0.995 <= res.bound <= opt.objective * (1 + 1e-9)


def test_master_columns_are_unique_and_within_units():
    rng = np.random.default_rng(3)
    v, p = rng.uniform(1, 50, 6), rng.uniform(0.1, 0.9, (5, 6))
    c = np.array([1, 2, 1, 3, 1])
    q = -np.log(1.0 - p)
    master = Master(v, q, c)
    x = start(v, p, c)
    n = master.add(*_neighbours(q, _unit_lists(x)))
    assert n == master.col_t.size == len(master.index)
    assert master.add(*_neighbours(q, _unit_lists(x))) == 0  # all known already
    for tt, ww in zip(master.col_t, master.col_w, strict=True):
        assert (np.bincount(ww[ww >= 0], minlength=5) <= c).all() and 0 <= tt < 6
    # the start assignment's own columns are in the master
    sets = _unit_lists(x)
    assert all(k in master.index for k in master.keys(np.arange(6), sets))


def test_unit_lists_round_trip():
    x = np.array([[0, 2, 0], [1, 0, 0], [1, 1, 0]])
    sets = _unit_lists(x)  # per target: the weapon of each unit on it
    assert sets.shape == (3, 3)
    assert sets[0].tolist() == [1, 2, -1] and sets[1].tolist() == [0, 0, 2]
    assert (sets[2] == -1).all()


def test_price_and_branch_is_feasible_and_no_worse_than_its_start():
    rng = np.random.default_rng(11)
    v, p = rng.uniform(1, 100, 30), rng.uniform(0.0, 1.0, (15, 30))
    c = np.full(15, 3)
    x0 = start(v, p, c)
    gen = dw_bound(v, p, c, x0, time.perf_counter() + 30)
    x = restricted_mip(gen.master, x0, time.perf_counter() + 30)
    assert (x.sum(axis=1) <= c).all() and (x >= 0).all()
    assert objective(v, p, x) <= objective(v, p, x0) * (1 + 1e-12)
    assert gen.bound <= objective(v, p, x) * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_price_and_branch_heuristic_finds_tiny_optima(seed):
    """With a budget of a second or more the heuristic adds price and branch."""
    v, p, c = instance(seed, 4, 3, max_units=2, special=False)
    while c.sum() > 6:
        c[int(np.argmax(c))] -= 1
    res = solve_wta(v, p, c, time_limit_s=1.0, seed=seed)
    assert res.objective <= brute_force(v, p, c) * (1 + 1e-9) + 1e-12
    assert res.seconds <= 1.2


def test_exact_proves_an_ahuja_instance_by_the_bound():
    """100 x 40 by the Ahuja recipe: the outer-approximation MILP alone needed 30 s; the
    set-partitioning bound meets the price-and-branch assignment."""
    rng = np.random.default_rng([100, 40])
    v, p = rng.uniform(25.0, 100.0, 40), rng.uniform(0.6, 0.9, (100, 40))
    res = solve_wta(v, p, method="exact", time_limit_s=60)
    assert res.proven and res.seconds < 15
    assert res.objective - res.bound <= 1e-6 * res.objective


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_exchange_improves_exactly_and_permute_keeps_counts(w, t, seed):
    v, p, c = instance(seed, w, t, special=False)
    x0 = start(v, p, c)
    w_u, t_u = _units(x0, p)
    if w_u.size == 0:
        return
    r_u = np.clip(1.0 - p, MIN_SURVIVAL, 1.0)[w_u]
    S = surviving(v, r_u, t_u)
    t_new = exchange(S, r_u, t_u, 1e-12 * S.sum())
    if t_new is not None:
        change = surviving(v, r_u, t_new).sum() - S.sum()
        assert change < 0 and change == pytest.approx(_change(S, r_u, t_u, t_new), abs=1e-9)
    t_perm = permute(S, r_u, t_u)
    assert np.array_equal(np.bincount(t_perm, minlength=t), np.bincount(t_u, minlength=t))
    assert np.array_equal(np.sort(t_perm), np.sort(t_u))


def test_layered_start_is_the_optimal_matching_with_one_unit_each():
    """With one unit per weapon and no more weapons than targets, the first layer is the whole
    assignment: the linear assignment maximising sum v_j p_ij, optimal for the WTA."""
    rng = np.random.default_rng(5)
    v, p = rng.uniform(1, 100, 5), rng.uniform(0.1, 0.9, (4, 5))
    c = np.ones(4, dtype=np.int64)
    assert objective(v, p, layered(v, p, c)) == pytest.approx(brute_force(v, p, c), rel=1e-12)


def test_heuristic_with_price_and_branch_deterministic_for_a_seed():
    rng = np.random.default_rng(8)
    v, p = rng.uniform(1, 100, 12), rng.uniform(0.0, 1.0, (6, 12))
    c = np.full(6, 3)
    a = solve_wta(v, p, c, seed=2, time_limit_s=2)
    b = solve_wta(v, p, c, seed=2, time_limit_s=2)
    assert np.array_equal(a.assignment, b.assignment)
