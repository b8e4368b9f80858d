"""The node tracker (frames of several sensors' detections): the information-form frame update
against the textbook Kalman filter, retrodicted gating against brute force, kinematic
classification, and track management on small scenes worked out by hand.

References: Bar-Shalom, Li & Kirubarajan 2001 (Kalman update, eq. 5.2.3; CWNA process noise,
eq. 6.2.2-12; NEES of a consistent filter is chi-square with 6 dof, sec. 5.4.2).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shieldwall.tracking.clusters as clusters
import shieldwall.tracking.frame as core
from shieldwall.geo import enu_to_ecef
from shieldwall.tracking.associate import gate_threshold
from shieldwall.tracking.filters import gaussian_loglik
from shieldwall.tracking.frame import Frame, classify, frame_update, init_clusters, retro_pairs
from shieldwall.tracking.kalman import predict, process_noise, update_position
from shieldwall.tracking.node import NodeConfig, NodeTracker

SITE = (32.0, 35.0)


def _state(east_m, north_m, up_m, v_enu):
    """ECEF state of a point ``(east, north, up)`` from SITE moving at ``v_enu`` (m/s)."""
    p = enu_to_ecef(np.array([east_m, north_m, up_m]), *SITE, 0.0)
    v = enu_to_ecef(np.array([east_m, north_m, up_m]) + np.asarray(v_enu), *SITE, 0.0) - p
    return np.concatenate([p, v])


def _spd(rng, n, scale):
    A = rng.standard_normal((n, n)) * scale
    return A @ A.T + np.eye(n) * scale**2 * 0.5


# --------------------------------------------------------------------------------------------
# Frame update
# --------------------------------------------------------------------------------------------


def test_one_detection_now_is_the_kalman_update():
    rng = np.random.default_rng(1)
    k = 50
    x = np.array([_state(*rng.uniform(-5e4, 5e4, 2), 1000.0, (40.0, 0, 0)) for _ in range(k)])
    P = np.array([_spd(rng, 6, 30.0) for _ in range(k)])
    z = x[:, :3] + rng.normal(0, 50, (k, 3))
    R = np.array([_spd(rng, 3, 40.0) for _ in range(k)])
    xf, Pf = frame_update(x, P, np.arange(k), np.zeros(k), z, R, np.full(k, 2))
    xk, Pk = update_position(x, P, z, R)
    np.testing.assert_allclose(xf, xk, rtol=0, atol=1e-9 * np.abs(xk).max())
    np.testing.assert_allclose(Pf, Pk, rtol=1e-9, atol=1e-9 * np.abs(Pk).max())


def test_two_sensors_at_once_equal_two_sequential_updates():
    rng = np.random.default_rng(2)
    x = _state(1e4, 2e4, 3000.0, (200.0, 10.0, 0))[None]
    P = _spd(rng, 6, 100.0)[None]
    z = x[:, :3] + rng.normal(0, 80, (2, 3))
    R = np.array([np.diag([50.0, 90.0, 400.0]) ** 2, np.diag([300.0, 40.0, 60.0]) ** 2])
    xf, Pf = frame_update(x, P, np.array([0, 0]), np.zeros(2), z, R, np.array([1]))
    x1, P1 = update_position(x, P, z[:1], R[:1])
    x2, P2 = update_position(x1, P1, z[1:], R[1:])
    np.testing.assert_allclose(xf, x2, rtol=0, atol=1e-6)
    np.testing.assert_allclose(Pf, P2, rtol=1e-9, atol=1e-9)


def test_retrodicted_detection_without_process_noise_is_exact(monkeypatch):
    """With q = 0 the equivalent measurement is exact: updating the state at t with a detection
    made tau earlier equals predicting back to t - tau, updating there and predicting forward."""
    monkeypatch.setattr(core, "Q_BY_CLASS", np.zeros(3))
    rng = np.random.default_rng(3)
    x = _state(-2e4, 5e3, 800.0, (-45.0, 20.0, 0.0))[None]
    P = _spd(rng, 6, 60.0)[None]
    tau = 4.0
    z = x[:, :3] - tau * x[:, 3:] + rng.normal(0, 30, (1, 3))
    R = np.diag([30.0, 50.0, 70.0])[None] ** 2
    xf, Pf = frame_update(x, P, np.array([0]), np.array([tau]), z, R, np.array([2]))
    zero = np.zeros(1)
    xb, Pb = predict(x, P, np.array([-tau]), zero, np.array([False]))
    xu, Pu = update_position(xb, Pb, z, R)
    xr, Pr = predict(xu, Pu, np.array([tau]), zero, np.array([False]))
    np.testing.assert_allclose(xf, xr, rtol=0, atol=1e-6)
    np.testing.assert_allclose(Pf, Pr, rtol=1e-8, atol=1e-8)


def test_vectorised_frame_update_equals_one_track_at_a_time():
    rng = np.random.default_rng(4)
    k, p = 30, 70
    x = np.array([_state(*rng.uniform(-9e4, 9e4, 2), 2000.0, rng.normal(0, 80, 3))
                  for _ in range(k)])  # fmt: skip
    P = np.array([_spd(rng, 6, 40.0) for _ in range(k)])
    ti = rng.integers(0, k, p)
    tau = rng.uniform(0, 5, p)
    z = x[ti, :3] + rng.normal(0, 100, (p, 3))
    R = np.array([_spd(rng, 3, 60.0) for _ in range(p)])
    cls = classify(x, P)
    xa, Pa = frame_update(x, P, ti, tau, z, R, cls)
    for i in range(k):
        m = ti == i
        xi, Pi = frame_update(x[i : i + 1], P[i : i + 1], np.zeros(m.sum(), dtype=int), tau[m],
                              z[m], R[m], cls[i : i + 1])  # fmt: skip
        np.testing.assert_allclose(xa[i], xi[0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(Pa[i], Pi[0], rtol=1e-9, atol=1e-9)


def test_frame_filter_is_consistent_with_two_sensors_out_of_step():
    """Drones following the filter's own CWNA model (q = Q_BY_CLASS[2]), seen every 5 s by one
    sensor at the frame time and by another 3 s earlier: over 300 runs and frames 10-40 the
    average NEES is chi-square(6) mean 6 within the loose band 5-7 (the neglected correlation
    of process noise across one frame's detections is small for drones)."""
    rng = np.random.default_rng(2024)
    runs, frames, dt = 300, 40, 5.0
    q = core.Q_BY_CLASS[2]
    Lq = np.linalg.cholesky(process_noise(np.array([1.0]), np.array([q]))[0])
    truth = np.array([_state(*rng.uniform(-5e4, 5e4, 2), 500.0, (30.0, -20.0, 0.0))
                      for _ in range(runs)])  # fmt: skip
    R = np.diag([60.0, 90.0, 150.0]) ** 2
    Lr = np.linalg.cholesky(R)
    x = truth.copy()
    x[:, :3] += rng.standard_normal((runs, 3)) @ Lr.T
    x[:, 3:] = 0.0
    P = np.broadcast_to(np.diag([*np.diag(R), 100.0**2, 100.0**2, 100.0**2]), (runs, 6, 6)).copy()
    x[:, 3:] += rng.standard_normal((runs, 3)) * 100.0 - (x[:, 3:] - truth[:, 3:])
    nees = []
    for _ in range(frames):
        seen = []
        for s in range(5):  # 1 s substeps of truth with process noise
            truth[:, :3] += truth[:, 3:]
            truth += rng.standard_normal((runs, 6)) @ Lq.T
            if s == 1:
                seen.append(truth[:, :3] + rng.standard_normal((runs, 3)) @ Lr.T)
        seen.append(truth[:, :3] + rng.standard_normal((runs, 3)) @ Lr.T)
        x, P = predict(x, P, np.full(runs, dt), np.full(runs, q), np.zeros(runs, bool))
        ti = np.r_[np.arange(runs), np.arange(runs)]
        tau = np.r_[np.full(runs, 3.0), np.zeros(runs)]
        Rb = np.broadcast_to(R, (2 * runs, 3, 3))
        x, P = frame_update(x, P, ti, tau, np.concatenate(seen), Rb, np.full(runs, 2))
        e = x - truth
        nees.append(np.einsum("mi,mij,mj->m", e, np.linalg.inv(P), e))
    avg = np.array(nees)[10:].mean()
    assert 5.0 < avg < 7.0, avg


# --------------------------------------------------------------------------------------------
# Gating and clustering
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), tau_max=st.floats(0.0, 8.0))
def test_retro_pairs_prefilter_loses_no_pair(seed, tau_max):
    """The k-d tree prefilter keeps every pair that brute force finds inside the gate."""
    rng = np.random.default_rng(seed)
    k, m = 25, 40
    x = np.array([_state(*rng.uniform(-3e4, 3e4, 2), rng.uniform(100, 3e4),
                         rng.normal(0, 600, 3)) for _ in range(k)])  # fmt: skip
    P = np.array([_spd(rng, 6, rng.uniform(10, 500)) for _ in range(k)])
    t_s = 100.0
    det_t = t_s - rng.uniform(0, tau_max, m)
    z = x[rng.integers(0, k, m), :3] + rng.normal(0, 3000, (m, 3))
    R = np.array([_spd(rng, 3, rng.uniform(20, 300)) for _ in range(m)])
    frame = Frame(det_t, np.arange(m), z, R, np.full(m, -1))
    gamma = gate_threshold(0.999)
    pairs, _ = retro_pairs(x, P, t_s, frame, gamma)
    cls = classify(x, P)
    ti, dj = np.meshgrid(np.arange(k), np.arange(m), indexing="ij")
    ti, dj = ti.ravel(), dj.ravel()
    tau = t_s - det_t[dj]
    acc = core.gravity_ecef(x[:, :3], x[:, 3:]) * (cls == 0)[:, None]
    y, S = core._retro_innovation(x[ti], P[ti], acc[ti], core.Q_BY_CLASS[cls][ti], tau, z[dj],
                                  R[dj])  # fmt: skip
    _, d2 = gaussian_loglik(y, S)
    want = set(zip(ti[d2 <= gamma].tolist(), dj[d2 <= gamma].tolist(), strict=True))
    got = set(zip(pairs.ti.tolist(), pairs.dj.tolist(), strict=True))
    assert got == want


def test_init_clusters_join_sensors_not_one_scan():
    R = np.broadcast_to(np.eye(3) * 100.0**2, (4, 3, 3))
    z = np.array([[0.0, 0, 0], [150.0, 0, 0], [400.0, 0, 0], [9e4, 0, 0]])
    # 0 and 1: one object seen by two radars (150 m apart, inside 3 sqrt(2) 100 m = 424 m);
    # 2 is in 1's scan (so never 1's object) but 400 m from 0, so it joins through scan 0
    # (the documented chaining); 3 is far away
    labels = init_clusters(np.zeros(4), np.array([0, 1, 1, 0]), z, R, 250.0)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    z[2, 0] = 1000.0  # now beyond 424 m from 0: a cluster of its own
    labels = init_clusters(np.zeros(4), np.array([0, 1, 1, 0]), z, R, 250.0)
    assert labels[0] == labels[1] and len(set(labels.tolist())) == 3


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(2, 90))
def test_components_number_as_scipy(seed, m):
    """The dense closure (and the sparse path above DENSE_MAX detections) labels components as
    scipy.sparse.csgraph does: in order of each component's smallest node."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    e = int(rng.integers(1, 2 * m))
    i, j = rng.integers(0, m, e), rng.integers(0, m, e)
    keep = i != j
    i, j = i[keep], j[keep]
    want = connected_components(coo_matrix((np.ones(i.size), (i, j)), shape=(m, m)),
                                directed=False)[1]  # fmt: skip
    link = np.zeros((m, m), dtype=bool)
    link[i, j] = link[j, i] = True
    np.testing.assert_array_equal(core.components(link, m), want)
    np.testing.assert_array_equal(core.components((i, j), m), want)


def test_init_clusters_dense_and_tree_agree(monkeypatch):
    """Up to DENSE_MAX detections every pair is tested, above it a k-d tree proposes them: the
    same clusters either way."""
    rng = np.random.default_rng(12)
    m = 60
    z = rng.uniform(-1e4, 1e4, (m, 3))
    R = np.broadcast_to(np.eye(3) * 300.0**2, (m, 3, 3)).copy()
    t = rng.uniform(0, 5, m)
    group = rng.integers(0, 4, m)
    dense = init_clusters(t, group, z, R, 250.0)
    monkeypatch.setattr(clusters, "DENSE_MAX", 1)
    tree = init_clusters(t, group, z, R, 250.0)
    np.testing.assert_array_equal(dense, tree)
    assert 1 < dense.max() + 1 < m  # some clusters join, not all


def test_gravity_few_or_many_states_same_bits():
    """gravity_ecef adds the horizontal terms two ways (few states, many states): each row
    comes out bit for bit the same in a stack of any size."""
    from shieldwall.tracking.kalman import gravity_ecef

    rng = np.random.default_rng(13)
    x = np.concatenate([rng.normal(0, 4e6, (40, 3)), rng.normal(0, 2e3, (40, 3))], axis=1)
    many = gravity_ecef(x[:, :3], x[:, 3:])
    for n in (1, 2, 4):
        np.testing.assert_array_equal(gravity_ecef(x[:n, :3], x[:n, 3:]), many[:n])
    np.testing.assert_array_equal(gravity_ecef(x[0, :3], x[0, 3:]), many[0])


def test_classify_by_kinematics():
    drone = _state(0, 0, 1000.0, (50.0, 0, 0))
    cruise = _state(0, 0, 50.0, (240.0, 0, 0))
    bm = _state(0, 0, 60e3, (1500.0, 0, -1500.0))
    glide = _state(0, 0, 30e3, (0, 0, 0))
    np.testing.assert_array_equal(classify(np.array([drone, cruise, bm, glide])), [2, 1, 0, 0])
    # a new track whose speed (900 m/s) is within two sigmas of zero is not put under gravity
    fast = _state(0, 0, 1000.0, (900.0, 0, 0))[None]
    vague = np.diag([1e4, 1e4, 1e4, 1e6, 1e6, 1e6])[None]
    assert classify(fast, vague)[0] != 0 and classify(fast)[0] == 0


def test_classify_caps_cruise_speed_of_low_born_tracks():
    """A low-born track (no speed test) surely faster than the cap is not cruise (a track strung
    across two drones: 550 +- 24 m/s); a steep dive (a ballistic missile picked up low) or a
    high-born track keeps its class, and so does one within two sigmas of the cap."""
    level = _state(0, 0, 2000.0, (550.0, 0, 0))
    dive = _state(0, 0, 2000.0, (550.0, 0, -400.0))
    slow = _state(0, 0, 2000.0, (240.0, 0, 0))
    x = np.array([level, dive, slow])
    P = np.tile(np.diag([1e4, 1e4, 1e4, 24.0**2, 24.0**2, 24.0**2]), (3, 1, 1))
    low = np.zeros(3, dtype=bool)
    np.testing.assert_array_equal(classify(x, P, low, 360.0), [2, 1, 1])
    np.testing.assert_array_equal(classify(x, P, low), [1, 1, 1])  # no cap
    np.testing.assert_array_equal(classify(x, P, np.ones(3, bool), 360.0), [1, 0, 1])
    wide = np.tile(np.diag([1e4, 1e4, 1e4, 150.0**2, 150.0**2, 150.0**2]), (3, 1, 1))
    assert classify(x[:1], wide[:1], low[:1], 360.0)[0] == 1  # 550 - 2 * 150 < 360


def test_cruise_only_after_two_updates_in_a_row_that_read_cruise():
    """NodeTracker._classify: a track reads cruise by kinematics (:func:`classify`) but is
    called cruise only once two updates in a row read so. Four tracks at 240 m/s, 50 m up:
    updated now after no cruise reading (first reading: still drone); updated after one
    (cruise); not updated, one reading (stays drone: a swarm string that confirmed and was
    never seen again); and a 50 m/s track updated after two readings (the run resets)."""
    nt = NodeTracker(NodeConfig())
    fast, slow = _state(0, 0, 50.0, (240.0, 0, 0)), _state(0, 0, 50.0, (50.0, 0, 0))
    nt.x = np.array([fast, fast, fast, slow])
    nt.P = np.tile(np.diag([1e4, 1e4, 1e4, 4.0, 4.0, 4.0]), (4, 1, 1))
    nt.speed_test = np.zeros(4, dtype=bool)
    nt.cruise_run = np.array([[0, 0], [1, 1], [1, 1], [2, 2]])
    nt.last_hit_s = np.array([10.0, 10.0, 5.0, 10.0])
    np.testing.assert_array_equal(classify(nt.x, nt.P, nt.speed_test), [1, 1, 1, 2])
    nt._classify(10.0)
    np.testing.assert_array_equal(nt.cls, [2, 1, 2, 2])
    np.testing.assert_array_equal(nt.cruise_run, [[1, 1], [2, 2], [1, 1], [0, 0]])
    nt._classify(15.0)  # a frame that updates none of them changes nothing
    np.testing.assert_array_equal(nt.cls, [2, 1, 2, 2])


def test_cruise_missile_track_reads_cruise_from_its_second_cruise_update():
    """One cruise missile (240 m/s, 50 m up) seen every 5 s with 80 m of noise: each frame's
    class equals the kinematic reading once that reading has held on two frames in a row, and
    drone before; the track ends up cruise."""
    rng = np.random.default_rng(3)
    a = _state(-2e4, 0, 50.0, (240.0, 0, 0))
    nt = NodeTracker(NodeConfig(confirm_m=3, confirm_window_s=60.0))
    run = 0
    for f in range(1, 13):
        nt.step(5.0 * f, _scene(rng, 5.0 * f, [a], sensors=1))
        assert nt.size == 1
        raw = int(classify(nt.x, nt.P, nt.speed_test)[0])
        run = run + 1 if raw == 1 else 0
        assert nt.cls[0] == (1 if run >= 2 else 2 if raw == 1 else raw), f
    assert nt.cls[0] == 1 and run >= 2


def test_contested_pairs_by_hand():
    """:func:`~shieldwall.tracking.frame.contested`: pairs (track, detection) in doubt. Track 0
    has detections 0 and 1 of one scan (both in doubt); track 1 has detection 2 of scan 0 and
    detection 3 of scan 1 (one per scan: clear); detection 4 is wanted by tracks 2 and 3 (both
    in doubt); track 4 has detection 5 alone."""
    ti = np.array([0, 0, 1, 1, 2, 3, 4])
    dj = np.array([0, 1, 2, 3, 4, 4, 5])
    group = np.array([0, 0, 0, 1, 0, 0])
    want = [True, True, False, False, True, True, False]
    np.testing.assert_array_equal(core.contested(ti, dj, group, 6), want)


def test_cruise_held_on_doubtful_updates():
    """:func:`~shieldwall.tracking.frame.cruise_held` with doubt. Counts are (all, clear)
    cruise updates in a row. A clear cruise update after one clear reading: cruise. A doubtful
    one after one: held at one clear (drone), all counted. The sixth doubtful one in a row:
    cruise (a formation's velocity is everyone's). A drone reading resets both; a track not
    updated keeps its counts."""
    cls = np.array([1, 1, 1, 2, 1])
    updated = np.array([True, True, True, True, False])
    clear = np.array([True, False, False, False, True])
    run = np.array([[1, 1], [1, 1], [5, 0], [4, 2], [1, 1]])
    got, new = core.cruise_held(cls, updated, run, clear)
    np.testing.assert_array_equal(got, [1, 2, 1, 2, 2])
    np.testing.assert_array_equal(new, [[2, 2], [2, 1], [6, 0], [0, 0], [1, 1]])


def test_formation_in_doubt_still_reads_cruise():
    """Two cruise missiles 2 km apart abreast (240 m/s, 50 m up), seen by one radar every 5 s
    with 500 m of noise: detections often fall in both tracks' gates, and those associations
    in doubt hold the tracks' clear counts (tracks that read cruise twice in a row stay drone
    for a while); each frame's class follows :func:`cruise_held`'s rule, and both tracks,
    the same two throughout, end up cruise."""
    rng = np.random.default_rng(6)
    a = _state(-2e4, 0, 50.0, (240.0, 0, 0))
    b = _state(-2e4, 2000.0, 50.0, (240.0, 0, 0))
    nt = NodeTracker(NodeConfig(confirm_m=3, confirm_window_s=60.0))
    held = 0
    for f in range(1, 25):
        nt.step(5.0 * f, _scene(rng, 5.0 * f, [a, b], sensors=1, sigma=500.0))
        run = nt.cruise_run
        cruise = (run[:, 1] >= core.CRUISE_UPDATES) | (run[:, 0] >= core.CRUISE_UPDATES_IN_DOUBT)
        np.testing.assert_array_equal(nt.cls == 1, cruise, err_msg=str(f))
        held += int(((run[:, 0] >= core.CRUISE_UPDATES) & ~cruise).sum())
    assert held > 0  # the doubt did hold tracks that read cruise twice in a row
    assert nt.size == 2 and nt.confirmed.all()
    np.testing.assert_array_equal(nt.id, [1, 2])  # the same two tracks throughout
    np.testing.assert_array_equal(nt.cls, [1, 1])


# --------------------------------------------------------------------------------------------
# Track management
# --------------------------------------------------------------------------------------------


def _scene(rng, t_s, objects, sensors=2, sigma=80.0, clutter=0):
    """One frame: every object seen by every sensor at ``t_s - s`` (sensor s), plus clutter."""
    ts, gr, zs, lab = [], [], [], []
    for s in range(sensors):
        for j, x0 in enumerate(objects):
            t = t_s - s
            ts.append(t)
            gr.append(s)
            zs.append(x0[:3] + t * x0[3:] + rng.normal(0, sigma, 3))
            lab.append(j)
        for _ in range(clutter):
            ts.append(t_s - s)
            gr.append(s)
            zs.append(objects[0][:3] + rng.uniform(-3e5, 3e5, 3) * [1, 1, 0.01])
            lab.append(-1)
    m = len(ts)
    return Frame(np.array(ts), np.array(gr), np.array(zs), np.broadcast_to(np.eye(3) * sigma**2,
                 (m, 3, 3)).copy(), np.array(lab))  # fmt: skip


def test_two_drones_two_sensors_one_track_each_with_clutter():
    rng = np.random.default_rng(7)
    a = _state(-2e4, 0, 1000.0, (50.0, 0, 0))
    b = _state(-2e4, 5e3, 1000.0, (50.0, -5.0, 0))
    nt = NodeTracker(NodeConfig(confirm_m=3, confirm_window_s=60.0))
    ids = None
    for f in range(1, 41):
        nt.step(5.0 * f, _scene(rng, 5.0 * f, [a, b], clutter=2))
        conf = nt.confirmed & (nt.label >= 0)
        if f >= 3:
            assert sorted(nt.label[conf].tolist()) == [0, 1], f
            now = dict(zip(nt.label[conf].tolist(), nt.id[conf].tolist(), strict=True))
            ids = ids or now
            assert now == ids  # stable track numbers
    truth = np.array([a[:3] + 200.0 * a[3:], b[:3] + 200.0 * b[3:]])
    err = np.linalg.norm(nt.x[conf, :3] - truth[nt.label[conf]], axis=1)
    assert np.all(err < 80.0), err
    # clutter tracks never confirm (three clutter points rarely line up within a minute)
    assert not np.any(nt.confirmed & (nt.label < 0))


def test_confirmation_on_the_mth_detection_and_deletion_after_drop_time():
    rng = np.random.default_rng(8)
    a = _state(0, 0, 500.0, (40.0, 0, 0))
    nt = NodeTracker(NodeConfig(confirm_m=3, confirm_window_s=20.0, drop_track_s=30.0))
    got = [nt.step(5.0 * f, _scene(rng, 5.0 * f, [a], sensors=1)).confirmed.size
           for f in range(1, 5)]  # fmt: skip
    assert got == [0, 0, 1, 0]
    empty = Frame(np.zeros(0), np.zeros(0, int), np.zeros((0, 3)), np.zeros((0, 3, 3)),
                  np.zeros(0, int))  # fmt: skip
    tid = int(nt.id[0])
    assert nt.step(50.0, empty).ended.size == 0  # 30 s unseen: kept
    ch = nt.step(55.0, empty)  # 35 s: deleted
    assert ch.ended.tolist() == [tid] and ch.ended_label.tolist() == [0] and nt.size == 0


def test_tracks_carry_when_each_last_took_a_detection():
    """Two drones seen until 15 s, then only the first: at 25 s both tracks are held at the
    frame time (the stamp) but the second was last seen at 15 s (``seen_s``), in the node's
    export and in the node stack's."""
    from shieldwall.tracking.node_stack import NodeStack

    rng = np.random.default_rng(12)
    objs = [_state(0, 0, 500.0, (40.0, 0, 0)), _state(0, 3e4, 500.0, (40.0, 0, 0))]
    nt, stack = NodeTracker(NodeConfig(confirm_m=2)), NodeStack(1, NodeConfig(confirm_m=2))
    for t, seen in [(5.0, objs), (10.0, objs), (15.0, objs), (20.0, objs[:1]), (25.0, objs[:1])]:
        frame = _scene(rng, t, seen, sensors=1)
        nt.step(t, frame)
        stack.step(t, frame, np.zeros(frame.t_s.size, dtype=np.int64))
    for tr in (nt.tracks(), stack.tracks()[0]):
        order = np.argsort(tr.label)
        np.testing.assert_array_equal(tr.label[order], [0, 1])
        np.testing.assert_array_equal(tr.t_s, [25.0, 25.0])
        np.testing.assert_array_equal(tr.seen_s[order], [25.0, 15.0])


def test_kill_removes_tracks_on_dead_objects_only():
    rng = np.random.default_rng(9)
    objs = [_state(0, 0, 500.0, (40.0, 0, 0)), _state(0, 2e4, 500.0, (40.0, 0, 0))]
    nt = NodeTracker(NodeConfig(confirm_m=2, confirm_window_s=60.0))
    for f in range(1, 4):
        nt.step(5.0 * f, _scene(rng, 5.0 * f, objs, sensors=1))
    assert sorted(nt.label.tolist()) == [0, 1]
    ch = nt.kill(np.array([1]))
    assert ch.ended_label.tolist() == [1] and nt.label.tolist() == [0]


def test_duplicate_tracks_of_a_fast_object_merge():
    """A 2 km/s object seen twice in its first frame (two radars 4 s apart) starts two tracks;
    once both are confirmed the younger merges away."""
    rng = np.random.default_rng(10)
    bm = _state(-1e5, 0, 40e3, (2000.0, 0, -500.0))
    nt = NodeTracker(NodeConfig(confirm_m=2, confirm_window_s=60.0))
    for f in range(1, 8):
        t = 5.0 * f
        frame = _scene(rng, t, [bm], sensors=1, sigma=100.0)
        frame2 = _scene(rng, t - 4.0, [bm], sensors=1, sigma=100.0)
        both = Frame(*(np.concatenate([getattr(frame, k), getattr(frame2, k)])
                       for k in ("t_s", "group", "z", "R", "label")))  # fmt: skip
        both = Frame(both.t_s, np.r_[frame.group, frame2.group + 1], both.z, both.R, both.label)
        nt.step(t, both)
    assert nt.confirmed.sum() == 1 and nt.size == 1


def test_frame_time_must_not_go_back():
    nt = NodeTracker()
    empty = Frame(np.zeros(0), np.zeros(0, int), np.zeros((0, 3)), np.zeros((0, 3, 3)),
                  np.zeros(0, int))  # fmt: skip
    nt.step(10.0, empty)
    with pytest.raises(ValueError, match="precedes"):
        nt.step(5.0, empty)


def test_node_tracks_export_is_a_copy():
    rng = np.random.default_rng(11)
    nt = NodeTracker(NodeConfig(confirm_m=1))
    nt.step(5.0, _scene(rng, 5.0, [_state(0, 0, 500.0, (40.0, 0, 0))], sensors=1))
    tr = nt.tracks()
    tr.x[:] = 0.0
    assert np.all(nt.x[:, :3] != 0.0)
    assert tr.cls.tolist() == [2] and tr.q_m2_s3.tolist() == [core.Q_BY_CLASS[2]]


@pytest.mark.parametrize(("period_s", "confirms"), [(20.0, True), (30.0, True), (31.0, False)])
def test_object_seen_once_a_frame_confirms_only_if_frames_fit_the_window(period_s, confirms):
    """One detection per frame gives one hit per frame: ``confirm_m`` hits need
    ``(confirm_m - 1)`` frame periods within ``confirm_window_s`` (3 hits in 60 s: frames of
    at most 30 s), the bound the scenario check on decision cycles enforces."""
    rng = np.random.default_rng(10)
    a = _state(0, 0, 500.0, (40.0, 0, 0))
    nt = NodeTracker(NodeConfig(confirm_m=3, confirm_window_s=60.0, drop_track_s=90.0))
    for f in range(1, 6):
        nt.step(period_s * f, _scene(rng, period_s * f, [a], sensors=1))
    assert bool(np.any(nt.confirmed & (nt.label == 0))) is confirms
