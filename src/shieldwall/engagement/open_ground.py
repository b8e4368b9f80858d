"""The open-ground decision of a decision cycle: which ballistic tracks each nation leaves alone.

A ballistic track that a nation may engage and that its threat evaluation
(:mod:`~shieldwall.engagement.evaluate`) predicts to land in open ground, once it is within the
decision window of its predicted impact, draws no fire from that nation. Every nation's rows
are decided together: each distinct estimate is followed to the ground once, its sigma points
in the same RK4 steps as the look-ahead paths of every ballistic estimate of the cycle
(:func:`~shieldwall.engagement.rows.fall_with_paths`).

A nation's decision on a threat holds ``REDECIDE_S`` (modelling choice: the sigma-point fall
is the costliest part of a decision cycle, and its cost is per RK4 step, not per track). A
cycle re-decides every row at once when one of them has no decision that young (a new track,
or the decisions growing old), else it applies the held ones and follows nothing down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shieldwall.engagement.evaluate import OPEN_GROUND_TTG_S, Assets, evaluate
from shieldwall.engagement.rows import distinct, fall_with_paths, may_land_soon
from shieldwall.engagement.shooters import Shooters

REDECIDE_S = 15.0  # a nation's open-ground decision on a threat holds this long (3 fast cycles)


@dataclass(slots=True)
class OpenGround:
    """One cycle's decisions: per ``todo`` item, bool over its threats (``alone``); the values
    of the estimates followed to the ground in full (time to go within the window), by the
    bytes of their ``x`` and ``P`` (``complete``); the look-ahead paths integrated with the
    fall (``coasted``, for :func:`~shieldwall.engagement.cycle_rows.cycle_paths`); and the
    ``(nation, threat, largest hit probability)`` of each threat left alone."""

    alone: list[np.ndarray]
    complete: dict[bytes, float] = field(default_factory=dict)
    coasted: tuple | None = None
    decided: list[tuple[int, int, float]] = field(default_factory=list)


def decide_open_ground(
    shooters: Shooters,
    assets: Assets,
    todo: list,
    allowed: list,
    slack_s: float,
    t_s: float = 0.0,
    held: dict | None = None,
) -> OpenGround:
    """The open-ground decisions of ``todo`` items ``(nation, picture, shooters, threats)``
    on the threats each may engage (``allowed``), see :class:`OpenGround`. ``held``: each
    nation's last decision per threat, ``(nation, threat) -> (t_s, alone, largest hit
    probability)``, kept ``REDECIDE_S`` (updated in place)."""
    out = OpenGround([np.zeros(m.size, dtype=bool) for *_, m in todo])
    if not todo or assets.value.size == 0:
        return out
    rows = []  # the allowed ballistic rows of each item, then those that may land soon
    for k, (_, pic, _, m) in enumerate(todo):
        r = np.flatnonzero(allowed[k] & (pic.cls[m] == 0))
        if r.size:
            rows.append((k, r))
    if not rows:
        return out
    soon = may_land_soon(np.concatenate([todo[k][1].x[todo[k][3][r]] for k, r in rows]))
    rows, start, found = [], 0, rows
    for k, r in found:
        mine = r[soon[start : start + r.size]]
        start += r.size
        if mine.size:
            rows.append((k, mine))
    if held is not None:
        rows = _reuse(out, todo, rows, t_s, held)
    if not rows:
        return out
    x = np.concatenate([todo[k][1].x[todo[k][3][r]] for k, r in rows])
    P = np.concatenate([todo[k][1].P[todo[k][3][r]] for k, r in rows])
    first, inverse = distinct(x)
    x, P = x[first], P[first]
    fallen, out.coasted = fall_with_paths(shooters, todo, x, P, slack_s)
    ev = evaluate(x, P, np.zeros(first.size, dtype=np.int64), assets, decide_only=True,
                  fallen=fallen)  # fmt: skip
    ttg = ev.time_to_go_s
    full = (ttg >= OPEN_GROUND_TTG_S[0]) & (ttg <= OPEN_GROUND_TTG_S[1])
    for i, v in zip(np.flatnonzero(full).tolist(), ev.value[full].tolist(), strict=True):
        out.complete[x[i].tobytes() + P[i].tobytes()] = v
    alone = ev.open_ground[inverse]
    best = ev.p_hit.max(axis=1, initial=0.0)[inverse]
    start = 0
    for k, r in rows:
        a, _, _, m = todo[k]
        mask = alone[start : start + r.size]
        if held is not None:
            for j, gone, p in zip(m[r].tolist(), mask.tolist(),
                                  best[start : start + r.size].tolist(), strict=True):  # fmt: skip
                held[(a, j)] = (t_s, gone, p)
        for j, p in zip(m[r[mask]].tolist(), best[start : start + r.size][mask].tolist(),
                        strict=True):  # fmt: skip
            out.decided.append((a, j, p))
        start += r.size
        out.alone[k][r[mask]] = True
    return out


def _reuse(out: OpenGround, todo: list, rows: list, t_s: float, held: dict) -> list:
    """The rows to decide this cycle: all of them as soon as one has no decision younger than
    ``REDECIDE_S`` in ``held`` (a new track, or the last decisions growing old; the cost of
    following sigma points down is per RK4 step, not per track, so every row is decided in
    the same steps), else none, ``held``'s decisions applied to ``out`` (their estimates are
    not followed down: :meth:`Engagements._threat_values` evaluates them in full if fired
    at)."""
    found = []
    for k, r in rows:
        a, _, _, m = todo[k]
        for i, j in zip(r.tolist(), m[r].tolist(), strict=True):
            h = held.get((a, j))
            if h is None or t_s - h[0] >= REDECIDE_S:
                return rows
            found.append((k, i, a, j, h))
    for k, i, a, j, (_, gone, p) in found:
        if gone:
            out.alone[k][i] = True
            out.decided.append((a, j, p))
    return []
