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

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from shieldwall.sharing.agreements import ReleaseTerms
from shieldwall.tracking.frame import classify
from shieldwall.tracking.fuser import Fuser, SystemTracks, TrackBatch, step_fusers
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
    # (views, i): the bank build this picture came from, which gives the per-threat views of
    # all its pictures at once, and this picture's index there (None: computed alone)
    bank: tuple | None = field(default=None, compare=False, repr=False)

    def per_threat(self, n_threats: int) -> ThreatView:
        """Per object, the system track on it with the smallest position covariance."""
        if self.bank is not None:
            views, i = self.bank
            return views.view(i, n_threats)
        x, P, source, cls = _blank_view(n_threats)
        on = np.flatnonzero(self.label >= 0)
        if on.size:
            # tr P[:3, :3], summed in np.trace's order, of every track, then those on objects
            Pf = self.P.reshape(-1, 36)
            tr = Pf[:, 0] + Pf[:, 7] + Pf[:, 14]
            lab = self.label
            if on.size < lab.size:
                tr, lab = tr[on], lab[on]
            o = np.lexsort((tr, lab))
            lab = lab[o]
            head = np.empty(on.size, dtype=bool)  # first (smallest trace) of each object
            head[0] = True
            np.not_equal(lab[1:], lab[:-1], out=head[1:])
            first = on[o[head]]
            j = lab[head]
            x[j], P[j], source[j], cls[j] = (
                self.x[first],
                self.P[first],
                self.source[first],
                self.cls[first],
            )
        return ThreatView(self.t_s, source >= 0, x, P, source, cls)


_BLANK: dict[int, tuple[np.ndarray, ...]] = {}


def _blank_view(n: int) -> list[np.ndarray]:
    """Fresh arrays of a view on ``n`` objects with no track: ``x`` ``(n, 6)`` zeros, ``P``
    ``(n, 6, 6)`` identities, ``source`` -1 and ``cls`` 0 (copied from cached ones)."""
    blank = _BLANK.get(n)
    if blank is None:
        eye = np.broadcast_to(np.eye(6), (n, 6, 6)).copy()
        blank = _BLANK[n] = (np.zeros((n, 6)), eye, np.full(n, -1, dtype=np.int64),
                             np.zeros(n, dtype=np.int64))  # fmt: skip
    return [a.copy() for a in blank]


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
        self._times: deque[float] = deque()  # the items' times (a bisect needs no loop)
        self._ordered = True  # pushed in time order (as the simulator does)

    def push(self, t_s: float, snapshot: object) -> None:
        if self._times and t_s < self._times[-1]:
            self._ordered = False
        self._items.append((t_s, snapshot))
        self._times.append(t_s)
        while len(self._items) > 1 and self._items[1][0] < t_s - self.horizon_s:
            self._items.popleft()
            self._times.popleft()

    def at(self, t_s: float):
        """The newest snapshot taken at or before ``t_s`` (None if none is that old)."""
        held = self.held(t_s)
        return None if held is None else held[1]

    def held(self, t_s: float) -> tuple[float, object] | None:
        """``(time taken, snapshot)`` of the newest snapshot taken at or before ``t_s``."""
        if self._ordered:
            i = bisect_right(self._times, t_s + 1e-9)
            return self._items[i - 1] if i else None
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
    keep = tracks.confirmed & terms.class_mask[tracks.cls]
    return tracks if keep.all() else take_tracks(tracks, keep)


_TRACK_FIELDS = LocalTracks.__slots__
NO_LOCAL_TRACKS = LocalTracks.empty()


def take_tracks(tracks: LocalTracks, keep: np.ndarray) -> LocalTracks:
    """``tracks.select(keep)`` without the dataclass field lookup (a hot path)."""
    return LocalTracks(*[getattr(tracks, f)[keep] for f in _TRACK_FIELDS])


class PictureBuilder:
    """One nation's fusion of own and released tracks into its picture."""

    def __init__(self, nation: int, max_age_s: float, retire_s: float) -> None:
        self.nation = nation
        self.fuser = Fuser(max_age_s=max_age_s, retire_s=retire_s, criterion="fast")
        self._memo_number = np.zeros(0, dtype=np.int64)  # sorted system numbers
        # per system track (columns): label, source, code, named, anon, via (see _provenance)
        self._memo = np.zeros((6, 0), dtype=np.int64)

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
        return build_pictures([self], t_s, [(own, releases, anonymous)])[0]

    def _provenance(self, st: SystemTracks, parts, anonymous) -> np.ndarray:
        """Label and source nation of each system track (its first input's this scan, or what
        it had when it last had input), its coalition track number (see :func:`track_code`),
        fixed when the system track starts, and its provenance masks (accumulated over its
        life: a fused estimate remembers every input it has had). Returns them as the rows of
        one ``(6, k)`` array (kept as the memo for the next scan: never written after)."""
        k, m = st.number.size, self._memo_number.size
        cols = np.empty((6, k), dtype=np.int64)
        if m and k >= m and st.number[m - 1] == self._memo_number[m - 1]:
            # no system track retired since the last scan (numbers only grow): the first m
            # are the memo's, the rest started this scan
            cols[:, :m] = self._memo
            if k > m:
                cols[:3, m:], cols[3:, m:] = -1, 0
            new = np.arange(m, k)
        else:
            cols[:3], cols[3:] = -1, 0
            if m:
                idx = np.minimum(np.searchsorted(self._memo_number, st.number), m - 1)
                known = self._memo_number[idx] == st.number
                cols[:, known] = self._memo[:, idx[known]]
            new = np.flatnonzero(cols[2] < 0)
        # tracks started this scan (the last rows: numbers only grow) are numbered by their
        # first input's id and anonymity
        label, source, code, named, anon, via = cols
        if new.size:
            first_id = np.zeros(k, dtype=np.int64)
            first_anon = np.zeros(k, dtype=bool)
        # parts in reverse order: the first input of a track (local first) is written last
        for key, nation, tr in reversed(parts):
            if tr.track_id.size == 0 or key not in st.sources:
                continue
            sel = np.flatnonzero(st.prov_source == st.sources.index(key))
            if sel.size == 0:
                continue
            rows, ids = st.prov_row[sel], st.prov_id[sel]
            # the inputs are the batch's tracks in order, less any too old to fuse
            same = ids.size == tr.track_id.size
            label[rows] = tr.label if same else tr.label[np.searchsorted(tr.track_id, ids)]
            source[rows] = nation
            hidden = key in anonymous
            if new.size:
                first_id[rows] = ids
                first_anon[rows] = hidden
            if nation >= 0:  # (the analyst's coalition builder has no nation of its own)
                bit = np.int64(1) << np.int64(nation)
                if hidden:
                    anon[rows] |= bit
                else:
                    named[rows] |= bit
            if key != OWN:
                via[rows] |= np.int64(1) << np.int64(key)
        if new.size:
            # an anonymous first input numbers the track in the block of no node, by its
            # pseudonym
            block = np.where(first_anon[new], -1, source[new])
            code[new] = track_code(block, first_id[new])
            # a code already in use in this picture (its origin track now feeds another
            # system track) falls back to the block of no node (-1), above any node's track
            # ids; it does not depend on whose picture this is, so equal inputs give equal
            # pictures
            taken = _repeated(code)[new]
            code[new[taken]] = track_code(np.full(taken.sum(), -1),
                                          FALLBACK_ID + st.number[new[taken]])  # fmt: skip
        self._memo_number, self._memo = st.number, cols
        return cols


def build_pictures(
    builders: list[PictureBuilder],
    t_s: float,
    inputs: list[tuple[LocalTracks, list[tuple[int, int, LocalTracks]], frozenset]],
) -> list[Picture]:
    """:meth:`PictureBuilder.build` of several builders at ``t_s`` (builder ``i`` gets
    ``inputs[i] = (own, releases, anonymous)``), their fusers stepped together
    (:func:`~shieldwall.tracking.fuser.step_fusers`) and their tracks classified in one call:
    row by row the same as building each alone."""
    parts = []
    for b, (own, releases, _) in zip(builders, inputs, strict=True):
        if not own.confirmed.all():
            own = take_tracks(own, own.confirmed)
        parts.append([(OWN, b.nation, own), *releases])
    # a builder that holds nothing and gets nothing has an empty picture
    live = [i for i, (b, ps) in enumerate(zip(builders, parts, strict=True))
            if b.fuser.number.size or any(tr.track_id.size for _, _, tr in ps)]  # fmt: skip
    out = [_empty_picture(t_s)] * len(builders)
    if not live:
        return out
    sts = step_fusers([builders[i].fuser for i in live], t_s,
                      [[_batch(key, tr) for key, _, tr in parts[i]] for i in live])  # fmt: skip
    xs = [st.x for st in sts]
    cls = classify(xs[0] if len(xs) == 1 else np.concatenate(xs))
    lo = 0
    for i, st in zip(live, sts, strict=True):
        label, source, code, named, anon, via = builders[i]._provenance(st, parts[i],
                                                                       inputs[i][2])  # fmt: skip
        hi = lo + st.number.size
        out[i] = Picture(t_s, code, st.x, st.P, cls[lo:hi], label, source, named, anon, via)
        lo = hi
    return out


def _repeated(code: np.ndarray) -> np.ndarray:
    """Per row, does its code appear in an earlier row? New tracks are the last rows (numbers
    only grow), so for them this is: the code is held by an older track, or by a new one
    started before it from the same origin."""
    order = np.argsort(code, kind="stable")
    s = code[order]
    out = np.empty(code.size, dtype=bool)
    out[order] = np.concatenate([[False], s[1:] == s[:-1]])
    return out


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


_EMPTY_BATCHES: dict = {}  # per source key, an empty batch (arrays never written)


def _batch(key, tr: LocalTracks) -> TrackBatch:
    """A node's tracks as a fusion input (already checked arrays: no copy, no validation)."""
    if tr.track_id.size == 0:
        empty = _EMPTY_BATCHES.get(key)
        if empty is None:
            e = NO_LOCAL_TRACKS
            empty = _EMPTY_BATCHES[key] = TrackBatch(key, e.track_id, e.x, e.P, e.t_s,
                                                     e.q_m2_s3, e.ballistic)  # fmt: skip
        return empty
    return TrackBatch(key, tr.track_id, tr.x, tr.P, tr.t_s, tr.q_m2_s3, tr.ballistic)
