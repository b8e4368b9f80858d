"""The node tracker's records: its settings, its exported tracks, the changes of one step and
the pairs and new tracks of one frame (see :mod:`shieldwall.tracking.node`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Node tracker settings (SI): detection probability and clutter density for the pair
    scores, chi-square gate, confirmation (M detections within a window), deletion, new-track
    prior and merge gate."""

    pd: float = 0.9
    clutter_density_m3: float = 1e-15
    gate_prob: float = 0.9999
    confirm_m: int = 2
    confirm_window_s: float = 60.0
    drop_track_s: float = 30.0
    max_pos_sigma_m: float = 10e3
    v0_sigma_m_s: float = 1500.0  # new track's velocity sigma above ``low_alt_m``
    v0_sigma_low_m_s: float = 300.0  # ... and below it: drones and cruise missiles
    low_alt_m: float = 15e3
    merge_gate_prob: float = 0.99
    init_speed_m_s: float = 250.0  # detections this far apart per second may be one object
    cruise_max_m_s: float = float("inf")  # a low-born track surely faster is not cruise


@dataclass(frozen=True, slots=True)
class LocalTracks:
    """A node's tracks (``k``): ``track_id`` (stable, never reused), state ``x`` ``(k, 6)``
    ECEF, ``P`` ``(k, 6, 6)``, stamped ``t_s`` ``(k,)``; ``confirmed``; ``label`` (true object
    of the latest detection, -1 clutter: analyst only); ``cls`` (estimated class), the
    motion model fusion predicts them with (``q_m2_s3``, ``ballistic``), and ``seen_s``
    ``(k,)``, the frame in which each last took a detection (None: not known)."""

    track_id: np.ndarray
    x: np.ndarray
    P: np.ndarray
    t_s: np.ndarray
    confirmed: np.ndarray
    label: np.ndarray
    cls: np.ndarray
    q_m2_s3: np.ndarray
    ballistic: np.ndarray
    seen_s: np.ndarray | None = None

    def select(self, keep: np.ndarray) -> LocalTracks:
        """The tracks selected by a boolean mask or an index array, in order."""
        idx = keep.nonzero()[0] if keep.dtype == bool else keep
        return LocalTracks(*(None if a is None else a.take(idx, 0) for a in (
            self.track_id, self.x, self.P, self.t_s, self.confirmed, self.label, self.cls,
            self.q_m2_s3, self.ballistic, self.seen_s)))  # fmt: skip

    @staticmethod
    def empty() -> LocalTracks:
        i, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return LocalTracks(i, np.zeros((0, 6)), np.zeros((0, 6, 6)), f, np.zeros(0, bool), i,
                           i, f, np.zeros(0, bool), f)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NodeChanges:
    """Track ids confirmed in a step and confirmed track ids deleted in it (with the label each
    had: for the analyst's event log)."""

    confirmed: np.ndarray
    confirmed_label: np.ndarray
    ended: np.ndarray
    ended_label: np.ndarray


class Hits(NamedTuple):
    """The frame's chosen (track, detection) pairs, by track: ``ti``, ``dj``, innovation
    ``y`` and ``qt`` (see :class:`~shieldwall.tracking.frame.Gated`)."""

    ti: np.ndarray
    dj: np.ndarray
    y: np.ndarray
    qt: np.ndarray
    doubt: np.ndarray | None = None  # the pairs whose association is in doubt (None: none)


class Born(NamedTuple):
    """New tracks: their detection ``det``, prior state ``x`` and covariance ``P``, ``label``
    and ``speed_test`` (born above ``low_alt_m``)."""

    det: np.ndarray
    x: np.ndarray
    P: np.ndarray
    label: np.ndarray
    speed_test: np.ndarray
