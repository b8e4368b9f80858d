"""Every nation's node tracker in one set of stacked arrays, stepped once per decision cycle.

A :class:`~shieldwall.tracking.node.NodeTracker` per nation costs its numpy calls once per
nation and cycle (about two or three nations have detections in a cycle of the April 2024
raid), and a node's arrays are small, so the calls are the cost. :class:`NodeStack` holds all
nations' tracks in the node tracker's arrays with a ``nation`` column and runs each stage of a
frame once for all of them: one prediction, one gating pass (a track is gated only against its
own nation's detections), one assignment, one clustering of unused detections (within a nation),
one information-form update, one classification and one deletion pass.

Every nation's results are those of its own :class:`NodeTracker`, bit for bit: each track's and
each pair's arithmetic is the same (batched over more rows), a nation's tracks and detections
keep their relative order (so pair order, the order in which a track's detections are summed
and its new tracks' ids are the same), the global-nearest-neighbour assignment of independent
nations is the union of their assignments (:func:`~shieldwall.tracking.associate.gnn_assign`
already solves independent clusters as one problem), and the checks a nation without
detections does not run (classification, merging, the full deletion test) would find nothing
new on its unchanged states. A nation's tracks are predicted only in frames in which it has
detections, as in its own tracker.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from shieldwall.tracking.fastnp import all_, amax, amin, any_, count_nonzero
from shieldwall.tracking.frame import (
    Q_BY_CLASS,
    Frame,
    contested,
    gravity_of,
    unused_detections,
)
from shieldwall.tracking.kalman import process_noise, process_noise_table, propagate_cv
from shieldwall.tracking.node import _I64, _Q_KEY, NodeTracker
from shieldwall.tracking.node_gate import stack_gate
from shieldwall.tracking.node_prune import _upper_pairs
from shieldwall.tracking.nodetypes import Born, Hits, LocalTracks, NodeConfig

FAST_BY_CLASS = np.array([True, True, False])  # by class code: ballistic, cruise, drone


class StackChanges(NamedTuple):
    """Track ids confirmed and confirmed track ids deleted in a step of every nation, with the
    label and the nation of each (see :class:`~shieldwall.tracking.nodetypes.NodeChanges`)."""

    confirmed: np.ndarray
    confirmed_label: np.ndarray
    confirmed_nation: np.ndarray
    ended: np.ndarray
    ended_label: np.ndarray
    ended_nation: np.ndarray

    def any(self) -> bool:
        return bool(self.confirmed.size or self.ended.size)


NO_STACK_CHANGES = StackChanges(_I64, _I64, _I64, _I64, _I64, _I64)


class NodeStack(NodeTracker):
    """The node trackers of ``n_nations`` nations with one configuration, as one tracker
    whose tracks carry their ``nation``; track ids are numbered per nation."""

    def __init__(self, n_nations: int, config: NodeConfig | None = None) -> None:
        super().__init__(config)
        self.n_nations = n_nations
        self.nation = _I64.copy()
        self.next_ids = [1] * n_nations
        self.stamps = np.full(n_nations, -np.inf)  # each nation's last frame with detections
        self._snapshot: list[LocalTracks | None] = [None] * n_nations
        self._confirmed: list[LocalTracks | None] = [None] * n_nations
        self._all = np.arange(n_nations)
        self._edges = np.arange(n_nations + 1)
        self._born_nation = _I64

    @property
    def stamp(self) -> np.ndarray:
        """Time of each track's state ``(k,)``: its nation's last frame with detections."""
        return self.stamps.take(self.nation)

    def step(self, t_s: float, frame: Frame, nation: np.ndarray) -> StackChanges:  # type: ignore[override]
        """Process the detections ``frame`` of every nation (``nation`` ``(m,)``: whose radar
        made each) made in ``(previous t_s, t_s]``, as each nation's
        :meth:`NodeTracker.step` would."""
        if t_s < self.t_s:
            raise ValueError(f"frame time {t_s} s precedes the previous frame at {self.t_s} s")
        t_s = self.t_s = float(t_s)
        m = frame.t_s.size
        if m == 0:
            return self._delete_all(self._timed_out(t_s)) if self.size else NO_STACK_CHANGES
        active = np.zeros(self.n_nations, dtype=bool)
        active[nation] = True
        was, k = self.confirmed, self.size
        hits = self._associate_all(t_s, frame, nation, active) if k else None
        self.stamps[active] = t_s
        self._dirty(active)
        unused = unused_detections(m, hits)
        born = None
        if unused.size:  # clusters within a nation
            born = self._born(frame, unused, nation.take(unused))
            self._born_nation = nation.take(born.det)
        self._update(t_s, frame, hits, born)
        new = _I64 if hits is None else (self.confirmed[:k] & ~was).nonzero()[0]
        if born is not None and self._new_confirmed:
            new = np.concatenate((new, np.arange(k, self.size)))
        if new.size:
            new_id, new_label = self.id.take(new), self.label.take(new)
            new_nation = self.nation.take(new)
        alt, sig_alt = self._classify(t_s)
        gone = self._stale(t_s, alt, sig_alt)
        self._duplicates_all(gone, active)
        ch = self._delete_all(gone)
        if new.size == 0:
            return ch
        alive = ~gone.take(new)
        return StackChanges(new_id[alive], new_label[alive], new_nation[alive], *ch[3:])

    def kill(self, labels: np.ndarray) -> StackChanges:  # type: ignore[override]
        """Delete the tracks on objects known destroyed (``labels``), in every nation."""
        if self.size == 0 or labels.size == 0:
            return NO_STACK_CHANGES
        return self._delete_all(np.isin(self.label, labels) & (self.label >= 0))

    def tracks(self) -> tuple[LocalTracks, ...]:  # type: ignore[override]
        """Every nation's live tracks, stamped at their last update: the same object as in the
        previous call for a nation whose tracks did not change (read them only)."""
        return self._snapshots(self._snapshot, False)

    def confirmed_tracks(self) -> tuple[LocalTracks, ...]:
        """Every nation's confirmed tracks (``tracks()[a].select(tracks()[a].confirmed)``),
        the same object as in the previous call for a nation whose tracks did not change."""
        return self._snapshots(self._confirmed, True)

    def knows_fast(self, fast: np.ndarray = FAST_BY_CLASS) -> bool:
        """Whether any nation holds a confirmed track of a class ``fast`` marks (a bool per
        class code; default ballistic and cruise missiles)."""
        return bool(count_nonzero(self.confirmed & fast.take(self.cls)))

    def _snapshots(self, snap: list[LocalTracks | None], confirmed: bool):
        """``snap`` with the missing nations' (confirmed) tracks filled in: one gather of each
        column, every track in nation order, sliced per nation (the slices are views of the
        read-only gathered arrays, so they are read-only too)."""
        todo = [a for a, s in enumerate(snap) if s is None]
        if not todo:
            return tuple(snap)
        nation = self.nation
        idx = nation.argsort(kind="stable")  # by nation, each nation's tracks in order
        if confirmed:
            idx = idx.compress(self.confirmed.take(idx))
        tn = nation.take(idx)
        bounds = tn.searchsorted(self._edges).tolist()  # each nation's first row, and the end
        cls = self.cls.take(idx)
        cols = (self.id.take(idx), self.x.take(idx, 0), self.P.take(idx, 0),
                self.stamps.take(tn), self.confirmed.take(idx), self.label.take(idx), cls,
                Q_BY_CLASS.take(cls), cls == 0, self.last_hit_s.take(idx))  # fmt: skip
        for c in cols:  # shared from cycle to cycle while unchanged: read-only
            c.flags.writeable = False
        for a in todo:
            lo, hi = bounds[a], bounds[a + 1]
            snap[a] = LocalTracks(*[c[lo:hi] for c in cols])
        return tuple(snap)

    def _dirty(self, nations: np.ndarray | set[int]) -> None:
        """Forget the snapshots of ``nations`` (a mask, or a set of indices)."""
        for a in (
            self._all.compress(nations).tolist() if isinstance(nations, np.ndarray) else nations
        ):
            self._snapshot[a] = self._confirmed[a] = None

    # -- one frame -------------------------------------------------------------------------

    def _associate_all(
        self, t_s: float, frame: Frame, nation: np.ndarray, active: np.ndarray
    ) -> Hits | None:
        """Predict the tracks of the nations with detections to ``t_s``, gate each against its
        nation's detections, and choose GNN pairs (see :meth:`NodeTracker._associate`)."""
        on = active.take(self.nation)
        rows = None if all_(on) else on.nonzero()[0]
        if rows is not None and rows.size == 0:
            return None
        x, P, cls, tn = self.x, self.P, self.cls, self.nation
        if rows is not None:
            x, P, cls, tn = x.take(rows, 0), P.take(rows, 0), cls.take(rows), tn.take(rows)
        dt = t_s - self.stamps.take(tn)
        q = Q_BY_CLASS.take(cls)
        dt0 = float(dt[0])
        if all_(dt == dt0):  # one interval for all: the per-class table (same numbers)
            Q, dt = process_noise_table(dt0, _Q_KEY).take(cls, 0), dt0
        else:
            Q, dt = process_noise(dt, q), dt[:, None]
        x, P = propagate_cv(x, P, dt, Q, gravity_of(x, cls))
        if rows is None:
            self.x, self.P = x, P
        else:
            self.x[rows], self.P[rows] = x, P
        g = stack_gate(x, P, gravity_of(x, cls), q, t_s, frame, self.gamma, tn, nation)
        if g is None:
            return None
        ti, dj, y, qt, loglik = g
        s0, s1, s2 = self._score_terms
        score = loglik + s0 - s1 - s2
        good = (score > 0.0).nonzero()[0]
        if good.size == 0:
            return None
        ti, dj = ti.take(good), dj.take(good)
        if rows is not None:
            ti = rows.take(ti)
        doubt = None
        if any_(ti[1:] == ti[:-1]) or amax(np.bincount(dj)) > 1:
            sel = self._assign(ti, dj, score.take(good), frame)
            doubt = contested(ti, dj, frame.group, frame.t_s.size).take(sel)
            good, ti, dj = good.take(sel), ti.take(sel), dj.take(sel)
        return Hits(ti, dj, y.take(good, 0), qt.take(good), doubt)

    def _new_ids(self, n: int) -> np.ndarray:
        """Ids of the ``n`` new tracks, numbered in their nations (``_born_nation``: set with
        the new tracks)."""
        nxt, born = self.next_ids, self._born_nation
        if n == 1 or amin(born) == amax(born):  # all of one nation: consecutive ids
            a = int(born[0])
            nxt[a] += n
            return np.arange(nxt[a] - n, nxt[a], dtype=np.int64)
        ids = []
        for a in born.tolist():  # a few new tracks a frame
            ids.append(nxt[a])
            nxt[a] += 1
        return np.array(ids, dtype=np.int64)

    def _append(self, born: Born, P: np.ndarray, t_s: float) -> None:
        """:meth:`NodeTracker._append`, each new track with its nation."""
        super()._append(born, P, t_s)
        self.nation = np.concatenate((self.nation, self._born_nation))

    def _duplicates_all(self, drop: np.ndarray, active: np.ndarray) -> None:
        """:meth:`NodeTracker._duplicates` for the nations with detections, pairs within a
        nation only (the others' states did not change since their last check)."""
        conf = (self.confirmed & active.take(self.nation)).nonzero()[0]
        if conf.size < 2:
            return
        i, j = _upper_pairs(conf.size)
        cn = self.nation.take(conf)
        if amin(cn) != amax(cn):
            same = (cn.take(i) == cn.take(j)).nonzero()[0]
            i, j = i.take(same), j.take(same)
        self._merge_pairs(conf, i, j, drop)

    def _delete_all(self, gone: np.ndarray) -> StackChanges:
        """Delete the tracks ``gone`` (mask); the confirmed ones are reported."""
        if not count_nonzero(gone):
            return NO_STACK_CHANGES
        ended = (gone & self.confirmed).nonzero()[0]
        self._dirty(set(self.nation.compress(gone).tolist()))
        out = StackChanges(_I64, _I64, _I64, self.id.take(ended), self.label.take(ended),
                           self.nation.take(ended))  # fmt: skip
        self._keep((~gone).nonzero()[0])
        return out

    def _keep(self, keep: np.ndarray) -> None:
        super()._keep(keep)
        self.nation = self.nation.take(keep)
