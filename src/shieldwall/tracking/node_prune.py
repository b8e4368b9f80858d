"""Track deletion and merging of a node tracker (:class:`~shieldwall.tracking.node.NodeTracker`
takes these methods): which tracks to drop after a frame (timed out, too vague, underground,
or the younger of two that became the same object) and the bookkeeping of dropping them. See
the management part of :mod:`shieldwall.tracking.node`'s docstring."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shieldwall.tracking.fastnp import count_nonzero, einsum, solve
from shieldwall.tracking.frame import R_EARTH_MEAN_M
from shieldwall.tracking.nodetypes import NodeChanges

UNDERGROUND_M = -12e3  # below any terrain by 3 sigma even with the mean-radius altitude
_I64 = np.zeros(0, dtype=np.int64)
NO_CHANGES = NodeChanges(_I64, _I64, _I64, _I64)


class Pruning:
    """Deletion and merging on a tracker's per-track arrays (``x``, ``P``, ``id``, ``born_s``,
    ``last_hit_s``, ``confirmed``, ...) and its ``config`` and ``merge_gamma``."""

    def _stale(self, t_s: float, alt: np.ndarray | None = None, sig_alt=None) -> np.ndarray:
        """Tracks to delete: tentative past the confirmation window, unseen for
        ``drop_track_s``, vaguer than ``max_pos_sigma_m`` or underground by three sigmas
        (``alt``, ``sig_alt``: altitude and its sigma from :func:`kinematics`, if known)."""
        cfg = self.config
        sigma = np.sqrt(np.maximum.reduce(self.P.diagonal(0, 1, 2)[:, :3], 1))
        if alt is None:
            pos = self.x[:, :3]
            r = np.sqrt(np.add.reduce(pos * pos, 1))  # as np.linalg.norm
            up = self.x[:, :3] / r[:, None]
            sig_alt = np.sqrt(einsum("ki,kij,kj->k", up, self.P[:, :3, :3], up))
            alt = r - R_EARTH_MEAN_M
        return (self._timed_out(t_s) | (sigma > cfg.max_pos_sigma_m)
                | (alt + 3.0 * sig_alt < UNDERGROUND_M))  # fmt: skip

    def _timed_out(self, t_s: float) -> np.ndarray:
        """Tracks tentative past the confirmation window or unseen for ``drop_track_s``: all
        that :meth:`_stale` can newly find in a frame without detections, since states only
        change in frames with detections and every frame with them ends with a full check."""
        cfg = self.config
        return ((t_s - self.born_s >= cfg.confirm_window_s) & ~self.confirmed) | (
            t_s - self.last_hit_s > cfg.drop_track_s
        )

    def _duplicates(self, drop: np.ndarray) -> None:
        """Mark in ``drop`` the confirmed tracks that are statistically the same object as an
        older confirmed track (tentative tracks are left to confirmation: a vague new track
        near an old one may be a second object)."""
        conf = self.confirmed.nonzero()[0]
        if conf.size < 2:
            return
        # near: |p_i - p_j|^2 <= gamma (tr P_i + tr P_j), a cheap necessary condition
        i, j = _upper_pairs(conf.size)
        self._merge_pairs(conf, i, j, drop)

    def _merge_pairs(self, conf: np.ndarray, i: np.ndarray, j: np.ndarray, drop) -> None:
        """Mark in ``drop`` the younger of each pair ``(conf[i], conf[j])`` of tracks that are
        statistically the same object."""
        pos = self.x.take(conf, 0)[:, :3]
        tr = einsum("kii->k", self.P.take(conf, 0)[:, :3, :3])
        d = pos.take(i, 0) - pos.take(j, 0)
        near = np.add.reduce(d * d, 1) <= self.merge_gamma * (tr.take(i) + tr.take(j))
        near = near.nonzero()[0]
        if near.size == 0:
            return
        i, j = conf.take(i.take(near)), conf.take(j.take(near))
        # d2 = d' (P_i + P_j)^-1 d (fusion.pair_distances: the same kernels, without wrappers)
        d = self.x.take(i, 0) - self.x.take(j, 0)
        S = self.P.take(i, 0) + self.P.take(j, 0)
        same = einsum("ki,ki->k", d, solve(S, d[:, :, None])[:, :, 0]) <= self.merge_gamma
        same = same.nonzero()[0]
        i, j = i.take(same), j.take(same)
        drop[np.where(self.id[i] > self.id[j], i, j)] = True  # the older one stays

    def _delete(self, gone: np.ndarray) -> NodeChanges:
        if not count_nonzero(gone):
            return NO_CHANGES
        ended = (gone & self.confirmed).nonzero()[0]
        out = NodeChanges(_I64, _I64, self.id.take(ended), self.label.take(ended))
        self._keep((~gone).nonzero()[0])
        return out

    def _keep(self, keep: np.ndarray) -> None:
        """Keep only the tracks ``keep`` (indices, in order)."""
        self.id, self.x, self.P = self.id.take(keep), self.x.take(keep, 0), self.P.take(keep, 0)
        self.last_hit_s, self.born_s = self.last_hit_s.take(keep), self.born_s.take(keep)
        self.window_hits, self.confirmed = self.window_hits.take(keep), self.confirmed.take(keep)
        self.label, self.cls = self.label.take(keep), self.cls.take(keep)
        self.speed_test = self.speed_test.take(keep)
        self.cruise_run = self.cruise_run.take(keep, 0)


@lru_cache(maxsize=256)
def _upper_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``i < j`` of ``n`` items (read-only: cached)."""
    i, j = np.triu_indices(n, 1)
    i.flags.writeable = j.flags.writeable = False
    return i, j
