"""disc_probability integrates only the discs within 8 sigma: bit for bit the full quadrature."""

import numpy as np
from scipy.special import ndtr

from shieldwall.engagement.evaluate import _GL_NODES, _GL_WEIGHTS, MIN_SIGMA_M, disc_probability


def _full_quadrature(centre_m, S, radius_m):
    """The quadrature of :func:`disc_probability` on every disc (no skipping)."""
    lam, vec = np.linalg.eigh(0.5 * (S + np.swapaxes(S, -1, -2)))
    su = np.sqrt(np.maximum(lam[..., 0], MIN_SIGMA_M**2))
    sv = np.sqrt(np.maximum(lam[..., 1], MIN_SIGMA_M**2))
    cu = np.einsum("...i,...i->...", vec[..., :, 0], centre_m)
    cv = np.einsum("...i,...i->...", vec[..., :, 1], centre_m)
    r = np.broadcast_to(radius_m, cu.shape)
    lo, hi = np.maximum(cv - r, -8.0 * sv), np.minimum(cv + r, 8.0 * sv)
    half, mid = np.maximum(hi - lo, 0.0) / 2.0, (hi + lo) / 2.0
    v = mid[..., None] + half[..., None] * _GL_NODES
    h = np.sqrt(np.maximum(r[..., None] ** 2 - (v - cv[..., None]) ** 2, 0.0))
    s_u = su[..., None]
    inner = ndtr((cu[..., None] + h) / s_u) - ndtr((cu[..., None] - h) / s_u)
    dens = np.exp(-0.5 * (v / sv[..., None]) ** 2) / (np.sqrt(2.0 * np.pi) * sv[..., None])
    return np.clip(half * np.sum(_GL_WEIGHTS * dens * inner, axis=-1), 0.0, 1.0)


def test_far_discs_skipped_bit_for_bit():
    rng = np.random.default_rng(11)
    n, A = 40, 13
    L = rng.normal(size=(n, 2, 2)) * rng.uniform(10.0, 5e3, (n, 1, 1))
    S = L @ L.transpose(0, 2, 1)
    centre = rng.normal(size=(n, A, 2)) * rng.uniform(1e2, 1e5, (n, A, 1))
    radius = rng.uniform(100.0, 3e3, A)
    got = disc_probability(centre, S[:, None], radius[None])
    ref = _full_quadrature(centre, S[:, None], radius[None])
    assert 0 < np.count_nonzero(got) < got.size  # some discs far, some near
    assert np.array_equal(got, ref)
