"""System tracks: a node's local tracks and partners' released tracks fused under stable numbers.

Each scan :meth:`Fuser.step` takes the node's local tracks and any number of released track
batches (one per source, each under an opaque key; an anonymous partner is just a key nobody can
read). It

1. drops inputs older than ``max_age_s`` and predicts the rest to the fusion time with the
   batched :func:`shieldwall.tracking.kalman.predict` (process noise added). For track-level
   fusion by covariance intersection this *is* the out-of-sequence treatment: CI is consistent
   for any cross-correlation, including the one a late track shares with the fused state, so
   no retrodiction is needed, unlike measurement-level filtering (Bar-Shalom, "Update with
   out-of-sequence measurements in tracking: exact solution", IEEE TAES 38(3), 2002);
2. processes the sources in order, local first. A source's inputs go first to the system
   track their ``(key, id)`` fed before (if that track lives and the pair still passes the
   chi-square gate), then by statistical track-to-track association
   (:func:`~shieldwall.tracking.fusion.associate_tracks`) to the system tracks this source has
   not fed yet in this scan; the rest start new system tracks. A source's tracks are taken as
   distinct objects, so one source feeds a system track at most once per scan;
3. fuses a system track's inputs of this scan by sequential pairwise CI in source order (each
   step consistent, so the fold is; Julier & Uhlmann 1997). This is fusion *without memory*:
   the previous fused state only serves association, and a system track without input coasts
   on its prediction (Chong, Mori, Barker & Chang, "Architectures and algorithms for track
   association and fusion", IEEE AES Systems Magazine 15(1), 2000);
4. retires system tracks with no input for ``retire_s``. Numbers count up from 1 and are never
   reused.

Limits: a system track is predicted with the process noise and motion model of its latest
input; every new source key is remembered for the Fuser's life (a partner whose key changes
every scan grows that table by one entry a scan).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from shieldwall.tracking.associate import gate_threshold
from shieldwall.tracking.fusion import (
    Criterion,
    associate_tracks,
    covariance_intersection,
    pair_distances,
)
from shieldwall.tracking.kalman import predict

_ID_LIMIT = 2**32
_NO_ROWS = np.zeros(0, dtype=np.intp)
_NO_IDS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class TrackBatch:
    """Tracks from one source: ``ids`` ``(n,)`` (unique, ``0 <= id < 2**32``), ``x`` ``(n, 6)``
    ECEF position and velocity, ``P`` ``(n, 6, 6)``, stamp ``t_s`` ``(n,)``, and what predicting
    them needs: ``q_m2_s3`` ``(n,)`` and ``ballistic`` ``(n,)`` (see ``kalman.predict``).
    ``source`` is any hashable key; fusion never reads it, it only tells streams apart."""

    source: Hashable
    ids: np.ndarray
    x: np.ndarray
    P: np.ndarray
    t_s: np.ndarray
    q_m2_s3: np.ndarray
    ballistic: np.ndarray


def track_batch(
    source: Hashable,
    ids: np.ndarray,
    x: np.ndarray,
    P: np.ndarray,
    t_s: float | np.ndarray,
    q_m2_s3: float | np.ndarray = 20.0,
    ballistic: bool | np.ndarray = False,
) -> TrackBatch:
    """A checked :class:`TrackBatch`, scalars broadcast over its ``n`` tracks."""
    ids = np.asarray(ids, dtype=np.int64)
    n = ids.size
    x, P = np.asarray(x, dtype=float).reshape(n, 6), np.asarray(P, dtype=float).reshape(n, 6, 6)
    if n and (ids.min() < 0 or ids.max() >= _ID_LIMIT or np.unique(ids).size != n):
        raise ValueError(f"track ids of source {source!r} must be unique in [0, 2**32)")
    if not (np.isfinite(x).all() and np.isfinite(P).all()):
        raise ValueError(f"non-finite state or covariance from source {source!r}")

    def full(v: float | np.ndarray, dtype: type) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

    return TrackBatch(source, ids, x, P, full(t_s, float), full(q_m2_s3, float),
                      full(ballistic, bool))  # fmt: skip


@dataclass(frozen=True, slots=True)
class SystemTracks:
    """The fused picture at ``t_s``: per system track (sorted by number) its ``number``, ``x``
    ``(k, 6)``, ``P`` ``(k, 6, 6)``, whether it had input this scan (``updated``) and when it
    last had (``last_input_s``). Provenance of this scan's inputs, one row per input:
    ``prov_row`` (index into the tracks), ``prov_source`` (index into ``sources``, the opaque
    keys) and ``prov_id`` (the source's track id)."""

    t_s: float
    number: np.ndarray
    x: np.ndarray
    P: np.ndarray
    updated: np.ndarray
    last_input_s: np.ndarray
    prov_row: np.ndarray
    prov_source: np.ndarray
    prov_id: np.ndarray
    sources: tuple[Hashable, ...]

    def contributors(self, row: int) -> frozenset[tuple[Hashable, int]]:
        """The ``(source key, track id)`` inputs fused into track ``row`` at ``t_s``."""
        sel = self.prov_row == row
        return frozenset(
            (self.sources[s], int(i))
            for s, i in zip(self.prov_source[sel], self.prov_id[sel], strict=True)
        )


class Fuser:
    """System tracks of one node (state arrays, updated in place by :meth:`step`)."""

    def __init__(
        self,
        gate_prob: float = 0.9999,
        max_age_s: float = 30.0,
        retire_s: float = 10.0,
        criterion: Criterion = "trace",
    ) -> None:
        self.gate = gate_threshold(gate_prob, 6)
        self.max_age_s, self.retire_s, self.criterion = max_age_s, retire_s, criterion
        self.t_s = -np.inf
        self.number = np.zeros(0, dtype=np.int64)
        self.x, self.P = np.zeros((0, 6)), np.zeros((0, 6, 6))
        self.last_input_s = np.zeros(0)
        self.q_m2_s3, self.ballistic = np.zeros(0), np.zeros(0, dtype=bool)
        self._next_number = 1
        self._sources: dict[Hashable, int] = {}
        self._keys: tuple[Hashable, ...] = ()  # the keys of _sources, in order
        # (source index << 32 | track id) -> system number it last fed; sorted by code
        self._memo_code = np.zeros(0, dtype=np.int64)
        self._memo_number = np.zeros(0, dtype=np.int64)

    def step(self, t_s: float, local: TrackBatch, released: Sequence[TrackBatch]) -> SystemTracks:
        """Fuse ``local`` and ``released`` tracks into the system tracks at ``t_s``."""
        return step_fusers([self], t_s, [[local, *released]])[0]

    def _plan(self, t_s: float, batches: Sequence[TrackBatch]) -> tuple:
        """Check a scan's batches and gather what it must predict to ``t_s``: the system tracks
        and every batch's tracks no older than ``max_age_s`` (from their own stamps). Returns
        per live batch its source index and ids, and the pieces of the rows to predict,
        system tracks first: lists of ``x``, ``P``, ``dt``, ``q``, ``ballistic``; and the
        number of those rows."""
        if t_s < self.t_s:
            raise ValueError(f"fusion time {t_s} before the previous one {self.t_s}")
        keys = [b.source for b in batches]
        if len(set(keys)) != len(keys):
            raise ValueError("one batch per source key per scan")
        sources = self._sources
        n_sys = self.number.size
        dt_sys = np.full(n_sys, t_s - self.t_s if n_sys else 0.0)
        self.t_s = t_s
        live, ids, n_rows = [], [], n_sys
        xs, Ps, dts = [self.x], [self.P], [dt_sys]
        qs, bals = [self.q_m2_s3], [self.ballistic]
        for key, b in zip(keys, batches, strict=True):
            src = sources.setdefault(key, len(sources))
            if b.ids.size == 0:
                continue
            age = t_s - b.t_s
            young = age.min()
            if young < -1e-9:
                raise ValueError(f"source {b.source!r} has tracks stamped after {t_s}")
            # max(age, 0) is age itself unless a stamp is (within 1e-9 s) after t_s
            dt = age if young >= 0.0 else np.maximum(age, 0.0)
            live.append(src)
            if age.max() <= self.max_age_s:
                ids.append(b.ids), xs.append(b.x), Ps.append(b.P), dts.append(dt)
                qs.append(b.q_m2_s3), bals.append(b.ballistic)
            else:
                ok = age <= self.max_age_s
                ids.append(b.ids[ok]), xs.append(b.x[ok]), Ps.append(b.P[ok])
                dts.append(dt[ok]), qs.append(b.q_m2_s3[ok]), bals.append(b.ballistic[ok])
            n_rows += ids[-1].size
        return live, ids, xs, Ps, dts, qs, bals, n_rows

    def _finish(self, plan: tuple, x: np.ndarray, P: np.ndarray, q: np.ndarray,
                bal: np.ndarray) -> SystemTracks:  # fmt: skip
        """The rest of a scan once ``plan``'s rows are predicted (``x``, ``P``; ``q`` and
        ``bal`` the same rows'): association, fusion, memo and retirement."""
        srcs, all_ids = plan[0], plan[1]
        n_sys, t_s = self.number.size, self.t_s
        self.x, self.P = x[:n_sys], P[:n_sys]
        # fed this scan, per row (each input starts at most one track: room for all)
        got = np.zeros(x.shape[0], dtype=bool)
        all_rows, all_sticky = [], []
        a = n_sys
        for src, ids in zip(srcs, all_ids, strict=True):
            b = a + ids.size
            xb, Pb = x[a:b], P[a:b]
            rows, sticky = self._assign(src, ids, xb, Pb, q[a:b], bal[a:b])
            if all_rows:
                fuse_into(self.x, self.P, rows, xb, Pb, got, self.criterion)
            else:  # the first batch of a scan replaces predictions only
                self.x[rows], self.P[rows] = xb, Pb
            got[rows] = True
            all_rows.append(rows)
            all_sticky.append(sticky)
            a = b
        n = self.number.size
        got = got[:n]
        if len(all_rows) == 1:
            rows, ids, sticky = all_rows[0], all_ids[0], all_sticky[0]
            src = np.full(rows.size, srcs[0])
        elif all_rows:
            rows, ids = np.concatenate(all_rows), np.concatenate(all_ids)
            sticky = np.concatenate(all_sticky)
            src = np.repeat(srcs, [r.size for r in all_rows])
        else:
            rows, src, ids, sticky = _NO_ROWS, _NO_IDS, _NO_IDS, None
        if all_rows:
            # the latest input of a track sets its motion model (inputs in order: last wins)
            self.q_m2_s3[rows], self.ballistic[rows] = q[n_sys:], bal[n_sys:]
            self.last_input_s[got] = t_s
            if not sticky.all():  # an input fed as its memo says needs no new memo entry
                unsure = ~sticky
                self._remember(src[unsure], ids[unsure], self.number[rows[unsure]])
        keep = self._retire(t_s)
        if keep is not None:
            got, rows = got[keep], (np.cumsum(keep) - 1)[rows]
        # number, x and P are only ever replaced, never written in place, once a scan is over
        # (the next scan predicts into new arrays): shared, not copied; last_input_s is
        # written in place
        return SystemTracks(
            t_s, self.number, self.x, self.P, got,
            self.last_input_s.copy(), rows, src, ids, self._source_keys(),
        )  # fmt: skip

    def _source_keys(self) -> tuple[Hashable, ...]:
        """The source keys seen so far, by index (a tuple rebuilt only when one is new)."""
        if len(self._keys) != len(self._sources):
            self._keys = tuple(self._sources)
        return self._keys

    def _assign(self, src: int, ids: np.ndarray, x: np.ndarray, P: np.ndarray, q: np.ndarray,
                bal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """System-track row of every input of one source (new tracks appended), and whether
        each input went to the row its memo entry names."""
        rows = self._sticky_rows(src, ids, x, P)
        if rows is None:
            rows = np.full(ids.size, -1, dtype=np.intp)
            sticky = np.zeros(ids.size, dtype=bool)
        else:
            sticky = rows >= 0
            if sticky.all():
                return rows, sticky
        free_in = np.flatnonzero(~sticky)
        open_ = np.ones(self.number.size, dtype=bool)
        open_[rows[sticky]] = False
        open_rows = np.flatnonzero(open_)
        if open_rows.size:
            i, j, _ = associate_tracks(x[free_in], P[free_in], self.x[open_rows],
                                       self.P[open_rows], self.gate)  # fmt: skip
            rows[free_in[i]] = open_rows[j]
        new = np.flatnonzero(rows < 0)
        if new.size:
            rows[new] = self._start(x[new], P[new], q[new], bal[new])
        return rows, sticky

    def _sticky_rows(self, src: int, ids: np.ndarray, x: np.ndarray,
                     P: np.ndarray) -> np.ndarray | None:  # fmt: skip
        """Rows the inputs fed before, where that track lives and the pair passes the gate;
        -1 elsewhere (None: no input has a live memo entry). Of two inputs claiming one row,
        the first keeps it."""
        m, n_sys = self._memo_code.size, self.number.size
        if m == 0 or ids.size == 0 or n_sys == 0:
            return None
        code = (np.int64(src) << 32) | ids
        k = self._memo_code.searchsorted(code)
        k[k == m] = m - 1
        num = self._memo_number[k]
        r = self.number.searchsorted(num)
        r[r == n_sys] = n_sys - 1
        live = (self._memo_code[k] == code) & (self.number[r] == num)
        if live.all():
            live = pair_distances(x, P, self.x[r], self.P[r]) <= self.gate
        elif live.any():
            rl = r[live]
            live[live] = pair_distances(x[live], P[live], self.x[rl], self.P[rl]) <= self.gate
        else:
            return None
        rc = r[live]
        if len(set(rc.tolist())) == rc.size:  # the usual case: no two inputs claim one row
            r[~live] = -1
            return r
        rows = np.full(ids.size, -1, dtype=np.intp)
        cand = np.flatnonzero(live)
        _, first = np.unique(rc, return_index=True)
        rows[cand[first]] = rc[first]
        return rows

    def _start(self, x: np.ndarray, P: np.ndarray, q: np.ndarray, bal: np.ndarray) -> np.ndarray:
        """Append new system tracks; numbers are fresh, never reused."""
        n, k = x.shape[0], self.number.size
        rows = np.arange(k, k + n)
        self.number = np.concatenate([self.number, rows + (self._next_number - k)])
        self._next_number += n
        self.x, self.P = np.concatenate([self.x, x]), np.concatenate([self.P, P])
        self.last_input_s = np.concatenate([self.last_input_s, np.full(n, self.t_s)])
        self.q_m2_s3 = np.concatenate([self.q_m2_s3, q])
        self.ballistic = np.concatenate([self.ballistic, bal])
        return rows

    def _remember(self, src: np.ndarray, ids: np.ndarray, number: np.ndarray) -> None:
        """Record which system number each ``(source, id)`` fed this scan (codes are unique
        within a scan, so the memo stays sorted and unique)."""
        code = (src.astype(np.int64) << 32) | ids
        self._memo_code, self._memo_number = memo_merge(self._memo_code, self._memo_number,
                                                        code, number)  # fmt: skip

    def _retire(self, t_s: float) -> np.ndarray | None:
        """Drop tracks without input for ``retire_s`` (and memo entries pointing at them);
        returns the rows kept, or None when all are."""
        if self.last_input_s.size == 0 or t_s - self.last_input_s.min() <= self.retire_s:
            return None
        keep = t_s - self.last_input_s <= self.retire_s
        gone = self.number[~keep]  # sorted, as the numbers are
        at = np.minimum(gone.searchsorted(self._memo_number), gone.size - 1)
        m = gone[at] != self._memo_number
        self._memo_code, self._memo_number = self._memo_code[m], self._memo_number[m]
        self.number, self.x, self.P = self.number[keep], self.x[keep], self.P[keep]
        self.last_input_s = self.last_input_s[keep]
        self.q_m2_s3, self.ballistic = self.q_m2_s3[keep], self.ballistic[keep]
        return keep


def step_fusers(
    fusers: Sequence[Fuser], t_s: float, batches: Sequence[Sequence[TrackBatch]]
) -> list[SystemTracks]:
    """:meth:`Fuser.step` of several fusers at ``t_s`` (fuser ``i`` gets ``batches[i]``, its
    local batch first), all their predictions in one :func:`predict` call: its rows are
    independent, so this equals stepping each alone, with one call's overhead."""
    plans = [f._plan(t_s, bs) for f, bs in zip(fusers, batches, strict=True)]
    # every fuser's rows (system tracks, then inputs), field by field, in one array each
    if len(plans) == 1 and len(plans[0][2]) == 1:  # no inputs: the system tracks alone
        x, P, dt, q, bal = (plans[0][i][0] for i in range(2, 7))
    else:
        x, P, dt, q, bal = (np.concatenate([piece for plan in plans for piece in plan[i]])
                            for i in range(2, 7))  # fmt: skip
    x, P = predict(x, P, dt, q, bal)
    out, lo = [], 0
    for f, plan in zip(fusers, plans, strict=True):
        hi = lo + plan[7]
        out.append(f._finish(plan, x[lo:hi], P[lo:hi], q[lo:hi], bal[lo:hi]))
        lo = hi
    return out


def memo_merge(
    codes: np.ndarray, values: np.ndarray, code: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A sorted memo (``codes`` unique and sorted, ``values`` alongside) with ``code`` mapped to
    ``value``: existing codes overwritten in place, new ones merged in order (``code`` is unique
    within one call). The usual case, every code already known, is one search."""
    n = codes.size
    if n:
        pos = codes.searchsorted(code)
        hit = codes[np.minimum(pos, n - 1)] == code
        if hit.all():
            values[pos] = value
            return codes, values
        old = np.ones(n, dtype=bool)
        old[pos[hit]] = False
        codes, values = np.concatenate([codes[old], code]), np.concatenate([values[old], value])
    else:
        codes, values = code, value
    order = np.argsort(codes, kind="stable")
    return codes[order], values[order]


def fuse_into(
    X: np.ndarray, PP: np.ndarray, rows: np.ndarray, x: np.ndarray, P: np.ndarray,
    got: np.ndarray, criterion: str,
) -> None:  # fmt: skip
    """Write inputs ``x``, ``P`` into system tracks ``X[rows]``, ``PP[rows]`` in place: the first
    input of a scan (``got[row]`` False) replaces the track's prediction; later ones fuse with
    it by covariance intersection (``criterion``)."""
    fold = got[rows]
    if not fold.any():
        X[rows], PP[rows] = x, P
        return
    r = rows[fold]
    X[r], PP[r], _ = covariance_intersection(X[r], PP[r], x[fold], P[fold], criterion)
    if not fold.all():
        X[rows[~fold]], PP[rows[~fold]] = x[~fold], P[~fold]
