"""Why each shooter did or did not fire a shot: the candidate record of an ``engage`` event.

For every shot of a decision cycle, every shooter gets one status: ``chosen``, feasible but not
chosen (and why), or the first rule of :data:`RULES` that excluded it. ``shieldwall explain``
prints these records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from shieldwall.engagement.assign import MIN_PK, Candidates
from shieldwall.engagement.doctrine import DoctrineTable
from shieldwall.engagement.shooters import Authorities, Shooters

LIMIT_SHOTS = "per-class limit reached (shots at this threat)"
LIMIT_ROUNDS = "per-class limit reached (rounds this cycle)"
# a track its nation may not fire on: not seen lately, or a made-up speed (Engagements._firm)
NOT_FIRM = "track not fit to fire on (not seen lately, or faster than any air-breather)"
# a shot's candidate statuses, in the order the rules are tried (the last one: none applied)
RULES = np.array([
    "chosen", "pk below doctrine minimum", "fires in the same salvo", LIMIT_SHOTS, LIMIT_ROUNDS,
    "fires at another threat", "lower score",
    "cannot kill this class", "not on station", "magazine empty", "all channels busy",
    "no authority yet (letters)", "no track", NOT_FIRM, "no authority for this class",
    "no authority to defend this asset's owner", "left alone (open ground)",
    "rounds kept in reserve for ballistic missiles",
    "no airspace (its only windows lie where it may not fire)",
    "no engagement window (range, altitude or timing)",
])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rules:
    """What the records need of the engagement stage, fixed for a run."""

    shooters: Shooters
    auth: Authorities
    reserve: np.ndarray
    doctrine: DoctrineTable
    unit_nations: tuple[str, ...]  # each shooter's nation id


@dataclass(frozen=True, slots=True)
class Cycle:
    """One decision cycle: its candidates (grouped by threat), the rounds and busy channels
    before it, its shots' shooters and threats ``(K,)``, the (threat, shooter) pairs barred by
    airspace alone and by the doctrine's per-threat limit (sorted by threat), threats barred
    by the defend rule alone ``(N, n)``, interceptors fired at each threat with this cycle's
    ``(n,)``, each nation's track, whether it is fit to fire on, and class of each threat
    ``(N, n)``, the (nation, threat)
    pairs left alone in open ground, and each shooter's rounds at each class this cycle
    ``(S, 3)``."""

    t_s: float
    cand: Indexed
    rounds: np.ndarray
    busy: np.ndarray
    shot_shooter: np.ndarray
    shot_threat: np.ndarray
    no_airspace: tuple[np.ndarray, np.ndarray]
    limited: tuple[np.ndarray, np.ndarray]
    defend_no: np.ndarray
    fired: np.ndarray
    has_track: np.ndarray
    firm: np.ndarray
    cls: np.ndarray
    left: set[tuple[int, int]]
    spent: np.ndarray

    @staticmethod
    def of(
        t_s,
        pictures,
        cand: Candidates,
        rounds,
        busy,
        shots,
        no_airspace,
        limited,
        defend_no,
        fired_before,
        left,
        n_shooters: int,
        owner: np.ndarray,
        firm: np.ndarray,
    ) -> Cycle:
        """The record of a cycle (arrays copied where the caller changes them later)."""
        s = np.array([x for x, _, _ in shots], dtype=np.int64)
        j = np.array([x for _, x, _ in shots], dtype=np.int64)
        cls = np.stack([p.cls for p in pictures])
        spent = np.zeros((n_shooters, 3), dtype=np.int64)
        np.add.at(spent, (s, cls[owner[s], j]), 1)
        fired = fired_before + np.bincount(j, minlength=fired_before.size)
        return Cycle(t_s, Indexed.of(cand), rounds.copy(), busy.copy(), s, j, no_airspace,
                     limited, defend_no, fired, np.stack([p.has_track for p in pictures]), firm,
                     cls, left, spent)  # fmt: skip


def stories(rules: Rules, cy: Cycle) -> list[str]:
    """Per shot of the cycle: why its shooter fires at its threat, as JSON: every shooter's
    status (chosen, feasible, or the first rule that excluded it, in the order of
    :data:`RULES`). Vectorised over (shot, shooter)."""
    if cy.shot_shooter.size == 0:
        return []
    sh, doc, t_s = rules.shooters, rules.doctrine, cy.t_s
    chosen, j = cy.shot_shooter, cy.shot_threat
    threats, u = np.unique(j, return_inverse=True)  # shot k is at threats[u[k]]
    cand = cy.cand
    feasible = _table(threats, cand.threat, cand.shooter, sh.n)[u]
    pk_feasible = _table(threats, cand.threat, cand.shooter, sh.n, cand.pk)[u]
    fires = np.zeros((threats.size, sh.n), dtype=np.int64)
    np.add.at(fires, (u, chosen), 1)
    salvo = fires[u] > 0
    taken = (fires.sum(axis=0)[None] - fires[u]) > 0
    owner, idx = sh.owner, np.arange(sh.n)
    cls_n = cy.cls[owner[None], j[:, None]]  # (K, S): as each shooter's nation classifies it
    cls_j = cy.cls[owner[chosen], j]  # as the firing nation classifies it
    left = np.array([[(a, jj) in cy.left for jj in threats.tolist()]
                     for a in range(cy.cls.shape[0])])  # fmt: skip
    every = feasible.shape
    conditions = [
        idx[None] == chosen[:, None],
        feasible & (pk_feasible < MIN_PK),
        feasible & salvo,
        (feasible & (cy.fired[j][:, None] >= doc.max_shots[idx, cls_n]))
        | _table(threats, *cy.limited, sh.n)[u],
        feasible & (cy.spent[idx, cls_n] >= doc.rounds_per_cycle[idx, cls_n]),
        feasible & taken,
        feasible,
        sh.pk[:, cls_j].T <= 0.0,
        np.broadcast_to(~((sh.from_s <= t_s) & (t_s <= sh.until_s)), every),
        np.broadcast_to(cy.rounds <= 0, every),
        np.broadcast_to(cy.busy >= sh.channels, every),
        np.broadcast_to(rules.auth.from_s[owner] > t_s, every),
        ~cy.has_track[owner[None], j[:, None]],
        ~cy.firm[owner[None], j[:, None]],
        ~rules.auth.classes[owner[None], cls_n],
        cy.defend_no[owner[None], j[:, None]],
        left[owner[None], u[:, None]],
        (cy.rounds <= rules.reserve)[None] & (cls_n != 0),
        _table(threats, *cy.no_airspace, sh.n)[u],
    ]
    status = np.select(conditions, RULES[: len(conditions)], RULES[-1]).tolist()
    pk = np.round(sh.pk[:, cls_j].T, 3).tolist()
    heads = list(zip(sh.ids, rules.unit_nations, strict=True))
    return [json.dumps([{"unit": un, "nation": a, "status": st, "pk": q}
                        for (un, a), st, q in zip(heads, st_k, pk_k, strict=True)])
            for st_k, pk_k in zip(status, pk, strict=True)]  # fmt: skip


def _table(threats: np.ndarray, by_j: np.ndarray, s: np.ndarray, n: int, values=None):
    """``(U, n)`` over ``threats`` (sorted) and shooters: True (or ``values``) at the
    (threat, shooter) pairs ``by_j``, ``s`` that concern those threats."""
    out = np.zeros((threats.size, n), dtype=bool if values is None else float)
    row = np.minimum(np.searchsorted(threats, by_j), threats.size - 1)
    mine = threats[row] == by_j
    out[row[mine], s[mine]] = True if values is None else values[mine]
    return out


def pairs_by_threat(pairs: list[tuple[np.ndarray, np.ndarray]]):
    """(threat, shooter) pairs of all nations, concatenated and sorted by threat."""
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    j, s = (np.concatenate(c) for c in zip(*pairs, strict=True))
    order = np.argsort(j, kind="stable")
    return j[order], s[order]


@dataclass(frozen=True, slots=True)
class Indexed:
    """A cycle's candidates with the order that groups them by threat (for the stories)."""

    shooter: np.ndarray
    threat: np.ndarray
    pk: np.ndarray
    by_threat: np.ndarray

    @staticmethod
    def of(cand: Candidates) -> Indexed:
        order = np.argsort(cand.threat, kind="stable")
        return Indexed(cand.shooter, cand.threat, cand.pk, order)
