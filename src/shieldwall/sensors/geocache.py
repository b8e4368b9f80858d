"""Geodetic up vectors and heights of truth points, shared between the sensors of one scan.

Radars with the same (or a multiple of the same) revisit period look at a threat at the same
instants, so the same interpolated truth point reaches the line-of-sight test of several
sensors. Its geodetic conversion (the iterative part of the test) is done once: a point is
named by an integer key (threat, scan tick) and its up vector and height stored on first use.
The conversion is elementwise, so a cached value is bit for bit the one recomputed.
"""

from __future__ import annotations

import numpy as np

from shieldwall.geo import geodetic_up_and_height


class GeodeticCache:
    """Up vectors ``(k, 3)`` and heights ``(k,)`` of the points converted so far, by key.

    Keys are ``base[threat] + tick - first_tick[threat]`` with ``tick = t / tick_s`` an exact
    integer and ``first_tick`` / ``base`` covering each threat's life ``[t0, end]``."""

    def __init__(self, t0_s: np.ndarray, end_t_s: np.ndarray, tick_s: float) -> None:
        self.tick_s = float(tick_s)
        self.first = np.floor(np.asarray(t0_s) / self.tick_s).astype(np.int64)
        last = np.ceil(np.asarray(end_t_s) / self.tick_s).astype(np.int64)
        count = np.maximum(last - self.first + 1, 0)
        self.base = np.cumsum(count) - count
        self._slot = np.full(int(count.sum()), -1, dtype=np.int64)
        self._up = np.empty((1024, 3))
        self._h = np.empty(1024)
        self._n = 0

    def keys(self, threat: np.ndarray, t_s: np.ndarray) -> np.ndarray | None:
        """Keys of the points (threat, t_s), or None when some ``t_s`` is not an exact tick."""
        tick = np.rint(t_s / self.tick_s)
        if not np.array_equal(tick * self.tick_s, t_s):
            return None
        k = tick.astype(np.int64) - self.first[threat]
        return self.base[threat] + k

    def up_and_height(self, key: np.ndarray, pos_ecef_m: np.ndarray) -> tuple[np.ndarray, ...]:
        """Up vectors and heights of the points ``pos_ecef_m (m, 3)`` named ``key (m,)``
        (distinct), converting those not seen before."""
        slot = self._slot[key]
        new = slot < 0
        if new.any():
            up, h = geodetic_up_and_height(pos_ecef_m[new])
            m = h.size
            if self._n + m > self._h.size:
                cap = max(2 * self._h.size, self._n + m)
                self._up = np.concatenate([self._up[: self._n], np.empty((cap - self._n, 3))])
                self._h = np.concatenate([self._h[: self._n], np.empty(cap - self._n)])
            fresh = np.arange(self._n, self._n + m)
            self._up[fresh], self._h[fresh] = up, h
            self._n += m
            self._slot[key[new]] = fresh
            slot[new] = fresh
        return np.take(self._up, slot, axis=0), np.take(self._h, slot)
