"""A decision cycle's engagement windows and candidate pairs, for all nations in one pass.

The engagement stage works on ``todo`` items ``(nation, picture, shooters, threats, allowed)``
(see :meth:`~shieldwall.engagement.engage.Engagements.assign`), a few per cycle, each with a
few shooters and threats: the cost is numpy's per-call overhead, not arithmetic. So every
item's shooters are stacked into one axis and every item's threats ("rows") into another, in
item order, and the (shooter, row) pairs of the same item become one flat list (:class:`Pairs`)
in the order of the per-item ``(s, m)`` tables concatenated (item by item, shooter-major).
Every step then works on ``(P[, L])`` arrays, once per cycle; every value is an elementwise
function of its own pair's inputs, so the results are those of item-by-item code, bit for bit.

Each distinct estimate (a row's state and whether it is ballistic) is predicted once
(:func:`~shieldwall.engagement.feasibility.predict_paths`); ``inverse`` maps rows to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.engagement.assign import Candidates
from shieldwall.engagement.feasibility import predict_positions, range_bounds
from shieldwall.engagement.rows import distinct
from shieldwall.engagement.shooters import Shooters
from shieldwall.geo import ecef_to_geodetic
from shieldwall.geo.wgs84 import geodetic_height_m


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the windows of every shooter are tested against for one ``slack_s`` (see
    :func:`~shieldwall.engagement.feasibility.feasible_windows`): squared least distance
    ``lo2`` and greatest ``hi2`` ``(S, L)`` (``-inf`` at steps where no distance fits, so that
    one comparison tests both), squared distance from the Earth's centre ``pos2`` ``(S,)``,
    and ``steps0`` ``(S,)``: how many look-ahead steps can hold a window of each shooter on a
    ballistic threat (0 if it cannot kill one; see
    :func:`~shieldwall.engagement.feasibility.window_steps`)."""

    lo2: np.ndarray
    hi2: np.ndarray
    pos2: np.ndarray
    steps0: np.ndarray

    @staticmethod
    def of(sh: Shooters, slack_s: float) -> Bounds:
        lo, hi = range_bounds(sh, np.arange(sh.n), slack_s)
        some = hi >= lo
        pos = sh.pos_ecef_m
        last = some.shape[1] - np.argmax(some[:, ::-1], axis=1)
        steps0 = np.where(some.any(axis=1) & (sh.pk[:, 0] > 0.0), last, 0)
        return Bounds(lo * lo, np.where(some, hi * hi, -np.inf),
                      np.einsum("sk,sk->s", pos, pos), steps0)  # fmt: skip

    def window_steps(self, idx: np.ndarray) -> int:
        """:func:`~shieldwall.engagement.feasibility.window_steps` of shooters ``idx`` on a
        ballistic threat."""
        return int(self.steps0[idx].max()) if idx.size else 0


@dataclass(frozen=True, slots=True)
class Rows:
    """A cycle's ``todo`` stacked: per shooter ``shooter`` ``(S,)`` (index) and ``s_item``;
    per row ``threat``, ``nation``, ``cls`` (as that nation sees it), ``allowed`` (rules
    1-3), ``r_item`` and ``inverse`` (its distinct estimate); the distinct estimates ``x``
    and whether each is ballistic; and each item's nation."""

    shooter: np.ndarray
    s_item: np.ndarray
    threat: np.ndarray
    nation: np.ndarray
    cls: np.ndarray
    allowed: np.ndarray
    r_item: np.ndarray
    inverse: np.ndarray
    x: np.ndarray
    ballistic: np.ndarray
    item_nation: tuple[int, ...]

    @staticmethod
    def of(todo: list) -> Rows:
        k = np.arange(len(todo))
        n_s = [s.size for _, _, s, _, _ in todo]
        n_r = [m.size for _, _, _, m, _ in todo]
        threat = np.concatenate([m for _, _, _, m, _ in todo])
        cls = np.concatenate([pic.cls[m] for _, pic, _, m, _ in todo])
        x = np.concatenate([pic.x[m] for _, pic, _, m, _ in todo])
        ballistic = cls == 0
        first, inverse = distinct(np.concatenate([x, ballistic[:, None]], axis=1))
        return Rows(
            np.concatenate([s for _, _, s, _, _ in todo]),
            np.repeat(k, n_s),
            threat,
            np.repeat(np.array([a for a, *_ in todo], dtype=np.int64), n_r),
            cls,
            np.concatenate([ok for *_, ok in todo]),
            np.repeat(k, n_r),
            inverse,
            x[first],
            ballistic[first],
            tuple(a for a, *_ in todo),
        )

    def row_of(self, nation: int, threat: int) -> int:
        """The row of ``nation``'s item for ``threat``."""
        return int(np.flatnonzero((self.nation == nation) & (self.threat == threat))[0])


@dataclass(frozen=True, slots=True)
class CyclePaths:
    """Predicted positions ``(n, L, 3)`` of a cycle's distinct estimates
    (:func:`~shieldwall.engagement.feasibility.predict_paths`). Their heights and geodetic
    coordinates (the costliest part) are converted only where a window can be
    (:func:`pair_windows`, :meth:`heights`, :meth:`lat_lon`), each value as there."""

    pos_ecef_m: np.ndarray

    def lat_lon(self, where) -> tuple[np.ndarray, np.ndarray]:
        """Geodetic latitude and longitude (deg) of the points ``pos_ecef_m[where]``."""
        lat, lon, _ = ecef_to_geodetic(self.pos_ecef_m[where], iterations=1)
        return lat, lon

    def heights(self, upto: np.ndarray) -> np.ndarray:
        """Heights ``(n, L)`` (``geodetic_height_m``, one Bowring step) of each path's points
        before step ``upto`` ``(n,)``; NaN from there on."""
        n, L = self.pos_ecef_m.shape[:2]
        before = np.arange(L)[None] < upto[:, None]
        alt = np.full((n, L), np.nan)
        alt[before] = geodetic_height_m(self.pos_ecef_m[before], iterations=1)
        return alt


def cycle_paths(rows: Rows, bounds: Bounds, coasted=None) -> CyclePaths:
    """The predicted paths of the distinct estimates of ``rows``: ballistic ones integrated
    only as far as a ballistic-capable shooter of the cycle could have a window, or taken
    from ``coasted`` (``(index by estimate bytes, paths)``, see
    :func:`~shieldwall.engagement.rows.fall_with_paths`) when it holds them all."""
    x, ballistic = rows.x, rows.ballistic
    known = None
    if coasted is not None and ballistic.any():
        index, coasted_pos = coasted
        found = [index.get(bytes(r)) for r in x[ballistic]]
        known = None if None in found else coasted_pos[found]
    pos = predict_positions(x, ballistic, bounds.window_steps(rows.shooter), known)
    return CyclePaths(pos)


@dataclass(frozen=True, slots=True)
class Pairs:
    """The (shooter, row) pairs of a cycle that may have a window: a shooter and a row of the
    same item whose class it can kill, in the order of the per-item ``(s, m)`` tables
    concatenated (item by item, shooter-major). ``shooter``: index; ``row``: into
    :class:`Rows`; ``est``: the row's distinct estimate."""

    shooter: np.ndarray
    row: np.ndarray
    est: np.ndarray

    @staticmethod
    def of(sh: Shooters, rows: Rows) -> Pairs:
        idx = rows.shooter
        ok = (sh.pk[idx][:, rows.cls] > 0.0) & (rows.s_item[:, None] == rows.r_item[None])
        s, r = np.nonzero(ok)
        return Pairs(idx[s], r, rows.inverse[r])


def squared_lengths(p: np.ndarray) -> np.ndarray:
    """``|p|^2`` of points ``p`` ``(..., 3)``, rounded as ``np.einsum("...k,...k->...")``
    rounds it, ``(x^2 + z^2) + y^2`` (its two-lane order), in three cheaper calls."""
    sq = p * p
    out = sq[..., 0] + sq[..., 2]
    out += sq[..., 1]
    return out


def pair_windows(
    sh: Shooters, pairs: Pairs, paths: CyclePaths, bounds: Bounds, p2: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Bool ``(P, L)``: each pair's shooter, firing now, can intercept its row's threat at
    look-ahead step L (:func:`~shieldwall.engagement.feasibility.feasible_windows`, each
    value computed as there: ``p.s`` as ``np.einsum`` sums three terms, ``(x + z) + y``);
    and the heights ``(n, L)`` of the paths (None if no pair is ever in range). ``p2``:
    ``|p|^2`` ``(n, L)`` of the paths' points.

    The range test comes first: a path's heights are converted only up to the last step at
    which one of its pairs is in range (``airborne`` at a step reads every height before it),
    NaN after, where no window can be."""
    s, e = pairs.shooter, pairs.est
    p = paths.pos_ecef_m[e]  # (P, L, 3)
    q = sh.pos_ecef_m[s][:, None]  # (P, 1, 3)
    pq = p * q
    dot = pq[..., 0] + pq[..., 2]
    dot += pq[..., 1]
    d2 = p2[e] + bounds.pos2[s][:, None]
    d2 -= 2.0 * dot
    ok = d2 >= bounds.lo2[s]
    ok &= d2 <= bounds.hi2[s]
    in_range = ok.any(axis=1)
    if not in_range.any():
        return ok, None
    upto = np.zeros(p2.shape[0], dtype=np.int64)  # per path: its pairs' last step in range
    last = ok.shape[1] - np.argmax(ok[:, ::-1], axis=1)
    np.maximum.at(upto, e[in_range], last[in_range])
    alt_e = paths.heights(upto)
    airborne = np.logical_and.accumulate(alt_e > 0.0, axis=1)
    alt = alt_e[e]
    ok &= airborne[e]
    ok &= alt >= sh.min_alt_m[s][:, None]
    ok &= alt <= sh.max_alt_m[s][:, None]
    return ok, alt_e


def pair_candidates(
    sh: Shooters, rows: Rows, pairs: Pairs, window: np.ndarray
) -> tuple[Candidates, np.ndarray]:
    """Pairs with any feasible step in ``window`` ``(P, L)`` (as
    :func:`~shieldwall.engagement.assign.candidates_from_windows`), and each one's row."""
    k = np.flatnonzero(window.any(axis=1))
    w = window[k]
    first = np.argmax(w, axis=1)
    last = window.shape[1] - 1 - np.argmax(w[:, ::-1], axis=1)
    shooter, r = pairs.shooter[k], pairs.row[k]
    return Candidates(shooter, rows.threat[r], first, last, sh.pk[shooter, rows.cls[r]],
                      sh.cost_usd[shooter]), r  # fmt: skip
