"""The picture bank (every nation's fuser in one set of arrays) against the reference: one
:class:`~shieldwall.tracking.Fuser` per nation with its own provenance memo, as the pictures
were built before the bank. Equal inputs must give bit-identical pictures and per-threat views,
scan after scan (sticky inputs, association, new, retired and too-old tracks, anonymous
releases, two inputs of one source claiming one track)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from shieldwall.geo import enu_to_ecef
from shieldwall.sharing.fuse_bank import PictureBank
from shieldwall.sharing.picture import (
    FALLBACK_ID,
    OWN,
    Picture,
    PictureBuilder,
    _empty_picture,
    take_tracks,
    track_code,
)
from shieldwall.tracking.frame import Q_BY_CLASS
from shieldwall.tracking.fuser import Fuser, SystemTracks, TrackBatch, step_fusers
from shieldwall.tracking.node import LocalTracks

MAX_AGE_S, RETIRE_S = 20.0, 12.0


class RefBuilder:
    """One nation's picture from its own Fuser and provenance memo (the reference)."""

    def __init__(self, nation: int) -> None:
        self.nation = nation
        self.fuser = Fuser(max_age_s=MAX_AGE_S, retire_s=RETIRE_S, criterion="fast")
        self.memo_number = np.zeros(0, dtype=np.int64)
        self.memo = np.zeros((6, 0), dtype=np.int64)
        self.seen: dict[int, float] = {}  # system track number -> its latest detection

    def seen_s(self, st: SystemTracks, parts) -> np.ndarray:
        """Per system track, the newest detection time (``seen_s``, else the stamp) of the
        inputs it ever rested on."""
        seen = np.array([self.seen.get(int(n), -np.inf) for n in st.number])
        for key, _, tr in parts:
            if tr.track_id.size == 0 or key not in st.sources:
                continue
            sel = np.flatnonzero(st.prov_source == st.sources.index(key))
            stamp = tr.t_s if tr.seen_s is None else tr.seen_s
            for row, i in zip(st.prov_row[sel], st.prov_id[sel], strict=True):
                seen[row] = max(seen[row], stamp[np.searchsorted(tr.track_id, i)])
        self.seen = dict(zip(st.number.tolist(), seen.tolist(), strict=True))
        return seen

    def provenance(self, st: SystemTracks, parts, anonymous) -> np.ndarray:
        k, m = st.number.size, self.memo_number.size
        cols = np.empty((6, k), dtype=np.int64)
        cols[:3], cols[3:] = -1, 0
        if m:
            idx = np.minimum(np.searchsorted(self.memo_number, st.number), m - 1)
            known = self.memo_number[idx] == st.number
            cols[:, known] = self.memo[:, idx[known]]
        new = np.flatnonzero(cols[2] < 0)
        label, source, code, named, anon, via = cols
        first_id = np.zeros(k, dtype=np.int64)
        first_anon = np.zeros(k, dtype=bool)
        for key, nation, tr in reversed(parts):  # the first input of a track is written last
            if tr.track_id.size == 0 or key not in st.sources:
                continue
            sel = np.flatnonzero(st.prov_source == st.sources.index(key))
            rows, ids = st.prov_row[sel], st.prov_id[sel]
            label[rows] = tr.label[np.searchsorted(tr.track_id, ids)]
            source[rows] = nation
            hidden = key in anonymous
            first_id[rows], first_anon[rows] = ids, hidden
            if nation >= 0:
                mask = anon if hidden else named
                mask[rows] |= np.int64(1) << np.int64(nation)
            if key != OWN:
                via[rows] |= np.int64(1) << np.int64(key)
        code[new] = track_code(np.where(first_anon[new], -1, source[new]), first_id[new])
        order = np.argsort(code, kind="stable")
        repeated = np.empty(k, dtype=bool)
        repeated[order] = np.concatenate([[False], code[order][1:] == code[order][:-1]])
        taken = new[repeated[new]]
        code[taken] = track_code(np.full(taken.size, -1), FALLBACK_ID + st.number[taken])
        self.memo_number, self.memo = st.number, cols
        return cols


def ref_build(builders: list[RefBuilder], t_s: float, inputs) -> list[Picture]:
    parts = []
    for b, (own, releases, _) in zip(builders, inputs, strict=True):
        if not own.confirmed.all():
            own = take_tracks(own, own.confirmed)
        parts.append([(OWN, b.nation, own), *releases])
    live = [i for i, (b, ps) in enumerate(zip(builders, parts, strict=True))
            if b.fuser.number.size or any(tr.track_id.size for _, _, tr in ps)]  # fmt: skip
    out = [_empty_picture(t_s)] * len(builders)
    if not live:
        return out
    batches = [[TrackBatch(key, tr.track_id, tr.x, tr.P, tr.t_s, tr.q_m2_s3, tr.ballistic)
                for key, _, tr in parts[i]] for i in live]  # fmt: skip
    sts = step_fusers([builders[i].fuser for i in live], t_s, batches)
    # a system track's class is its latest input's, as its motion model is: the input's
    # q_m2_s3 is Q_BY_CLASS of its class (three distinct values)
    q = np.concatenate([builders[i].fuser.q_m2_s3 for i in live])  # (rows as sts')
    cls = (q[:, None] == Q_BY_CLASS[None]).argmax(axis=1)
    lo = 0
    for i, st in zip(live, sts, strict=True):
        label, source, code, named, anon, via = builders[i].provenance(st, parts[i],
                                                                       inputs[i][2])  # fmt: skip
        hi = lo + st.number.size
        seen = builders[i].seen_s(st, parts[i])
        out[i] = Picture(t_s, code, st.x, st.P, cls[lo:hi], label, source, named, anon, via,
                         seen)  # fmt: skip
        lo = hi
    return out


class World:
    """Objects flying over Israel and sources that track some of them with noise: track ids
    persist per source and object but are sometimes renumbered; some tracks are clutter,
    some unconfirmed, some stamped long ago."""

    def __init__(self, rng: np.random.Generator, n_objects: int = 12, n_sources: int = 5):
        self.rng = rng
        east = rng.uniform(-40.0, 40.0, n_objects) * 1e3
        north = rng.uniform(-40.0, 40.0, n_objects) * 1e3
        self.p0 = np.array([enu_to_ecef(np.array([e, n, 800.0]), 31.5, 35.0, 0.0)
                            for e, n in zip(east, north, strict=True)])  # fmt: skip
        speed = rng.choice([50.0, 220.0], n_objects)
        self.v = np.array([enu_to_ecef(np.array([0.0, s, 800.0]), 31.5, 35.0, 0.0) - p
                           for s, p in zip(speed, self.p0, strict=True)])  # fmt: skip
        self.ids = rng.permutation(1000)[: n_sources * n_objects].reshape(n_sources, n_objects)
        self.next_id = 1000

    def tracks(self, source: int, t_s: float) -> LocalTracks:
        rng = self.rng
        n = self.p0.shape[0]
        seen = np.flatnonzero(rng.random(n) < 0.6)
        renumber = seen[rng.random(seen.size) < 0.1]
        self.ids[source, renumber] = self.next_id + np.arange(renumber.size)
        self.next_id += renumber.size
        stamp = t_s - rng.choice([0.0, 2.0, 30.0], seen.size, p=[0.6, 0.35, 0.05])
        pos_sd = rng.uniform(20.0, 400.0, seen.size)
        x = np.concatenate([self.p0[seen] + self.v[seen] * stamp[:, None], self.v[seen]], 1)
        x[:, :3] += rng.normal(0.0, 1.0, (seen.size, 3)) * pos_sd[:, None]
        label = seen.copy()
        clutter = rng.random(seen.size) < 0.1
        label[clutter] = -1
        x[clutter, :3] += rng.normal(0.0, 5e3, (clutter.sum(), 3))
        ids = self.ids[source, seen]
        order = np.argsort(ids)
        P = np.zeros((seen.size, 6, 6))
        P[:, [0, 1, 2], [0, 1, 2]] = pos_sd[:, None] ** 2
        P[:, [3, 4, 5], [3, 4, 5]] = 100.0
        cls = np.where(np.linalg.norm(self.v[seen], axis=1) > 100.0, 1, 2)
        last_hit = stamp - 4.0 * (ids % 3)  # some tracks coasted a while (no rng draw)
        return LocalTracks(ids[order], x[order], P[order], stamp[order],
                           rng.random(seen.size)[order] < 0.9, label[order], cls[order],
                           Q_BY_CLASS[cls[order]], np.zeros(seen.size, dtype=bool),
                           last_hit[order])  # fmt: skip


def _same(a: Picture, b: Picture) -> None:
    for f in ("t_s", "number", "x", "P", "cls", "label", "source", "named", "anon", "via",
              "seen_s"):  # fmt: skip
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f, strict=True)


def _confirmed(tr: LocalTracks) -> LocalTracks:
    return take_tracks(tr, tr.confirmed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bank_equals_one_fuser_per_nation(seed):
    """Three nations (0, 2, 4) with their own tracks (nation 2 has none) and releases from
    the others under keys 0-3 (key 1 anonymous, key 2 a second agreement of source 3 with the
    same tracks, so two inputs of one source claim one track), 60 scans of 5 s with a pause
    (every track retires): bank and reference agree bit for bit, per-threat views too."""
    rng = np.random.default_rng(seed)
    world = World(rng)
    nations = [0, 2, 4]
    bank = PictureBank(nations, MAX_AGE_S, RETIRE_S)
    ref = [RefBuilder(a) for a in nations]
    times = [5.0 * i for i in range(30)] + [300.0 + 5.0 * i for i in range(30)]
    n_new = 0
    for t in times:
        tracks = {s: world.tracks(s, t) for s in range(5)}
        rel3 = _confirmed(tracks[3])
        inputs = [
            (tracks[0], [(0, 1, _confirmed(tracks[1])), (1, 3, rel3), (2, 3, rel3)],
             frozenset({1})),
            (LocalTracks.empty(), [(0, 1, _confirmed(tracks[1]))], frozenset()),
            (tracks[4], [(3, 0, _confirmed(tracks[0])), (1, 3, rel3)], frozenset({1})),
        ]  # fmt: skip
        got = bank.build(t, inputs)
        want = ref_build(ref, t, inputs)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
            # (the bank's views come from its shared computation, the reference's alone;
            # with a stale limit, tracks not seen for 5 s are chosen last)
            for stale_s in (np.inf, 5.0):
                a, b = g.per_threat(12, stale_s), w.per_threat(12, stale_s)
                for f in ("has_track", "x", "P", "source", "cls", "seen_s"):
                    np.testing.assert_array_equal(getattr(a, f), getattr(b, f), strict=True)
        n_new += sum(int((p.number >> 32 == 0).sum()) for p in got)
    assert n_new > 0  # fallback numbers were exercised


def test_picture_builder_is_a_one_nation_bank():
    """The analyst's builder (nation -1, releases from every nation) equals the reference."""
    rng = np.random.default_rng(7)
    world = World(rng)
    b, r = PictureBuilder(-1, MAX_AGE_S, RETIRE_S), RefBuilder(-1)
    for t in [10.0 * i for i in range(20)]:
        inputs = [
            (
                LocalTracks.empty(),
                [(a, a, _confirmed(world.tracks(a, t))) for a in range(3)],
                frozenset(),
            )
        ]
        _same(b.build(t, *inputs[0]), ref_build([r], t, inputs)[0])


def test_bank_refuses_time_going_back():
    bank = PictureBank([0], MAX_AGE_S, RETIRE_S)
    world = World(np.random.default_rng(0))
    bank.build(10.0, [(world.tracks(0, 10.0), [], frozenset())])
    with pytest.raises(ValueError):
        bank.build(5.0, [(world.tracks(0, 5.0), [], frozenset())])


def test_a_copy_with_other_arrays_computes_its_own_view():
    """A bank picture's view comes from the bank's shared computation only while the picture
    holds the arrays it was built with."""
    world = World(np.random.default_rng(3))
    bank = PictureBank([0], MAX_AGE_S, RETIRE_S)
    pic = bank.build(0.0, [(world.tracks(0, 0.0), [], frozenset())])[0]
    moved = dataclasses.replace(pic, x=pic.x + 1.0)
    alone = dataclasses.replace(moved, bank=None)
    np.testing.assert_array_equal(moved.per_threat(12).x, alone.per_threat(12).x, strict=True)
    assert not np.array_equal(moved.per_threat(12).x, pic.per_threat(12).x)


def test_a_picture_keeps_the_class_its_sources_give():
    """A fused track takes the class of its latest input (the node's, read with its evidence
    rules), not a fresh reading of the fused state's kinematics: a drone track a partner
    releases with a noisy 800 m/s velocity stays a drone, where a kinematic reading calls it
    ballistic (and a nation whose authority covers drones only would decline it)."""
    from shieldwall.geo import geodetic_to_ecef
    from shieldwall.sharing import PictureBuilder
    from shieldwall.tracking.frame import classify
    from shieldwall.tracking.nodetypes import LocalTracks

    p = np.asarray(geodetic_to_ecef(32.0, 35.0, 300.0), dtype=float).reshape(3)
    east = np.array([-np.sin(np.radians(35.0)), np.cos(np.radians(35.0)), 0.0])
    x = np.concatenate([p, 800.0 * east])[None]  # fast and low: kinematically "ballistic"
    assert classify(x).tolist() == [0]

    def tracks(track_id: int, cls: int) -> LocalTracks:
        c = np.array([cls])
        return LocalTracks(np.array([track_id]), x.copy(), np.eye(6)[None] * 100.0,
                           np.array([0.0]), np.array([True]), np.array([7]), c,
                           Q_BY_CLASS[c], c == 0)  # fmt: skip

    empty = LocalTracks.empty()
    builder = PictureBuilder(0, 30.0, 60.0)
    pic = builder.build(0.0, empty, [(1, 1, tracks(5, 2))])  # a partner's drone track
    assert pic.cls.tolist() == [2]
    pic = builder.build(5.0, empty, [(1, 1, tracks(5, 1))])  # the partner now reads cruise
    assert pic.cls.tolist() == [1]
    assert PictureBuilder(0, 30.0, 60.0).build(0.0, tracks(9, 0), []).cls.tolist() == [0]
