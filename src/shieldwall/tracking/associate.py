"""Measurement-to-track association: Mahalanobis gating, global nearest neighbour, JPDA.

Everything is sparse over *candidate pairs* ``(track i, detection j)``: a k-d tree over the
detections (scipy.spatial.cKDTree) returns, per track, the detections within a Euclidean radius
that bounds its chi-square gate, and only those pairs get a Mahalanobis distance. Pairs are
then split into independent clusters (connected components of the track-detection graph);
clusters of one track and one detection are solved in closed form, all at once.

Pair score (Blackman & Popoli, *Design and Analysis of Modern Tracking Systems*, 1999,
ch. 6; the log-likelihood ratio of "detection j is track i's" against "track i missed and j is
clutter or a new target"): ``score_ij = ln(Pd N(y_ij; 0, S_ij)) - ln((1 - Pd) lambda)`` with
``lambda`` the clutter plus new-target density (per m^3).

References: Blackman & Popoli 1999 (GNN, optimal assignment); Fortmann, Bar-Shalom & Scheffe,
"Sonar tracking of multiple targets using joint probabilistic data association", IEEE J. Oceanic
Eng. 8(3), 1983 (JPDA); Williams & Lau, "Approximate evaluation of marginal association
probabilities with belief propagation", IEEE TAES 50(4), 2014 (large-cluster JPDA).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import chi2

from shieldwall.tracking.fastnp import all_, amax
from shieldwall.tracking.filters import gaussian_loglik

MAX_EXACT_EVENTS = 20_000  # JPDA: enumerate joint events only below this bound
LBP_ITERATIONS = 100
LBP_TOL = 1e-10  # stop when no message moves more than this


@dataclass(frozen=True, slots=True)
class Pairs:
    """Gated candidate pairs: track ``ti`` ``(p,)``, detection ``dj`` ``(p,)``, ``d2``
    (squared Mahalanobis distance) and ``loglik`` (``ln N(y; 0, S)``)."""

    ti: np.ndarray
    dj: np.ndarray
    d2: np.ndarray
    loglik: np.ndarray


def gate_threshold(gate_prob: float, dim: int = 3) -> float:
    """Chi-square gate ``gamma`` with ``P(d2 <= gamma) = gate_prob``."""
    return float(chi2.ppf(gate_prob, dim))


def candidate_pairs(x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray, gamma: float):
    """Pairs ``(i, j)`` with ``d2_ij = y' S^-1 y <= gamma``, ``S_ij = P_i,pos + R_j``.

    Prefilter: ``d2 <= gamma`` implies ``|y|^2 <= gamma lambda_max(S) <= gamma (tr P_i,pos +
    max_j tr R_j)``, so a ball query of that radius around each predicted position loses no
    pair. Shapes: ``x`` ``(k, 6)``, ``P`` ``(k, 6, 6)``, ``z`` ``(m, 3)``, ``R`` ``(m, 3, 3)``."""
    empty = np.zeros(0, dtype=np.int64)
    if x.shape[0] == 0 or z.shape[0] == 0:
        return Pairs(empty, empty, np.zeros(0), np.zeros(0))
    trace_p = np.einsum("kii->k", P[:, :3, :3])
    radius = np.sqrt(gamma * (trace_p + np.einsum("mii->m", R).max()))
    hits = cKDTree(z).query_ball_point(x[:, :3], radius, return_sorted=True)
    counts = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
    ti = np.repeat(np.arange(x.shape[0]), counts)
    dj = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=counts.sum())
    y = z[dj] - x[ti, :3]
    loglik, d2 = gaussian_loglik(y, P[ti, :3, :3] + R[dj])
    keep = d2 <= gamma
    return Pairs(ti[keep], dj[keep], d2[keep], loglik[keep])


def pair_scores(pairs: Pairs, pd: float, density_m3: float) -> np.ndarray:
    """``score_ij = ln(Pd N_ij / ((1 - Pd) lambda))`` (Blackman & Popoli 1999, ch. 6)."""
    return pairs.loglik + np.log(pd) - np.log1p(-min(pd, 1.0 - 1e-12)) - np.log(density_m3)


def clusters(ti: np.ndarray, dj: np.ndarray, n_tracks: int, n_dets: int) -> np.ndarray:
    """Cluster label ``(p,)`` of each pair: connected components of the bipartite graph."""
    n = n_tracks + n_dets
    graph = coo_matrix((np.ones(ti.size), (ti, n_tracks + dj)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels[ti]


def _split_by_label(labels: np.ndarray) -> list[np.ndarray]:
    """Pair indices grouped by label, groups in ascending label order (deterministic)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, bounds)


def _singletons(ti: np.ndarray, dj: np.ndarray, n_tracks: int, n_dets: int) -> np.ndarray:
    """Mask of pairs whose track and detection appear in no other pair."""
    nt = np.bincount(ti, minlength=n_tracks)
    nd = np.bincount(dj, minlength=n_dets)
    return (nt.take(ti) == 1) & (nd.take(dj) == 1)


def gnn_assign(pairs: Pairs, score: np.ndarray, n_tracks: int, n_dets: int) -> np.ndarray:
    """Global nearest neighbour: the assignment maximising the summed pair score, where leaving
    a track unassigned (missed) or a detection unassigned (clutter / new track) scores 0
    (Blackman & Popoli 1999, ch. 6). Pairs whose track and detection have no other positive
    pair are taken at once; the others go to one linear_sum_assignment on ``min(-score, 0)``
    over their tracks and detections: any partial assignment is a full assignment padded with
    zero-cost pairs, so this is the exact optimum (which, with continuous scores, is unique,
    and so is also the union of the optima of the independent clusters). Returns the indices
    of the chosen pairs, sorted by track. (Small inputs, every cycle: ``take`` and methods
    rather than fancy indexing and numpy's function wrappers.)"""
    good = (score > 0.0).nonzero()[0]
    ti, dj = pairs.ti.take(good), pairs.dj.take(good)
    single = _singletons(ti, dj, n_tracks, n_dets)
    if all_(single):
        sel = good
    else:
        rest = (~single).nonzero()[0]
        dense = _assign_dense(good.take(rest), ti.take(rest), dj.take(rest), score)
        sel = np.concatenate((good.compress(single), dense))
    return sel.take(pairs.ti.take(sel).argsort(kind="stable"))


def _assign_dense(idx: np.ndarray, ti: np.ndarray, dj: np.ndarray, score: np.ndarray):
    """The pairs ``idx`` (tracks ``ti``, detections ``dj``) of the optimal assignment on
    ``min(-score, 0)`` over the tracks and detections they involve."""
    it, n_t = _dense_rank(ti)
    jd, n_d = _dense_rank(dj)
    cost = np.zeros((n_t, n_d))
    cost[it, jd] = -score.take(idx)
    where = np.empty((n_t, n_d), dtype=np.int64)
    where.fill(-1)
    where[it, jd] = idx
    rows, cols = linear_sum_assignment(cost)
    use = (cost[rows, cols] < 0.0).nonzero()[0]
    return where[rows.take(use), cols.take(use)]


def _dense_rank(v: np.ndarray) -> tuple[np.ndarray, int]:
    """Rank ``(n,)`` of each value of ``v`` (non-negative ints) among its distinct values, and
    their number: ``np.unique(v, return_inverse=True)`` without the sort."""
    rank = (np.bincount(v) > 0).cumsum() - 1
    return rank.take(v), int(rank[-1]) + 1


def rank_keys(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Rank ``(n,)`` of each of ``keys`` among its distinct values, and their number:
    ``np.unique(keys, return_inverse=True)`` without its Python overhead."""
    order = keys.argsort()
    k = keys.take(order)
    step = np.empty(k.size, dtype=np.int64)
    step[0] = 0
    np.not_equal(k[1:], k[:-1], out=step[1:], casting="unsafe")
    rank = np.empty_like(step)
    rank[order] = step.cumsum()
    return rank, int(amax(rank)) + 1


def jpda_exact(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact JPDA marginals of one cluster by enumerating joint events (Fortmann et al. 1983).

    ``psi`` ``(n_t, n_d)`` holds ``Pd N_ij / ((1 - Pd) lambda)`` for gated pairs, 0 otherwise.
    An event gives each track one gated detection or none, never one detection to two tracks;
    its weight is ``prod_{assigned} psi_ij``. Returns ``beta`` ``(n_t, n_d)`` and ``beta0``
    ``(n_t,)`` (probability that track i had no detection)."""
    n_t, n_d = psi.shape
    options = [np.concatenate([[-1], np.flatnonzero(psi[i] > 0)]) for i in range(n_t)]
    events = np.array(list(itertools.product(*options)), dtype=np.int64).reshape(-1, n_t)
    assigned = events >= 0
    dets = np.where(assigned, events, n_d + np.arange(n_t))  # misses never collide
    srt = np.sort(dets, axis=1)
    valid = ~np.any(srt[:, 1:] == srt[:, :-1], axis=1)
    events, assigned = events[valid], assigned[valid]
    # event weight prod_{assigned} psi_ij, in logs so large psi cannot overflow
    with np.errstate(divide="ignore"):
        log_psi = np.log(psi)
    logw = np.where(assigned, log_psi[np.arange(n_t), np.maximum(events, 0)], 0.0).sum(axis=1)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    beta = np.zeros((n_t, n_d))
    for i in range(n_t):
        np.add.at(beta[i], events[assigned[:, i], i], w[assigned[:, i]])
    return beta, 1.0 - beta.sum(axis=1)


def _sum_of_others(a: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    """For each pair, ``sum`` of ``a`` over the *other* pairs sharing its ``idx`` (a row or a
    column of the sparse matrix), without cancellation: ``total - a`` except at each line's
    largest element(s), where the others are summed directly."""
    top_val = np.zeros(n)
    np.maximum.at(top_val, idx, a)
    top = a == top_val[idx]
    n_top = np.bincount(idx, weights=top, minlength=n)
    rest = np.bincount(idx, weights=np.where(top, 0.0, a), minlength=n)
    total = np.bincount(idx, weights=a, minlength=n)
    at_top = rest[idx] + (n_top[idx] - 1.0) * top_val[idx]
    return np.where(top, at_top, total[idx] - a)


def lbp_pairs(
    psi: np.ndarray, it: np.ndarray, jd: np.ndarray, iterations: int = LBP_ITERATIONS
) -> np.ndarray:
    """Loopy belief propagation marginals over sparse pairs ``(it, jd)`` with weights ``psi``
    (Williams & Lau 2014): ``mu_ij = psi_ij / (1 + sum_{j' != j} psi_ij' nu_j'i)``,
    ``nu_ji = 1 / (1 + sum_{i' != i} mu_i'j)``, then
    ``beta_ij = psi_ij nu_ji / (1 + sum_j' psi_ij' nu_j'i)``. Returns ``beta`` per pair."""
    n_t, n_d = int(it.max()) + 1, int(jd.max()) + 1
    nu = np.ones_like(psi)
    for _ in range(iterations):
        mu = psi / (1.0 + _sum_of_others(psi * nu, it, n_t))
        nu_old, nu = nu, 1.0 / (1.0 + _sum_of_others(mu, jd, n_d))
        if np.max(np.abs(nu - nu_old)) < LBP_TOL:
            break
    a = psi * nu
    return a / (1.0 + np.bincount(it, weights=a, minlength=n_t)[it])


def jpda_lbp(psi: np.ndarray, iterations: int = LBP_ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Approximate JPDA marginals by loopy belief propagation (:func:`lbp_pairs`, Williams &
    Lau 2014) on a dense ``psi``; same inputs/outputs as :func:`jpda_exact`."""
    it, jd = np.nonzero(psi)
    beta = np.zeros_like(psi)
    if it.size:
        beta[it, jd] = lbp_pairs(psi[it, jd], it, jd, iterations)
    return beta, 1.0 - beta.sum(axis=1)


def _few_events(it: np.ndarray) -> bool:
    """Whether the joint-event count bound ``prod_i (1 + gated_i)`` of a cluster (pair track
    indices ``it``) is at most ``MAX_EXACT_EVENTS`` (in logs: huge clusters cannot overflow)."""
    return float(np.log1p(np.bincount(it)).sum()) <= np.log(MAX_EXACT_EVENTS)


def jpda_weights(
    pairs: Pairs, score: np.ndarray, n_tracks: int, n_dets: int
) -> tuple[np.ndarray, np.ndarray]:
    """JPDA association probabilities of every gated pair ``beta`` ``(p,)`` and of each track's
    missed detection ``beta0`` ``(n_tracks,)``, cluster by cluster: closed form for 1x1
    clusters, exact enumeration while the event count is below ``MAX_EXACT_EVENTS``, loopy
    belief propagation above it."""
    psi = np.exp(np.minimum(score, 300.0))
    beta = np.zeros(pairs.ti.size)
    single = _singletons(pairs.ti, pairs.dj, n_tracks, n_dets)
    beta[single] = psi[single] / (1.0 + psi[single])
    rest = np.flatnonzero(~single)
    if rest.size:
        labels = clusters(pairs.ti[rest], pairs.dj[rest], n_tracks, n_dets)
        for group in _split_by_label(labels):
            idx = rest[group]
            tracks, it = np.unique(pairs.ti[idx], return_inverse=True)
            dets, jd = np.unique(pairs.dj[idx], return_inverse=True)
            if not _few_events(it):
                beta[idx] = lbp_pairs(psi[idx], it, jd)
                continue
            m = np.zeros((tracks.size, dets.size))
            m[it, jd] = psi[idx]
            beta[idx] = jpda_exact(m)[0][it, jd]
    beta0 = 1.0 - np.bincount(pairs.ti, weights=beta, minlength=n_tracks)
    return beta, np.clip(beta0, 0.0, 1.0)
