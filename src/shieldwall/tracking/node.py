"""One nation's node tracker: every detection of the nation's radars, processed in frames.

A *frame* is everything the node's sensors reported since the previous frame (the simulator's
decision cycle, 5 s by default): several sensors, several scans, several times. A scan-by-scan
tracker would take one Python step per (sensor, scan), about 67,000 for Israel's nine radars
over the April 2024 raid; here a frame is one vectorised pass over all tracks and detections:

1. **Retrodicted gating.** Tracks are held at the frame time ``t``. Detection ``d`` made at
   ``t_d = t - tau`` is compared with the track retrodicted to ``t_d``: the *equivalent
   measurement* of the state at ``t``, ``z_d = H_d x(t) + c_d + e_d`` with
   ``H_d = [I, -tau I]``, ``c_d = a tau^2 / 2`` (``a``: gravity for a ballistic track, exact for
   a constant acceleration over the frame) and ``e_d ~ N(0, R_d + q tau^3 / 3 I)``: the
   position part of the white-noise-acceleration process noise over ``tau`` (Bar-Shalom, Li &
   Kirubarajan 2001, eq. 6.2.2-12) is folded into the measurement noise, and its correlation
   across one frame's measurements is neglected. Pairs pass the chi-square gate on
   ``S = H P H' + R_d + q tau^3 / 3 I``.
2. **Association.** Global nearest neighbour (Blackman & Popoli 1999, ch. 6) in which a track
   takes at most one detection from each (sensor, scan): one assignment problem whose rows are
   (track, scan) pairs (:func:`~shieldwall.tracking.associate.gnn_assign`).
3. **Update.** Each track takes all its detections of the frame in one information-form
   update, the parallel multisensor update (e.g. Mutambara, *Decentralized Estimation and
   Control for Multisensor Systems*, 1998, ch. 2): ``A = sum H_d' W_d H_d``,
   ``W_d = (R_d + q tau^3/3 I)^-1``, ``P+ = (P^-1 + A)^-1 = (I + P A)^-1 P``,
   ``x+ = x + P+ sum H_d' W_d (z_d - c_d - H_d x)``. With one detection at ``tau = 0`` this is
   the Kalman update exactly.
4. **Management.** Confirmation once a track holds ``confirm_m`` detections within
   ``confirm_window_s`` of its start (an M-in-a-window rule: counting frames instead would
   make a radar that revisits every 10 s miss every other 5 s frame and never confirm with
   3-of-4), the tentative track dropped when the window closes (a tentative track takes at most
   one detection per frame, a confirmed one one per scan); deletion of a track unseen for
   ``drop_track_s``, vaguer than ``max_pos_sigma_m`` or surely underground; *merging* of two
   tracks that became statistically the same object (the younger goes: two sensors' first
   looks at one object start two tracks); new tentative tracks from the detections no track
   took, one per cluster of detections that may be one object (near in space for the time
   between them), each started from its cluster's latest detection and a diffuse prior.

Each track carries the true object of its latest detection (``label``; -1 for clutter). That is
the analyst's bookkeeping for kill assessment and SIAP, never read by association or filtering.
A track's class is estimated from its own kinematics (:func:`classify`), and sets its process
noise and whether gravity is part of its motion model.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.spatial import cKDTree

from shieldwall.tracking.associate import Pairs, gate_threshold, gnn_assign, pair_scores
from shieldwall.tracking.frame import (
    Q_BY_CLASS,
    R_EARTH_MEAN_M,
    Frame,
    classify,
    frame_update,
    init_clusters,
    retro_pairs,
)
from shieldwall.tracking.fusion import pair_distances
from shieldwall.tracking.kalman import predict

DIFFUSE_POS_SIGMA_M = 50e3  # prior of a new track's position before its first detections
UNDERGROUND_M = -12e3  # below any terrain by 3 sigma even with the mean-radius altitude


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


@dataclass(frozen=True, slots=True)
class LocalTracks:
    """A node's tracks (``k``): ``track_id`` (stable, never reused), state ``x`` ``(k, 6)``
    ECEF, ``P`` ``(k, 6, 6)``, stamped ``t_s`` ``(k,)``; ``confirmed``; ``label`` (true object
    of the latest detection, -1 clutter: analyst only); ``cls`` (estimated class), and the
    motion model fusion predicts them with (``q_m2_s3``, ``ballistic``)."""

    track_id: np.ndarray
    x: np.ndarray
    P: np.ndarray
    t_s: np.ndarray
    confirmed: np.ndarray
    label: np.ndarray
    cls: np.ndarray
    q_m2_s3: np.ndarray
    ballistic: np.ndarray

    def select(self, keep: np.ndarray) -> LocalTracks:
        return LocalTracks(*(getattr(self, f.name)[keep] for f in fields(self)))

    @staticmethod
    def empty() -> LocalTracks:
        i, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return LocalTracks(i, np.zeros((0, 6)), np.zeros((0, 6, 6)), f, np.zeros(0, bool), i,
                           i, f, np.zeros(0, bool))  # fmt: skip


@dataclass(frozen=True, slots=True)
class NodeChanges:
    """Track ids confirmed in a step and confirmed track ids deleted in it (with the label each
    had: for the analyst's event log)."""

    confirmed: np.ndarray
    confirmed_label: np.ndarray
    ended: np.ndarray
    ended_label: np.ndarray


_I64 = np.zeros(0, dtype=np.int64)
NO_CHANGES = NodeChanges(_I64, _I64, _I64, _I64)


class NodeTracker:
    """Tracks of one node, as stacked arrays updated in place by :meth:`step`."""

    def __init__(self, config: NodeConfig | None = None) -> None:
        self.config = config or NodeConfig()
        self.gamma = gate_threshold(self.config.gate_prob)
        self.merge_gamma = gate_threshold(self.config.merge_gate_prob, 6)
        self.t_s = -np.inf
        self.next_id = 1
        self.id = _I64.copy()
        self.x, self.P = np.zeros((0, 6)), np.zeros((0, 6, 6))
        self.stamp = np.zeros(0)  # time of each track's state
        self.last_hit_s = np.zeros(0)
        self.born_s = np.zeros(0)  # frame time of initiation
        self.window_hits = _I64.copy()
        self.confirmed = np.zeros(0, dtype=bool)
        self.label = _I64.copy()
        self.cls = _I64.copy()  # estimated class, refreshed after every change of state
        self.speed_test = np.zeros(0, dtype=bool)  # born high or once ballistic (see _classify)

    @property
    def size(self) -> int:
        return int(self.id.size)

    def step(self, t_s: float, frame: Frame) -> NodeChanges:
        """Process the detections made in ``(previous t_s, t_s]``; tracks without detections are
        not predicted (their stamp stays) but may be deleted."""
        if t_s < self.t_s:
            raise ValueError(f"frame time {t_s} s precedes the previous frame at {self.t_s} s")
        self.t_s = float(t_s)
        if frame.t_s.size == 0:
            return self._delete(self._stale(t_s)) if self.size else NO_CHANGES
        was = self.confirmed.copy()
        k = self.size
        self._predict_all(t_s)
        ti, dj = self._associate(t_s, frame)
        hit = np.zeros(k, dtype=bool)
        hit[ti] = True
        self._update(t_s, ti, frame, dj)
        self._book(t_s, hit, ti, frame.t_s[dj], frame.label[dj])
        used = np.zeros(frame.t_s.size, dtype=bool)
        used[dj] = True
        self._initiate(t_s, frame, np.flatnonzero(~used))
        new = np.concatenate([np.flatnonzero(self.confirmed[:k] & ~was),
                              k + np.flatnonzero(self.confirmed[k:])])  # fmt: skip
        new_id, new_label = self.id[new], self.label[new]
        self._classify()
        ch = self._delete(self._stale(t_s) | self._duplicates())
        alive = np.isin(new_id, self.id)
        return NodeChanges(new_id[alive], new_label[alive], ch.ended, ch.ended_label)

    def kill(self, labels: np.ndarray) -> NodeChanges:
        """Delete the tracks on objects known destroyed (``labels``): kill assessment."""
        if self.size == 0 or labels.size == 0:
            return NO_CHANGES
        return self._delete(np.isin(self.label, labels) & (self.label >= 0))

    def tracks(self) -> LocalTracks:
        """Every live track, stamped at its last update (copies)."""
        cls = self.cls.copy()
        return LocalTracks(
            self.id.copy(), self.x.copy(), self.P.copy(), self.stamp.copy(),
            self.confirmed.copy(), self.label.copy(), cls, Q_BY_CLASS[cls], cls == 0,
        )  # fmt: skip

    # -- one frame -------------------------------------------------------------------------

    def _predict_all(self, t_s: float) -> None:
        if self.size == 0:
            return
        cls = self.cls
        self.x, self.P = predict(self.x, self.P, t_s - self.stamp, Q_BY_CLASS[cls], cls == 0)
        self.stamp[:] = t_s

    def _associate(self, t_s: float, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """GNN pairs (track, detection), at most one detection per track per scan group."""
        pairs, _ = retro_pairs(self.x, self.P, t_s, frame, self.gamma, self.cls)
        if pairs.ti.size == 0:
            return pairs.ti, pairs.dj
        # a confirmed track takes one detection per scan; a tentative one, one per frame (it
        # must earn its velocity over time, or it strings together several objects of a swarm)
        g = int(frame.group.max()) + 1
        groups = np.where(self.confirmed[pairs.ti], frame.group[pairs.dj], g)
        rows, row_of = np.unique(pairs.ti * (g + 1) + groups, return_inverse=True)
        virtual = Pairs(row_of, pairs.dj, pairs.d2, pairs.loglik)
        score = pair_scores(virtual, self.config.pd, self.config.clutter_density_m3)
        sel = gnn_assign(virtual, score, rows.size, frame.t_s.size)
        return pairs.ti[sel], pairs.dj[sel]

    def _update(self, t_s: float, ti: np.ndarray, frame: Frame, dj: np.ndarray) -> None:
        if ti.size == 0:
            return
        tracks = np.unique(ti)
        local = np.searchsorted(tracks, ti)
        self.x[tracks], self.P[tracks] = frame_update(
            self.x[tracks], self.P[tracks], local, t_s - frame.t_s[dj], frame.z[dj], frame.R[dj],
            self.cls[tracks],
        )  # fmt: skip

    def _book(self, t_s, hit, ti, det_t, det_label) -> None:
        """Hits, confirmation and labels (the label of each track's latest detection)."""
        cfg = self.config
        n_det = np.bincount(ti, minlength=hit.size)
        self.window_hits += np.where(t_s - self.born_s <= cfg.confirm_window_s, n_det, 0)
        self.confirmed |= self.window_hits >= cfg.confirm_m
        self.last_hit_s[hit] = t_s
        order = np.lexsort((det_t, ti))
        last = np.r_[ti[order][1:] != ti[order][:-1], True] if ti.size else order.astype(bool)
        self.label[ti[order][last]] = det_label[order][last]

    def _initiate(self, t_s: float, frame: Frame, idx: np.ndarray) -> None:
        """One tentative track per cluster of unused detections (the cluster only keeps one
        object seen by several sensors from starting several tracks), started from the
        cluster's latest detection and a diffuse prior, with one hit: a swarm's detections
        chain into one cluster, and a velocity fitted through them is made up. The velocity
        prior is wide (ballistic speeds) above ``low_alt_m`` and narrower below: a low, slow
        object given a 1.5 km/s prior takes any nearby clutter point as its second look."""
        if idx.size == 0:
            return
        cfg = self.config
        cluster = init_clusters(frame.t_s[idx], frame.group[idx], frame.z[idx], frame.R[idx],
                                self.config.init_speed_m_s)  # fmt: skip
        n = int(cluster.max()) + 1
        order = np.lexsort((frame.t_s[idx], cluster))
        latest = idx[order][np.r_[cluster[order][1:] != cluster[order][:-1], True]]
        x = np.zeros((n, 6))
        x[:, :3] = frame.z[latest]
        P = np.zeros((n, 6, 6))
        P[:, :3, :3] = np.eye(3) * DIFFUSE_POS_SIGMA_M**2
        alt = np.linalg.norm(x[:, :3], axis=1) - R_EARTH_MEAN_M
        v0 = np.where(alt < cfg.low_alt_m, cfg.v0_sigma_low_m_s, cfg.v0_sigma_m_s)
        P[:, 3:, 3:] = np.eye(3) * (v0**2)[:, None, None]
        x, P = frame_update(x, P, np.arange(n), t_s - frame.t_s[latest], frame.z[latest],
                            frame.R[latest], np.full(n, 2))  # fmt: skip
        self._append(
            id=self.next_id + np.arange(n, dtype=np.int64), x=x, P=P, stamp=np.full(n, t_s),
            last_hit_s=np.full(n, t_s), born_s=np.full(n, t_s),
            window_hits=np.ones(n, dtype=np.int64), confirmed=np.full(n, cfg.confirm_m <= 1),
            label=frame.label[latest], cls=np.full(n, 2), speed_test=alt >= cfg.low_alt_m,
        )  # fmt: skip
        self.next_id += n

    def _classify(self) -> None:
        """Classes of all tracks. Speed and climb make a track ballistic only if it was born
        above ``low_alt_m`` or has been ballistic before: in a drone swarm seen with kilometres
        of noise a low track can string two drones into a "1 km/s" velocity, and calling that
        ballistic (gravity, 20 times the process noise) lets it run away."""
        self.cls = classify(self.x, self.P, self.speed_test)
        self.speed_test |= self.cls == 0

    def _append(self, **cols: np.ndarray) -> None:
        for name, v in cols.items():
            setattr(self, name, np.concatenate([getattr(self, name), v]))

    def _stale(self, t_s: float) -> np.ndarray:
        cfg = self.config
        sigma = np.sqrt(np.max(np.diagonal(self.P[:, :3, :3], axis1=1, axis2=2), axis=1))
        lost = ~self.confirmed & (t_s - self.born_s >= cfg.confirm_window_s)
        r = np.linalg.norm(self.x[:, :3], axis=1)
        up = self.x[:, :3] / r[:, None]
        sig_alt = np.sqrt(np.einsum("ki,kij,kj->k", up, self.P[:, :3, :3], up))
        underground = r - R_EARTH_MEAN_M + 3.0 * sig_alt < UNDERGROUND_M
        return (lost | (t_s - self.last_hit_s > cfg.drop_track_s) | (sigma > cfg.max_pos_sigma_m)
                | underground)  # fmt: skip

    def _duplicates(self) -> np.ndarray:
        """Confirmed tracks that are statistically the same object as an older confirmed track
        (tentative tracks are left to confirmation: a vague new track near an old one may be a
        second object)."""
        drop = np.zeros(self.size, dtype=bool)
        conf = np.flatnonzero(self.confirmed)
        if conf.size < 2:
            return drop
        tr = np.trace(self.P[:, :3, :3], axis1=1, axis2=2)
        radius = np.sqrt(self.merge_gamma * 2.0 * tr[conf].max())
        ij = cKDTree(self.x[conf, :3]).query_pairs(radius, output_type="ndarray")
        if ij.size == 0:
            return drop
        i, j = conf[ij[:, 0]], conf[ij[:, 1]]
        near = ((self.x[i, :3] - self.x[j, :3]) ** 2).sum(1) <= self.merge_gamma * (tr[i] + tr[j])
        i, j = i[near], j[near]
        same = pair_distances(self.x[i], self.P[i], self.x[j], self.P[j]) <= self.merge_gamma
        i, j = i[same], j[same]
        drop[np.where(self.id[i] > self.id[j], i, j)] = True  # the older one stays
        return drop

    def _delete(self, gone: np.ndarray) -> NodeChanges:
        if not gone.any():
            return NO_CHANGES
        ended = gone & self.confirmed
        out = NodeChanges(_I64, _I64, self.id[ended], self.label[ended])
        keep = ~gone
        for name in ("id", "x", "P", "stamp", "last_hit_s", "born_s", "window_hits", "confirmed",
                     "label", "cls", "speed_test"):  # fmt: skip
            setattr(self, name, getattr(self, name)[keep])
        return out
