"""Every nation's picture in one pass: the fusers of all nations as one bank of system tracks.

:class:`PictureBank` does for several nations at once what one
:class:`~shieldwall.tracking.fuser.Fuser` (``"fast"`` CI) and one provenance memo per nation
would do, row by row the same (``tests/test_fuse_speed_bank.py`` holds that reference): the system
tracks of all nations live in one set of arrays with an owner column, grouped by owner and
sorted by number within an owner, so that each step of a scan (prediction, the sticky memo
look-up and its gate, covariance intersection, the memo update, retirement, provenance and
classification) is one numpy call for all nations instead of one per nation. Only what is by
nature one nation's, the global assignment of its free inputs to its open tracks and the
numbering of its new tracks, stays a loop over the nations that need it.

A nation's inputs are processed in their order (own first), as a Fuser does: the ``j``-th
non-empty input of every nation forms slot ``j``, and slots are processed in turn. Nations never
share a system track, so processing them side by side changes nothing.
"""

from __future__ import annotations

import numpy as np

from shieldwall.sharing.fuse_views import CycleViews
from shieldwall.sharing.picture import (
    FALLBACK_ID,
    OWN,
    Picture,
    _empty_picture,
    take_tracks,
    track_code,
)
from shieldwall.tracking.associate import gate_threshold
from shieldwall.tracking.fuser import fuse_into, memo_merge
from shieldwall.tracking.fusion import associate_tracks, pair_distances
from shieldwall.tracking.kalman import predict
from shieldwall.tracking.node import LocalTracks

_I64 = np.zeros(0, dtype=np.int64)
# provenance rows of the bank's (6, k) block
LABEL, SOURCE, CODE, NAMED, ANON, VIA = range(6)


class PictureBank:
    """The pictures of ``nations`` (nation ids; -1 for the analyst's coalition picture, which
    has no nation of its own), stepped together by :meth:`build`; inputs older than
    ``max_age_s`` are not fused, system tracks without input for ``retire_s`` retire."""

    def __init__(self, nations: list[int], max_age_s: float, retire_s: float,
                 gate_prob: float = 0.9999) -> None:  # fmt: skip
        self.nations = list(nations)
        self.max_age_s, self.retire_s = max_age_s, retire_s
        self.gate = gate_threshold(gate_prob, 6)
        self.t_s = -np.inf
        # per system track, grouped by owner (index into nations), by number within one
        self.owner = _I64
        self.number = _I64
        self.key = _I64  # owner << 32 | number: sorted
        self.x, self.P = np.zeros((0, 6)), np.zeros((0, 6, 6))
        self.last_input_s = np.zeros(0)
        self.seen_s = np.zeros(0)  # the latest stamp (last detection) of any of its inputs
        self.q_m2_s3, self.ballistic = np.zeros(0), np.zeros(0, dtype=bool)
        self.cls = _I64  # class code: the latest input's (its node's evidence rules)
        self.prov = np.zeros((6, 0), dtype=np.int64)  # label, source, code, named, anon, via
        self._next_number = [1] * len(nations)
        self._sources: dict[tuple[int, object], int] = {}  # (owner, key) -> source index
        # (source index << 32 | track id) -> key of the system track it last fed; by code
        self._memo_code, self._memo_key = _I64, _I64

    def build(
        self,
        t_s: float,
        inputs: list[tuple[LocalTracks, list[tuple[int, int, LocalTracks]], frozenset]],
        own_confirmed: bool = False,
    ) -> list[Picture]:
        """Each nation's picture at ``t_s`` from ``inputs[i] = (own, releases, anonymous)``
        (as :meth:`PictureBuilder.build`; ``own_confirmed``: the caller selected the own
        tracks' confirmed ones already)."""
        if t_s < self.t_s:
            raise ValueError(f"fusion time {t_s} before the previous one {self.t_s}")
        n_own = len(self.nations)
        counts = np.bincount(self.owner, minlength=n_own) if self.owner.size else None
        slots: list[list] = []  # slot j: per owner its j-th non-empty input
        live = []
        for o, (own, releases, anonymous) in enumerate(inputs):
            if not own_confirmed and not own.confirmed.all():
                own = take_tracks(own, own.confirmed)
            parts = [(OWN, self.nations[o], own), *releases]
            has_rows = counts is not None and counts[o] > 0
            j = 0
            for key, nation, tr in parts:
                src = self._sources.setdefault((o, key), len(self._sources))
                if tr.track_id.size == 0:
                    continue
                item = self._input(o, src, key, nation, tr, key in anonymous, t_s)
                if j == len(slots):
                    slots.append([])
                slots[j].append(item)
                j += 1
            if has_rows or j:
                live.append(o)
        if not live:
            return [_empty_picture(t_s)] * n_own
        self._scan(t_s, slots)
        return self._pictures(t_s)

    def _input(self, o, src, key, nation, tr, hidden, t_s) -> tuple:
        """One non-empty input batch: its tracks no older than ``max_age_s`` and what fusion
        and provenance need of them."""
        age = t_s - tr.t_s
        young = age.min()
        if young < -1e-9:
            raise ValueError(f"source {key!r} has tracks stamped after {t_s}")
        dt = age if young >= 0.0 else np.maximum(age, 0.0)
        ids, label = tr.track_id, tr.label
        x, P, q, bal, cls = tr.x, tr.P, tr.q_m2_s3, tr.ballistic, tr.cls
        stamp = tr.t_s if tr.seen_s is None else tr.seen_s
        if age.max() > self.max_age_s:
            ok = age <= self.max_age_s
            ids, x, P, dt, q, bal, cls = ids[ok], x[ok], P[ok], dt[ok], q[ok], bal[ok], cls[ok]
            label, stamp = label[np.searchsorted(tr.track_id, ids)], stamp[ok]
        # (source index << 32 | track id): the memo's key of each input
        return (o, src, key, nation, hidden, ids, label, x, P, dt, q, bal, ids | (src << 32),
                cls, stamp)  # fmt: skip

    def _scan(self, t_s: float, slots: list[list]) -> None:
        """Predict, associate, fuse, remember and retire (one Fuser scan for every owner)."""
        n_sys = self.owner.size
        dt_sys = np.full(n_sys, t_s - self.t_s if n_sys else 0.0)
        self.t_s = t_s
        items = [item for slot in slots for item in slot]
        fields = list(zip(*items, strict=True)) if items else [()] * 15
        q_all = np.concatenate([self.q_m2_s3, *fields[10]])
        bal_all = np.concatenate([self.ballistic, *fields[11]])
        x_all, P_all = predict(np.concatenate([self.x, *fields[7]]),
                               np.concatenate([self.P, *fields[8]]),
                               np.concatenate([dt_sys, *fields[9]]), q_all, bal_all)  # fmt: skip
        self.x, self.P = x_all[:n_sys], P_all[:n_sys]
        self._prov_new = self.prov.copy()  # this scan's provenance (the old one is shown)
        # fed this scan (room for new rows; needed only when a later slot may fuse)
        got = np.zeros(x_all.shape[0], dtype=bool) if len(slots) > 1 else None
        if items:
            code = items[0][12] if len(items) == 1 else np.concatenate(fields[12])
            memo_row, passed = self._sticky_gate(code, x_all[n_sys:], P_all[n_sys:], n_sys)
        rows_all, sticky_all = [], []
        a = n_sys
        for slot in slots:
            b = a + sum(item[5].size for item in slot)
            x, P = x_all[a:b], P_all[a:b]
            r, ok = memo_row[a - n_sys : b - n_sys], passed[a - n_sys : b - n_sys]
            if rows_all:
                # a track an earlier slot fed has a new state: its sticky inputs gated again
                fed = np.zeros(r.size, dtype=bool)
                live = r >= 0
                fed[live] = got[r[live]]
                if fed.any():
                    rf = r[fed]
                    ok[fed] = pair_distances(x[fed], P[fed], self.x[rf], self.P[rf]) <= self.gate
            rows, sticky = self._assign(slot, x, P, self._sticky_rows(r, ok))
            if rows_all:
                fuse_into(self.x, self.P, rows, x, P, got, "fast")
            else:  # the first slot replaces predictions only
                self.x[rows], self.P[rows] = x, P
            if got is not None:
                got[rows] = True
            rows_all.append(rows)
            sticky_all.append(sticky)
            a = b
        if items:
            rows = rows_all[0] if len(slots) == 1 else np.concatenate(rows_all)
            # the latest input of a track sets its motion model (inputs in order: last wins)
            self.q_m2_s3[rows] = q_all[n_sys:]
            self.ballistic[rows] = bal_all[n_sys:]
            self.cls[rows] = np.concatenate(fields[13])
            np.maximum.at(self.seen_s, rows, np.concatenate(fields[14]))
            if len(slots) == 1:  # (rows fed by one slot are distinct)
                self.last_input_s[rows] = t_s
            else:
                self.last_input_s[got[: self.owner.size]] = t_s
            sticky = sticky_all[0] if len(slots) == 1 else np.concatenate(sticky_all)
            if not sticky.all():
                unsure = ~sticky
                self._remember(code[unsure], self.key[rows[unsure]])
            self._provenance(slots, rows_all, n_sys)
        self._retire_and_sort(t_s, n_sys)

    def _assign(self, slot: list, x: np.ndarray, P: np.ndarray, rows: np.ndarray):
        """System-track row of every input of one slot (new tracks appended), given the
        sticky ``rows`` (-1: free), and whether each went to the row its memo entry names
        (see ``Fuser._assign``)."""
        sticky = rows >= 0
        if sticky.all():
            return rows, sticky
        a = 0
        for it in slot:  # the free inputs of each owner: to its open tracks, or new ones
            o, b = it[0], a + it[5].size
            free_in = a + (~sticky[a:b]).nonzero()[0]
            r = rows[a:b]
            a = b
            if free_in.size == 0:
                continue
            open_ = self.owner == o
            open_[r[r >= 0]] = False
            open_rows = open_.nonzero()[0]
            if open_rows.size:
                i, j, _ = associate_tracks(x.take(free_in, 0), P.take(free_in, 0),
                                           self.x.take(open_rows, 0),
                                           self.P.take(open_rows, 0), self.gate)  # fmt: skip
                rows[free_in[i]] = open_rows[j]
            new = free_in[rows[free_in] < 0]
            if new.size:
                rows[new] = self._start(o, x[new], P[new])
        return rows, sticky

    def _sticky_gate(self, code, x, P, n_sys: int) -> tuple[np.ndarray, np.ndarray]:
        """For every input of the scan (``code``, predicted ``x``, ``P``): the row its memo
        entry names among the ``n_sys`` rows of the last scan where that track lives (-1
        elsewhere), and whether the pair passes the gate against the predicted track."""
        m = self._memo_code.size
        if m == 0 or n_sys == 0:
            return np.full(code.size, -1, dtype=np.intp), np.zeros(code.size, dtype=bool)
        k = np.minimum(self._memo_code.searchsorted(code), m - 1)
        mkey = self._memo_key[k]
        key = self.key[:n_sys]
        r = np.minimum(key.searchsorted(mkey), n_sys - 1)
        live = (self._memo_code[k] == code) & (key[r] == mkey)
        if live.all():
            return r, pair_distances(x, P, self.x.take(r, 0), self.P.take(r, 0)) <= self.gate
        r[~live] = -1
        if live.any():
            rl = r[live]
            live[live] = (pair_distances(x[live], P[live], self.x.take(rl, 0), self.P.take(rl, 0))
                          <= self.gate)  # fmt: skip
        return r, live

    @staticmethod
    def _sticky_rows(r: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Rows ``r`` of the inputs that pass (``ok``), -1 elsewhere; of two inputs claiming
        one row, the first keeps it."""
        rc = r[ok]
        if len(set(rc.tolist())) == rc.size:  # the usual case: no two inputs claim one row
            return np.where(ok, r, -1)
        rows = np.full(r.size, -1, dtype=np.intp)
        cand = ok.nonzero()[0]
        _, first = np.unique(rc, return_index=True)
        rows[cand[first]] = rc[first]
        return rows

    def _start(self, o: int, x: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Append new system tracks of owner ``o`` (fresh numbers; motion model set by the
        caller, provenance filled in by :meth:`_provenance`)."""
        n, k = x.shape[0], self.owner.size
        number = self._next_number[o] + np.arange(n)
        self._next_number[o] += n
        self.owner = np.concatenate([self.owner, np.full(n, o)])
        self.number = np.concatenate([self.number, number])
        self.key = np.concatenate([self.key, (np.int64(o) << 32) | number])
        self.x, self.P = np.concatenate([self.x, x]), np.concatenate([self.P, P])
        self.last_input_s = np.concatenate([self.last_input_s, np.full(n, self.t_s)])
        self.seen_s = np.concatenate([self.seen_s, np.full(n, -np.inf)])
        self.q_m2_s3 = np.concatenate([self.q_m2_s3, np.zeros(n)])
        self.ballistic = np.concatenate([self.ballistic, np.zeros(n, dtype=bool)])
        self.cls = np.concatenate([self.cls, np.full(n, 2)])
        blank = np.zeros((6, n), dtype=np.int64)
        blank[:3] = -1
        self._prov_new = np.concatenate([self._prov_new, blank], axis=1)
        return np.arange(k, k + n)

    def _remember(self, code: np.ndarray, key: np.ndarray) -> None:
        """Record which system track each ``(source, id)`` (``code``) fed this scan."""
        self._memo_code, self._memo_key = memo_merge(self._memo_code, self._memo_key, code, key)

    def _provenance(self, slots: list[list], slot_rows: list[np.ndarray], n_sys: int) -> None:
        """Label, source, coalition number and provenance masks of the rows fed this scan
        (as a picture's provenance memo), ``slot_rows`` the rows of each slot's inputs.
        Slots in reverse order: a row's first input (own first) is written last; a row is
        fed at most once per input batch."""
        label, source, code, named, anon, via = self._prov_new
        started = self.owner.size > n_sys
        for slot, rows in zip(reversed(slots), reversed(slot_rows), strict=True):
            a = 0
            for _, _, key, nation, hidden, ids, lab, *_ in slot:
                b = a + ids.size
                r = rows[a:b]
                a = b
                label[r], source[r] = lab, nation
                if nation >= 0:  # (the analyst's coalition picture has no nation of its own)
                    if hidden:
                        anon[r] |= 1 << nation
                    else:
                        named[r] |= 1 << nation
                if key != OWN:
                    via[r] |= 1 << key
                if started:
                    # tracks started this scan are numbered by their first input's id and
                    # anonymity (an anonymous input: in the block of no node, by pseudonym)
                    new = r >= n_sys
                    if new.any():
                        code[r[new]] = track_code(-1 if hidden else nation, ids[new])

    def _retire_and_sort(self, t_s: float, n_sys: int) -> None:
        """Drop tracks without input for ``retire_s`` (and memo entries pointing at them),
        then put new tracks in their owner's block; number the new tracks' coalition codes
        that collide within their picture in the fallback block."""
        keep = None
        if self.last_input_s.size and t_s - self.last_input_s.min() > self.retire_s:
            keep = t_s - self.last_input_s <= self.retire_s
            gone = self.key[~keep]  # old rows only (new ones had input): sorted
            at = np.minimum(gone.searchsorted(self._memo_key), gone.size - 1)
            m = gone[at] != self._memo_key
            self._memo_code, self._memo_key = self._memo_code[m], self._memo_key[m]
        n_new = self.owner.size - n_sys
        if keep is None and n_new == 0:
            self.prov = self._prov_new
            return
        if keep is None:
            idx = np.argsort(self.key, kind="stable")
        else:
            idx = keep.nonzero()[0]
            if n_new:
                idx = idx[np.argsort(self.key[idx], kind="stable")]
        self.owner, self.number, self.key = self.owner[idx], self.number[idx], self.key[idx]
        self.x, self.P = self.x.take(idx, 0), self.P.take(idx, 0)
        self.last_input_s, self.seen_s = self.last_input_s[idx], self.seen_s[idx]
        self.q_m2_s3, self.ballistic = self.q_m2_s3[idx], self.ballistic[idx]
        self.cls = self.cls[idx]
        prov = self._prov_new[:, idx]
        if n_new:
            new = (idx >= n_sys).nonzero()[0]
            code = prov[CODE]
            # a code already in use in its picture (rows grouped by owner, in row order)
            order = np.lexsort((code, self.owner))
            so, sc = self.owner[order], code[order]
            rep = np.zeros(code.size, dtype=bool)
            rep[order[1:]] = (sc[1:] == sc[:-1]) & (so[1:] == so[:-1])
            taken = new[rep[new]]
            code[taken] = track_code(np.full(taken.size, -1), FALLBACK_ID + self.number[taken])
        self.prov = prov

    def _pictures(self, t_s: float) -> list[Picture]:
        """Each owner's picture: its block of rows (arrays never written after; an owner
        without tracks gets empty ones, and its per-threat view from the shared ones)."""
        cls = self.cls.copy()  # (self.cls is written in place by the next scan)
        seen = self.seen_s.copy()  # (as is self.seen_s)
        n_own = len(self.nations)
        bounds = np.searchsorted(self.owner, np.arange(n_own + 1)).tolist()
        p = self.prov
        views = CycleViews(t_s, self.owner, p[LABEL], self.x, self.P, p[SOURCE], cls, n_own, seen)
        out = []
        for o in range(n_own):
            lo, hi = bounds[o], bounds[o + 1]
            pic = Picture(t_s, p[CODE, lo:hi], self.x[lo:hi], self.P[lo:hi], cls[lo:hi],
                          p[LABEL, lo:hi], p[SOURCE, lo:hi], p[NAMED, lo:hi], p[ANON, lo:hi],
                          p[VIA, lo:hi], seen[lo:hi], (views, o))  # fmt: skip
            views.inputs.append((pic.x, pic.P, pic.label, pic.source, pic.cls, pic.seen_s))
            out.append(pic)
        return out
