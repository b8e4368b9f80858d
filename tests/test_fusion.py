"""Track fusion: covariance intersection, track-to-track association, system track numbers and
delayed releases (tracking/fusion.py, tracking/fuser.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import linear_sum_assignment

from shieldwall.tracking.associate import gate_threshold
from shieldwall.tracking.fuser import Fuser, track_batch
from shieldwall.tracking.fusion import (
    associate_tracks,
    ci_gains,
    covariance_intersection,
    pair_distances,
)
from shieldwall.tracking.kalman import predict, update_position

ORIGIN_M = np.array([4.0e6, 1.0e6, 4.8e6])  # ECEF-sized offsets, so round-off is realistic


def spd(rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    """Random SPD matrices with per-axis scales over five decades."""
    A = rng.normal(size=(m, d, d))
    D = 10.0 ** rng.uniform(-1, 2, size=(m, d, 1))
    return D * (A @ A.transpose(0, 2, 1) + 0.05 * np.eye(d)) * D.transpose(0, 2, 1)


def random_pairs(seed: int, m: int = 64, d: int = 6):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, d)), spd(rng, m, d), rng.normal(size=(m, d)), spd(rng, m, d)


# ----------------------------------------------------------------------------------------------
# covariance intersection
# ----------------------------------------------------------------------------------------------


def sqrtm(P: np.ndarray) -> np.ndarray:
    lam, V = np.linalg.eigh(P)
    return (V * np.sqrt(np.maximum(lam, 0.0))) @ V.T


def admissible_cross(P1: np.ndarray, P2: np.ndarray, rng: np.random.Generator, n: int):
    """Cross-covariances ``C = P1^1/2 K P2^1/2`` with ``|K|_2 <= 1``, so that
    ``[[P1, C], [C', P2]]`` is PSD; a third sit on the boundary ``|K|_2 = 1``."""
    S1, S2 = sqrtm(P1), sqrtm(P2)
    for k in range(n):
        K = rng.normal(size=P1.shape)
        K /= np.linalg.norm(K, 2)
        yield S1 @ (K * (1.0 if k % 3 == 0 else rng.uniform())) @ S2


matrix = arrays(np.float64, (6, 6), elements=st.floats(-10, 10, allow_subnormal=False))


@settings(max_examples=300, deadline=None)
@given(
    A=matrix,
    B=matrix,
    d=st.sampled_from([1, 2, 3, 6]),
    criterion=st.sampled_from(["trace", "det", "fast"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_ci_consistent_for_any_admissible_cross_covariance(A, B, d, criterion, seed):
    """Julier & Uhlmann (1997): for any admissible cross-covariance C the true error covariance
    of the CI estimate ``K1 P1 K1' + K1 C K2' + K2 C' K1' + K2 P2 K2'`` is <= the reported P
    (Loewner order). Tolerance: eigenvalues of ``P - P_true`` >= -1e-9 max|P|."""
    rng = np.random.default_rng(seed)
    P1 = (A @ A.T)[:d, :d] + 0.1 * np.eye(d)
    P2 = (B @ B.T)[:d, :d] + 0.1 * np.eye(d)
    x1, x2 = rng.normal(size=(1, d)), rng.normal(size=(1, d))
    _, P, w = covariance_intersection(x1, P1[None], x2, P2[None], criterion)
    assert 0.0 <= w[0] <= 1.0
    K1, K2 = (k[0] for k in ci_gains(P1[None], P2[None], w))
    for C in admissible_cross(P1, P2, rng, 12):
        cross = K1 @ C @ K2.T
        P_true = K1 @ P1 @ K1.T + cross + cross.T + K2 @ P2 @ K2.T
        assert np.linalg.eigvalsh(P[0] - P_true).min() >= -1e-9 * np.abs(P).max()


@pytest.mark.parametrize("criterion", ["trace", "det"])
def test_ci_weight_is_the_minimiser(criterion):
    """The chosen w beats every w on a 2,001-point grid of the textbook formula
    ``P = (w P1^-1 + (1-w) P2^-1)^-1`` (tolerance 1e-12 relative), and x, P match that formula
    to 1e-9 relative."""
    x1, P1, x2, P2 = random_pairs(1, m=16)
    x, P, w = covariance_intersection(x1, P1, x2, P2, criterion)
    I1, I2 = np.linalg.inv(P1), np.linalg.inv(P2)
    score = np.trace if criterion == "trace" else np.linalg.det
    grid = np.linspace(0.0, 1.0, 2001)[:, None, None, None]
    Pg = np.linalg.inv(grid * I1 + (1 - grid) * I2)
    best = score(Pg, axis1=-2, axis2=-1) if criterion == "trace" else score(Pg)
    ours = score(P, axis1=1, axis2=2) if criterion == "trace" else score(P)
    assert np.all(ours <= best.min(0) * (1 + 1e-12))
    wb = w[:, None, None]
    P_ref = np.linalg.inv(wb * I1 + (1 - wb) * I2)
    info = w[:, None] * np.einsum("mij,mj->mi", I1, x1)
    info += (1 - w[:, None]) * np.einsum("mij,mj->mi", I2, x2)
    x_ref = np.einsum("mij,mj->mi", P_ref, info)
    scale = np.abs(P_ref).max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(P / scale, P_ref / scale, rtol=0, atol=1e-9)
    np.testing.assert_allclose(x, x_ref, rtol=1e-9, atol=1e-9 * np.abs(x_ref).max())


def test_ci_limits_w1_w0_and_dominance():
    """w=1 returns estimate 1, w=0 estimate 2 (1e-12 relative); when P1 <= P2 in the Loewner
    order the trace and det optima are w=1 exactly (and w=0 the other way round)."""
    x1, P1, x2, P2 = random_pairs(2, m=8)
    for w, (xe, Pe) in ((1.0, (x1, P1)), (0.0, (x2, P2))):
        x, P, _ = covariance_intersection(x1, P1, x2, P2, w=np.full(8, w))
        np.testing.assert_allclose(x, xe, rtol=1e-12, atol=1e-12 * np.abs(xe).max())
        np.testing.assert_allclose(P, Pe, rtol=1e-12, atol=1e-12 * np.abs(Pe).max())
    P_big = P1 + P2
    for criterion in ("trace", "det"):
        assert np.all(covariance_intersection(x1, P1, x2, P_big, criterion)[2] == 1.0)
        assert np.all(covariance_intersection(x1, P_big, x2, P1, criterion)[2] == 0.0)


@pytest.mark.parametrize("criterion", ["trace", "det", "fast"])
def test_ci_with_itself_returns_it(criterion):
    """Fusing an estimate with itself gives it back, whatever w (1e-12 relative)."""
    x1, P1, _, _ = random_pairs(3, m=32)
    x, P, _ = covariance_intersection(x1, P1, x1, P1, criterion)
    scale = np.abs(P1).max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(P / scale, P1 / scale, rtol=0, atol=1e-12)
    np.testing.assert_allclose(x, x1, rtol=0, atol=1e-12 * np.abs(x1).max())


@pytest.mark.parametrize("criterion", ["trace", "det", "fast"])
def test_ci_batched_equals_one_at_a_time(criterion):
    """A batch of 64 pairs equals 64 calls of one pair each to 1e-12 relative."""
    x1, P1, x2, P2 = random_pairs(4)
    xb, Pb, wb = covariance_intersection(x1, P1, x2, P2, criterion)
    for k in range(x1.shape[0]):
        s = slice(k, k + 1)
        x, P, w = covariance_intersection(x1[s], P1[s], x2[s], P2[s], criterion)
        assert abs(w[0] - wb[k]) <= 1e-12
        np.testing.assert_allclose(P[0], Pb[k], rtol=0, atol=1e-12 * np.abs(Pb[k]).max())
        np.testing.assert_allclose(x[0], xb[k], rtol=0, atol=1e-12 * np.abs(xb[k]).max())


def test_fast_ci_weight_is_niehsen():
    """Niehsen (2002): ``w = tr P2 / (tr P1 + tr P2)`` (exact)."""
    x1, P1, x2, P2 = random_pairs(5, m=8)
    _, _, w = covariance_intersection(x1, P1, x2, P2, "fast")
    t1, t2 = np.trace(P1, axis1=1, axis2=2), np.trace(P2, axis1=1, axis2=2)
    np.testing.assert_array_equal(w, t2 / (t1 + t2))


# ----------------------------------------------------------------------------------------------
# track-to-track association
# ----------------------------------------------------------------------------------------------


def noisy_copies(rng: np.random.Generator, truth: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Estimates of ``truth`` ``(n, 6)`` with errors drawn from ``P`` ``(n, 6, 6)``."""
    return truth + np.einsum("nij,nj->ni", np.linalg.cholesky(P), rng.normal(size=truth.shape))


def track_cloud(rng: np.random.Generator, n: int, box_m: float) -> tuple[np.ndarray, np.ndarray]:
    truth = np.concatenate(
        [ORIGIN_M + rng.uniform(0, box_m, (n, 3)), rng.normal(0, 200, (n, 3))], 1
    )
    P = np.zeros((n, 6, 6))
    idx = np.arange(6)
    P[:, idx, idx] = np.concatenate([rng.uniform(20, 80, (n, 3)) ** 2, np.full((n, 3), 25.0)], 1)
    return truth, P


def brute_force_association(x1, P1, x2, P2, gate):
    """Every pair's distance, dense assignment: the reference the prefilter must equal."""
    i, j = np.meshgrid(np.arange(x1.shape[0]), np.arange(x2.shape[0]), indexing="ij")
    d2 = pair_distances(x1[i.ravel()], P1[i.ravel()], x2[j.ravel()], P2[j.ravel()])
    d2 = d2.reshape(i.shape)
    big = 1e12
    cost = np.where(d2 <= gate, d2, big)
    r, c = linear_sum_assignment(cost)
    keep = cost[r, c] < big
    return r[keep], c[keep]


def test_association_prefilter_loses_nothing():
    """The k-d tree prefilter changes nothing: same matches as the all-pairs assignment on
    dense clusters (300 x 250 tracks in a 1 km box, many gated pairs), exactly."""
    rng = np.random.default_rng(11)
    truth, P = track_cloud(rng, 300, 1000.0)
    x1 = noisy_copies(rng, truth, P)
    keep = rng.permutation(300)[:250]
    x2 = noisy_copies(rng, truth[keep], P[keep])
    gate = gate_threshold(0.9999, 6)
    i, j, _ = associate_tracks(x1, P, x2, P[keep], gate)
    ri, rj = brute_force_association(x1, P, x2, P[keep], gate)
    assert i.size > 200
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == set(
        zip(ri.tolist(), rj.tolist(), strict=True)
    )


def test_association_recovers_the_permutation():
    """Two sources' noisy tracks of 500 objects spread over 200 km (position sigma 20-80 m):
    every pair found (exact)."""
    rng = np.random.default_rng(12)
    truth, P = track_cloud(rng, 500, 200e3)
    perm = rng.permutation(500)
    x1, x2 = noisy_copies(rng, truth, P), noisy_copies(rng, truth[perm], P[perm])
    i, j, d2 = associate_tracks(x1, P, x2, P[perm], gate_threshold(0.99999, 6))
    assert i.size == 500
    np.testing.assert_array_equal(perm[j], i)
    assert np.all(d2 <= gate_threshold(0.99999, 6))


# ----------------------------------------------------------------------------------------------
# system tracks
# ----------------------------------------------------------------------------------------------

SCANS, DELAY_S, Q_TRACK = 50, 5, 1.0


def crossing_truth(n: int = 4, speed_m_s: float = 250.0) -> np.ndarray:
    """``(SCANS, n, 6)``: ``n`` level targets through one point at t = 25 s, headings 180/n
    degrees apart, 1 s scans."""
    ang = np.pi * np.arange(n) / n
    v = speed_m_s * np.stack([np.cos(ang), np.sin(ang), np.zeros(n)], 1)
    t = np.arange(SCANS, dtype=float)[:, None, None] - 25.0
    return np.concatenate([ORIGIN_M + v * t, np.broadcast_to(v, (SCANS, n, 3))], 2)


def kf_tracks(rng: np.random.Generator, truth: np.ndarray, R: np.ndarray):
    """One nation's Kalman tracks of every target (kalman.predict / update_position) from
    position measurements of covariance ``R`` (3, 3): ``x`` (SCANS, n, 6), ``P``."""
    S, n, _ = truth.shape
    P = np.zeros((n, 6, 6))
    P[:, :3, :3], P[:, 3:, 3:] = R, 100.0**2 * np.eye(3)
    x = noisy_copies(rng, truth[0], P)
    xs, Ps = np.empty_like(truth), np.empty((S, n, 6, 6))
    Rn, L = np.broadcast_to(R, (n, 3, 3)), np.linalg.cholesky(R)
    for s in range(S):
        if s:
            x, P = predict(x, P, np.ones(n), np.full(n, Q_TRACK), np.zeros(n, dtype=bool))
            x, P = update_position(x, P, truth[s, :, :3] + rng.normal(size=(n, 3)) @ L.T, Rn)
        xs[s], Ps[s] = x, P
    return xs, Ps


def two_nations(seed: int, R_a: np.ndarray, R_b: np.ndarray):
    rng = np.random.default_rng(seed)
    truth = crossing_truth()
    return truth, kf_tracks(rng, truth, R_a), kf_tracks(rng, truth, R_b)


IDS_A, IDS_B = np.array([10, 11, 12, 13]), np.array([7, 3, 90, 41])


def run_fuser(tracks_a, tracks_b, key_b=lambda s: "nation-B", fuser=None):
    """Nation A fuses its own tracks with B's, which arrive DELAY_S late; one step a second."""
    fuser = fuser or Fuser()
    (xa, Pa), (xb, Pb) = tracks_a, tracks_b
    out = []
    for s in range(SCANS):
        local = track_batch("local", IDS_A, xa[s], Pa[s], float(s), Q_TRACK)
        rel = []
        if s >= DELAY_S:
            d = s - DELAY_S
            rel = [track_batch(key_b(s), IDS_B, xb[d], Pb[d], float(d), Q_TRACK)]
        out.append(fuser.step(float(s), local, rel))
    return out


def numbers_by_input(sys_tracks) -> dict:
    """(source key, track id) -> system number it fed at that scan."""
    return {
        (sys_tracks.sources[s], int(i)): int(sys_tracks.number[r])
        for r, s, i in zip(
            sys_tracks.prov_row, sys_tracks.prov_source, sys_tracks.prov_id, strict=True
        )
    }


R_ISO = 50.0**2 * np.eye(3)


def test_system_numbers_stable_with_late_releases():
    """Four targets crossing at one point, B's releases 5 s late: across 50 scans every target
    keeps one system number, A's and B's tracks of it share that number, and there are never
    more than four system tracks (exact)."""
    _, ta, tb = two_nations(21, R_ISO, R_ISO)
    out = run_fuser(ta, tb)
    first = numbers_by_input(out[0])
    want = [first[("local", a)] for a in IDS_A]
    for s, st_ in enumerate(out):
        got = numbers_by_input(st_)
        assert [got[("local", a)] for a in IDS_A] == want
        if s >= DELAY_S:
            assert [got[("nation-B", b)] for b in IDS_B] == want
            assert np.all(st_.updated)
        assert st_.number.size == 4
        assert st_.contributors(0) >= {("local", int(IDS_A[0]))}


def test_anonymous_source_associates_like_a_named_one():
    """B's releases under a pseudonym give bit-identical system tracks; under a key that
    changes every scan (no identity to remember at all) association is purely statistical and
    gives the same numbers, states to 1e-9 relative."""
    _, ta, tb = two_nations(22, R_ISO, R_ISO)
    named = run_fuser(ta, tb)
    pseudo = run_fuser(ta, tb, key_b=lambda s: "partner 1")
    rotating = run_fuser(ta, tb, key_b=lambda s: ("anonymous", s))
    for a, b, c in zip(named, pseudo, rotating, strict=True):
        np.testing.assert_array_equal(a.number, b.number)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.P, b.P)
        np.testing.assert_array_equal(a.number, c.number)
        np.testing.assert_allclose(a.x, c.x, rtol=1e-9, atol=0)
        np.testing.assert_array_equal(a.prov_row, c.prov_row)


def mean_position_errors(R_a: np.ndarray, R_b: np.ndarray, runs: int, criterion: str):
    """Mean position error (m) over runs, targets and scans 10-49 of A's track, B's late
    release predicted to the fusion time, and the fused system track."""
    errs: dict[str, list[np.ndarray]] = {"a": [], "b": [], "fused": []}
    ones = np.ones(4)
    for seed in np.random.SeedSequence(5).spawn(runs):
        truth, (xa, Pa), (xb, Pb) = two_nations(seed, R_a, R_b)
        out = run_fuser((xa, Pa), (xb, Pb), fuser=Fuser(criterion=criterion))
        for s in range(10, SCANS):
            num = numbers_by_input(out[s])
            rows = np.searchsorted(out[s].number, [num[("local", a)] for a in IDS_A])
            xp, _ = predict(xb[s - DELAY_S], Pb[s - DELAY_S], DELAY_S * ones, Q_TRACK * ones,
                            ones < 0)  # fmt: skip
            for key, x in (("a", xa[s]), ("b", xp), ("fused", out[s].x[rows])):
                errs[key].append(np.linalg.norm(x[:, :3] - truth[s, :, :3], axis=1))
    return {k: float(np.mean(v)) for k, v in errs.items()}


@pytest.mark.parametrize("criterion", ["trace", "fast"])
def test_fused_error_no_worse_than_better_input(criterion):
    """Monte Carlo, 20 runs x 4 targets x 40 scans. Complementary geometry (A 20 m across,
    200 m along y; B the other way round; B 5 s late): fused mean error <= 0.6 x the better
    input's (measured 0.38 trace, 0.41 fast). Equal geometry, where B's late track is dominated:
    fused no worse than A, tolerance 1e-9 relative (trace CI then picks w = 1 exactly;
    measured 1.0 trace, 0.92 fast)."""
    R_a, R_b = np.diag([20.0, 200.0, 60.0]) ** 2, np.diag([200.0, 20.0, 60.0]) ** 2
    e = mean_position_errors(R_a, R_b, 20, criterion)
    assert e["fused"] <= 0.6 * min(e["a"], e["b"])
    e = mean_position_errors(R_ISO, R_ISO, 20, criterion)
    assert e["fused"] <= min(e["a"], e["b"]) * (1 + 1e-9)


def test_delayed_release_is_predicted_with_kalman_predict():
    """A release stamped 5 s (ballistic) and 2 s (cruise) before the fusion time enters the
    picture exactly as kalman.predict carries it forward (1e-12 relative); one 12 s old is past
    max_age_s = 10 s and dropped; a stamp in the future is an error."""
    rng = np.random.default_rng(31)
    truth, P = track_cloud(rng, 3, 50e3)
    x = noisy_copies(rng, truth, P)
    t_s, age = 100.0, np.array([5.0, 2.0, 12.0])
    q, bal = np.array([400.0, 20.0, 2.0]), np.array([True, False, False])
    fuser = Fuser(max_age_s=10.0)
    empty = track_batch("local", [], np.zeros((0, 6)), np.zeros((0, 6, 6)), t_s)
    out = fuser.step(t_s, empty, [track_batch("p", [4, 5, 6], x, P, t_s - age, q, bal)])
    x_ref, P_ref = predict(x[:2], P[:2], age[:2], q[:2], bal[:2])
    np.testing.assert_array_equal(out.number, [1, 2])
    np.testing.assert_allclose(out.x, x_ref, rtol=1e-12)
    np.testing.assert_allclose(out.P, P_ref, rtol=1e-12, atol=1e-12 * np.abs(P_ref).max())
    assert out.contributors(0) == {("p", 4)} and out.contributors(1) == {("p", 5)}
    with pytest.raises(ValueError, match="stamped after"):
        fuser.step(t_s + 1, empty, [track_batch("p", [4], x[:1], P[:1], t_s + 2)])


def births_and_deaths(rng: np.random.Generator, slots: int, scans: int):
    """Objects that come and go in ``slots`` id slots, each new one far from the last and
    taking its slot's id (so ids are reused); ~10 % of reports missing. Per scan: (ids, x, P,
    object index)."""
    P = np.broadcast_to(np.diag([100.0, 100.0, 100.0, 25.0, 25.0, 25.0]), (slots, 6, 6))
    obj = np.arange(slots)
    truth, _ = track_cloud(rng, slots, 300e3)
    n_obj, frames = slots, []
    for _ in range(scans):
        reborn = rng.uniform(size=slots) < 0.04
        obj[reborn] = n_obj + np.arange(reborn.sum())
        n_obj += reborn.sum()
        truth[reborn] = track_cloud(rng, int(reborn.sum()), 300e3)[0]
        truth[:, :3] += truth[:, 3:]
        seen = rng.uniform(size=slots) > 0.1
        frames.append((np.flatnonzero(seen), noisy_copies(rng, truth, P)[seen], P[seen], obj[seen]))
    return frames


def test_numbers_never_reused_and_stable_per_object():
    """Over 120 scans of objects appearing, vanishing and handing their ids on: each object
    keeps one system number, no two objects share one, a number's life is one unbroken run of
    scans (retired after retire_s = 3 s without input, never seen again), and new numbers
    only count up (exact)."""
    frames = births_and_deaths(np.random.default_rng(41), 12, 120)
    fuser, no_release = Fuser(retire_s=3.0), []
    number_of: dict[int, int] = {}
    alive_at: dict[int, list[int]] = {}
    for s, (ids, x, P, obj) in enumerate(frames):
        out = fuser.step(float(s), track_batch("local", ids, x, P, float(s)), no_release)
        num = numbers_by_input(out)
        for i, o in zip(ids.tolist(), obj.tolist(), strict=True):
            assert number_of.setdefault(o, num[("local", i)]) == num[("local", i)]
        for n in out.number.tolist():
            alive_at.setdefault(n, []).append(s)
    assert len(set(number_of.values())) == len(number_of) > 12
    for scans in alive_at.values():
        assert scans == list(range(scans[0], scans[-1] + 1))
    firsts = [alive_at[n][0] for n in sorted(alive_at)]
    assert firsts == sorted(firsts)
