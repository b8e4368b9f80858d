"""Coalition weapon assignment of one decision cycle ("any sensor, best shooter").

Each decision cycle gathers every (shooter, threat) pair that its nation's picture, its authority
and its airspace allow and whose engagement window is open. The rules, all on the same inputs
(candidates, rounds and free channels per shooter, optional doctrine limits per pair, see
:mod:`~shieldwall.engagement.doctrine`), return ``(shooter, threat, step)`` shots, one entry per
interceptor:

- :func:`greedy_assign` serves threats in order of urgency (the threat whose last feasible
  intercept comes soonest first) and gives each the available shooter with the best score
  ``pk - COST_WEIGHT * cost / 1e6``; ties go to the earliest intercept, which leaves room for a
  second shot after a miss (shoot-look-shoot);
- :func:`optimal_assign` maximises the summed value of the cycle's shots by a matching;
- :func:`~shieldwall.engagement.cycle_wta.wta_assign` hands the cycle to the static WTA solver.

Every rule drops pairs below ``MIN_PK`` and pairs not worth their cost, whose score
``pk - cost_weight * cost / 1e6`` is not positive. Without doctrine limits a threat takes one
shot per cycle; a threat with an interceptor in flight is not engaged again until that shot is
assessed (the caller leaves it out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from shieldwall.engagement.doctrine import NO_LIMIT, PairLimits
from shieldwall.scenario import MIN_PK  # (the scenario refuses kill probabilities below it)

COST_WEIGHT = 0.02  # pk points per US$1M: a $3.5M interceptor "costs" 0.07 of kill probability


@dataclass(frozen=True, slots=True)
class Candidates:
    """Feasible pairs: shooter, threat, earliest and latest feasible look-ahead step, pk."""

    shooter: np.ndarray
    threat: np.ndarray
    first_step: np.ndarray
    last_step: np.ndarray
    pk: np.ndarray
    cost_usd: np.ndarray

    @staticmethod
    def concat(parts: list[Candidates]) -> Candidates:
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return Candidates(z, z, z, z, z.astype(float), z.astype(float))
        return Candidates(
            *(np.concatenate(c) for c in zip(*(astuple(p) for p in parts), strict=True))
        )


def astuple(c: Candidates) -> tuple[np.ndarray, ...]:
    return (c.shooter, c.threat, c.first_step, c.last_step, c.pk, c.cost_usd)


def select(c: Candidates, keep: np.ndarray) -> Candidates:
    """The pairs ``keep`` (a mask or indices) of ``c``."""
    return Candidates(*(a[keep] for a in astuple(c)))


def one_shot_each(n: int) -> PairLimits:
    """Limits of shoot-look-shoot with no cap: one slot per pair, no class budget."""
    return PairLimits(np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                      np.full(1, np.iinfo(np.int64).max))  # fmt: skip


def candidates_from_windows(
    shooter_idx: np.ndarray,
    threat_idx: np.ndarray,
    window: np.ndarray,
    pk: np.ndarray,
    cost_usd: np.ndarray,
) -> Candidates:
    """Pairs with any feasible step in ``window`` ``(s, m, L)``; ``pk`` is ``(s, m)`` and
    ``cost_usd`` ``(s,)``, both for the shooters ``shooter_idx``."""
    any_ok = window.any(axis=2)
    s, m = np.nonzero(any_ok)
    first = np.argmax(window[s, m], axis=1)
    last = window.shape[2] - 1 - np.argmax(window[s, m, ::-1], axis=1)
    return Candidates(shooter_idx[s], threat_idx[m], first, last, pk[s, m], cost_usd[s])


def greedy_assign(
    cand: Candidates,
    rounds_left: np.ndarray,
    channels_free: np.ndarray,
    cost_weight: float = COST_WEIGHT,
    limits: PairLimits | None = None,
) -> list[tuple[int, int, int]]:
    """Choose (shooter, threat, step) shots. ``rounds_left`` and ``channels_free`` are per
    shooter and are not modified. Each threat in turn takes rounds from its pairs in score
    order, each pair while the threat's salvo has a position it may fill (``limits.slots``,
    default 1: one shot per threat) and its shooter a round, a channel and class budget left;
    a shooter may fire several rounds at one threat. Pairs below ``MIN_PK`` or with a score
    ``pk - cost_weight * cost / 1e6`` that is not positive are never fired (as in
    :func:`optimal_assign`)."""
    if cand.shooter.size == 0:
        return []
    score = cand.pk - cost_weight * cand.cost_usd / 1e6
    keep = (cand.pk >= MIN_PK) & (score > 0.0)
    cand, score = select(cand, keep), score[keep]
    if cand.shooter.size == 0:
        return []
    lim = one_shot_each(cand.shooter.size) if limits is None else limits.select(keep)
    rounds = rounds_left.tolist()
    free = channels_free.tolist()
    budget = lim.budget_left.tolist()
    urgency = np.full(cand.threat.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(urgency, cand.threat, cand.last_step)
    # order pairs by (threat urgency, threat, -score, first step) and take the usable pairs
    order = np.lexsort((cand.first_step, -score, cand.threat, urgency[cand.threat]))
    shooter, threat, step = cand.shooter.tolist(), cand.threat.tolist(), cand.first_step.tolist()
    slots, b = lim.slots.tolist(), lim.budget.tolist()
    shots, count = [], {}
    for i in order.tolist():
        j, s, k = threat[i], shooter[i], b[i]
        n = count.get(j, 0)
        while n < slots[i] and rounds[s] > 0 and free[s] > 0 and budget[k] > 0:
            shots.append((s, j, step[i]))
            n += 1
            rounds[s] -= 1
            free[s] -= 1
            budget[k] -= 1
        count[j] = n
    return shots


def optimal_assign(
    cand: Candidates,
    rounds_left: np.ndarray,
    channels_free: np.ndarray,
    value: np.ndarray,
    cost_weight: float = COST_WEIGHT,
    limits: PairLimits | None = None,
) -> list[tuple[int, int, int]]:
    """The assignment that maximises the summed expected value of this cycle's shots, each
    shooter limited by its free channels and rounds: a bipartite matching of shooter *units*
    to threat *positions*, solved exactly by ``scipy.optimize.linear_sum_assignment`` (the WTA
    with one unit per target is linear; e.g. Ahuja et al., Operations Research 55(6), 2007,
    sec. 2). Threat j has one position per round its salvo may take (``limits.slots``,
    default 1: one shot per threat); pair (s, j) in position p = 1, 2, ... is worth

        value_j (pk_sj (1 - pk_sj)^(p - 1) - cost_weight cost_s / US$1M)

    (the kill probability the p-th round adds when the rounds before it were as good), kept
    when positive. Positions fill in order (each is worth less than the one before), so the
    shots fit the salvo. With class budgets (``rounds_per_cycle``) a shooter's units are
    split by class and the matching may give it more rounds than it has: its least valuable
    shots are then dropped. ``value`` is per threat index. Each pair fires at its earliest
    feasible step. Deterministic; same inputs as :func:`greedy_assign`."""
    keep = cand.pk >= MIN_PK
    lim = one_shot_each(int(keep.sum())) if limits is None else limits.select(keep)
    cand = select(cand, keep)
    if cand.shooter.size == 0:
        return []
    # one entry per (pair, position p - 1)
    slots = np.maximum(lim.slots, 0)
    pair = np.repeat(np.arange(cand.shooter.size), slots)
    p0 = np.arange(pair.size) - np.repeat(np.cumsum(slots) - slots, slots)
    pk, cost = cand.pk[pair], cand.cost_usd[pair]
    score = value[cand.threat[pair]] * (pk * (1.0 - pk) ** p0 - cost_weight * cost / 1e6)
    ok = score > 0.0
    pair, p0, score = pair[ok], p0[ok], score[ok]
    if pair.size == 0:
        return []
    s_of, j_of = cand.shooter[pair], cand.threat[pair]
    budgeted = bool((lim.budget_left[lim.budget[pair]] < NO_LIMIT).any())
    group_key = lim.budget[pair] if budgeted else s_of
    groups, g_row = np.unique(group_key, return_inverse=True)
    cols, c_col = np.unique(j_of * (slots.max() + 1) + p0, return_inverse=True)
    g_shooter = np.zeros(groups.size, dtype=np.int64)
    g_shooter[g_row] = s_of
    units = np.minimum(rounds_left[g_shooter], channels_free[g_shooter])
    units = np.minimum(units, np.bincount(g_row, minlength=groups.size))
    if budgeted:
        units = np.minimum(units, lim.budget_left[groups])
    units = np.maximum(units, 0)
    # benefit of group row x (threat, position) column; a group's units are copies of its row
    best = np.full((groups.size, cols.size), -np.inf)
    entry = np.full((groups.size, cols.size), -1)
    best[g_row, c_col] = score
    entry[g_row, c_col] = np.arange(pair.size)
    rows = np.repeat(np.arange(groups.size), units)
    if rows.size == 0:
        return []
    benefit = best[rows]
    r, c = linear_sum_assignment(np.where(np.isfinite(benefit), -benefit, 0.0))
    use = np.isfinite(benefit[r, c])
    chosen = entry[rows[r[use]], c[use]]
    if budgeted:
        chosen = _within_rounds(chosen, s_of, score, rounds_left, channels_free)
    return [(int(s_of[e]), int(j_of[e]), int(cand.first_step[pair[e]])) for e in chosen]


def _within_rounds(chosen, s_of, score, rounds_left, channels_free) -> np.ndarray:
    """``chosen`` entries less each shooter's least valuable ones beyond its rounds and free
    channels (dropping shots keeps every threat's salvo valid)."""
    order = chosen[np.lexsort((-score[chosen], s_of[chosen]))]
    s = s_of[order]
    rank = np.arange(s.size) - np.searchsorted(s, s)
    keep = rank < np.minimum(rounds_left[s], channels_free[s])
    return np.sort(order[keep])
