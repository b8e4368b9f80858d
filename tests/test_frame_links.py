"""New-track clustering of a large frame in bounded memory: above ``PAIRS_MAX`` candidate pairs
:func:`~shieldwall.tracking.clusters.init_links` returns a spanning forest built block by block,
whose clusters are those of every pair tested (the dense adjacency) and of the k-d tree's
pairs."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest import MonkeyPatch

import shieldwall.tracking.clusters as core
from shieldwall.tracking.clusters import components, init_links

R_EARTH_M = 6_371_000.0
SPEED_M_S = 250.0  # NodeConfig.init_speed_m_s


def _clutter(rng: np.random.Generator, m: int, span_s: float, box_m: float = 600e3):
    """``m`` false alarms over ``span_s`` in a ``box_m`` square near 31.5 N 36 E, 0-10 km up:
    times (sorted), scan groups (4 radars, 10 s scans), ECEF positions and covariances
    (sigma 50-800 m)."""
    lat, lon = np.radians(31.5), np.radians(36.0)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    en = rng.uniform(-box_m / 2, box_m / 2, (m, 2))
    h = R_EARTH_M + rng.uniform(0.0, 10e3, m)
    z = en[:, :1] * east + en[:, 1:] * north + h[:, None] * up
    R = rng.uniform(50.0, 800.0, m)[:, None, None] ** 2 * np.eye(3)
    t = np.sort(rng.uniform(0.0, span_s, m))
    group = np.floor(t / 10.0).astype(np.int64) * 4 + rng.integers(0, 4, m)
    return t, group, z, R


def _clusters(link, m: int) -> np.ndarray:
    return np.arange(m) if link is None else components(link, m)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    m=st.integers(65, 240),
    span_s=st.sampled_from([5.0, 60.0, 600.0, 3600.0]),
    box_m=st.sampled_from([2e4, 2e5, 6e5]),
    nations=st.integers(0, 3),
)
def test_forest_clusters_as_every_pair(seed, m, span_s, box_m, nations):
    """The block-by-block forest (``PAIRS_MAX`` made tiny), the k-d tree's pairs and the dense
    adjacency of every pair give the same clusters, within nations when given."""
    rng = np.random.default_rng(seed)
    t, group, z, R = _clutter(rng, m, span_s, box_m)
    nation = rng.integers(0, nations, m) if nations else None
    tree = _clusters(init_links(t, group, z, R, SPEED_M_S, nation), m)
    with MonkeyPatch.context() as mp:  # (a hypothesis test cannot take the fixture)
        mp.setattr(core, "DENSE_MAX", 10**6)
        dense = _clusters(init_links(t, group, z, R, SPEED_M_S, nation), m)
        mp.setattr(core, "DENSE_MAX", 64)
        mp.setattr(core, "PAIRS_MAX", int(rng.integers(1, 3 * m)))
        link = init_links(t, group, z, R, SPEED_M_S, nation)
    forest = _clusters(link, m)
    np.testing.assert_array_equal(tree, dense)
    np.testing.assert_array_equal(forest, dense)
    if link is not None:  # a forest (or the tree's pairs, when few were candidates)
        assert isinstance(link, tuple) and link[0].size >= m - (dense.max() + 1)


def test_forest_is_a_star_per_cluster(monkeypatch):
    """Past ``PAIRS_MAX`` candidates the links are a star from each cluster's first detection:
    ``m - clusters`` of them."""
    rng = np.random.default_rng(3)
    m = 300
    t, group, z, R = _clutter(rng, m, 3600.0, 2e5)
    monkeypatch.setattr(core, "PAIRS_MAX", 100)
    i, j = init_links(t, group, z, R, SPEED_M_S)
    labels = components((i, j), m)
    first = np.unique(labels, return_index=True)[1]
    np.testing.assert_array_equal(i, first[labels[j]])
    assert j.size == m - first.size and np.all(i < j)


def test_hours_of_clutter_in_one_frame_bounded_memory():
    """20,000 false alarms over 10 h in one frame: the span puts every pair within the k-d
    tree's radius (2e8 pairs, 3.2 GB of indices before), yet clustering peaks below 256 MiB and
    joins them all into one cluster (250 m/s over hours reaches across the 600 km box)."""
    rng = np.random.default_rng(7)
    m = 20_000
    t, group, z, R = _clutter(rng, m, 36_000.0)
    tracemalloc.start()
    try:
        link = init_links(t, group, z, R, SPEED_M_S)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 2**20
    assert link is not None and link[0].size == m - 1
    assert components(link, m).max() == 0


def test_dense_clutter_short_frame_keeps_tree_pairs(monkeypatch):
    """20,000 reports in a 15 s frame have few candidate pairs: the k-d tree's pairs come back
    as before (not a forest), the same with the forest threshold out of reach."""
    rng = np.random.default_rng(8)
    m = 20_000
    t, group, z, R = _clutter(rng, m, 15.0)
    i, j = init_links(t, group, z, R, SPEED_M_S)
    monkeypatch.setattr(core, "PAIRS_MAX", 10**12)
    i0, j0 = init_links(t, group, z, R, SPEED_M_S)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_array_equal(j, j0)
    assert i.size > m - (components((i, j), m).max() + 1)  # more links than a forest's
