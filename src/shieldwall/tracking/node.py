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

import numpy as np

from shieldwall.tracking.associate import Pairs, gate_threshold, gnn_assign, rank_keys
from shieldwall.tracking.fastnp import amax, amin, any_
from shieldwall.tracking.frame import (
    EYE3,
    Q_BY_CLASS,
    R_EARTH_MEAN_M,
    Frame,
    components,
    contested,
    cruise_held,
    gravity_of,
    info_apply,
    info_terms,
    info_vector,
    init_links,
    kinematics,
    retro_gate,
    unused_detections,
)
from shieldwall.tracking.kalman import process_noise_table, propagate_cv
from shieldwall.tracking.node_prune import NO_CHANGES, Pruning
from shieldwall.tracking.nodetypes import Born, Hits, LocalTracks, NodeChanges, NodeConfig

DIFFUSE_POS_SIGMA_M = 50e3  # prior of a new track's position before its first detections


_I64 = np.zeros(0, dtype=np.int64)
_Q_KEY = tuple(Q_BY_CLASS.tolist())
_Q_NEW = _Q_KEY[2]  # a new track is a drone until its velocity shows
_ONES = np.ones(256, dtype=np.int64)
_ONES.flags.writeable = False


class NodeTracker(Pruning):
    """Tracks of one node, as stacked arrays updated in place by :meth:`step`."""

    def __init__(self, config: NodeConfig | None = None) -> None:
        cfg = self.config = config or NodeConfig()
        self.gamma = gate_threshold(cfg.gate_prob)
        self._new_confirmed = cfg.confirm_m <= 1
        self.merge_gamma = gate_threshold(cfg.merge_gate_prob, 6)
        pd = cfg.pd  # the pair score's constant terms (associate.pair_scores)
        self._score_terms = (float(np.log(pd)), float(np.log1p(-min(pd, 1.0 - 1e-12))),
                             float(np.log(cfg.clutter_density_m3)))  # fmt: skip
        # a new track's prior covariance, born below and above low_alt_m
        v0_var = np.square(np.array([cfg.v0_sigma_low_m_s, cfg.v0_sigma_m_s]))
        self._priors = np.zeros((2, 6, 6))
        self._priors[:, [0, 1, 2], [0, 1, 2]] = DIFFUSE_POS_SIGMA_M**2
        self._priors[:, [3, 4, 5], [3, 4, 5]] = v0_var[:, None]
        self.t_s = -np.inf
        self.next_id = 1
        self._stamp_s = -np.inf  # every track is held at the last frame with detections
        self.id = _I64.copy()
        self.x, self.P = np.zeros((0, 6)), np.zeros((0, 6, 6))
        self.last_hit_s = np.zeros(0)
        self.born_s = np.zeros(0)  # frame time of initiation
        self.window_hits = _I64.copy()
        self.confirmed = np.zeros(0, dtype=bool)
        self.label = _I64.copy()
        self.cls = _I64.copy()  # estimated class, refreshed after every change of state
        self.speed_test = np.zeros(0, dtype=bool)  # born high or once ballistic (see step)
        self.cruise_run = np.zeros((0, 2), dtype=np.int64)  # updates that read cruise (cruise_held)
        self._doubted = _I64  # tracks whose update in this frame was in doubt

    @property
    def size(self) -> int:
        return int(self.id.size)

    @property
    def stamp(self) -> np.ndarray:
        """Time of each track's state ``(k,)``: all were predicted to, or born at, the last
        frame with detections."""
        stamp = np.empty(self.id.size)
        stamp.fill(self._stamp_s)
        return stamp

    def step(self, t_s: float, frame: Frame) -> NodeChanges:
        """Process the detections made in ``(previous t_s, t_s]``; tracks without detections are
        not predicted (their stamp stays) but may be deleted."""
        if t_s < self.t_s:
            raise ValueError(f"frame time {t_s} s precedes the previous frame at {self.t_s} s")
        t_s = self.t_s = float(t_s)  # a Python float: numpy scalars make every operation slower
        m = frame.t_s.size
        if m == 0:  # no state changes: only time can have run out (see _timed_out)
            return self._delete(self._timed_out(t_s)) if self.size else NO_CHANGES
        was, k = self.confirmed, self.size
        hits = self._associate(t_s, frame) if k else None
        self._stamp_s = t_s
        unused = unused_detections(m, hits)
        born = self._born(frame, unused) if unused.size else None
        self._update(t_s, frame, hits, born)
        new = _I64 if hits is None else (self.confirmed[:k] & ~was).nonzero()[0]
        if born is not None and self._new_confirmed:
            new = np.concatenate((new, np.arange(k, self.size)))
        if new.size:
            new_id, new_label = self.id.take(new), self.label.take(new)
        # Speed and climb make a track ballistic only if it was born above low_alt_m or has been
        # ballistic before: in a drone swarm seen with kilometres of noise a low track can
        # string two drones into a "1 km/s" velocity, and calling that ballistic (gravity, 20
        # times the process noise) lets it run away.
        alt, sig_alt = self._classify(t_s)
        gone = self._stale(t_s, alt, sig_alt)
        self._duplicates(gone)
        ch = self._delete(gone)
        if new.size == 0:
            return ch
        alive = ~gone.take(new)
        return NodeChanges(new_id[alive], new_label[alive], ch.ended, ch.ended_label)

    def _classify(self, t_s: float) -> tuple[np.ndarray, np.ndarray | None]:
        """Every track's class after the frame at ``t_s``: :func:`kinematics`, then
        :func:`cruise_held` on the tracks updated in it; returns the altitudes and their
        sigmas."""
        cls, alt, sig_alt = kinematics(self.x, self.P, self.speed_test, self.config.cruise_max_m_s)
        updated = self.last_hit_s == t_s
        clear = None
        if self._doubted.size:
            clear = np.ones(updated.size, dtype=bool)
            clear[self._doubted] = False
        self._doubted = _I64
        self.cls, self.cruise_run = cruise_held(cls, updated, self.cruise_run, clear)
        self.speed_test = self.speed_test | (self.cls == 0)
        return alt, sig_alt

    def kill(self, labels: np.ndarray) -> NodeChanges:
        """Delete the tracks on objects known destroyed (``labels``): kill assessment."""
        if self.size == 0 or labels.size == 0:
            return NO_CHANGES
        return self._delete(np.isin(self.label, labels) & (self.label >= 0))

    def tracks(self) -> LocalTracks:
        """Every live track, stamped at its last update (copies)."""
        cls = self.cls.copy()
        return LocalTracks(
            self.id.copy(), self.x.copy(), self.P.copy(), self.stamp,
            self.confirmed.copy(), self.label.copy(), cls, Q_BY_CLASS.take(cls), cls == 0,
            self.last_hit_s.copy(),
        )  # fmt: skip

    # -- one frame -------------------------------------------------------------------------

    def _associate(self, t_s: float, frame: Frame) -> Hits | None:
        """Predict every track to ``t_s``, gate, and choose GNN pairs (track, detection), at
        most one detection per track per scan group; None when no pair is chosen."""
        cls = self.cls
        dt = t_s - self._stamp_s
        Q = process_noise_table(float(dt), _Q_KEY).take(cls, 0)
        self.x, self.P = propagate_cv(self.x, self.P, dt, Q, gravity_of(self.x, cls))
        q = Q_BY_CLASS.take(cls)
        g, inside = retro_gate(self.x, self.P, gravity_of(self.x, cls), q, t_s, frame, self.gamma)
        # pair score ln(Pd N / ((1 - Pd) lambda)) (associate.pair_scores); only positive
        # scores inside the gate can be chosen
        s0, s1, s2 = self._score_terms
        score = g.loglik + s0 - s1 - s2
        good = (inside & (score > 0.0)).nonzero()[0]
        if good.size == 0:
            return None
        ti, dj = g.ti.take(good), g.dj.take(good)
        doubt = None
        if any_(ti[1:] == ti[:-1]) or amax(np.bincount(dj)) > 1:
            sel = self._assign(ti, dj, score.take(good), frame)
            doubt = contested(ti, dj, frame.group, frame.t_s.size).take(sel)
            good, ti, dj = good.take(sel), ti.take(sel), dj.take(sel)
        return Hits(ti, dj, g.y.take(good, 0), g.qt.take(good), doubt)

    def _assign(self, ti: np.ndarray, dj: np.ndarray, score: np.ndarray, frame: Frame):
        """GNN among competing pairs (:func:`gnn_assign`): a confirmed track takes one detection
        per scan; a tentative one, one per frame (it must earn its velocity over time, or it
        strings together several objects of a swarm). The assignment rows are (track, scan)
        pairs, or tracks when no confirmed track has two candidates."""
        rows, n_rows = ti, self.size
        conf = self.confirmed.take(ti)
        if any_(conf[1:] & (ti[1:] == ti[:-1])):
            n_groups = int(amax(frame.group)) + 1
            groups = np.where(conf, frame.group.take(dj), n_groups)
            rows, n_rows = rank_keys(ti * (n_groups + 1) + groups)
        return gnn_assign(Pairs(rows, dj, score, score), score, n_rows, frame.t_s.size)

    def _born(self, frame: Frame, idx: np.ndarray, nation: np.ndarray | None = None) -> Born:
        """One tentative track per cluster of unused detections ``idx`` (the cluster only keeps
        one object seen by several sensors from starting several tracks), started from the
        cluster's latest detection and a diffuse prior: a swarm's detections chain into one
        cluster, and a velocity fitted through them is made up. The velocity prior is wide
        (ballistic speeds) above ``low_alt_m`` and narrower below: a low, slow object given a
        1.5 km/s prior takes any nearby clutter point as its second look. ``nation``: the
        nation of each detection ``idx`` (clusters stay within one; see :mod:`node_stack`)."""
        cfg = self.config
        latest = idx
        group = frame.group.take(idx)
        if idx.size > 1 and amin(group) != amax(group):
            t = frame.t_s.take(idx)
            link = init_links(t, group, frame.z.take(idx, 0), frame.R.take(idx, 0),
                              cfg.init_speed_m_s, nation)  # fmt: skip
            if link is not None:
                cluster = components(link, idx.size)
                order = np.lexsort((t, cluster))
                c = cluster.take(order)
                latest = idx.take(order.compress(np.concatenate((c[1:] != c[:-1], [True]))))
        z = frame.z.take(latest, 0)
        alt = np.sqrt(np.add.reduce(z * z, 1)) - R_EARTH_MEAN_M
        high = alt >= cfg.low_alt_m
        x = np.zeros((latest.size, 6))
        x[:, :3] = z
        return Born(latest, x, self._priors.take(high.view(np.int8), 0),
                     frame.label.take(latest), high)  # fmt: skip

    def _update(self, t_s: float, frame: Frame, hits: Hits | None, born: Born | None) -> None:
        """The frame's information-form update of the tracks with detections and of the new
        tracks' priors with their one detection (one batched solve), then the bookkeeping:
        hits, confirmation, labels, and the new tracks appended. A new track is a drone until
        its velocity shows (its process noise), and its update leaves its state at the
        detection (zero innovation): only its covariance shrinks."""
        p = h = 0
        if hits is not None:
            ti = hits.ti
            p = ti.size
            n_det = np.bincount(ti, minlength=self.size)
            tracks = n_det.nonzero()[0]
            h = tracks.size
        if born is None:
            det, qt, P = hits.dj, hits.qt, self.P.take(tracks, 0)
        elif hits is None:
            det, P = born.det, born.P
        else:
            det = np.concatenate((hits.dj, born.det))
            P = np.concatenate((self.P.take(tracks, 0), born.P))
        tau = t_s - frame.t_s.take(det)
        if born is not None:
            qt_born = _Q_NEW * tau[p:] ** 3 / 3.0
            qt = qt_born if hits is None else np.concatenate((hits.qt, qt_born))
        A, W = info_terms(tau, frame.R.take(det, 0) + qt[:, None, None] * EYE3)
        if hits is None:
            _, P_new = info_apply(None, P, A, None)
        else:
            b = info_vector(W[:p], tau[:p], hits.y)
            if p > h:  # tracks with several detections: sum their terms, in order
                starts = np.concatenate(([0], (ti[1:] != ti[:-1]).nonzero()[0] + 1))
                A = np.concatenate((np.add.reduceat(A[:p], starts, 0), A[p:]))
                b = np.add.reduceat(b, starts, 0)
            x_new, P_new = info_apply(self.x.take(tracks, 0), P, A, b)
            self.x[tracks], self.P[tracks] = x_new, P_new[:h]
            self._book(t_s, frame, hits, tracks, n_det)
        if born is not None:
            self._append(born, P_new[h:], t_s)

    def _book(self, t_s: float, frame: Frame, hits: Hits, tracks, n_det) -> None:
        """Hits, confirmation and labels (the label of each track's latest detection)."""
        cfg = self.config
        self.window_hits = self.window_hits + n_det * (t_s - self.born_s <= cfg.confirm_window_s)
        self.confirmed = self.confirmed | (self.window_hits >= cfg.confirm_m)
        self.last_hit_s[tracks] = t_s
        if hits.doubt is not None and any_(hits.doubt):
            self._doubted = hits.ti.compress(hits.doubt)
        ti, label = hits.ti, frame.label.take(hits.dj)
        if tracks.size == ti.size:
            self.label[ti] = label
            return
        order = np.lexsort((frame.t_s.take(hits.dj), ti))
        t_o = ti.take(order)
        last = order.compress(np.concatenate((t_o[1:] != t_o[:-1], [True])))
        self.label[ti.take(last)] = label.take(last)

    def _append(self, born: Born, P: np.ndarray, t_s: float) -> None:
        """Append the new tracks (prior state, updated covariance ``P``), each with one hit at
        ``t_s``; their class is set with every track's right after."""
        n = P.shape[0]
        now = np.empty(n)
        now.fill(t_s)
        self.id = np.concatenate((self.id, self._new_ids(n)))
        self.x = np.concatenate((self.x, born.x))
        self.P = np.concatenate((self.P, P))
        self.last_hit_s = np.concatenate((self.last_hit_s, now))
        self.born_s = np.concatenate((self.born_s, now))
        one = _ONES[:n] if n <= _ONES.size else np.ones(n, dtype=np.int64)
        self.window_hits = np.concatenate((self.window_hits, one))
        confirmed = np.zeros(n, dtype=bool)
        confirmed[:] = self._new_confirmed  # one hit confirms
        self.confirmed = np.concatenate((self.confirmed, confirmed))
        self.label = np.concatenate((self.label, born.label))
        self.speed_test = np.concatenate((self.speed_test, born.speed_test))
        self.cruise_run = np.concatenate((self.cruise_run, np.zeros((n, 2), dtype=np.int64)))

    def _new_ids(self, n: int) -> np.ndarray:
        """Ids of ``n`` new tracks: never reused."""
        ids = np.arange(self.next_id, self.next_id + n)
        self.next_id += n
        return ids
