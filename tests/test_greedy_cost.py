"""The cost weight as a filter: every assignment rule (greedy, optimal, heuristic, exact) drops
pairs whose score ``pk - cost_weight * cost_usd / 1e6`` is not positive, so a costly
interceptor is not fired where it is not worth its price, and is at weight 0."""

from __future__ import annotations

import numpy as np

import shieldwall as sw
from shieldwall.engagement.assign import Candidates, greedy_assign, optimal_assign
from shieldwall.engagement.cycle_wta import wta_assign
from shieldwall.engagement.doctrine import PairLimits
from shieldwall.scenario import load_scenario

SM3 = (0.9, 12e6)  # pk, cost: score 0.9 - 0.1 * 12 = -0.3 at weight 0.1
CHEAP = (0.5, 5e4)  # score 0.5 - 0.1 * 0.05 = 0.495 at weight 0.1


def _cand(rows):
    """rows: (shooter, threat, first, last, pk, cost_usd)."""
    cols = list(zip(*rows, strict=True))
    return Candidates(*(np.array(c, dtype=np.int64) for c in cols[:4]),
                      np.array(cols[4], dtype=float), np.array(cols[5], dtype=float))  # fmt: skip


def _rules(cand, n_shooters, weight, limits=None):
    """Shots of each rule on one cycle, all shooters with 2 rounds and 2 free channels."""
    two = np.full(n_shooters, 2, dtype=np.int64)
    value = np.ones(int(cand.threat.max()) + 1)
    return {
        "greedy": greedy_assign(cand, two, two, weight, limits),
        "optimal": optimal_assign(cand, two, two, value, weight, limits),
        "heuristic": wta_assign(cand, two, two, value, "heuristic", 0, weight, limits)[0],
        "exact": wta_assign(cand, two, two, value, "exact", 0, weight, limits)[0],
    }


def test_costly_pair_with_negative_score_is_not_fired():
    cand = _cand([(0, 0, 3, 20, *SM3)])
    assert all(shots == [] for shots in _rules(cand, 1, 0.1).values())
    assert all(shots == [(0, 0, 3)] for shots in _rules(cand, 1, 0.0).values())
    assert greedy_assign(cand, np.array([2]), np.array([2])) == [(0, 0, 3)]  # default 0.02


def test_zero_score_is_not_fired():
    """pk 0.5, US$1M, weight 0.5: score exactly 0, not positive."""
    cand = _cand([(0, 0, 3, 20, 0.5, 1e6)])
    assert all(shots == [] for shots in _rules(cand, 1, 0.5).values())
    assert all(shots == [(0, 0, 3)] for shots in _rules(cand, 1, 0.49).values())


def test_cheaper_shooter_takes_the_threat_the_costly_one_is_not_worth():
    """At weight 0.1 the SM-3-class pair (better pk, earlier) is dropped and the cheap one
    fires; at weight 0 the better kill probability wins whatever its price."""
    cand = _cand([(0, 0, 3, 20, *SM3), (1, 0, 5, 20, *CHEAP)])
    assert all(shots == [(1, 0, 5)] for shots in _rules(cand, 2, 0.1).values())
    assert all(shots == [(0, 0, 3)] for shots in _rules(cand, 2, 0.0).values())


def test_filter_keeps_doctrine_limits_aligned():
    """With limits, the dropped costly pair's slots go with it: the cheap pair's two slots
    (a two-round salvo) stay with the cheap pair."""
    cand = _cand([(0, 0, 3, 20, *SM3), (1, 0, 5, 20, *CHEAP)])
    lim = PairLimits(np.array([1, 2]), np.array([0, 3]), np.full(6, 10, dtype=np.int64))
    assert greedy_assign(cand, np.array([2, 2]), np.array([2, 2]), 0.1, lim) == [(1, 0, 5)] * 2
    assert greedy_assign(cand, np.array([2, 2]), np.array([2, 2]), 0.0, lim) == [
        (0, 0, 3),
        (1, 0, 5),
    ]


def _tutorial(weight):
    sc = load_scenario("tutorial")
    sim = sc.sim.model_copy(update={"cost_weight_per_musd": weight})
    return sw.run(sc.model_copy(update={"sim": sim}), seed=0)


def test_greedy_run_fires_nothing_dearer_than_its_worth():
    """With ``assignment: greedy`` (the default) and weight 1, no shot costs US$1M or more
    (pk <= 1), so the tutorial's US$12M SM-3s stay in their launchers; at 0 they fire."""
    sc = load_scenario("tutorial")
    assert sc.sim.assignment == "greedy"
    dear = _tutorial(1.0).sim.engagements.fired
    assert dear and all(s.cost_usd / 1e6 < 1.0 for s in dear)
    free = _tutorial(0.0).sim.engagements.fired
    assert any(s.cost_usd >= 1e6 for s in free)
