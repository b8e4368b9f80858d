"""A decision cycle's candidate rows, prepared for all nations at once.

The engagement stage works on ``todo`` items ``(nation, picture, shooters, threats[, allowed])``
(see :meth:`~shieldwall.engagement.engage.Engagements.assign`). Partners often hold the same
fused estimate of a threat, and the arrays are small (a few threats per nation), so these
helpers stack every nation's rows, treat each distinct estimate once and hand each nation its
share back.
"""

from __future__ import annotations

import numpy as np

from shieldwall.engagement.evaluate import OPEN_GROUND_TTG_S
from shieldwall.engagement.feasibility import (
    LOOKAHEAD_S,
    PredictedPaths,
    predict_paths,
    window_steps,
)
from shieldwall.engagement.shooters import Shooters

PATH_FIELDS = ("pos_ecef_m", "lat_deg", "lon_deg", "alt_m", "airborne")
G_M_S2, R_EQUATOR_M = 9.81, 6_378_137.0  # for a lower bound of a fall time: height understated
REACH_MARGIN_M = 10e3


def distinct(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first of each distinct row of ``rows`` ``(n, k)`` (float; -0.0 equals
    0.0, as in ``np.unique``), in order of first appearance, and each row's distinct index:
    ``rows[first][inverse]`` equals ``rows``. A dict on the rows' bytes: the inputs are tiny
    and ``np.unique(axis=0)`` costs far more."""
    seen: dict[bytes, int] = {}
    first, inverse = [], []
    for i, key in enumerate(map(bytes, rows + 0.0)):
        k = seen.setdefault(key, len(first))
        if k == len(first):
            first.append(i)
        inverse.append(k)
    return np.array(first, dtype=np.int64), np.array(inverse, dtype=np.int64)


def within_reach(sh: Shooters, todo: list) -> list:
    """``todo`` items ``(nation, picture, shooters, threats)`` less the threats that could not
    enter any of the nation's shooters' range within the look-ahead, and items left with
    none: a cheap bound that spares the full window computation for far-away threats. One
    distance table for all nations' threats and all shooters."""
    if not todo:
        return todo
    x = np.concatenate([pic.x[m] for _, pic, _, m in todo])
    d = np.linalg.norm(x[None, :, :3] - sh.pos_ecef_m[:, None], axis=-1)
    travel = np.linalg.norm(x[:, 3:], axis=-1) * LOOKAHEAD_S[-1]
    near = d <= sh.max_range_m[:, None] + travel[None] + REACH_MARGIN_M  # (S, rows)
    out, start = [], 0
    for a, pic, mine, m in todo:
        m_near = m[near[mine, start : start + m.size].any(axis=0)]
        start += m.size
        if m_near.size:
            out.append((a, pic, mine, m_near))
    return out


def shared_paths(sh: Shooters, rules, todo: list, slack_s: float) -> list[tuple]:
    """Per ``todo`` item: the predicted paths of its threats and the airspace of each
    predicted point (None when nothing restricts airspace; ``rules``:
    :class:`~shieldwall.engagement.authority.Rules`), each distinct estimate predicted and
    looked up once. Ballistic paths are integrated only as far as a ballistic-capable shooter
    of these nations could have a window (:func:`window_steps`)."""
    if not todo:
        return []
    x = np.concatenate([pic.x[m] for _, pic, _, m, _ in todo])
    ballistic = np.concatenate([pic.cls[m] == 0 for _, pic, _, m, _ in todo])
    first, inverse = distinct(np.concatenate([x, ballistic[:, None]], axis=1))
    mine = np.concatenate([s for _, _, s, _, _ in todo])
    paths = predict_paths(x[first], ballistic[first], window_steps(sh, mine, 0, slack_s))
    member = rules.membership(paths.lat_deg, paths.lon_deg)
    out, start = [], 0
    for _, _, _, m, _ in todo:
        idx = inverse[start : start + m.size]
        start += m.size
        out.append((PredictedPaths(*(getattr(paths, f)[idx] for f in PATH_FIELDS)),
                    None if member is None else (member[0][idx], member[1][idx])))  # fmt: skip
    return out


def may_land_soon(x: np.ndarray) -> np.ndarray:
    """Tracks that may come down within the open-ground decision window: descending, with the
    vacuum fall time from their height at their sink rate under 9.81 m/s^2 (a lower bound on
    the real one: gravity is weaker aloft and drag slows the fall) inside it."""
    r = np.linalg.norm(x[:, :3], axis=1)
    sink = -np.einsum("ij,ij->i", x[:, :3], x[:, 3:]) / r
    h = np.maximum(r - R_EQUATOR_M, 0.0)
    t_min = (-sink + np.sqrt(sink * sink + 2.0 * G_M_S2 * h)) / G_M_S2
    return (sink > 0.0) & (t_min <= OPEN_GROUND_TTG_S[1])
