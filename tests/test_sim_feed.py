"""Each nation's frames cut from its pre-split feed equal the rows selected out of all reports
(the way the simulator selected them before the split): same rows, same order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.sensors import KIND_IR
from shieldwall.sensors.scan import Detections
from shieldwall.sim.feed import nation_feeds, scan_groups, stack_feed


def _detections(rng: np.random.Generator, m: int, n_sensors: int, n_threats: int) -> Detections:
    t = np.sort(rng.choice(np.arange(0.0, 200.0, 2.5), size=m))
    sensor = rng.integers(0, n_sensors, m).astype(np.int32)
    threat = rng.integers(-1, n_threats, m).astype(np.int64)
    kind = np.where(rng.random(m) < 0.2, KIND_IR, 0).astype(np.int8)
    z = rng.normal(size=(m, 3))
    R = rng.normal(size=(m, 3, 3))
    return Detections(t, sensor, threat, z, R, kind)


def _selected(dets, owner, a, t_prev, t, death):
    """The rows of nation ``a`` in ``(t_prev, t]``: radar only, none of a dead object."""
    _, group = np.unique(np.stack([dets.sensor.astype(float), dets.t_s]), axis=1,
                         return_inverse=True)  # fmt: skip
    lo, hi = np.searchsorted(dets.t_s, [t_prev, t], side="right")
    sel = np.arange(lo, hi)
    sel = sel[dets.kind[sel] != KIND_IR]
    thr = dets.threat[sel]
    sel = sel[(thr < 0) | (dets.t_s[sel] < death[np.maximum(thr, 0)])]
    sel = sel[owner[dets.sensor[sel]] == a]
    return dets.t_s[sel], group.reshape(-1)[sel], dets.z_ecef_m[sel], dets.threat[sel]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 4))
def test_frames_equal_selection_from_all_reports(seed, m, n_nations):
    rng = np.random.default_rng(seed)
    dets = _detections(rng, m, n_sensors=5, n_threats=4)
    owner = rng.integers(0, n_nations, 5)
    death = rng.choice([np.inf, 40.0, 120.0], size=4)
    feeds = nation_feeds(dets, owner, n_nations)
    bounds = [-np.inf, *np.sort(rng.uniform(0.0, 200.0, 4)), 200.0]
    for t_prev, t in zip(bounds[:-1], bounds[1:], strict=True):
        for a, feed in enumerate(feeds):
            frame = feed.frame(t_prev, t, death)
            t_ref, group_ref, z_ref, label_ref = _selected(dets, owner, a, t_prev, t, death)
            np.testing.assert_array_equal(frame.t_s, t_ref)
            np.testing.assert_array_equal(frame.group, group_ref)
            np.testing.assert_array_equal(frame.z, z_ref)
            np.testing.assert_array_equal(frame.label, label_ref)
            assert frame.R.shape == (t_ref.size, 3, 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 200))
def test_scan_groups_number_pairs_as_unique_over_columns(seed, m):
    rng = np.random.default_rng(seed)
    sensor = rng.integers(0, 6, m).astype(np.int32)
    t = rng.choice([0.0, 2.5, 7.5, 10.0, 1e4], size=m)
    _, ref = np.unique(np.stack([sensor.astype(float), t]), axis=1, return_inverse=True)
    np.testing.assert_array_equal(scan_groups(sensor, t), ref.reshape(-1))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 4))
def test_stack_frames_are_every_nations_frames(seed, m, n_nations):
    """Each nation's rows of the stacked feed's frame are its own feed's frame, in order."""
    rng = np.random.default_rng(seed)
    dets = _detections(rng, m, n_sensors=5, n_threats=4)
    owner = rng.integers(0, n_nations, 5)
    death = rng.choice([np.inf, 40.0, 120.0], size=4)
    feeds, stacked = nation_feeds(dets, owner, n_nations), stack_feed(dets, owner)
    bounds = [-np.inf, *np.sort(rng.uniform(0.0, 200.0, 4)), 200.0]
    for t_prev, t in zip(bounds[:-1], bounds[1:], strict=True):
        frame, nation = stacked.frame(t_prev, t, death)
        for a, feed in enumerate(feeds):
            own, mine = feed.frame(t_prev, t, death), nation == a
            for name in ("t_s", "group", "z", "R", "label"):
                np.testing.assert_array_equal(getattr(frame, name)[mine], getattr(own, name))
