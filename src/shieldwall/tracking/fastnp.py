"""Direct calls of numpy's compiled kernels for the tiny stacked arrays of a node tracker.

A node handles about ten tracks and detections per decision cycle, so ``np.linalg.solve`` and
friends spend far longer in Python (argument checks, type resolution, an ``errstate``
context) than in LAPACK, and ``np.einsum`` likewise in its dispatcher. These call the very
same compiled functions (so results are bit-identical) without the wrapper, for float64
stacks only. Unlike ``np.linalg`` they do not raise ``LinAlgError`` on a singular matrix: the
result is then NaN or inf, as LAPACK computes it. The covariances passed here are positive
definite by construction. Should a numpy release move these private kernels, the public
functions stand in (slower, the same results; they raise on a singular matrix).
"""

from __future__ import annotations

import numpy as np

__all__ = ["all_", "amax", "amin", "any_", "count_nonzero", "einsum", "inv", "logdet", "solve"]
# a.max(), a.min(), a.all(), a.any() of a 1-d array, without their Python wrappers (the same
# reductions; on more dimensions they reduce the first axis only)
amax, amin = np.maximum.reduce, np.minimum.reduce
all_, any_ = np.logical_and.reduce, np.logical_or.reduce

try:  # numpy's private modules (numpy >= 2.0): the kernels without their wrappers
    from numpy._core._multiarray_umath import c_einsum, count_nonzero
    from numpy.linalg import _umath_linalg

    _solve, _inv, _slogdet = _umath_linalg.solve, _umath_linalg.inv, _umath_linalg.slogdet
except (ImportError, AttributeError):  # a numpy that moved them: the public functions
    c_einsum, count_nonzero = np.einsum, np.count_nonzero  # (einsum without optimize)
    _solve = _inv = _slogdet = None

einsum = c_einsum  # np.einsum without optimize: the same kernel (einsum("kii->k", P), ...)


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^-1 b`` for stacks ``a`` ``(..., m, m)`` and ``b`` ``(..., m, k)`` (float64)."""
    if _solve is None:
        return np.linalg.solve(a, b)
    return _solve(a, b, signature="dd->d")


def inv(a: np.ndarray) -> np.ndarray:
    """``a^-1`` for a stack ``a`` ``(..., m, m)`` (float64)."""
    if _inv is None:
        return np.linalg.inv(a)
    return _inv(a, signature="d->d")


def logdet(a: np.ndarray) -> np.ndarray:
    """``ln |det a|`` ``(...)`` for a stack ``a`` ``(..., m, m)`` (float64)."""
    if _slogdet is None:
        return np.linalg.slogdet(a)[1]
    return _slogdet(a, signature="d->dd")[1]
