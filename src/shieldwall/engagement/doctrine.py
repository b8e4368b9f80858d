"""Fire doctrine in arrays: per shooter and threat class, and per candidate pair of a cycle.

See :mod:`shieldwall.scenario.doctrine` for the fields. A candidate pair (shooter i, threat j
of class c as i's nation sees it) may fill positions ``1 .. slots`` of the threat's salvo this
cycle, with

    slots_ij = min(salvo_ic, max_shots_ic - fired_j)

(``fired_j``: interceptors already fired at j), and draws on the budget ``rounds_per_cycle_ic``
of its shooter for the class. A set of shots at j is allowed when its shots can be put in
positions each within its pair's ``slots``: sorted by slots ascending, the k-th is at least k
(:func:`salvo_ok`). Under one doctrine for every shooter that reads: at most ``salvo`` shots
per cycle, and ``fired_j + shots <= max_shots``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.scenario import THREAT_CLASSES, Scenario

NO_LIMIT = 1 << 40  # max_shots and rounds_per_cycle when the doctrine sets none
FIELDS = ("salvo", "max_shots", "rounds_per_cycle")


@dataclass(frozen=True, slots=True)
class DoctrineTable:
    """``(S, 3)`` int64 over shooters (batteries, then patrols) and threat classes."""

    salvo: np.ndarray
    max_shots: np.ndarray
    rounds_per_cycle: np.ndarray

    @property
    def shoot_look_shoot(self) -> bool:
        """Salvo 1 and no limit anywhere: the foundation's doctrine."""
        return bool(
            (self.salvo == 1).all()
            and (self.max_shots == NO_LIMIT).all()
            and (self.rounds_per_cycle == NO_LIMIT).all()
        )


@dataclass(frozen=True, slots=True)
class PairLimits:
    """Per candidate pair ``(n,)``: ``slots`` (see the module docstring) and ``budget``, the
    index ``shooter * 3 + class`` into ``budget_left`` ``(S * 3,)``, the rounds each shooter
    may still fire at each class this cycle."""

    slots: np.ndarray
    budget: np.ndarray
    budget_left: np.ndarray

    def select(self, keep: np.ndarray) -> PairLimits:
        return PairLimits(self.slots[keep], self.budget[keep], self.budget_left)


def doctrine_table(scenario: Scenario) -> DoctrineTable:
    """Each shooter's doctrine: ``sim.doctrine``, with a battery's own fields where it gives
    them (patrols follow ``sim.doctrine``)."""
    n = len(scenario.batteries) + len(scenario.patrols)
    base = scenario.sim.doctrine
    out = {f: np.empty((n, len(THREAT_CLASSES)), dtype=np.int64) for f in FIELDS}
    own = [b.doctrine for b in scenario.batteries] + [None] * len(scenario.patrols)
    for c, name in enumerate(THREAT_CLASSES):
        for i, override in enumerate(own):
            mine = None if override is None else getattr(override, name)
            for f in FIELDS:
                value = getattr(mine, f) if mine is not None else None
                value = getattr(getattr(base, name), f) if value is None else value
                out[f][i, c] = NO_LIMIT if value is None else value
    return DoctrineTable(**out)


def pair_slots(
    table: DoctrineTable, shooter: np.ndarray, cls: np.ndarray, fired: np.ndarray
) -> np.ndarray:
    """``slots`` of pairs (shooter, class, interceptors already fired at the threat)."""
    return np.minimum(table.salvo[shooter, cls], table.max_shots[shooter, cls] - fired)


def salvo_ok(slots: list[int]) -> bool:
    """Whether shots whose pairs have these ``slots`` fit one threat's salvo (k-th smallest
    at least k)."""
    return all(s >= k for k, s in enumerate(sorted(slots), start=1))
