"""Each nation's picture: its own confirmed tracks fused with what partners released to it, late.

A release carries the source node's confirmed local tracks as they were ``latency_s`` earlier
(node snapshots held in a :class:`DelayLine`), restricted to the agreement's threat classes as
the *source* classifies its tracks. Each nation fuses its own tracks and everything released to
it as its own :class:`~shieldwall.tracking.Fuser` would (track-to-track association, covariance
intersection, stable system track numbers; out-of-sequence releases predicted forward), all
nations in one bank (:mod:`~shieldwall.sharing.fuse_bank`). A release reaches the fuser under
an opaque key (the agreement's index), never a nation's name.

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
    (by index) its released inputs came through: their terms. ``seen_s``: the time of each
    track's latest detection, the newest stamp of the local tracks it rests on (released ones
    as delivered: :func:`~shieldwall.sharing.crossing.cross`) (None: not known)."""

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
    seen_s: np.ndarray | None = None
    # (views, i): the bank build this picture came from, which gives the per-threat views of
    # all its pictures at once, and this picture's index there (None: computed alone)
    bank: tuple | None = field(default=None, compare=False, repr=False)

    def per_threat(self, n_threats: int, stale_after_s: float = np.inf) -> ThreatView:
        """Per object, the system track on it with the smallest position covariance among
        those seen within ``stale_after_s`` (a track not seen for longer only where the
        object has no other: a coasting track, however tight its old covariance, must not
        hide a fresh one from the engagement stage, which does not fire on it)."""
        if self.bank is not None:
            views, i = self.bank
            view = views.view(i, n_threats, self, stale_after_s)
            if view is not None:
                return view
        x, P, source, cls = _blank_view(n_threats)
        seen = None if self.seen_s is None else np.full(n_threats, -np.inf)
        on = np.flatnonzero(self.label >= 0)
        if on.size:
            # tr P[:3, :3], summed in np.trace's order, of every track, then those on objects
            Pf = self.P.reshape(-1, 36)
            tr = Pf[:, 0] + Pf[:, 7] + Pf[:, 14]
            lab = self.label
            stale = stale_tracks(self.t_s, self.seen_s, stale_after_s)
            if on.size < lab.size:
                tr, lab = tr[on], lab[on]
                stale = None if stale is None else stale[on]
            o = np.lexsort((tr, lab) if stale is None else (tr, stale, lab))
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
            if seen is not None:
                seen[j] = self.seen_s[first]
        return ThreatView(self.t_s, source >= 0, x, P, source, cls, seen)


def stale_tracks(t_s: float, seen_s: np.ndarray | None, stale_after_s: float):
    """Bool: the tracks not seen within ``stale_after_s`` of ``t_s`` (None: none is)."""
    if seen_s is None or stale_after_s == np.inf:
        return None
    return seen_s < t_s - stale_after_s


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
    ``P`` ``(n, 6, 6)``, ``source`` nation (-1: none), estimated class ``cls`` and the time
    of the track's latest detection ``seen_s`` (-inf: none; None: not known)."""

    t_s: float
    has_track: np.ndarray
    x: np.ndarray
    P: np.ndarray
    source: np.ndarray
    cls: np.ndarray
    seen_s: np.ndarray | None = None


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
_BLOCK_FIELDS = frozenset(("x", "P"))  # the fields of more than one dimension


def take_tracks(tracks: LocalTracks, keep: np.ndarray) -> LocalTracks:
    """``tracks.select(keep)`` without the dataclass field lookup (a hot path; a mask is
    turned into indices once, not once per field)."""
    if keep.dtype == bool:
        keep = keep.nonzero()[0]
    # (take is the faster gather for the 2-d and 3-d fields, indexing for the 1-d ones)
    return LocalTracks(*[getattr(tracks, f).take(keep, 0) if f in _BLOCK_FIELDS
                         else None if f == "seen_s" and tracks.seen_s is None
                         else getattr(tracks, f)[keep] for f in _TRACK_FIELDS])  # fmt: skip


class PictureBuilder:
    """One nation's fusion of own and released tracks into its picture: a one-nation
    :class:`~shieldwall.sharing.fuse_bank.PictureBank` (``fuser``; the bank that fuses every
    nation of a :class:`~shieldwall.sharing.SharingStage` at once does the same per nation)."""

    def __init__(self, nation: int, max_age_s: float, retire_s: float) -> None:
        from shieldwall.sharing.fuse_bank import PictureBank  # (it builds on this module)

        self.nation = nation
        self.fuser = PictureBank([nation], max_age_s, retire_s)

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
        return self.fuser.build(t_s, [(own, releases, anonymous)])[0]


def track_code(nation: np.ndarray, track_id: np.ndarray) -> np.ndarray:
    """Coalition track number: the originating node's track id in that node's block,
    ``(nation + 1) * 2**32 + id`` (as Link 16 hands each unit a block of track numbers), so
    that pictures that hold an object through the same node's track show the same number
    (commonality). ``nation`` -1 is the block of no node (fallback numbers)."""
    return ((np.asarray(nation, dtype=np.int64) + 1) << 32) | np.asarray(track_id, np.int64)


def _empty_picture(t_s: float) -> Picture:
    none = np.zeros(0, dtype=np.int64)
    return Picture(t_s, none, np.zeros((0, 6)), np.zeros((0, 6, 6)), none, none, none, none,
                   none, none, np.zeros(0))  # fmt: skip
