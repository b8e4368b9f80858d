"""All nations' node trackers stacked in one (:class:`NodeStack`) give every nation exactly
what its own :class:`NodeTracker` gives: the same changes, ids, states and covariances, bit for
bit, whatever the interleaving of the nations' detections in a frame (each nation's in its
own order)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.geo import enu_to_ecef
from shieldwall.tracking.frame import Frame
from shieldwall.tracking.node import NodeConfig, NodeTracker
from shieldwall.tracking.node_stack import NodeStack

SITE = (32.0, 35.0)


def _objects(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` ECEF states: drones, cruise missiles and a ballistic missile, near SITE."""
    out = []
    for j in range(n):
        speed, up = [(50.0, 1e3), (230.0, 300.0), (2000.0, 40e3)][j % 3]
        e, nn = rng.uniform(-3e4, 3e4, 2)
        p = enu_to_ecef(np.array([e, nn, up]), *SITE, 0.0)
        v_enu = np.array([speed, rng.uniform(-20, 20), -300.0 if up > 1e4 else 0.0])
        out.append(np.concatenate([p, enu_to_ecef(np.array([e, nn, up]) + v_enu, *SITE, 0.0) - p]))
    return np.array(out)


def _frame(rng, t_s, objects, nation, first_group):
    """Nation ``nation``'s radars' detections over the last 5 s: each sees each object with
    probability 0.8, plus clutter; one scan group per (radar, look)."""
    ts, gr, zs, lab = [], [], [], []
    for s in range(1 + nation % 2):
        t = t_s - rng.uniform(0.0, 4.9)
        for j, x0 in enumerate(objects):
            if rng.random() < 0.8:
                ts.append(t)
                gr.append(first_group + s)
                zs.append(x0[:3] + t * x0[3:] + rng.normal(0, 150.0, 3))
                lab.append(j)
        for _ in range(rng.integers(0, 3)):
            ts.append(t)
            gr.append(first_group + s)
            zs.append(objects[0][:3] + rng.uniform(-2e4, 2e4, 3))
            lab.append(-1)
    m = len(ts)
    R = np.broadcast_to(np.diag([150.0, 150.0, 300.0]) ** 2, (m, 3, 3)).copy()
    return Frame(np.array(ts, dtype=float), np.array(gr, dtype=np.int64),
                 np.array(zs).reshape(m, 3), R, np.array(lab, dtype=np.int64))  # fmt: skip


_EMPTY = Frame(np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 3)), np.zeros((0, 3, 3)),
               np.zeros(0, np.int64))  # fmt: skip


def _cat(frames: list[Frame], order: np.ndarray) -> Frame:
    return Frame(*(np.concatenate([getattr(f, k) for f in frames])[order]
                   for k in ("t_s", "group", "z", "R", "label")))  # fmt: skip


def _mine(ids, labels, nation, a):
    keep = nation == a
    return ids[keep].tolist(), labels[keep].tolist()


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 2, 3]))
def test_stack_equals_one_tracker_per_nation(seed, confirm_m):
    rng = np.random.default_rng(seed)
    n_nat, cfg = 3, NodeConfig(confirm_m=confirm_m, confirm_window_s=30.0, drop_track_s=20.0)
    objects = _objects(rng, 6)
    alone = [NodeTracker(cfg) for _ in range(n_nat)]
    stack = NodeStack(n_nat, cfg)
    for f in range(1, 25):
        t = 5.0 * f
        frames = [_frame(rng, t, objects, a, 10 * (f * n_nat + a)) if rng.random() < 0.7 else
                  _EMPTY for a in range(n_nat)]  # fmt: skip
        nation = np.concatenate([np.full(fr.t_s.size, a) for a, fr in enumerate(frames)])
        # any interleaving of the nations that keeps each nation's order
        rank = np.concatenate([np.arange(fr.t_s.size) for fr in frames])  # round robin
        key = rank if f % 2 else -nation
        order = np.argsort(key, kind="stable")
        got = stack.step(t, _cat(frames, order), nation[order])
        kills = np.array([f % 6]) if f % 5 == 0 else np.zeros(0, dtype=np.int64)
        got_kill = stack.kill(kills)
        snap, conf = stack.tracks(), stack.confirmed_tracks()
        assert stack.knows_fast() == any(np.any(s.confirmed & (s.cls < 2)) for s in snap)
        for a, node in enumerate(alone):
            ch = node.step(t, frames[a])
            assert _mine(*got[:3], a) == (ch.confirmed.tolist(), ch.confirmed_label.tolist())
            assert _mine(*got[3:], a) == (ch.ended.tolist(), ch.ended_label.tolist())
            ch = node.kill(kills)
            assert _mine(*got_kill[3:], a) == (ch.ended.tolist(), ch.ended_label.tolist())
            want = node.tracks()
            for name in want.__slots__:
                assert np.array_equal(getattr(snap[a], name), getattr(want, name)), (f, a, name)
                mine = getattr(want.select(want.confirmed), name)
                assert np.array_equal(getattr(conf[a], name), mine), (f, a, name)


def test_unchanged_nations_keep_their_snapshot_read_only():
    """A nation without detections or deletions keeps the very same (read-only) snapshot; a
    nation that changed gets a new one."""
    rng = np.random.default_rng(3)
    stack = NodeStack(2, NodeConfig(confirm_m=1))
    objects = _objects(rng, 3)
    frame = _frame(rng, 10.0, objects, 0, 10)
    stack.step(10.0, frame, np.zeros(frame.t_s.size, dtype=np.int64))
    first = stack.tracks()
    assert first[0].track_id.size and not first[0].x.flags.writeable
    frame = _frame(rng, 15.0, objects, 0, 20)
    stack.step(15.0, frame, np.zeros(frame.t_s.size, dtype=np.int64))
    second = stack.tracks()
    assert second[1] is first[1] and second[0] is not first[0]
