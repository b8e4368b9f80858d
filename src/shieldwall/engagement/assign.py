"""Greedy coalition weapon assignment ("any sensor, best shooter"), foundation level.

Each decision cycle gathers every (shooter, threat) pair that its nation's picture, its authority
and its airspace allow and whose engagement window is open, then serves threats in order of
urgency (the threat whose last feasible intercept comes soonest first) and gives each the
available shooter with the best score ``pk - COST_WEIGHT * cost / 1e6``; ties go to the earliest
intercept, which leaves room for a second shot after a miss (shoot-look-shoot). A shooter fires
one round per threat per cycle; a threat with an interceptor in flight is not engaged again until
that shot is assessed. The exact and large-neighbourhood solvers of the assignment issue will
replace this behind the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

COST_WEIGHT = 0.02  # pk points per US$1M: a $3.5M interceptor "costs" 0.07 of kill probability
MIN_PK = 0.3  # doctrine: no shot with a lower single-shot kill probability


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
) -> list[tuple[int, int, int]]:
    """Choose (shooter, threat, step) shots. ``rounds_left`` and ``channels_free`` are per
    shooter and are not modified. At most one shot per threat per call."""
    if cand.shooter.size == 0:
        return []
    keep = cand.pk >= MIN_PK
    cand = Candidates(*(a[keep] for a in astuple(cand)))
    if cand.shooter.size == 0:
        return []
    rounds = rounds_left.copy()
    free = channels_free.copy()
    score = cand.pk - cost_weight * cand.cost_usd / 1e6
    urgency = np.full(cand.threat.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(urgency, cand.threat, cand.last_step)
    # order pairs by (threat urgency, threat, -score, first step) and take the first usable pair
    order = np.lexsort((cand.first_step, -score, cand.threat, urgency[cand.threat]))
    shots, served = [], set()
    for i in order:
        j, s = int(cand.threat[i]), int(cand.shooter[i])
        if j in served or rounds[s] <= 0 or free[s] <= 0:
            continue
        shots.append((s, j, int(cand.first_step[i])))
        served.add(j)
        rounds[s] -= 1
        free[s] -= 1
    return shots


def optimal_assign(
    cand: Candidates,
    rounds_left: np.ndarray,
    channels_free: np.ndarray,
    value: np.ndarray,
    cost_weight: float = COST_WEIGHT,
) -> list[tuple[int, int, int]]:
    """The shoot-look-shoot assignment that maximises the summed expected value of this
    cycle's shots, ``sum value_j (pk_sj - cost_weight cost_s / US$1M)`` over pairs with a
    positive score, with at most one shot per threat and each shooter limited by its free
    channels and rounds: a bipartite matching of shooter *units* to threats, solved exactly by
    ``scipy.optimize.linear_sum_assignment`` (the WTA with one unit per target is linear;
    e.g. Ahuja et al., Operations Research 55(6), 2007, sec. 2). ``value`` is per threat index.
    Each pair fires at its earliest feasible step. Deterministic; same inputs as
    :func:`greedy_assign`."""
    keep = cand.pk >= MIN_PK
    cand = Candidates(*(a[keep] for a in astuple(cand)))
    if cand.shooter.size == 0:
        return []
    score = value[cand.threat] * (cand.pk - cost_weight * cand.cost_usd / 1e6)
    ok = score > 0.0
    cand, score = Candidates(*(a[ok] for a in astuple(cand))), score[ok]
    if cand.shooter.size == 0:
        return []
    shooters, s_col = np.unique(cand.shooter, return_inverse=True)
    threats, t_col = np.unique(cand.threat, return_inverse=True)
    per = np.bincount(s_col, minlength=shooters.size)
    units = np.minimum(np.minimum(rounds_left[shooters], channels_free[shooters]), per)
    units = np.maximum(units, 0)
    # benefit of shooter column x threat column; a shooter's units are copies of its row
    best = np.full((shooters.size, threats.size), -np.inf)
    pair = np.full((shooters.size, threats.size), -1)
    order = np.argsort(score, kind="stable")  # the best pair of a (shooter, threat) wins
    best[s_col[order], t_col[order]] = score[order]
    pair[s_col[order], t_col[order]] = order
    rows = np.repeat(np.arange(shooters.size), units)
    if rows.size == 0:
        return []
    benefit = best[rows]
    r, c = linear_sum_assignment(np.where(np.isfinite(benefit), -benefit, 0.0))
    use = np.isfinite(benefit[r, c])
    chosen = pair[rows[r[use]], c[use]]
    return [(int(cand.shooter[i]), int(cand.threat[i]), int(cand.first_step[i])) for i in chosen]
