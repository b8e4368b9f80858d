"""New-track clustering: the unused detections of a frame that may be one new object
(:func:`init_clusters`), so that one object seen by several sensors starts one track (see
:mod:`shieldwall.tracking.node`). Pure functions on stacked arrays; a frame of any size is
clustered in bounded memory.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from shieldwall.tracking.fastnp import amax, amin, count_nonzero, einsum

DENSE_MAX = 64  # new-track clustering: all pairs of detections up to this many, else a k-d tree
PAIRS_MAX = 1 << 20  # new-track clustering holds at most this many candidate pairs at once
_DIST2_MARGIN = 1e-12  # of |a|^2 + |b|^2: covers the rounding of |a - b|^2 expanded


def init_clusters(
    t_s: np.ndarray, group: np.ndarray, z: np.ndarray, R: np.ndarray, speed_m_s: float
) -> np.ndarray:
    """Cluster index ``(m,)`` of detections that may be one new object: connected components of
    pairs from different scans (a radar reports an object once per scan) with
    ``|z_i - z_j| <= 3 sqrt(tr R_i + tr R_j) + speed |t_i - t_j|``, numbered in order of
    their first detection. ``speed`` is kept low (cruise-missile speed): linking unrelated
    detections (clutter) gives a new track an absurd velocity, while a fast object's two looks
    in one frame only start two tentative tracks, which merge once confirmed."""
    link = init_links(t_s, group, z, R, speed_m_s)
    m = t_s.size
    return np.arange(m, dtype=np.int64) if link is None else components(link, m)


def init_links(
    t_s: np.ndarray,
    group: np.ndarray,
    z: np.ndarray,
    R: np.ndarray,
    speed_m_s: float,
    nation: np.ndarray | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray] | None:
    """The linked pairs of :func:`init_clusters`: up to ``DENSE_MAX`` detections the
    ``(m, m)`` adjacency, above it index arrays ``(i, j)`` (from a k-d tree: every pair within
    ``3 sqrt(2 max tr R) + speed * span`` is a candidate); None when no pair is linked.
    With ``nation`` ``(m,)`` (several nations' detections at once) only detections of one
    nation are linked. A frame with more than ``PAIRS_MAX`` candidate pairs (hours of clutter:
    the span makes every pair one) gets a spanning forest of the links instead
    (:func:`_link_forest`): the same clusters in bounded memory."""
    m = t_s.size
    if m == 1 or amin(group) == amax(group):
        return None
    tr = einsum("mii->m", R)
    if m > DENSE_MAX:
        span = float(t_s.max() - t_s.min())
        radius = 3.0 * np.sqrt(2.0 * tr.max()) + speed_m_s * span
        tree = cKDTree(z)
        # (counted without listing them: self-pairs and both orders included)
        if m * (m - 1) > 2 * PAIRS_MAX and tree.count_neighbors(tree, radius) > 2 * PAIRS_MAX + m:
            return _link_forest(t_s, group, z, tr, speed_m_s, nation)
        ij = tree.query_pairs(radius, output_type="ndarray")
        i, j = ij[:, 0], ij[:, 1]
        ok = _linked(i, j, t_s, group, z, tr, speed_m_s, nation)
        return (i[ok], j[ok]) if np.count_nonzero(ok) else None
    other = group[:, None] != group
    if nation is not None:
        other &= nation[:, None] == nation
    # no pair within the largest reach (each pair's reach rounds to at most it): no link. The
    # squared distances by one matrix product, |z_i|^2 + |z_j|^2 - 2 z_i.z_j, with a margin
    # far above their rounding (a few ulps of |z_i|^2 + |z_j|^2)
    reach_max = 3.0 * np.sqrt(2.0 * float(amax(tr))) + speed_m_s * float(amax(t_s) - amin(t_s))
    # (1 - M) |z_i|^2 - reach^2 + (1 - M) |z_j|^2 <= 2 z_i.z_j: the margin taken off the norms
    w = (1.0 - _DIST2_MARGIN) * einsum("mi,mi->m", z, z)
    if not count_nonzero(((w - reach_max * reach_max)[:, None] + w <= (2.0 * z) @ z.T) & other):
        return None
    d = z[:, None, :] - z
    # |z_i - z_j| (sequential sum of squares, as np.linalg.norm)
    dist = np.sqrt(np.add.reduce(d * d, 2))
    reach = 3.0 * np.sqrt(tr[:, None] + tr) + speed_m_s * np.abs(t_s[:, None] - t_s)
    link = (dist <= reach) & other
    return link if count_nonzero(link) else None


def _linked(i, j, t_s, group, z, tr, speed_m_s, nation) -> np.ndarray:
    """Mask of the candidate pairs ``(i, j)`` that :func:`init_clusters` links (``tr``: the
    traces of ``R``)."""
    dist = np.linalg.norm(z[i] - z[j], axis=1)
    ok = dist <= 3.0 * np.sqrt(tr[i] + tr[j]) + speed_m_s * np.abs(t_s[i] - t_s[j])
    ok &= group[i] != group[j]
    if nation is not None:
        ok &= nation[i] == nation[j]
    return ok


def _link_forest(t_s, group, z, tr, speed_m_s, nation) -> tuple[np.ndarray, np.ndarray] | None:
    """Links ``(i, j)`` with the connected components of :func:`init_links`' (a star from
    each component's first detection), from blocks of at most ``PAIRS_MAX`` pairs: each
    block's pairs not yet in one component are tested, then the components are merged. Memory
    is bounded; time is quadratic, but a pair already joined costs one comparison."""
    m = t_s.size
    label = np.arange(m)
    rows = max(1, PAIRS_MAX // m)
    for a in range(0, m - 1, rows):
        b = min(a + rows, m - 1)
        i = np.arange(a, b)[:, None]
        # pairs (i, j > i) of the block, in different components and scans (and one nation)
        cand = (label[a:b, None] != label[a + 1 :]) & (i < np.arange(a + 1, m))
        cand &= group[a:b, None] != group[a + 1 :]
        if nation is not None:
            cand &= nation[a:b, None] == nation[a + 1 :]
        i, j = cand.nonzero()
        i += a
        j += a + 1
        ok = _linked(i, j, t_s, group, z, tr, speed_m_s, nation)
        if count_nonzero(ok):
            i, j = np.concatenate((np.arange(m), i[ok])), np.concatenate((label, j[ok]))
            graph = coo_matrix((np.ones(i.size), (i, j)), shape=(m, m))
            label = connected_components(graph, directed=False)[1]
            label = np.unique(label, return_index=True)[1][label]  # each one's first member
    star = (label != np.arange(m)).nonzero()[0]
    return (label[star], star) if star.size else None


def components(link: np.ndarray | tuple[np.ndarray, np.ndarray], m: int) -> np.ndarray:
    """Connected components ``(m,)`` of the links from :func:`init_links`, numbered in order
    of each component's smallest node (as ``scipy.sparse.csgraph``, used for sparse links):
    for an adjacency matrix, the transitive closure by repeated squaring of ``link | I``, then
    each node's first reachable node."""
    if isinstance(link, tuple):
        i, j = link
        graph = coo_matrix((np.ones(i.size), (i, j)), shape=(m, m))
        return connected_components(graph, directed=False)[1].astype(np.int64)
    reach = (link | np.eye(m, dtype=bool)).astype(np.float32)
    n_links = reach.sum()
    while True:
        reach = (reach @ reach > 0.0).astype(np.float32)
        grown = reach.sum()
        if grown == n_links:
            break
        n_links = grown
    root = reach.argmax(axis=1)
    return (np.cumsum(root == np.arange(m)) - 1)[root]
