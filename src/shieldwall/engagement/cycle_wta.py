"""One decision cycle as a static WTA instance, solved by :mod:`shieldwall.engagement.wta`.

The cycle's problem (``sim.assignment: heuristic | exact``): targets are the threats with a
usable pair, worth ``value`` (their threat value in the deciding nation's picture, at least
the class lethality); weapons are the shooters with a usable pair, each with as many units as
it may fire this cycle (rounds, free channels, and the positions its pairs may fill); ``pk``
is the planning kill probability of each usable pair and 0 elsewhere (barred by authority,
airspace, reserve, doctrine, below ``MIN_PK``, or not worth its cost:
``pk - cost_weight cost / US$1M <= 0``), so a forbidden pair can never be assigned.

The static WTA knows neither salvo positions nor class budgets, so its units are then taken,
most valuable first (``value_j pk_ij``), while the doctrine allows them
(:func:`~shieldwall.engagement.doctrine.salvo_ok`, ``rounds_per_cycle``), and the units this
frees go out again by maximum marginal return under the same limits.

Both methods are deterministic (the same scenario and seed give the same shots anywhere):

- ``heuristic``: the greedy maximum-marginal-return start and one full descent of the local
  search of :mod:`~shieldwall.engagement.wta_search` (moves, swaps, lift-and-reinsert with a
  seeded generator, ejection chains) to its local optimum, without the time-limited
  perturbation rounds of ``solve_wta(method="heuristic")``, whose result depends on the
  machine's speed;
- ``exact``: ``solve_wta(method="exact")`` within ``EXACT_TIME_LIMIT_S`` a cycle, started from
  the ``heuristic`` rule's assignment (not from ``solve_wta``'s own time-limited search), so
  that what HiGHS returns, even where several assignments are optimal, does not depend on the
  machine wherever the cycle is proven optimal within the limit. Cycles it does not prove
  (their result then depends on the machine) are counted in ``Engagements.unproven``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from shieldwall.engagement.assign import COST_WEIGHT, MIN_PK, Candidates, one_shot_each, select
from shieldwall.engagement.doctrine import PairLimits, salvo_ok
from shieldwall.engagement.wta import MIN_SURVIVAL, greedy_mmr, solve_wta
from shieldwall.engagement.wta_search import descend

EXACT_TIME_LIMIT_S = 2.0  # per cycle; solve_wta gives 5 % of it to its heuristic start


def wta_assign(
    cand: Candidates,
    rounds_left: np.ndarray,
    channels_free: np.ndarray,
    value: np.ndarray,
    method: str,
    seed: int,
    cost_weight: float = COST_WEIGHT,
    limits: PairLimits | None = None,
) -> tuple[list[tuple[int, int, int]], bool]:
    """``(shots, proven)``: the cycle's (shooter, threat, step) shots by the static WTA
    ``method`` (``heuristic`` or ``exact``; module docstring) and whether the solver proved its
    static optimum (always False for the heuristic). Same inputs as
    :func:`~shieldwall.engagement.assign.greedy_assign`; ``seed`` seeds the local search."""
    lim = one_shot_each(cand.shooter.size) if limits is None else limits
    use = (cand.pk >= MIN_PK) & (cand.pk - cost_weight * cand.cost_usd / 1e6 > 0.0)
    use &= (value[cand.threat] > 0.0) & (lim.slots > 0)
    cand, lim = select(cand, use), lim.select(use)
    if cand.shooter.size == 0:
        return [], method == "exact"  # nothing to assign: trivially optimal
    weapons, w = np.unique(cand.shooter, return_inverse=True)
    targets, t = np.unique(cand.threat, return_inverse=True)
    pk = np.zeros((weapons.size, targets.size))
    pk[w, t] = cand.pk
    units = np.minimum(rounds_left[weapons], channels_free[weapons])
    units = np.maximum(np.minimum(units, np.bincount(w, weights=lim.slots).astype(np.int64)), 0)
    v = value[targets]
    x, proven = _solve(v, pk, units, method, seed)
    slots = np.zeros(pk.shape, dtype=np.int64)
    slots[w, t] = lim.slots
    budget = np.zeros(pk.shape, dtype=np.int64)
    budget[w, t] = lim.budget
    state = _Doctrine(units.copy(), lim.budget_left.copy(), slots, budget, {})
    state.trim(v, pk, x)
    state.refill(v, pk)
    step = np.zeros(pk.shape, dtype=np.int64)
    step[w, t] = cand.first_step
    return [(int(weapons[i]), int(targets[j]), int(step[i, j]))
            for i, j in state.kept], proven  # fmt: skip


def _solve(v, pk, units, method: str, seed: int) -> tuple[np.ndarray, bool]:
    """Counts ``(W, T)`` from the static solver, deterministically (module docstring)."""
    if method == "exact":
        x0 = _solve(v, pk, units, "heuristic", seed)[0]  # (a start that is the same anywhere)
        res = solve_wta(v, pk, units, method="exact", time_limit_s=EXACT_TIME_LIMIT_S, seed=seed,
                        start=x0)  # fmt: skip
        return res.assignment, res.proven
    if method != "heuristic":
        raise ValueError(f"method: '{method}' is unknown; use heuristic or exact")
    x0 = greedy_mmr(v, pk, units)
    w_u, t_u = np.nonzero(x0)
    reps = x0[w_u, t_u]
    w_u, t_u = np.repeat(w_u, reps), np.repeat(t_u, reps)
    if w_u.size == 0:
        return x0, False
    # r_u: survival factor of unit u on every target (as wta_search.improve sets it up)
    r_u = np.clip(1.0 - pk, MIN_SURVIVAL, 1.0)[w_u]
    t_u = descend(v, r_u, t_u, math.inf, np.random.default_rng(seed))
    x = np.zeros_like(x0)
    np.add.at(x, (w_u, t_u), 1)
    return np.where(pk > 0, x, 0), False


@dataclass(slots=True)
class _Doctrine:
    """Units kept so far and what the doctrine still allows: units ``left`` ``(W,)``, class
    budgets ``(B,)``, each pair's ``slots`` and budget index ``(W, T)``, and the slots of the
    units kept on each target."""

    left: np.ndarray
    budget_left: np.ndarray
    slots: np.ndarray
    budget: np.ndarray
    on: dict[int, list[int]]
    kept: list[tuple[int, int]] = field(default_factory=list)

    def fits(self, i: int, j: int) -> bool:
        return bool(
            self.left[i] > 0
            and self.budget_left[self.budget[i, j]] > 0
            and salvo_ok([*self.on.get(j, []), int(self.slots[i, j])])
        )

    def keep(self, i: int, j: int) -> None:
        self.kept.append((i, j))
        self.left[i] -= 1
        self.budget_left[self.budget[i, j]] -= 1
        self.on.setdefault(j, []).append(int(self.slots[i, j]))

    def need(self, n_targets: int) -> np.ndarray:
        """Per target: the fewest slots a pair needs to add a unit to it."""
        out = np.ones(n_targets, dtype=np.int64)
        for j, here in self.on.items():
            out[j] = _need(here)
        return out

    def trim(self, v: np.ndarray, pk: np.ndarray, x: np.ndarray) -> None:
        """Keep the solver's units ``x`` ``(W, T)``, most valuable first, while they fit."""
        i, j = np.nonzero(x)
        reps = x[i, j]
        i, j = np.repeat(i, reps), np.repeat(j, reps)
        order = np.lexsort((j, i, -v[j] * pk[i, j]))
        for a, b in zip(i[order].tolist(), j[order].tolist(), strict=True):
            if self.fits(a, b):
                self.keep(a, b)

    def refill(self, v: np.ndarray, pk: np.ndarray) -> None:
        """Give units left, one at a time, to the fitting pair of largest marginal return
        ``S_j pk_ij`` (``S_j``: value j keeps), until none gains."""
        x = np.zeros(pk.shape, dtype=np.int64)
        for i, j in self.kept:
            x[i, j] += 1
        surv = v * np.prod(np.power(1.0 - pk, x), axis=0)
        need = self.need(v.size)
        while self.left.any():
            ok = (self.left[:, None] > 0) & (self.budget_left[self.budget] > 0)
            gain = np.where(ok & (self.slots >= need[None]), surv[None] * pk, 0.0)
            i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
            if gain[i, j] <= 0.0:
                return
            self.keep(int(i), int(j))
            surv[j] *= 1.0 - pk[i, j]
            need[j] = _need(self.on[int(j)])


def _need(here: list[int]) -> int:
    """The fewest slots a pair needs to join units with slots ``here`` on one target (at most
    ``len(here) + 1``: a pair with that many can always come last)."""
    return next(s for s in range(1, len(here) + 2) if salvo_ok([*here, s]))
