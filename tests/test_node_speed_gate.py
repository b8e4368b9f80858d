"""Gating several nations at once with the ball and trace prefilters (:func:`stack_gate`)
finds exactly the pairs of one nation's :func:`retro_gate` inside the gate, with the same
numbers, bit for bit (the prefilters only drop pairs the chi-square test drops)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.geo import enu_to_ecef
from shieldwall.tracking.associate import gate_threshold
from shieldwall.tracking.frame import Q_BY_CLASS, Frame, classify, gravity_of, retro_gate
from shieldwall.tracking.node_gate import stack_gate

SITE = (32.0, 35.0)


def _spd(rng, n, scale):
    A = rng.standard_normal((n, n)) * scale
    return A @ A.T + np.eye(n) * scale**2 * 0.5


def _tracks(rng, k):
    x = []
    for _ in range(k):
        enu = np.array([*rng.uniform(-3e4, 3e4, 2), rng.uniform(100, 5e4)])
        p = enu_to_ecef(enu, *SITE, 0.0)
        x.append(np.concatenate([p, enu_to_ecef(enu + rng.normal(0, 800, 3), *SITE, 0.0) - p]))
    return np.array(x), np.array([_spd(rng, 6, rng.uniform(10, 800)) for _ in range(k)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 30), m=st.integers(1, 40),
       tau_max=st.floats(0.0, 8.0))  # fmt: skip
def test_stack_gate_is_each_nations_retro_gate(seed, k, m, tau_max):
    rng = np.random.default_rng(seed)
    x, P = _tracks(rng, k)
    t_s = 100.0
    z = x[rng.integers(0, k, m), :3] + rng.normal(0, rng.choice([300.0, 3000.0]), (m, 3))
    R = np.array([_spd(rng, 3, rng.uniform(20, 300)) for _ in range(m)])
    frame = Frame(t_s - rng.uniform(0, tau_max, m), np.arange(m), z, R, np.full(m, -1))
    tn, nation = rng.integers(0, 3, k), rng.integers(0, 3, m)
    cls = classify(x, P)
    acc, q, gamma = gravity_of(x, cls), Q_BY_CLASS[cls], gate_threshold(0.9999)
    got = stack_gate(x, P, acc, q, t_s, frame, gamma, tn, nation)
    g, inside = retro_gate(x, P, acc, q, t_s, frame, gamma)
    keep = inside & (tn[g.ti] == nation[g.dj])
    want = (g.ti[keep], g.dj[keep], g.y[keep], g.qt[keep], g.loglik[keep])
    if got is None:
        assert not keep.any()
        return
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
