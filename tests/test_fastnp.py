"""The wrapper-free numpy kernels of ``tracking.fastnp`` against numpy's public functions, on
both paths (the private kernels, and the public stand-ins a numpy without them would use)."""

import numpy as np
import pytest

from shieldwall.tracking import fastnp


def _spd(rng: np.random.Generator, k: int, m: int) -> np.ndarray:
    a = rng.normal(size=(k, m, m))
    return a @ a.transpose(0, 2, 1) + m * np.eye(m)


@pytest.mark.parametrize("public", [False, True])
def test_kernels_equal_numpy(monkeypatch, public):
    if public:
        for name in ("_solve", "_inv", "_slogdet"):
            monkeypatch.setattr(fastnp, name, None)
    rng = np.random.default_rng(3)
    a, b = _spd(rng, 7, 6), rng.normal(size=(7, 6, 2))
    # the private kernels are numpy's own: bit-identical; the stand-ins are numpy itself
    np.testing.assert_array_equal(fastnp.solve(a, b), np.linalg.solve(a, b))
    np.testing.assert_array_equal(fastnp.inv(a), np.linalg.inv(a))
    np.testing.assert_array_equal(fastnp.logdet(a), np.linalg.slogdet(a)[1])
    np.testing.assert_array_equal(fastnp.einsum("kii->k", a), np.einsum("kii->k", a))
    mask = rng.random(50) < 0.3
    assert fastnp.count_nonzero(mask) == np.count_nonzero(mask)
    v = b.reshape(-1)  # (1-d: what the trackers pass)
    assert fastnp.amax(v) == v.max() and fastnp.amin(v) == v.min()
    assert fastnp.all_(mask) == mask.all() and fastnp.any_(mask) == mask.any()
