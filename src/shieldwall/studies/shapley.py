"""Shapley values of a cooperative game, exactly or by sampling permutations.

A game of ``n`` players is given by its characteristic function ``v`` on coalitions. A
coalition is a bit mask: player ``i`` is in ``S`` when bit ``i`` of ``S`` is set, so the
2**n coalitions index an array ``v[..., S]`` directly.

Exact value (Shapley 1953, "A value for n-person games", Contributions to the Theory of Games
II, pp. 307-317)::

    phi_i = sum over S not containing i of  |S|! (n - |S| - 1)! / n!  * (v(S + i) - v(S))

Sampled value (Castro, Gomez & Tejada 2009, "Polynomial calculation of the Shapley value based
on sampling", Computers & Operations Research 36(5), pp. 1726-1730): the mean over ``m``
random orderings of each player's marginal contribution ``v(P + i) - v(P)``, with ``P`` the
players before ``i``; unbiased, with standard error ``sd / sqrt(m)``.

Both are efficient for every game and every sample: the values sum to ``v(N) - v({})``
(along one ordering the marginal contributions telescope).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from math import factorial

import numpy as np

EXACT_MAX_PLAYERS = 8
# Orderings per replication: the standard error falls as 1/sqrt(m), so 100,000 orderings
# already give 0.3% of one ordering's spread; more is a typo, and each costs memory.
MAX_PERMUTATIONS = 100_000


def bit_count(masks: np.ndarray) -> np.ndarray:
    """Players in each coalition mask, shape as ``masks``."""
    m = np.asarray(masks, dtype=np.int64)
    return np.array([int(x).bit_count() for x in m.ravel()], dtype=np.int64).reshape(m.shape)


def shapley_weights(n: int) -> np.ndarray:
    """``w[s] = s! (n - s - 1)! / n!`` for ``s = 0 .. n-1``: the weight of a coalition of
    ``s`` players that ``i`` joins (Shapley 1953). Shape ``(n,)``; ``sum_s C(n-1, s) w[s] = 1``."""
    return np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])


def exact_shapley(v: np.ndarray) -> np.ndarray:
    """Exact Shapley values of the game(s) ``v``.

    ``v``: shape ``(..., 2**n)``, ``v[..., S]`` the worth of coalition mask ``S`` (leading
    axes are independent games, for example one per replication). Returns ``(..., n)``."""
    v = np.asarray(v, dtype=float)
    n = int(v.shape[-1]).bit_length() - 1
    if v.shape[-1] != 1 << n or n < 1:
        raise ValueError(f"v needs 2**n coalition values on its last axis, got {v.shape[-1]}")
    masks = np.arange(1 << n)
    weight = shapley_weights(n)[bit_count(masks) % n]
    phi = np.empty((*v.shape[:-1], n))
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        # phi_i = sum_S w(|S|) (v(S + i) - v(S)) over S not containing i
        phi[..., i] = ((v[..., without | (1 << i)] - v[..., without]) * weight[without]).sum(-1)
    return phi


def random_orderings(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` uniformly random orderings of ``n`` players, shape ``(m, n)``; ValueError for
    ``m`` outside 0 .. MAX_PERMUTATIONS (checked before any is drawn)."""
    if not 0 <= m <= MAX_PERMUTATIONS:
        raise ValueError(f"orderings: at most {MAX_PERMUTATIONS:,} (and >= 0), got {m}")
    return np.array([rng.permutation(n) for _ in range(m)], dtype=np.int64).reshape(m, n)


def coalitions_bound(n: int, m: int | None) -> int:
    """The most coalitions one replication needs: all ``2**n`` when exact (``m`` None), else
    at most ``m (n - 1) + 2`` (each ordering adds one prefix of each length 1 .. n-1; the
    empty and grand coalitions are shared)."""
    return 1 << n if m is None else min(1 << n, m * max(n - 1, 0) + 2)


def ordering_masks(orderings: np.ndarray) -> list[int]:
    """Every coalition the orderings need (each prefix, the empty and grand coalitions
    included), sorted."""
    needed = {0}
    for order in np.asarray(orderings):
        mask = 0
        for player in order:
            mask |= 1 << int(player)
            needed.add(mask)
    return sorted(needed)


def marginal_contributions(orderings: np.ndarray, v: Callable[[int], float]) -> np.ndarray:
    """``out[k, i] = v(P + i) - v(P)`` with ``P`` the players before ``i`` in ordering ``k``.
    Shape ``(m, n)``; each row sums to ``v(N) - v({})``."""
    orderings = np.asarray(orderings)
    out = np.empty(orderings.shape)
    for k, order in enumerate(orderings):
        mask, before = 0, v(0)
        for player in order:
            mask |= 1 << int(player)
            after = v(mask)
            out[k, player] = after - before
            before = after
    return out


def sampled_shapley(orderings: np.ndarray, v: Callable[[int], float]) -> tuple[np.ndarray, ...]:
    """Castro, Gomez & Tejada (2009): the mean marginal contribution over ``orderings`` and
    its standard error (``sd / sqrt(m)``, NaN for one ordering). Two arrays of shape ``(n,)``."""
    contrib = marginal_contributions(orderings, v)
    m = contrib.shape[0]
    se = contrib.std(axis=0, ddof=1) / np.sqrt(m) if m > 1 else np.full(contrib.shape[1], np.nan)
    return contrib.mean(axis=0), se


def mask_of(players: Iterable[int]) -> int:
    """The coalition mask of the player indices ``players``."""
    mask = 0
    for p in players:
        mask |= 1 << int(p)
    return mask


def members(mask: int, n: int) -> list[int]:
    """Player indices in coalition ``mask``."""
    return [i for i in range(n) if (mask >> i) & 1]


__all__ = [
    "EXACT_MAX_PLAYERS",
    "MAX_PERMUTATIONS",
    "bit_count",
    "coalitions_bound",
    "exact_shapley",
    "marginal_contributions",
    "mask_of",
    "members",
    "ordering_masks",
    "random_orderings",
    "sampled_shapley",
    "shapley_weights",
]
