"""Each nation's picture: its own confirmed tracks plus what partners released to it, late.

A release carries the source's track state as it was ``latency_s`` earlier (held in a
:class:`DelayLine` of node snapshots), predicted forward to now. Foundation-level fusion: per
object the picture keeps the estimate with the smallest position covariance (covariance
intersection arrives with the tracking issue). The picture remembers which nation each estimate
came from so that the engagement stage can tell "launch on remote" from own-sensor fire.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from shieldwall.sharing.agreements import ReleaseTerms
from shieldwall.tracking.kalman import predict
from shieldwall.tracking.node import CONFIRMED, Q_BY_CLASS


@dataclass(frozen=True, slots=True)
class Picture:
    """One nation's view at ``t_s``: per threat whether it holds a track, the estimate
    ``x`` ``(n, 6)``, ``P`` ``(n, 6, 6)``, and the nation the estimate came from (-1: none)."""

    t_s: float
    has_track: np.ndarray
    x: np.ndarray
    P: np.ndarray
    source: np.ndarray


class DelayLine:
    """Snapshots of all nodes' track states, kept long enough for the longest latency."""

    def __init__(self, horizon_s: float) -> None:
        self.horizon_s = horizon_s
        self._items: deque[tuple[float, dict[str, np.ndarray]]] = deque()

    def push(self, t_s: float, snapshot: dict[str, np.ndarray]) -> None:
        self._items.append((t_s, snapshot))
        while len(self._items) > 1 and self._items[1][0] < t_s - self.horizon_s:
            self._items.popleft()

    def at(self, t_s: float) -> dict[str, np.ndarray] | None:
        """The newest snapshot taken at or before ``t_s`` (None if none is that old)."""
        best = None
        for ts, snap in self._items:
            if ts <= t_s + 1e-9:
                best = snap
            else:
                break
        return best


def released_view(
    snap: dict[str, np.ndarray], terms: ReleaseTerms, class_code: np.ndarray, t_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The source's confirmed tracks allowed by ``terms``, predicted from when they were
    last updated to ``t_s``. Returns (mask, x, P) over threats."""
    n = class_code.size
    sl = slice(terms.source * n, (terms.source + 1) * n)
    ok = (snap["status"][sl] == CONFIRMED) & terms.class_mask[class_code]
    x, P = snap["x"][sl].copy(), snap["P"][sl].copy()
    if ok.any():
        cls = class_code[ok]
        dt = np.maximum(t_s - snap["t_s"][sl][ok], 0.0)
        x[ok], P[ok] = predict(x[ok], P[ok], dt, Q_BY_CLASS[cls], cls == 0)
    return ok, x, P


def build_picture(
    nation: int,
    t_s: float,
    own: tuple[np.ndarray, np.ndarray, np.ndarray],
    releases: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
) -> Picture:
    """Combine own tracks with released ones ``(source nation, mask, x, P)``: per threat the
    estimate with the smallest position variance trace wins."""
    ok, x, P = own
    x, P = x.copy(), P.copy()
    source = np.where(ok, nation, -1)
    best = np.where(ok, np.trace(P[:, :3, :3], axis1=1, axis2=2), np.inf)
    for src, mask, xr, Pr in releases:
        tr = np.trace(Pr[:, :3, :3], axis1=1, axis2=2)
        better = mask & (tr < best)
        x[better], P[better], best[better], source[better] = xr[better], Pr[better], tr[better], src
    return Picture(t_s=t_s, has_track=source >= 0, x=x, P=P, source=source)
