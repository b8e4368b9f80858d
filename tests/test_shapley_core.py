"""The Shapley core on games whose values are known in closed form (Shapley 1953), and
permutation sampling (Castro, Gomez & Tejada 2009) converging to the exact values."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.studies.shapley import (
    exact_shapley,
    marginal_contributions,
    mask_of,
    members,
    ordering_masks,
    random_orderings,
    sampled_shapley,
    shapley_weights,
)


def table(n: int, worth) -> np.ndarray:
    """``v[S]`` for every mask ``S`` of ``n`` players from ``worth(frozenset of players)``."""
    return np.array([worth(frozenset(members(s, n))) for s in range(1 << n)], dtype=float)


def glove(s: frozenset) -> float:
    """Glove game: player 0 holds a left glove, players 1 and 2 a right one each; a pair is
    worth 1. Closed form (Shapley 1953 style): phi = (2/3, 1/6, 1/6)."""
    return float(0 in s and (1 in s or 2 in s))


def test_three_player_glove_game_matches_hand_computed_values():
    # phi_0: 0 is pivotal unless it comes first: 4 of 6 orderings -> 2/3; phi_1 = phi_2 = 1/6
    np.testing.assert_allclose(exact_shapley(table(3, glove)), [2 / 3, 1 / 6, 1 / 6], atol=1e-12)


def test_hand_made_three_nation_game():
    # v: {}=10, {A}=40, {B}=30, {C}=10, {AB}=80, {AC}=50, {BC}=40, {ABC}=100
    # phi_A = 1/3 (30) + 1/6 (50) + 1/6 (40) + 1/3 (60) = 45
    # phi_B = 1/3 (20) + 1/6 (40) + 1/6 (30) + 1/3 (50) = 35
    # phi_C = 1/3 (0) + 1/6 (10) + 1/6 (10) + 1/3 (20) = 10     (sum 90 = 100 - 10)
    worth = {(): 10, (0,): 40, (1,): 30, (2,): 10, (0, 1): 80, (0, 2): 50, (1, 2): 40,
             (0, 1, 2): 100}  # fmt: skip
    v = table(3, lambda s: worth[tuple(sorted(s))])
    np.testing.assert_allclose(exact_shapley(v), [45, 35, 10], atol=1e-12)


def test_symmetry_dummy_and_additivity():
    # players 0 and 1 symmetric, player 3 a dummy adding 0, player 2 adds 5 on its own
    def worth(s: frozenset) -> float:
        return 7.0 * (0 in s and 1 in s) + 5.0 * (2 in s)

    phi = exact_shapley(table(4, worth))
    np.testing.assert_allclose(phi, [3.5, 3.5, 5.0, 0.0], atol=1e-12)


def test_weights_sum_to_one_over_coalitions():
    from math import comb

    for n in range(1, 9):
        w = shapley_weights(n)
        assert sum(comb(n - 1, s) * w[s] for s in range(n)) == pytest.approx(1.0, abs=1e-12)


def brute_force(v: np.ndarray, n: int) -> np.ndarray:
    """The definition itself: mean marginal contribution over all n! orderings."""
    orders = np.array(list(permutations(range(n))))
    return marginal_contributions(orders, lambda s: v[s]).mean(axis=0)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.lists(
    st.floats(-1e3, 1e3, allow_nan=False), min_size=1 << n, max_size=1 << n)))  # fmt: skip
def test_exact_equals_all_orderings_and_is_efficient(values):
    v = np.array(values)
    n = len(values).bit_length() - 1
    phi = exact_shapley(v)
    np.testing.assert_allclose(phi, brute_force(v, n), atol=1e-9)
    assert phi.sum() == pytest.approx(v[-1] - v[0], abs=1e-9)


def test_exact_is_vectorised_over_replications():
    rng = np.random.default_rng(3)
    v = rng.normal(size=(5, 16))
    phi = exact_shapley(v)
    assert phi.shape == (5, 4)
    for r in range(5):
        np.testing.assert_allclose(phi[r], exact_shapley(v[r]), atol=1e-12)
    np.testing.assert_allclose(phi.sum(-1), v[:, -1] - v[:, 0], atol=1e-12)


def test_sampling_converges_to_exact_within_its_standard_error():
    rng = np.random.default_rng(2009)
    n = 6
    v = rng.uniform(0, 100, size=1 << n)
    exact = exact_shapley(v)
    orders = random_orderings(n, 4000, np.random.default_rng(1))
    mean, se = sampled_shapley(orders, lambda s: v[s])
    assert np.all(np.abs(mean - exact) < 4 * se)
    assert np.all(se < 1.0)
    # every ordering's contributions telescope: efficiency holds per sample
    contrib = marginal_contributions(orders[:10], lambda s: v[s])
    np.testing.assert_allclose(contrib.sum(1), v[-1] - v[0], atol=1e-9)


def test_ordering_masks_are_the_prefixes():
    orders = np.array([[2, 0, 1], [0, 1, 2]])
    assert ordering_masks(orders) == sorted({0, 0b100, 0b101, 0b111, 0b001, 0b011})
    assert mask_of([0, 2]) == 0b101 and members(0b101, 3) == [0, 2]


def test_exact_rejects_a_non_power_of_two():
    with pytest.raises(ValueError, match="2\\*\\*n"):
        exact_shapley(np.zeros(6))
