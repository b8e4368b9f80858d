"""Each nation's picture: its own confirmed tracks fused with what partners released to it, late.

A release carries the source node's confirmed local tracks as they were ``latency_s`` earlier
(node snapshots held in a :class:`DelayLine`), restricted to the agreement's threat classes as
the *source* classifies its tracks. Each nation fuses its own tracks and everything released to
it with its own :class:`~shieldwall.tracking.Fuser` (track-to-track association, covariance
intersection, stable system track numbers; out-of-sequence releases predicted forward). A
release reaches the fuser under an opaque key (the agreement's index), never a nation's name.

The analyst's view rides along: every local track carries the true object of its latest
detection (``label``), and a system track takes the label and the nation of its first input
(own tracks first). :meth:`Picture.per_threat` uses that to hand the engagement stage, which
still plans per threat, the best estimate each nation holds of each object. Tracks on nothing
(clutter) stay in the picture and in its SIAP (spuriousness) but draw no fire.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from shieldwall.sharing.agreements import ReleaseTerms
from shieldwall.tracking.frame import classify
from shieldwall.tracking.fuser import Fuser, SystemTracks, TrackBatch
from shieldwall.tracking.node import LocalTracks

OWN = "own"
FALLBACK_ID = 1 << 31  # fallback numbers: above any node track id


@dataclass(frozen=True, slots=True)
class Picture:
    """One nation's system tracks at ``t_s`` (``k``): ``number`` (stable), ``x`` ``(k, 6)``,
    ``P`` ``(k, 6, 6)``, ``cls`` (estimated class), ``label`` (true object, -1 for none:
    analyst only), ``source`` (nation whose data the track first rests on: analyst only) and
    the provenance, bit masks over nations whose data the track has ever rested on: ``named``
    (its own and by-name releases) and ``anon`` (anonymous releases; the owner of this picture
    may learn only that "a partner" contributed), and ``via``, a bit mask over the agreements
    (by index) its released inputs came through: their terms."""

    t_s: float
    number: np.ndarray
    x: np.ndarray
    P: np.ndarray
    cls: np.ndarray
    label: np.ndarray
    source: np.ndarray
    named: np.ndarray
    anon: np.ndarray
    via: np.ndarray

    def per_threat(self, n_threats: int) -> ThreatView:
        """Per object, the system track on it with the smallest position covariance."""
        x = np.zeros((n_threats, 6))
        P = np.broadcast_to(np.eye(6), (n_threats, 6, 6)).copy()
        source = np.full(n_threats, -1, dtype=np.int64)
        cls = np.zeros(n_threats, dtype=np.int64)
        on = np.flatnonzero(self.label >= 0)
        tr = np.trace(self.P[on, :3, :3], axis1=1, axis2=2)
        order = on[np.lexsort((tr, self.label[on]))]
        first = (
            order[np.r_[True, self.label[order][1:] != self.label[order][:-1]]] if on.size else on
        )
        j = self.label[first]
        x[j], P[j], source[j], cls[j] = (
            self.x[first],
            self.P[first],
            self.source[first],
            self.cls[first],
        )
        return ThreatView(self.t_s, source >= 0, x, P, source, cls)


@dataclass(frozen=True, slots=True)
class ThreatView:
    """A picture per object (the engagement stage's input): ``has_track``, ``x`` ``(n, 6)``,
    ``P`` ``(n, 6, 6)``, ``source`` nation (-1: none) and estimated class ``cls``."""

    t_s: float
    has_track: np.ndarray
    x: np.ndarray
    P: np.ndarray
    source: np.ndarray
    cls: np.ndarray


class DelayLine:
    """Snapshots of all nodes' confirmed tracks, kept long enough for the longest latency."""

    def __init__(self, horizon_s: float) -> None:
        self.horizon_s = horizon_s
        self._items: deque[tuple[float, object]] = deque()

    def push(self, t_s: float, snapshot: object) -> None:
        self._items.append((t_s, snapshot))
        while len(self._items) > 1 and self._items[1][0] < t_s - self.horizon_s:
            self._items.popleft()

    def at(self, t_s: float):
        """The newest snapshot taken at or before ``t_s`` (None if none is that old)."""
        held = self.held(t_s)
        return None if held is None else held[1]

    def held(self, t_s: float) -> tuple[float, object] | None:
        """``(time taken, snapshot)`` of the newest snapshot taken at or before ``t_s``."""
        best = None
        for ts, snap in self._items:
            if ts <= t_s + 1e-9:
                best = (ts, snap)
            else:
                break
        return best


def released_tracks(tracks: LocalTracks, terms: ReleaseTerms) -> LocalTracks:
    """The confirmed tracks of a source snapshot that ``terms`` release (by the source's own
    estimate of each track's class)."""
    return tracks.select(tracks.confirmed & terms.class_mask[tracks.cls])


class PictureBuilder:
    """One nation's fusion of own and released tracks into its picture."""

    def __init__(self, nation: int, max_age_s: float, retire_s: float) -> None:
        self.nation = nation
        self.fuser = Fuser(max_age_s=max_age_s, retire_s=retire_s, criterion="fast")
        self._memo_number = np.zeros(0, dtype=np.int64)  # sorted system numbers
        self._memo_label = np.zeros(0, dtype=np.int64)
        self._memo_source = np.zeros(0, dtype=np.int64)
        self._memo_code = np.zeros(0, dtype=np.int64)
        self._memo_named = np.zeros(0, dtype=np.int64)
        self._memo_anon = np.zeros(0, dtype=np.int64)
        self._memo_via = np.zeros(0, dtype=np.int64)

    def build(
        self,
        t_s: float,
        own: LocalTracks,
        releases: list[tuple[int, int, LocalTracks]],
        anonymous: frozenset = frozenset(),
    ) -> Picture:
        """Fuse ``own`` confirmed tracks with ``releases`` ``(key, source nation, tracks)``;
        the releases whose key is in ``anonymous`` came anonymously (their track ids are
        pseudonyms, and the picture's owner may not learn their source)."""
        own = own.select(own.confirmed)
        parts = [(OWN, self.nation, own)] + [(k, s, tr) for k, s, tr in releases]
        if self.fuser.number.size == 0 and not any(tr.track_id.size for _, _, tr in parts):
            return _empty_picture(t_s)  # nothing held, nothing coming in
        batches = [_batch(key, tr) for key, _, tr in parts]
        st = self.fuser.step(t_s, batches[0], batches[1:])
        label, source, code, named, anon, via = self._provenance(st, parts, anonymous)
        return Picture(t_s, code, st.x, st.P, classify(st.x), label, source, named, anon, via)

    def _provenance(self, st: SystemTracks, parts, anonymous) -> tuple[np.ndarray, ...]:
        """Label and source nation of each system track (its first input's this scan, or what
        it had when it last had input), its coalition track number (see :func:`track_code`),
        fixed when the system track starts, and its provenance masks (accumulated over its
        life: a fused estimate remembers every input it has had)."""
        label = np.full(st.number.size, -1, dtype=np.int64)
        source, code = label.copy(), label.copy()
        named, anon = np.zeros(st.number.size, np.int64), np.zeros(st.number.size, np.int64)
        via = np.zeros(st.number.size, np.int64)
        if self._memo_number.size:
            idx = np.minimum(np.searchsorted(self._memo_number, st.number),
                             self._memo_number.size - 1)  # fmt: skip
            known = self._memo_number[idx] == st.number
            label[known], source[known] = (
                self._memo_label[idx[known]],
                self._memo_source[idx[known]],
            )
            code[known] = self._memo_code[idx[known]]
            named[known], anon[known] = self._memo_named[idx[known]], self._memo_anon[idx[known]]
            via[known] = self._memo_via[idx[known]]
        key_to_part = {key: i for i, (key, _, _) in enumerate(parts)}
        in_label = np.full(st.prov_row.size, -1, dtype=np.int64)
        in_nation = np.full(st.prov_row.size, -1, dtype=np.int64)
        in_anon = np.zeros(st.prov_row.size, dtype=bool)
        in_key = np.full(st.prov_row.size, -1, dtype=np.int64)  # agreement index; -1 own
        for s, key in enumerate(st.sources):
            if key not in key_to_part:
                continue
            _, nation, tr = parts[key_to_part[key]]
            m = np.flatnonzero(st.prov_source == s)
            if m.size:
                in_label[m] = tr.label[np.searchsorted(tr.track_id, st.prov_id[m])]
                in_nation[m] = nation
                in_anon[m] = key in anonymous
                in_key[m] = key if key != OWN else -1
        ok = in_nation >= 0
        bits = np.left_shift(np.int64(1), np.maximum(in_nation, 0))
        np.bitwise_or.at(named, st.prov_row[ok & ~in_anon], bits[ok & ~in_anon])
        np.bitwise_or.at(anon, st.prov_row[ok & in_anon], bits[ok & in_anon])
        rel = in_key >= 0
        np.bitwise_or.at(via, st.prov_row[rel], np.left_shift(np.int64(1), in_key[rel]))
        rows, first = np.unique(st.prov_row, return_index=True)
        label[rows], source[rows] = in_label[first], in_nation[first]
        new = rows[code[rows] < 0]
        fresh = code[rows] < 0
        # an anonymous first input numbers the track in the block of no node, by its pseudonym
        block = np.where(in_anon[first][fresh], -1, in_nation[first][fresh])
        code[new] = track_code(block, st.prov_id[first][fresh])
        # a code already in use in this picture (its origin track now feeds another system
        # track) falls back to the block of no node (-1), above any node's track ids; it does
        # not depend on whose picture this is, so equal inputs give equal pictures
        taken = np.isin(code[new], np.delete(code, new))
        _, once = np.unique(code[new], return_index=True)
        taken[np.setdiff1d(np.arange(new.size), once)] = True  # two new tracks, one origin
        code[new[taken]] = track_code(np.full(taken.sum(), -1), FALLBACK_ID + st.number[new[taken]])
        self._memo_number, self._memo_label, self._memo_source = st.number, label, source
        self._memo_code, self._memo_named, self._memo_anon = code, named, anon
        self._memo_via = via
        return label.copy(), source.copy(), code.copy(), named.copy(), anon.copy(), via.copy()


def track_code(nation: np.ndarray, track_id: np.ndarray) -> np.ndarray:
    """Coalition track number: the originating node's track id in that node's block,
    ``(nation + 1) * 2**32 + id`` (as Link 16 hands each unit a block of track numbers), so
    that pictures that hold an object through the same node's track show the same number
    (commonality). ``nation`` -1 is the block of no node (fallback numbers)."""
    return ((np.asarray(nation, dtype=np.int64) + 1) << 32) | np.asarray(track_id, np.int64)


def _empty_picture(t_s: float) -> Picture:
    none = np.zeros(0, dtype=np.int64)
    return Picture(t_s, none, np.zeros((0, 6)), np.zeros((0, 6, 6)), none, none, none, none,
                   none, none)  # fmt: skip


def _batch(key, tr: LocalTracks) -> TrackBatch:
    """A node's tracks as a fusion input (already checked arrays: no copy, no validation)."""
    return TrackBatch(key, tr.track_id, tr.x, tr.P, tr.t_s, tr.q_m2_s3, tr.ballistic)
