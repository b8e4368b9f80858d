"""Direct calls of numpy's compiled kernels for the tiny stacked arrays of a node tracker.

A node handles about ten tracks and detections per decision cycle, so ``np.linalg.solve`` and
friends spend far longer in Python (argument checks, type resolution, an ``errstate``
context) than in LAPACK, and ``np.einsum`` likewise in its dispatcher. These call the very
same compiled functions (so results are bit-identical) without the wrapper, for float64
stacks only. Unlike ``np.linalg`` they do not raise ``LinAlgError`` on a singular matrix: the
result is then NaN or inf, as LAPACK computes it. The covariances passed here are positive
definite by construction.
"""

from __future__ import annotations

import numpy as np
from numpy.linalg import _umath_linalg

try:
    from numpy._core._multiarray_umath import c_einsum, count_nonzero
except ImportError:  # numpy < 2
    from numpy.core._multiarray_umath import c_einsum, count_nonzero

einsum = c_einsum  # np.einsum without optimize: the same kernel (einsum("kii->k", P), ...)
# a.max(), a.min(), a.all(), a.any() and np.count_nonzero(a) of a whole array, without their
# Python wrappers (the same reductions)
amax, amin = np.maximum.reduce, np.minimum.reduce
all_, any_ = np.logical_and.reduce, np.logical_or.reduce
__all__ = ["all_", "amax", "amin", "any_", "count_nonzero", "einsum", "inv", "logdet", "solve"]


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^-1 b`` for stacks ``a`` ``(..., m, m)`` and ``b`` ``(..., m, k)`` (float64)."""
    return _umath_linalg.solve(a, b, signature="dd->d")


def inv(a: np.ndarray) -> np.ndarray:
    """``a^-1`` for a stack ``a`` ``(..., m, m)`` (float64)."""
    return _umath_linalg.inv(a, signature="d->d")


def logdet(a: np.ndarray) -> np.ndarray:
    """``ln |det a|`` ``(...)`` for a stack ``a`` ``(..., m, m)`` (float64)."""
    return _umath_linalg.slogdet(a, signature="d->dd")[1]
