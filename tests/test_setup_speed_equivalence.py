"""The fast set-up and book-keeping code against the plain forms it replaced, bit for bit.

Each rewrite for speed (fewer numpy calls) must give the same numbers to the last bit, so that a
seed reproduces its run exactly; these tests hold each one to a straightforward reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from shieldwall.sensors.scan import _Coarse
from shieldwall.sim.events import SCHEMA, EventLog
from shieldwall.threats.flight import (
    BOOST_BETA_KG_M2,
    Controls,
    Vehicle,
    density_kg_m3,
    ellipsoid_height_m,
    gravity,
    relative_velocity,
)
from shieldwall.threats.flightstep import Program, accel_into, geometry, rk4
from shieldwall.threats.targeting import launch_frame
from shieldwall.tracking.metrics import _tracks_needed


def _plain_accel(t, r, v, veh, prog, on, thrust, beta):
    """The per-component acceleration (gravity, drag, thrust) as first written."""
    a = gravity(r, veh.j2)
    if veh.drag:
        h = ellipsoid_height_m(r)
        vr = relative_velocity(r, v, veh.omega)
        speed = np.sqrt(vr[0] * vr[0] + vr[1] * vr[1] + vr[2] * vr[2])
        a -= (density_kg_m3(h) * speed / (2.0 * beta)) * vr
    if thrust is not None:
        a += thrust
    return a


def _plain_rk4(t, r, v, h, veh, prog):
    on = t < prog.boost_end
    b = np.count_nonzero(on) > 0
    beta = np.where(on, BOOST_BETA_KG_M2, veh.beta_kg_m2)
    t_mid = t + 0.5 * h
    th_mid = prog.thrust(t_mid, on) if b else None
    k1r, k1v = v, _plain_accel(t, r, v, veh, prog, on, prog.thrust(t, on) if b else None, beta)
    k2r = v + 0.5 * h * k1v
    k2v = _plain_accel(t_mid, r + 0.5 * h * k1r, k2r, veh, prog, on, th_mid, beta)
    k3r = v + 0.5 * h * k2v
    k3v = _plain_accel(t_mid, r + 0.5 * h * k2r, k3r, veh, prog, on, th_mid, beta)
    k4r = v + h * k3v
    th4 = prog.thrust(t + h, on) if b else None
    k4v = _plain_accel(t + h, r + h * k3r, k4r, veh, prog, on, th4, beta)
    r_new = r + h / 6.0 * (k1r + 2 * k2r + 2 * k3r + k4r)
    return r_new, v + h / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)


@pytest.mark.parametrize("j2, drag, rotation", [(True, True, True), (False, True, False),
                                                (True, False, True)])  # fmt: skip
def test_stacked_rk4_equals_plain_rk4_bit_for_bit(j2, drag, rotation):
    rng = np.random.default_rng(5)
    n = 37
    r0, up = launch_frame(rng.uniform(10, 50, n), rng.uniform(20, 60, n))
    veh = Vehicle(rng.uniform(0, 120, n), rng.uniform(2, 8, n), rng.uniform(2e3, 9e3, n),
                  drag, rotation, j2)  # fmt: skip
    ctl = Controls(rng.uniform(2e3, 5e3, n), rng.uniform(0, 6, n), rng.uniform(0.3, 1.2, n))
    prog = Program(r0, up, veh, ctl)
    r = r0 * rng.uniform(1.0, 1.05, n)
    v = rng.normal(size=(3, n)) * 2e3
    for t_now in (0.0, 30.0, 500.0):  # boost for some, none, all coasting
        t = np.full(n, t_now) * rng.uniform(0.5, 1.5, n)
        h = rng.uniform(0.5, 10.0, n)
        y = np.concatenate([r, v])
        on = t < prog.boost_end
        y1 = rk4(t, y, h, prog, geometry(r) if t_now else None, on if on.any() else None)
        r1, v1 = _plain_rk4(t, r, v, h, veh, prog)
        assert np.array_equal(y1[:3], r1) and np.array_equal(y1[3:], v1)


def test_accel_with_known_geometry_equals_without():
    rng = np.random.default_rng(1)
    n = 20
    r0, up = launch_frame(rng.uniform(10, 50, n), rng.uniform(20, 60, n))
    veh = Vehicle(np.full(n, 60.0), np.full(n, 4.0), np.full(n, 5e3))
    prog = Program(r0, up, veh, Controls(np.full(n, 3e3), np.zeros(n), np.full(n, 0.7)))
    y = np.concatenate([r0 * 1.02, rng.normal(size=(3, n)) * 1e3])
    a, b = np.empty((3, n)), np.empty((3, n))
    accel_into(a, y, prog.two_beta_free, None, prog)
    accel_into(b, y, prog.two_beta_free, None, prog, geometry(y[:3]))
    assert np.array_equal(a, b)
    assert np.array_equal(geometry(y[:3])[3], ellipsoid_height_m(y[:3]))


def _plain_tracks_needed(scans, mine, s0, s1, last) -> int:
    """The numpy greedy walk the list version replaced."""
    scans, mine = np.asarray(scans), np.asarray(mine, dtype=np.int64)
    s0, s1, last = np.asarray(s0), np.asarray(s1), np.asarray(last)
    i, used = 0, 0
    while i < len(scans):
        cand = mine[(s0[mine] <= scans[i]) & (s1[mine] >= scans[i])]
        if cand.size == 0:
            later = s0[mine][s0[mine] > scans[i]]
            if later.size == 0:
                break
            i = int(np.searchsorted(scans, later.min()))
            continue
        used += 1
        i = int(np.searchsorted(scans, s1[cand[np.argmax(last[cand])]], side="right"))
    return used


def test_track_walk_on_lists_equals_numpy_walk():
    rng = np.random.default_rng(2)
    for _ in range(300):
        scans = np.unique(rng.integers(0, 60, rng.integers(1, 40)))
        m = int(rng.integers(0, 8))
        s0 = rng.choice(scans, m)
        s1 = s0 + rng.integers(0, 15, m)
        last = s1 + rng.integers(0, 5, m)
        mine = list(rng.permutation(m))
        args = (scans.tolist(), mine, s0.tolist(), s1.tolist(), last.tolist())
        assert _tracks_needed(*args) == _plain_tracks_needed(*args)


def test_coarse_rows_with_equals_argmax_over_padded_rows():
    rng = np.random.default_rng(3)
    n_samples = rng.integers(1, 30, 12)
    start = np.cumsum(n_samples) - n_samples
    coarse = _Coarse(np.zeros((1, 1, 3)), np.zeros(0), np.zeros(0), start, n_samples)
    k = int(n_samples.max())
    for p in (0.0, 0.05, 0.5):
        mask = rng.random(int(n_samples.sum())) < p
        padded = np.zeros((n_samples.size, k), dtype=bool)
        padded[np.arange(k)[None, :] < n_samples[:, None]] = mask
        ok, first, last = coarse.rows_with(mask)
        assert np.array_equal(ok, padded.any(axis=1))
        assert np.array_equal(first[ok], np.argmax(padded, axis=1)[ok])
        assert np.array_equal(last[ok], (k - 1 - np.argmax(padded[:, ::-1], axis=1))[ok])


def test_event_log_rows_and_checks():
    log = EventLog()
    log.add(5.0, "launch", 0, detail="x")
    log.add(7, "intercept", 1, engagement_id=3, pk=0.5)
    rows = log._rows
    assert set(rows) == set(SCHEMA.names)
    assert rows["t_s"] == [5.0, 7.0] and isinstance(rows["t_s"][1], float)
    assert rows["detail"] == ["x", None] and np.isnan(rows["pk"][0]) and rows["pk"][1] == 0.5
    assert log.kills() == [3] and len(log) == 2
    with pytest.raises(TypeError, match="unknown event columns: \\['bogus'\\]"):
        log.add(1.0, "launch", 0, bogus=1)


class _Pic:
    def __init__(self, rng, n):
        self.number = rng.integers(0, 50, n)
        self.label = rng.integers(-1, 5, n)
        self.source = rng.integers(0, 3, n)
        self.x = rng.normal(size=(n, 6))
        a = rng.normal(size=(n, 6, 6))
        self.P = a @ a.transpose(0, 2, 1)


class _Truth:
    def state_ecef(self, t_s):
        return np.arange(30.0).reshape(5, 6) * t_s, np.array([True, False, True, True, False])


def test_picture_log_columns_as_sampled():
    from shieldwall.sim.pictures import PictureLog

    rng = np.random.default_rng(4)
    log = PictureLog(2, 5)
    samples = [[_Pic(rng, int(rng.integers(0, 6))) for _ in range(3)] for _ in range(4)]
    for k, pics in enumerate(samples):
        log.sample(30.0 * k, pics, _Truth(), np.array([True, True, False, True, True]))
    cols = log.arrays()
    assert log.arrays() is cols  # computed once until the next sample
    rows = [(k, a, p) for k, pics in enumerate(samples) for a, p in enumerate(pics)]
    assert np.array_equal(cols["scan"], np.concatenate([np.full(p.number.size, k)
                                                        for k, _, p in rows]))  # fmt: skip
    assert np.array_equal(cols["nation"], np.concatenate([np.full(p.number.size, a)
                                                          for _, a, p in rows]))  # fmt: skip
    sigma = np.concatenate([np.sqrt(np.trace(p.P[:, :3, :3], axis1=1, axis2=2) / 3.0)
                            for _, _, p in rows])  # fmt: skip
    assert np.array_equal(cols["pos_sigma_m"], sigma)
    assert np.array_equal(cols["truth_threat"], np.tile([0, 3], 4))
    assert np.array_equal(cols["truth_x"][2], np.arange(30.0).reshape(5, 6)[0] * 30.0)
