"""Each nation's radar reports, split once per run, cut into decision-cycle frames.

The detections of a run are sorted by time (:func:`shieldwall.sensors.scan_all`). Splitting
them by owning nation once, instead of selecting a nation's rows out of every cycle's reports,
leaves each cycle a binary search and slices per nation: the frames are the same rows in the
same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.sensors import KIND_IR
from shieldwall.tracking import Frame


@dataclass(frozen=True, slots=True)
class NationFeed:
    """One nation's radar detections (IR launch warnings are not tracked), in time order:
    time, scan group (one sensor's one scan), position, covariance and truth label."""

    t_s: np.ndarray
    group: np.ndarray
    z: np.ndarray
    R: np.ndarray
    label: np.ndarray

    def frame(self, t_prev_s: float, t_s: float, death_t_s: np.ndarray) -> Frame:
        """The detections in ``(t_prev_s, t_s]``, less those of objects already dead when
        they were made (``death_t_s`` per threat; clutter, label -1, always stays)."""
        lo, hi = np.searchsorted(self.t_s, [t_prev_s, t_s], side="right")
        cut = slice(int(lo), int(hi))
        label, t = self.label[cut], self.t_s[cut]
        keep = (label < 0) | (t < death_t_s[np.maximum(label, 0)])
        if keep.all():
            return Frame(t, self.group[cut], self.z[cut], self.R[cut], label)
        return Frame(t[keep], self.group[cut][keep], self.z[cut][keep], self.R[cut][keep],
                     label[keep])  # fmt: skip


@dataclass(frozen=True, slots=True)
class StackFeed:
    """Every nation's radar detections in one time-ordered feed (for
    :class:`~shieldwall.tracking.node_stack.NodeStack`): :class:`NationFeed`'s columns and the
    ``nation`` owning each report's radar. A nation's rows are its :class:`NationFeed`'s, in
    the same order."""

    t_s: np.ndarray
    group: np.ndarray
    z: np.ndarray
    R: np.ndarray
    label: np.ndarray
    nation: np.ndarray

    def frame(self, t_prev_s: float, t_s: float, death_t_s: np.ndarray):
        """:meth:`NationFeed.frame` of every nation at once, and each detection's nation."""
        lo, hi = self.t_s.searchsorted((t_prev_s, t_s), side="right").tolist()
        label, t, nation = self.label[lo:hi], self.t_s[lo:hi], self.nation[lo:hi]
        keep = (label < 0) | (t < death_t_s.take(np.maximum(label, 0)))
        if keep.all():
            return Frame(t, self.group[lo:hi], self.z[lo:hi], self.R[lo:hi], label), nation
        k = keep.nonzero()[0]
        group, z, R = self.group[lo:hi].take(k), self.z[lo:hi].take(k, 0), self.R[lo:hi].take(k, 0)
        return Frame(t.take(k), group, z, R, label.take(k)), nation.take(k)


def stack_feed(dets, sensor_owner: np.ndarray) -> StackFeed:
    """Every nation's radar detections of the run ``dets`` in one :class:`StackFeed`."""
    group = scan_groups(dets.sensor, dets.t_s)
    owner = np.where(dets.kind != KIND_IR, sensor_owner[dets.sensor], -1)
    rows = np.flatnonzero(owner >= 0)
    return StackFeed(dets.t_s[rows], group[rows], dets.z_ecef_m[rows], dets.r_ecef_m2[rows],
                     dets.threat[rows], owner[rows].astype(np.int64))  # fmt: skip


def nation_feeds(dets, sensor_owner: np.ndarray, n_nations: int) -> list[NationFeed]:
    """Split the run's detections ``dets`` (:class:`~shieldwall.sensors.Detections`) by the
    nation owning each sensor (``sensor_owner``), radar reports only."""
    group = scan_groups(dets.sensor, dets.t_s)
    owner = np.where(dets.kind != KIND_IR, sensor_owner[dets.sensor], -1)
    feeds = []
    for a in range(n_nations):
        rows = np.flatnonzero(owner == a)
        feeds.append(NationFeed(dets.t_s[rows], group[rows], dets.z_ecef_m[rows],
                                dets.r_ecef_m2[rows], dets.threat[rows]))  # fmt: skip
    return feeds


def scan_groups(sensor: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Number of each report's scan: the rank of its (sensor, time) among the distinct pairs in
    lexicographic order (what ``np.unique(..., axis=1)`` numbers them, by a 1-D unique of an
    integer key: a tenth of the time on a run's 600,000 reports)."""
    times, t_rank = np.unique(t_s, return_inverse=True)
    key = sensor.astype(np.int64) * max(times.size, 1) + t_rank.reshape(-1)
    return np.unique(key, return_inverse=True)[1].reshape(-1)
