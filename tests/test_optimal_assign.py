"""The optimal one-shot-per-threat assignment: a hand case the greedy rule gets wrong,
optimality against brute force on random small problems, its invariants, and a deterministic
simulator run with it."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import shieldwall as sw
from shieldwall.engagement.assign import (
    COST_WEIGHT,
    MIN_PK,
    Candidates,
    greedy_assign,
    optimal_assign,
)
from shieldwall.scenario import load_scenario


def _cand(rows):
    """rows: (shooter, threat, first, last, pk, cost_usd)."""
    cols = list(zip(*rows, strict=True))
    return Candidates(*(np.array(c, dtype=np.int64) for c in cols[:4]),
                      np.array(cols[4], dtype=float), np.array(cols[5], dtype=float))  # fmt: skip


def test_optimal_serves_both_threats_where_greedy_serves_one():
    """Shooter 0 reaches both threats, shooter 1 only the urgent threat 0: greedy gives
    threat 0 its best shooter (0) and leaves threat 1 unserved; the matching serves both."""
    cand = _cand([(0, 0, 1, 5, 0.9, 0.0), (0, 1, 1, 30, 0.9, 0.0), (1, 0, 1, 5, 0.8, 0.0)])
    ones = np.ones(2, dtype=np.int64)
    assert greedy_assign(cand, ones, ones) == [(0, 0, 1)]
    assert sorted(optimal_assign(cand, ones, ones, np.ones(2))) == [(0, 1, 1), (1, 0, 1)]


def _objective(shots, cand, value):
    score = {(int(s), int(j)): value[j] * (p - COST_WEIGHT * c / 1e6)
             for s, j, p, c in zip(cand.shooter, cand.threat, cand.pk, cand.cost_usd, strict=True)
             if p >= MIN_PK}  # fmt: skip
    return sum(score[(s, j)] for s, j, _ in shots)


def _brute_force(cand, rounds, free, value, n_th):
    """Best total over every way of giving each threat at most one shooter."""
    pairs = {}
    for s, j, p, c in zip(cand.shooter, cand.threat, cand.pk, cand.cost_usd, strict=True):
        sc = value[j] * (p - COST_WEIGHT * c / 1e6)
        if p >= MIN_PK and sc > 0:
            pairs[(int(s), int(j))] = max(pairs.get((int(s), int(j)), -np.inf), sc)
    options = [[None] + [s for (s, jj) in pairs if jj == j] for j in range(n_th)]
    best = 0.0
    cap = np.minimum(rounds, free)
    for combo in itertools.product(*options):
        used = np.bincount([s for s in combo if s is not None], minlength=cap.size)
        if np.all(used <= cap):
            best = max(best, sum(pairs[(s, j)] for j, s in enumerate(combo) if s is not None))
    return best


@st.composite
def problems(draw):
    n_sh, n_th = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_sh - 1), st.integers(0, n_th - 1)),
                          max_size=12, unique=True))  # fmt: skip
    rows = [(s, j, draw(st.integers(0, 10)), 20, draw(st.floats(0.0, 1.0)),
             draw(st.sampled_from([5e4, 1e6, 3.5e6, 1.2e7]))) for s, j in pairs]  # fmt: skip
    rounds = np.array(draw(st.lists(st.integers(0, 3), min_size=n_sh, max_size=n_sh)))
    free = np.array(draw(st.lists(st.integers(0, 3), min_size=n_sh, max_size=n_sh)))
    value = np.array(draw(st.lists(st.floats(0.1, 100.0), min_size=n_th, max_size=n_th)))
    return rows, rounds, free, value, n_th


@settings(max_examples=150, deadline=None)
@given(problems())
def test_optimal_assign_is_optimal_and_feasible(problem):
    rows, rounds, free, value, n_th = problem
    if not rows:
        return
    cand = _cand(rows)
    shots = optimal_assign(cand, rounds, free, value)
    threats = [j for _, j, _ in shots]
    assert len(threats) == len(set(threats))  # one shot per threat
    used = np.bincount([s for s, _, _ in shots], minlength=rounds.size)
    assert np.all(used <= np.minimum(rounds, free))
    got = _objective(shots, cand, value)
    assert got == np.float64(_brute_force(cand, rounds, free, value, n_th)) or abs(
        got - _brute_force(cand, rounds, free, value, n_th)) < 1e-9  # fmt: skip
    # and never worse than the greedy rule on the same objective
    assert got >= _objective(greedy_assign(cand, rounds, free), cand, value) - 1e-9


def test_simulator_with_optimal_assignment_is_deterministic():
    sc = load_scenario("tutorial")
    sc = sc.model_copy(update={"sim": sc.sim.model_copy(update={"assignment": "optimal"})})
    a, b = sw.run(sc, seed=4).summary, sw.run(sc, seed=4).summary
    assert a == b and a["accounting"]["balanced"]
    assert a["interceptors"]["fired"] > 0
