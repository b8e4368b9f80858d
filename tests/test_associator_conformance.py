"""Conformance suite for the associator role (STYLE: one suite per role, run against every
implementation in ``ASSOCIATORS``): on random gated problems every associator returns weights
that are a valid (partial) assignment distribution and agrees with the others where the answer
is forced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.tracking import ASSOCIATORS, Pairs


def _problem(seed: int, k: int, m: int, density: float) -> tuple[Pairs, np.ndarray]:
    rng = np.random.default_rng(seed)
    ti, dj = np.nonzero(rng.random((k, m)) < density)
    return Pairs(ti, dj, np.zeros(ti.size), np.zeros(ti.size)), rng.normal(0.0, 3.0, ti.size)


@pytest.mark.parametrize("name", sorted(ASSOCIATORS))
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(0, 7),
    m=st.integers(0, 8),
    density=st.floats(0.0, 1.0),
)
def test_weights_form_a_valid_association(name, seed, k, m, density):
    pairs, score = _problem(seed, k, m, density)
    out = ASSOCIATORS[name](pairs, score, k, m)
    beta = np.zeros((k, m))
    beta[pairs.ti[out.sel], pairs.dj[out.sel]] = out.beta
    assert out.beta0.shape == (k,)
    assert np.all((out.beta >= -1e-12) & (out.beta <= 1 + 1e-12))
    # each track: its detection weights and its no-detection weight sum to one
    np.testing.assert_allclose(beta.sum(axis=1) + out.beta0, 1.0, atol=1e-9)
    # each detection is shared out at most once
    assert np.all(beta.sum(axis=0) <= 1 + 1e-9)
    if out.hard:
        assert set(np.unique(out.beta).tolist()) <= {1.0}
        assert np.unique(pairs.ti[out.sel]).size == out.sel.size
        assert np.unique(pairs.dj[out.sel]).size == out.sel.size


@pytest.mark.parametrize("name", sorted(ASSOCIATORS))
def test_forced_answers_agree(name):
    """One track and one overwhelmingly likely detection: every associator gives it to the
    track (weight 1 within 1e-9); no gated pair: every track is missed."""
    pairs = Pairs(np.array([0]), np.array([0]), np.zeros(1), np.zeros(1))
    out = ASSOCIATORS[name](pairs, np.array([60.0]), 1, 1)
    assert out.beta[0] == pytest.approx(1.0, abs=1e-9) and out.beta0[0] == pytest.approx(0.0)
    empty = Pairs(*(np.zeros(0, dtype=np.int64),) * 2, np.zeros(0), np.zeros(0))
    out = ASSOCIATORS[name](empty, np.zeros(0), 3, 2)
    np.testing.assert_array_equal(out.beta0, np.ones(3))
