"""A decision cycle's candidate rows, prepared for all nations at once.

The engagement stage works on ``todo`` items ``(nation, picture, shooters, threats[, allowed])``
(see :meth:`~shieldwall.engagement.engage.Engagements.assign`). Partners often hold the same
fused estimate of a threat, and the arrays are small (a few threats per nation), so these
helpers stack every nation's rows, treat each distinct estimate once and hand each nation its
share back.
"""

from __future__ import annotations

import numpy as np

from shieldwall.engagement.coast import coast_together, length
from shieldwall.engagement.evaluate import (
    MAX_FALL_S,
    OPEN_GROUND_TTG_S,
    SIGMA_POINTS,
    sigma_states,
)
from shieldwall.engagement.feasibility import (
    LOOKAHEAD_S,
    R_BELOW_GROUND_M,
    STEP_S,
    window_steps,
)
from shieldwall.engagement.shooters import Shooters

G_M_S2, R_EQUATOR_M = 9.81, 6_378_137.0  # for a lower bound of a fall time: height understated
REACH_MARGIN_M = 10e3


def distinct(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first of each distinct row of ``rows`` ``(n, k)`` (float; -0.0 equals
    0.0, as in ``np.unique``), in order of first appearance, and each row's distinct index:
    ``rows[first][inverse]`` equals ``rows``. A dict on the rows' bytes: the inputs are tiny
    and ``np.unique(axis=0)`` costs far more."""
    seen: dict[bytes, int] = {}
    first, inverse = [], []
    flat = rows + 0.0
    buf, w = flat.tobytes(), flat.shape[1] * flat.itemsize  # row i: buf[i w : (i + 1) w]
    for i in range(rows.shape[0]):
        k = seen.setdefault(buf[i * w : (i + 1) * w], len(first))
        if k == len(first):
            first.append(i)
        inverse.append(k)
    return np.array(first, dtype=np.int64), np.array(inverse, dtype=np.int64)


def within_reach(sh: Shooters, todo: list) -> list:
    """``todo`` items ``(nation, picture, shooters, threats)`` less the threats that could not
    enter any of the nation's shooters' range within the look-ahead, and items left with
    none: a cheap bound that spares the full window computation for far-away threats. One
    distance table for all nations' threats and their shooters (twins, whose items share one
    ``threats`` array, share its columns)."""
    if not todo:
        return todo
    col: dict[int, int] = {}  # id of an item's threats -> its first column
    xs, n = [], 0
    for _, pic, _, m in todo:
        if id(m) not in col:
            col[id(m)] = n
            xs.append(pic.x[m])
            n += m.size
    x = xs[0] if len(xs) == 1 else np.concatenate(xs)
    idx = todo[0][2] if len(todo) == 1 else np.concatenate([s for _, _, s, _ in todo])
    d = length(x[None, :, :3] - sh.pos_ecef_m[idx][:, None])
    travel = length(x[:, 3:]) * LOOKAHEAD_S[-1]
    near = d <= sh.max_range_m[idx][:, None] + travel[None] + REACH_MARGIN_M  # (idx, columns)
    out, s0 = [], 0
    for a, pic, mine, m in todo:
        start = col[id(m)]
        m_near = m[near[s0 : s0 + mine.size, start : start + m.size].any(axis=0)]
        s0 += mine.size
        if m_near.size:
            out.append((a, pic, mine, m_near))
    return out


def made_up_velocity(pic, idx: np.ndarray, limit_m_s: float) -> np.ndarray:
    """Bool over the threats ``idx`` of the per-threat view ``pic``: the track is called
    drone and is surely faster than ``limit_m_s``
    (:meth:`~shieldwall.scenario.Catalog.air_speed_limit_m_s`), by two standard deviations of
    the speed (first order, ``u' P_vv u`` along the velocity ``u``, as the node's classifier
    tests it). Such a velocity is made up: a track strung across two drones of a swarm at
    long range reads as a precise 500-1,000 m/s, and a shot planned on it flies to where no
    threat is (April 2024, seeds 1, 2 and 7: 100 such shots, 1 kill, 95 out of the shooter's
    reach when they arrived). A track called cruise is not tested: the node's classifier
    (:func:`~shieldwall.tracking.frame.kinematics`, same limit) calls a faster track cruise
    only when it climbs or dives steeply or was first seen high, which a real missile does
    (a ballistic missile seen low in its dive); a made-up one it calls drone."""
    v = pic.x[idx, 3:]
    speed = length(v)
    fast = (speed > limit_m_s) & (pic.cls[idx] == 2)
    if fast.any():
        k = fast.nonzero()[0]
        u = v[k] / speed[k, None]
        sd = np.sqrt(np.maximum(np.einsum("ki,kij,kj->k", u, pic.P[idx[k], 3:, 3:], u), 0.0))
        fast[k] = speed[k] - 2.0 * sd > limit_m_s
    return fast


def airspace_where(rules, paths, need: np.ndarray):
    """Country index and zone bits ``(n, L)`` of the predicted points ``need`` (elsewhere 0:
    no window there, so no rule reads them) of ``paths`` (with ``lat_lon(where)``, see
    :class:`~shieldwall.engagement.cycle_rows.CyclePaths`); None when nothing restricts
    airspace (``rules``: :class:`~shieldwall.engagement.authority.Rules`)."""
    if rules.grid is None:
        return None
    country = np.zeros(need.shape, dtype=np.int64)
    bits = np.zeros(need.shape, dtype=np.uint64)
    if need.any():
        country[need], bits[need] = rules.membership(*paths.lat_lon(need))
    return country, bits


def fall_with_paths(sh: Shooters, todo: list, x: np.ndarray, P: np.ndarray, slack_s: float):
    """The sigma points of ballistic estimates ``x``, ``P`` followed down for the open-ground
    decision (``fallen`` of :func:`~shieldwall.engagement.evaluate.evaluate` with
    ``decide_only``), and the look-ahead paths of every distinct ballistic estimate of
    ``todo`` items ``(nation, picture, shooters, threats)``, in one integration (the cost is
    per step, not per state): ``(impact, t_hit)`` and ``(index by estimate bytes, paths)``.
    The paths reach as far as any of these nations' shooters could have a window, a superset
    of what :func:`~shieldwall.engagement.cycle_rows.cycle_paths` needs for the threats it
    keeps."""
    xb = np.concatenate([pic.x[m[pic.cls[m] == 0]] for _, pic, _, m in todo])
    index: dict[bytes, int] = {}
    for i, key in enumerate(map(bytes, xb)):
        index.setdefault(key, i)
    first = list(index.values())
    index = {key: k for k, key in enumerate(index)}
    mine = np.concatenate([s for _, _, s, _ in todo])
    states, inv2b = sigma_states(x, P)
    pos, impact, t_hit = coast_together(
        xb[first], LOOKAHEAD_S.size, STEP_S, R_BELOW_GROUND_M, states, inv2b, MAX_FALL_S,
        SIGMA_POINTS, OPEN_GROUND_TTG_S, window_steps(sh, mine, 0, slack_s),
    )  # fmt: skip
    return (impact, t_hit), (index, pos)


def may_land_soon(x: np.ndarray) -> np.ndarray:
    """Tracks that may come down within the open-ground decision window: descending, with the
    vacuum fall time from their height at their sink rate under 9.81 m/s^2 (a lower bound on
    the real one: gravity is weaker aloft and drag slows the fall) inside it."""
    r = length(x[:, :3])
    sink = -np.einsum("ij,ij->i", x[:, :3], x[:, 3:]) / r
    h = np.maximum(r - R_EQUATOR_M, 0.0)
    t_min = (-sink + np.sqrt(sink * sink + 2.0 * G_M_S2 * h)) / G_M_S2
    return (sink > 0.0) & (t_min <= OPEN_GROUND_TTG_S[1])
