"""The brute-force reference of the WTA tests: the optimum of a tiny static instance."""

from __future__ import annotations

import itertools

import numpy as np

from shieldwall.engagement.wta import objective


def brute_force(v: np.ndarray, p: np.ndarray, c: np.ndarray) -> float:
    """Optimum by enumerating every target (or none) for every unit."""
    units = np.repeat(np.arange(p.shape[0]), c)
    best = np.inf
    for choice in itertools.product(range(-1, v.size), repeat=units.size):
        x = np.zeros(p.shape, dtype=np.int64)
        for w, t in zip(units, choice, strict=True):
            if t >= 0:
                x[w, t] += 1
        best = min(best, objective(v, p, x))
    return best
