"""Picture-quality metrics against truth: GOSPA, OSPA, SIAP measures and coalition commonality.

Pure numpy/scipy on float64 arrays. Point sets are ``(m, d)`` arrays of positions (m). Histories
are long-format rows, one per object per scan (:class:`History`); scans are integer indexes
into ``scan_t_s``.

Sources:

- GOSPA: A. S. Rahmathullah, A. F. Garcia-Fernandez, L. Svensson, "Generalized optimal
  sub-pattern assignment metric", FUSION 2017, with ``alpha = 2`` (Prop. 1: the minimum over
  assignments with cut-off ``c``, which splits into localisation, missed and false parts).
- OSPA: D. Schuhmacher, B.-T. Vo, B.-N. Vo, "A consistent metric for performance evaluation of
  multi-object filters", IEEE TSP 56(8), 2008, eq. (3).
- SIAP: Votruba et al., "Single Integrated Air Picture (SIAP) Metrics Implementation", SIAP SE
  Task Force, 2001, as implemented by Stone Soup's ``SIAPMetrics`` (stonesoup 1.x,
  ``metricgenerator/tracktotruthmetrics.py``); see :func:`siap` for the formulas and the one
  place we deviate.
- Commonality: the coalition's measure of a shared picture, defined in :func:`commonality`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist


@dataclass(frozen=True, slots=True)
class GospaResult:
    """GOSPA and its decomposition. The parts are in the p-th power of metres, so
    ``distance ** p == localisation + missed + false`` (Rahmathullah et al. 2017, eq. 2)."""

    distance: float
    localisation: float
    missed: float
    false: float
    n_assigned: int
    n_missed: int
    n_false: int


def _cut_costs(X: np.ndarray, Y: np.ndarray, c: float, p: float):
    """Optimal assignment of ``min(d, c)^p`` costs; returns (rows, cols, distances)."""
    D = cdist(X, Y)
    rows, cols = linear_sum_assignment(np.minimum(D, c) ** p)
    return rows, cols, D[rows, cols]


def _as_points(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    return X.reshape(0, 1) if X.size == 0 and X.ndim < 2 else X


def gospa(truth: np.ndarray, estimates: np.ndarray, c: float, p: float = 2.0) -> GospaResult:
    """GOSPA (``alpha = 2``) between a truth set ``(m, d)`` and an estimate set ``(n, d)``.

    ``d = [ min_gamma sum_{(i,j) in gamma} d(x_i, y_j)^p + c^p/2 (|X| + |Y| - 2|gamma|) ]^(1/p)``
    over assignments ``gamma`` of pairs closer than ``c`` (Rahmathullah et al. 2017, Prop. 1).
    Solved as a rectangular assignment on ``min(d, c)^p``: a pair at ``d >= c`` costs ``c^p``,
    exactly one miss plus one false target, so it is counted as those.
    """
    if c <= 0 or p < 1:
        raise ValueError(f"gospa needs c > 0 and p >= 1, got c={c}, p={p}")
    X, Y = _as_points(truth), _as_points(estimates)
    m, n = len(X), len(Y)
    loc, n_pairs = 0.0, 0
    if m and n:
        _, _, d = _cut_costs(X, Y, c, p)
        kept = d < c
        loc, n_pairs = float(np.sum(d[kept] ** p)), int(kept.sum())
    half = c**p / 2.0
    missed, false = half * (m - n_pairs), half * (n - n_pairs)
    total = loc + missed + false
    return GospaResult(total ** (1.0 / p), loc, missed, false, n_pairs, m - n_pairs, n - n_pairs)


def ospa(X: np.ndarray, Y: np.ndarray, c: float, p: float = 2.0) -> float:
    """OSPA distance between point sets ``(m, d)`` and ``(n, d)`` (Schuhmacher et al. 2008, eq. 3).

    With ``m <= n``: ``[ (1/n) (min_pi sum_i min(d(x_i, y_pi(i)), c)^p + c^p (n - m)) ]^(1/p)``;
    zero when both are empty and ``c`` when exactly one is.
    """
    if c <= 0 or p < 1:
        raise ValueError(f"ospa needs c > 0 and p >= 1, got c={c}, p={p}")
    X, Y = _as_points(X), _as_points(Y)
    if len(X) > len(Y):
        X, Y = Y, X
    m, n = len(X), len(Y)
    if n == 0:
        return 0.0
    assigned = 0.0
    if m:
        _, _, d = _cut_costs(X, Y, c, p)
        assigned = float(np.sum(np.minimum(d, c) ** p))
    return ((assigned + c**p * (n - m)) / n) ** (1.0 / p)


@dataclass(frozen=True, slots=True)
class History:
    """Long-format object states: row ``i`` is object ``obj_id[i]`` at scan ``scan[i]``.

    ``scan`` ``(n,)`` int (index into the scan times), ``obj_id`` ``(n,)`` int (truth id, local
    track id or system track number), ``x`` ``(n, 6)`` position (m) then velocity (m/s). One row
    per object per scan at most.
    """

    scan: np.ndarray
    obj_id: np.ndarray
    x: np.ndarray

    @classmethod
    def of(cls, scan, obj_id, x) -> History:
        x = np.asarray(x, dtype=float).reshape(-1, 6)
        return cls(np.asarray(scan, dtype=np.int64), np.asarray(obj_id, dtype=np.int64), x)

    def __len__(self) -> int:
        return len(self.scan)


def gospa_over_scans(
    truth: History, estimates: History, n_scans: int, c: float, p: float = 2.0
) -> np.ndarray:
    """GOSPA distance ``(n_scans,)`` of each scan's estimated positions against its truths."""
    out = np.empty(n_scans)
    t_order, e_order = (
        np.argsort(truth.scan, kind="stable"),
        np.argsort(estimates.scan, kind="stable"),
    )
    t_cut = np.searchsorted(truth.scan[t_order], np.arange(n_scans + 1))
    e_cut = np.searchsorted(estimates.scan[e_order], np.arange(n_scans + 1))
    for k in range(n_scans):
        X = truth.x[t_order[t_cut[k] : t_cut[k + 1]], :3]
        Y = estimates.x[e_order[e_cut[k] : e_cut[k + 1]], :3]
        out[k] = gospa(X, Y, c, p).distance
    return out


def associate_by_distance(truth: History, tracks: History, gate_m: float) -> np.ndarray:
    """Truth id ``(k,)`` assigned to each track row, or -1: per scan, each track goes to the
    nearest truth of that scan whose position is closer than ``gate_m`` (strictly), as Stone
    Soup's ``TrackToTruth`` does at one time step. A truth may take several tracks (ambiguity);
    a track takes at most one truth. Unlike ``TrackToTruth`` there is no confirmation or
    hold-over across scans: association is decided scan by scan."""
    out = np.full(len(tracks), -1, dtype=np.int64)
    for s in np.unique(tracks.scan):
        ti, ki = np.flatnonzero(truth.scan == s), np.flatnonzero(tracks.scan == s)
        if ti.size == 0:
            continue
        D = cdist(tracks.x[ki, :3], truth.x[ti, :3])
        best = np.argmin(D, axis=1)
        near = D[np.arange(ki.size), best] < gate_m
        out[ki[near]] = truth.obj_id[ti[best[near]]]
    return out


def _row_lookup(ref_scan, ref_id, q_scan, q_id) -> np.ndarray:
    """Index into the reference rows of each (scan, id) query, or -1 where there is none."""
    out = np.full(len(q_scan), -1, dtype=np.int64)
    if len(ref_scan) == 0 or len(q_scan) == 0:
        return out
    ids = np.concatenate([ref_id, q_id])
    base, span = ids.min(), ids.max() - ids.min() + 1
    ref_key, q_key = ref_scan * span + (ref_id - base), q_scan * span + (q_id - base)
    order = np.argsort(ref_key, kind="stable")
    pos = np.minimum(np.searchsorted(ref_key[order], q_key), len(order) - 1)
    hit = ref_key[order][pos] == q_key
    out[hit] = order[pos[hit]]
    return out


@dataclass(frozen=True, slots=True)
class SiapResult:
    """SIAP measures over a whole history (Votruba et al. 2001; Stone Soup ``SIAPMetrics``).

    ``track_number_changes`` is ``sum_j (NU_j - 1)``, the numerator of ``R``; ``track_breaks``
    counts the scans at which a truth that was held at its previous scan is held by no track.
    """

    completeness: float
    ambiguity: float
    spuriousness: float
    position_accuracy_m: float
    velocity_accuracy_m_s: float
    track_number_change_rate_per_s: float
    longest_track_segment: float
    track_number_changes: int
    track_breaks: int


def _segments(tracks: History, track_truth: np.ndarray):
    """Association segments: maximal runs of consecutive scans over which one track stays
    associated with one truth. Returns (track, truth, first scan, last scan) arrays and, per
    associated row in run order, whether it continues the previous row's segment."""
    a = np.flatnonzero(track_truth >= 0)
    tr, tj, ts = tracks.obj_id[a], track_truth[a], tracks.scan[a]
    order = np.lexsort((ts, tj, tr))
    tr, tj, ts = tr[order], tj[order], ts[order]
    new = np.ones(len(ts), dtype=bool)
    new[1:] = (tr[1:] != tr[:-1]) | (tj[1:] != tj[:-1]) | (ts[1:] != ts[:-1] + 1)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(ts)).astype(np.int64) - 1
    ends = ends[ends >= 0]
    return (tr[starts], tj[starts], ts[starts], ts[ends]), (tj, ts, ~new)


def _track_number_changes(truth: History, segs) -> int:
    """``sum_j (NU_j - 1)``: NU_j is the number of tracks a greedy walk along truth j's scans
    needs (Stone Soup ``min_num_tracks_needed_to_track``): at each scan not yet covered, take of
    the segments holding the truth there the one whose track's association with it ends last,
    count it, and jump past that segment's end. Stone Soup walks key times of merged ranges
    and stops early (or raises) when a chosen range ends at the scan it starts from; here the
    walk always continues past the chosen segment's own end."""
    seg_track, seg_truth, s0, s1 = segs
    if seg_track.size == 0:
        return 0
    pair = _pair_ids(seg_track, seg_truth)
    pair_end = np.full(int(pair[-1]) + 1, -1, dtype=np.int64)
    np.maximum.at(pair_end, pair, s1)
    last = pair_end[pair]  # per segment: when its track's association with its truth ends
    by_truth = np.lexsort((truth.scan, truth.obj_id))  # each truth's scans, ascending
    truth_ids = truth.obj_id[by_truth]
    seg_order = np.argsort(seg_truth, kind="stable")  # ascending index within each truth
    ids, first = np.unique(seg_truth[seg_order], return_index=True)
    bounds = np.append(first, seg_order.size).tolist()
    lo, hi = np.searchsorted(truth_ids, ids).tolist(), np.searchsorted(truth_ids, ids + 1).tolist()
    # the walks are short and sequential: plain Python lists beat numpy calls on them
    scans, mine = truth.scan[by_truth].tolist(), seg_order.tolist()
    s0_, s1_, last_ = s0.tolist(), s1.tolist(), last.tolist()
    changes = 0
    for k in range(ids.size):
        used = _tracks_needed(scans[lo[k] : hi[k]], mine[bounds[k] : bounds[k + 1]], s0_, s1_,
                              last_)  # fmt: skip
        changes += max(used - 1, 0)
    return changes


def _tracks_needed(scans: list, mine: list, s0: list, s1: list, last: list) -> int:
    """The greedy walk of :func:`_track_number_changes` along one truth's sorted ``scans``
    over its segments ``mine``; a scan no segment covers is skipped to the next segment's
    start (a segment's first scan is a scan of the truth). Of several segments covering a
    scan, the first (in ``mine``) whose association ends last is taken."""
    i, used = 0, 0
    while i < len(scans):
        x, best = scans[i], -1
        for m in mine:
            if s0[m] <= x <= s1[m] and (best < 0 or last[m] > last[best]):
                best = m
        if best < 0:
            later = [s0[m] for m in mine if s0[m] > x]
            if not later:
                break
            i = bisect_left(scans, min(later))
            continue
        used += 1
        i = bisect_right(scans, s1[best])
    return used


def _continuity(truth: History, segs, runs, t: np.ndarray):
    """(TT sum, TL sum, T sum): time tracked, longest segment time and lifetime over truths."""
    seg_track, seg_truth, s0, s1 = segs
    tj, ts, continues = runs
    # TT_j: truth-scan intervals [t_k, t_k+1] inside one segment (a union over tracks)
    # (distinct (truth, scan) pairs in lexicographic order, as np.unique(axis=1) gives them)
    span = int(ts.max(initial=0)) + 1
    covered = np.unique(tj[:-1][continues[1:]] * span + ts[:-1][continues[1:]]) % span
    tt_sum = float(np.sum(t[covered + 1] - t[covered])) if covered.size else 0.0
    # TL_j: longest total association time of one track with truth j. Segments come sorted
    # by (track, truth): each pair's time is summed in segment order (np.add.at is
    # sequential), and the truths' longest times summed in order of first appearance
    tl_sum = 0.0
    if seg_track.size:
        pair = _pair_ids(seg_track, seg_truth)
        new_pair = np.ones(seg_track.size, dtype=bool)
        new_pair[1:] = pair[1:] != pair[:-1]
        pair_time = np.zeros(int(pair[-1]) + 1)
        np.add.at(pair_time, pair, t[s1] - t[s0])
        ids, where, inv = np.unique(seg_truth[new_pair], return_index=True, return_inverse=True)
        longest = np.full(ids.size, -np.inf)
        np.maximum.at(longest, inv.reshape(-1), pair_time)
        tl_sum = sum(longest[np.argsort(where)].tolist())
    # T_j: truth lifetime, last minus first time it exists
    ids, inv = np.unique(truth.obj_id, return_inverse=True)
    t_row = t[truth.scan]
    first, last = np.full(ids.size, np.inf), np.full(ids.size, -np.inf)
    np.minimum.at(first, inv, t_row)
    np.maximum.at(last, inv, t_row)
    return tt_sum, tl_sum, float(np.sum(last - first))


def _pair_ids(seg_track: np.ndarray, seg_truth: np.ndarray) -> np.ndarray:
    """0, 1, ... per distinct (track, truth) pair of segments sorted by track then truth."""
    new = np.ones(seg_track.size, dtype=bool)
    new[1:] = (seg_track[1:] != seg_track[:-1]) | (seg_truth[1:] != seg_truth[:-1])
    return np.cumsum(new) - 1


def _ratio(num: float, den: float, empty: float) -> float:
    return num / den if den != 0 else empty


def siap(
    truth: History, tracks: History, track_truth: np.ndarray, scan_t_s: np.ndarray
) -> SiapResult:
    """SIAP measures of a track history against truth, as Stone Soup's ``SIAPMetrics`` sums
    them over time (Votruba et al. 2001):

    ``C = sum_t JT(t) / sum_t J(t)``, ``A = sum_t NA(t) / sum_t JT(t)``,
    ``S = sum_t (N(t) - NA(t)) / sum_t N(t)``, ``PA = sum_t sum_assoc |p_track - p_truth| /
    sum_t NA(t)`` (``VA`` likewise on velocity), ``R = sum_j (NU_j - 1) / sum_j TT_j``,
    ``LS = sum_j TL_j / sum_j T_j``, where J is truths existing, JT truths held by at least one
    track, N tracks, NA tracks associated, NU_j the tracks needed to cover truth j, TT_j the
    time it is held, TL_j the longest time one track holds it and T_j its lifetime; an empty
    denominator gives C = S = PA = VA = R = LS = 0 and A = 1, as Stone Soup does.

    ``track_truth`` ``(k,)`` is the truth id of each track row or -1 (e.g. from
    :func:`associate_by_distance`); an association lasts over consecutive scans, so Stone Soup's
    ``TimeRangeAssociation`` of a segment holds exactly the scans it covers. ``scan_t_s`` gives
    each scan's time (s).
    """
    track_truth = np.asarray(track_truth, dtype=np.int64)
    t = np.asarray(scan_t_s, dtype=float)
    assoc = np.flatnonzero(track_truth >= 0)
    ref = _row_lookup(truth.scan, truth.obj_id, tracks.scan[assoc], track_truth[assoc])
    if np.any(ref < 0):
        raise ValueError("track_truth names a truth id that does not exist at that track's scan")
    err = tracks.x[assoc] - truth.x[ref]
    # distinct (scan, truth) pairs held
    held = np.unique(tracks.scan[assoc] * (int(track_truth.max(initial=0)) + 1)
                     + track_truth[assoc]).size  # fmt: skip
    segs, runs = _segments(tracks, track_truth)
    tt_sum, tl_sum, life_sum = _continuity(truth, segs, runs, t)
    changes = _track_number_changes(truth, segs)
    n_assoc = assoc.size
    return SiapResult(
        completeness=_ratio(held, len(truth), 0.0),
        ambiguity=_ratio(n_assoc, held, 1.0),
        spuriousness=_ratio(len(tracks) - n_assoc, len(tracks), 0.0),
        position_accuracy_m=_ratio(float(np.linalg.norm(err[:, :3], axis=1).sum()), n_assoc, 0),
        velocity_accuracy_m_s=_ratio(float(np.linalg.norm(err[:, 3:], axis=1).sum()), n_assoc, 0),
        track_number_change_rate_per_s=_ratio(changes, tt_sum, 0.0),
        longest_track_segment=_ratio(tl_sum, life_sum, 0.0),
        track_number_changes=changes,
        track_breaks=_track_breaks(truth, tracks.scan[assoc], track_truth[assoc]),
    )


def _held(truth: History, scan: np.ndarray, truth_id: np.ndarray) -> np.ndarray:
    """Whether each truth row is held by at least one of the (scan, truth id) pairs."""
    hit = _row_lookup(truth.scan, truth.obj_id, scan, truth_id)
    out = np.zeros(len(truth), dtype=bool)
    out[hit[hit >= 0]] = True
    return out


def _track_breaks(truth: History, scan: np.ndarray, truth_id: np.ndarray) -> int:
    order = np.lexsort((truth.scan, truth.obj_id))
    h, j = _held(truth, scan, truth_id)[order], truth.obj_id[order]
    return int(np.sum(h[:-1] & ~h[1:] & (j[:-1] == j[1:])))


def commonality(
    truth: History,
    a: History,
    a_truth: np.ndarray,
    b: History,
    b_truth: np.ndarray,
    agree_m: float,
) -> float:
    """Fraction of (truth object, scan) pairs that two nations' pictures both hold under the same
    system track number with positions within ``agree_m`` of each other.

    ``a`` and ``b`` hold system track numbers in ``obj_id`` (unique per scan within a picture);
    ``a_truth`` / ``b_truth`` give each row's truth id or -1 (e.g. from
    :func:`associate_by_distance`). The denominator is every truth row; a pair counts when some
    row of ``a`` and some row of ``b`` at that scan are associated with that truth, carry the
    same number and agree in position. 1 is a fully common picture.
    """
    if len(truth) == 0:
        return 0.0
    a_truth, b_truth = np.asarray(a_truth, np.int64), np.asarray(b_truth, np.int64)
    ia, ib = np.flatnonzero(a_truth >= 0), np.flatnonzero(b_truth >= 0)
    numbers = np.concatenate([a.obj_id[ia], b.obj_id[ib]])
    if numbers.size == 0:
        return 0.0
    base, span = numbers.min(), numbers.max() - numbers.min() + 1
    key_a = a_truth[ia] * span + (a.obj_id[ia] - base)
    key_b = b_truth[ib] * span + (b.obj_id[ib] - base)
    match = _row_lookup(b.scan[ib], key_b, a.scan[ia], key_a)
    ok = match >= 0
    rows_a, rows_b = ia[ok], ib[match[ok]]
    close = np.linalg.norm(a.x[rows_a, :3] - b.x[rows_b, :3], axis=1) <= agree_m
    common = _held(truth, a.scan[rows_a[close]], a_truth[rows_a[close]])
    return float(common.mean())
