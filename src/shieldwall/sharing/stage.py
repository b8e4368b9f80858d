"""The sharing stage: every nation's releases and picture, one decision cycle at a time.

:class:`SharingStage` is what the simulator calls between the nodes' trackers and the
engagement stage, and what the leak tests drive with made-up track histories. Each cycle it
keeps the nodes' snapshots (:class:`~shieldwall.sharing.picture.DelayLine`), moves each active
agreement's items across through :func:`~shieldwall.sharing.crossing.cross` (the only way data
goes from one nation to another; every crossing lands in :attr:`audit`), and fuses each
nation's own tracks with what reached it. Every ``sample_period_s`` it records each nation's
picture as that nation sees it (:class:`AudienceLog`): its own track numbers, no truth, and
provenance with anonymous partners shown only as "partner".
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

from shieldwall.geo import country_at
from shieldwall.rng import stream
from shieldwall.scenario import THREAT_CLASSES, Scenario
from shieldwall.sharing.agreements import ReleaseTerms, resolve_agreements
from shieldwall.sharing.crossing import (
    NO_TRACKS,
    NO_WARNINGS,
    AuditLog,
    Pseudonyms,
    Warnings,
    cross,
)
from shieldwall.sharing.fuse_bank import PictureBank
from shieldwall.sharing.picture import (
    DelayLine,
    Picture,
    PictureBuilder,
    take_tracks,
)
from shieldwall.tracking.node import LocalTracks

PARTNER = "partner"  # how an anonymous contributor appears to a receiver
_DIAG = np.arange(0, 36, 7)  # the diagonal of a flattened 6x6 matrix


class SharingStage:
    """Releases and pictures of all nations of ``scenario`` (run seed ``seed``).

    ``has_radar[a]``: nation ``a`` has local tracks (a nation without radar that receives
    exactly what another such nation receives shares its fusion computation: same inputs,
    same picture). ``warnings``: all launch warnings of the run with the nation that holds
    each first (``owner``)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        has_radar: Sequence[bool],
        warnings: Warnings | None = None,
        warning_owner: np.ndarray | None = None,
        sample_period_s: float = 30.0,
    ) -> None:
        self.scenario = scenario
        self.n = len(scenario.nations)
        self.terms = resolve_agreements(scenario)
        period = scenario.sim.decision_period_s
        self.max_latency_s = max([t.latency_s for t in self.terms], default=0.0)
        self.delay = DelayLine(self.max_latency_s + 60.0)
        max_age = scenario.sim.drop_track_s + self.max_latency_s + 2 * period
        self.builders = [PictureBuilder(a, max_age, 3 * period) for a in range(self.n)]
        self.twin = picture_twins(has_radar, self.terms)
        # the nations that fuse (a twin shares its twin's picture), all in one bank
        self._mine = [a for a in range(self.n) if self.twin[a] == a]
        self.bank = PictureBank(self._mine, max_age, 3 * period)
        self._anonymous = frozenset(k for k, t in enumerate(self.terms) if t.anonymous)
        self.pseudonyms = Pseudonyms(stream(seed, "anonymity"))
        self.rngs = [stream(seed, "release", t.agreement_id) for t in self.terms]
        self.audit = AuditLog()
        self.views = AudienceLog(self.n, sample_period_s, self.terms)
        self.warnings = Warnings.empty() if warnings is None else warnings
        self.warning_owner = (np.zeros(0, dtype=np.int64) if warning_owner is None
                              else np.asarray(warning_owner))  # fmt: skip
        # per source nation: its warnings' indices and issue times, by time (stable)
        self._warn_by_source = {}
        for src in {t.source for t in self.terms}:
            idx = np.flatnonzero(self.warning_owner == src)
            idx = idx[np.argsort(self.warnings.t_s[idx], kind="stable")]
            self._warn_by_source[src] = (idx, self.warnings.t_s[idx].tolist())
        self._territory = [frozenset(n.territory_codes()) for n in scenario.nations]
        self._t_prev = -np.inf
        # per nation: its last node snapshot and that snapshot's confirmed tracks
        self._confirmed: list[tuple[LocalTracks | None, LocalTracks | None]] = [
            (None, None)
        ] * self.n
        self.first_release: list[tuple[float, int, int, int, np.ndarray]] = []

    def territory(self, nation: int, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Is each point inside ``nation``'s territory (Natural Earth admin-0, exact)?"""
        codes = self._territory[nation]
        if not codes or lat_deg.size == 0:
            return np.zeros(lat_deg.shape, dtype=bool)
        return np.isin(country_at(lat_deg, lon_deg), sorted(codes))

    def step(self, t_s: float, snapshot: Sequence[LocalTracks]) -> list[Picture]:
        """Every nation's picture at ``t_s`` from the nodes' ``snapshot`` (all tracks)."""
        snapshot = self._confirmed_tracks(snapshot)
        self.delay.push(t_s, snapshot)
        inbox: list[list] = [[] for _ in range(self.n)]
        geodetic: dict = {}  # lat/lon of the snapshots crossing this cycle
        for k, term in enumerate(self.terms):
            if not term.active(t_s) or not term.receivers:
                continue
            held = self.delay.held(t_s - term.latency_s)
            fresh = self._new_warnings(term, t_s)  # they need no snapshot: never skipped
            if held is None and fresh.warning_id.size == 0:
                continue
            item_t_s, snap = held if held is not None else (t_s - term.latency_s, None)
            source = NO_TRACKS if snap is None else snap[term.source]
            if source.track_id.size == 0 and fresh.warning_id.size == 0:
                for r in term.receivers:  # nothing crosses (as cross would say)
                    inbox[r].append((k, term.source, NO_TRACKS))
                continue
            for r, tracks, _ in cross(t_s, k, term, item_t_s, source, fresh,
                                      pseudonyms=self.pseudonyms, rng=self.rngs[k],
                                      territory=self.territory, audit=self.audit,
                                      geodetic=geodetic):  # fmt: skip
                inbox[r].append((k, term.source, tracks))
                if tracks.track_id.size:
                    self.first_release.append((t_s, k, term.source, r, tracks.label))
        mine = self._mine
        # (anonymity is asked only of the keys a nation received: all anonymous ones will do)
        built = self.bank.build(t_s, [(snapshot[a], inbox[a], self._anonymous) for a in mine],
                                own_confirmed=True)  # fmt: skip
        pictures: list[Picture] = [None] * self.n  # type: ignore[list-item]
        for a, pic in zip(mine, built, strict=True):
            pictures[a] = pic
        for a in range(self.n):
            pictures[a] = pictures[self.twin[a]]
        if self.views.due(t_s):
            self.views.sample(t_s, pictures)
        self._t_prev = t_s
        return pictures

    def _confirmed_tracks(self, snapshot: Sequence[LocalTracks]) -> tuple[LocalTracks, ...]:
        """Only confirmed tracks are ever released or fused: each nation's, selected once per
        snapshot. A nation's unchanged snapshot (the node hands the same object again, its
        arrays read-only) keeps last cycle's selection."""
        out = []
        for a, tr in enumerate(snapshot):
            last, conf = self._confirmed[a]
            if tr is not last:
                conf = tr
                if tr.track_id.size and not tr.confirmed.all():
                    conf = take_tracks(tr, tr.confirmed)
                # (kept only while nobody can change the arrays it was selected from)
                self._confirmed[a] = (None, None) if tr.confirmed.flags.writeable else (tr, conf)
            out.append(conf)
        return tuple(out)

    def _new_warnings(self, term: ReleaseTerms, t_s: float) -> Warnings:
        """The source's own launch warnings that came due for this release since the last
        cycle: issued in ``(t_prev - latency, t - latency]`` (each crosses once)."""
        idx, when = self._warn_by_source[term.source]
        hi, lo = t_s - term.latency_s, self._t_prev - term.latency_s
        a, b = bisect_right(when, lo), bisect_right(when, hi)
        if a == b:
            return NO_WARNINGS
        return self.warnings.select(np.sort(idx[a:b]))  # in the run's order

    def pull_first_releases(self) -> list[tuple[float, int, int, int, np.ndarray]]:
        """Releases since the last call: ``(t_s, agreement, source, receiver, labels)``
        (for the analyst's event log), cleared."""
        out, self.first_release = self.first_release, []
        return out


def picture_twins(has_radar: Sequence[bool], terms: Sequence[ReleaseTerms]) -> list[int]:
    """For each nation, the first nation whose picture is always identical to its own: both
    have no radar (no local tracks) and are receivers of exactly the same agreements, none of
    which depends on the receiver (``condition``), so their fusers get the same inputs at every
    step (a computation shared, not data: each picture is what that nation would build
    alone)."""
    signature = []
    for a, radar in enumerate(has_radar):
        sig = frozenset(k if t.condition == "none" else (k, a)
                        for k, t in enumerate(terms) if a in t.receivers)  # fmt: skip
        signature.append(None if radar else sig)
    return [
        next((b for b in range(a) if sig is not None and signature[b] == sig), a)
        for a, sig in enumerate(signature)
    ]


class AudienceLog:
    """Each nation's picture as that nation sees it, sampled every ``period_s``: per system
    track its coalition track number, state, covariance summary, estimated class and the
    provenance masks (rendered per audience by :meth:`rows`; ``terms`` are the agreements)."""

    def __init__(self, n_nations: int, period_s: float, terms: Sequence[ReleaseTerms] = ()) -> None:
        self.n = n_nations
        self.period_s = period_s
        self.terms = tuple(terms)
        self.next_t_s = -np.inf
        self._chunks: list[list[tuple]] = [[] for _ in range(n_nations)]

    def due(self, t_s: float) -> bool:
        return t_s >= self.next_t_s

    def sample(self, t_s: float, pictures: Sequence[Picture]) -> None:
        """Keep each picture's columns as they are (sorted by number and reduced to traces
        once, for all samples together, by :meth:`rows`)."""
        done: dict[int, tuple] = {}  # twins share one picture object
        for a, pic in enumerate(pictures):
            chunk = done.get(id(pic))
            if chunk is None:
                # the diagonal of P: its position and velocity blocks' traces come from it
                diag = pic.P.reshape(-1, 36).take(_DIAG, axis=1)
                chunk = done[id(pic)] = (t_s, pic.number, pic.x, diag, pic.cls, pic.named,
                                         pic.anon, pic.via)  # fmt: skip
            self._chunks[a].append(chunk)
        self.next_t_s = (np.floor(t_s / self.period_s) + 1.0) * self.period_s

    def rows(self, nation: int, names: Sequence[str]) -> dict[str, list | np.ndarray]:
        """Columns of ``nation``'s view: ``t_s``, ``track_number``, ``x_m``..``vz_m_s`` (ECEF),
        ``pos_sigma_m``, ``vel_sigma_m_s``, ``class``, ``provenance`` (list of nation ids,
        its own first, partners by name in scenario order, "partner" once for any anonymous
        contributor) and ``release_terms`` (the terms of each agreement its released inputs
        came through, as ``"<source>: <terms>"``, the source "partner" when anonymous).
        Each sample's tracks in the order of their numbers (no source order leaks)."""
        chunks = self._chunks[nation]
        if chunks:
            sizes = [c[1].size for c in chunks]
            t = np.repeat(np.asarray([c[0] for c in chunks], dtype=float), sizes)
            num, x, d, cls, named, anon, via = (np.concatenate(c) for c in
                                                list(zip(*chunks, strict=True))[1:])  # fmt: skip
            # by sample, then by number (stable: as one argsort per sample)
            order = np.lexsort((num, np.repeat(np.arange(len(chunks)), sizes)))
            num, x, d, cls = num[order], x[order], d[order], cls[order]
            named, anon, via = named[order], anon[order], via[order]
            # traces of the position and velocity blocks, summed in np.trace's order
            ps = np.sqrt((d[:, 0] + d[:, 1] + d[:, 2]) / 3.0)
            vs = np.sqrt((d[:, 3] + d[:, 4] + d[:, 5]) / 3.0)
        else:
            i64 = np.zeros(0, np.int64)
            t, num, x, ps, vs, cls, named, anon, via = (np.zeros(0), i64, np.zeros((0, 6)),
                                                        np.zeros(0), np.zeros(0), i64, i64, i64,
                                                        i64)  # fmt: skip
        masks, inverse = _distinct_masks(named, anon & ~named, via)
        rendered = [_provenance(int(nm), int(an), nation, names) for nm, an, _ in masks.T]
        terms = [self._terms(int(v), names) for *_, v in masks.T]
        xyz = ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")
        return {
            "t_s": t,
            "track_number": num,
            **{k: x[:, i] for i, k in enumerate(xyz)},
            "pos_sigma_m": ps,
            "vel_sigma_m_s": vs,
            "class": np.asarray(THREAT_CLASSES)[cls].tolist(),
            "provenance": [rendered[i] for i in np.ravel(inverse)],
            "release_terms": [terms[i] for i in np.ravel(inverse)],
        }

    def _terms(self, via: int, names: Sequence[str]) -> list[str]:
        out = []
        for k, term in enumerate(self.terms):
            if via >> k & 1:
                who = PARTNER if term.anonymous else names[term.source]
                out.append(f"{who}: {term.describe()}")
        return out


def _distinct_masks(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(np.stack(cols), axis=1, return_inverse=True)`` (the distinct columns in
    lexicographic order, and each one's place; flat) for non-negative bit masks: packed into
    one integer each when their bits fit (one integer sort instead of a structured one)."""
    bits = [int(c.max()).bit_length() if c.size else 0 for c in cols]
    if sum(bits) > 62 or any(c.size and c.min() < 0 for c in cols):
        masks, inverse = np.unique(np.stack(cols), axis=1, return_inverse=True)
        return masks, np.ravel(inverse)
    key = np.zeros(cols[0].shape, dtype=np.int64)
    for c, b in zip(cols, bits, strict=True):  # (earlier columns in the higher bits)
        key <<= b
        key |= c
    keys, inverse = np.unique(key, return_inverse=True)
    masks = np.empty((len(cols), keys.size), dtype=np.int64)
    for i in range(len(cols) - 1, -1, -1):
        masks[i] = keys & ((1 << bits[i]) - 1)
        keys = keys >> bits[i]
    return masks, np.ravel(inverse)


def _provenance(named: int, anon: int, viewer: int, names: Sequence[str]) -> list[str]:
    bits = [a for a in range(len(names)) if named >> a & 1]
    out = [names[viewer]] if viewer in bits else []
    out += [names[a] for a in bits if a != viewer]
    return out + ([PARTNER] if anon else [])
