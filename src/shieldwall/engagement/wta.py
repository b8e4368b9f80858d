"""Static weapon-target assignment (WTA): greedy, local-search heuristic and exact solvers.

Problem (Manne 1958; Ahuja, Kumar, Jha & Orlin, Operations Research 55(6), 2007, eq. (1)):

    minimise  F(x) = sum_j v_j prod_i (1 - p_ij)^x_ij
    s.t.      sum_j x_ij <= c_i,  x_ij in {0, 1, 2, ...}

``v`` ``(T,)`` target values, ``p`` ``(W, T)`` single-shot kill probabilities, ``c`` ``(W,)``
units of each weapon; F is the expected surviving value. Solvers:

- ``greedy``: maximum marginal return (den Broeder, Ellison & Emerling, Operations Research 7(6),
  1959): each unit in turn goes where it removes the most expected value, ``v_j' p_ij``.
- ``heuristic``: a start, the better of greedy and a layered linear assignment
  (:func:`shieldwall.engagement.wta_assign.start`), improved by best-improvement local search
  over 1-moves and 2-swaps evaluated for all candidates at once
  (:mod:`shieldwall.engagement.wta_search`, after the neighbourhoods of Ahuja et al. 2007,
  section 4), the exchange of all units at once and lift-and-reinsert, both by linear assignment
  (:mod:`shieldwall.engagement.wta_assign`), and ejection chains, iterated with seeded kicks
  until the time limit (an iterated local search). With a second or more it also runs price and
  branch (:mod:`shieldwall.engagement.wta_columns`): the columns of the set-partitioning bound
  solved as a MIP, then the local search again from its assignment.
- ``exact``: the set-partitioning bound by column generation and the MIP over its columns
  (:mod:`shieldwall.engagement.wta_bound`), then, unless they already meet, a MILP solved by
  HiGHS with outer approximation of the convex surviving fraction
  (:mod:`shieldwall.engagement.wta_exact`, after Andersen, Pavlikov & Toffolo, Annals of
  Operations Research 2022): proven optimal when the gap closes, else the best solution and the
  best valid lower bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

METHODS = ("heuristic", "exact", "greedy")
DEFAULT_TIME_LIMIT_S = {"heuristic": 0.1, "exact": 60.0, "greedy": float("inf")}
# survival factors 1 - p are clipped here inside the solvers, so that p = 1 stays finite in the
# log-survival representation; reported objectives are recomputed with the exact p.
MIN_SURVIVAL = 1e-12


@dataclass(frozen=True, slots=True)
class WtaResult:
    """``assignment`` ``(W, T)`` int64: units of weapon i assigned to target j; ``objective`` the
    expected surviving value F; ``seconds`` the solve time; ``bound`` a proven lower bound on the
    optimum (None where the method has none); ``proven`` True when ``objective`` is optimal
    (relative gap <= ``wta_exact.PROVEN_REL_GAP``)."""

    assignment: np.ndarray
    objective: float
    seconds: float
    bound: float | None
    proven: bool
    method: str

    def targets_of(self, weapon: int) -> list[int]:
        """Target index of each assigned unit of ``weapon``, ascending (repeats for salvos)."""
        return np.repeat(np.arange(self.assignment.shape[1]), self.assignment[weapon]).tolist()


def check_instance(values, pk, counts=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked float64 ``v`` ``(T,)``, ``p`` ``(W, T)`` and int64 ``c`` ``(W,)``.

    Raises ValueError naming the field and the fix (ragged or empty lists, NaN, negative values,
    pk outside [0, 1], non-integer or negative counts)."""
    v = _float_array("values", values, 1)
    p = _float_array("pk", pk, 2)
    if np.any(v < 0):
        raise ValueError(f"values: entry {int(np.argmax(v < 0))} is negative; use values >= 0")
    bad = (p < 0) | (p > 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"pk: entry [{i}][{j}] = {p[i, j]:g} is outside [0, 1]; use 0 <= pk <= 1")
    if p.shape[1] != v.size:
        raise ValueError(
            f"pk: rows have {p.shape[1]} entries but values has {v.size}; "
            "give one pk per target in every row"
        )
    return v, p, _counts(counts, p.shape[0])


def _float_array(name: str, data, ndim: int) -> np.ndarray:
    shape = "a non-empty list of numbers" if ndim == 1 else "a non-empty W x T list of lists"
    try:
        a = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: ragged or non-numeric; give {shape}") from None
    if a.ndim != ndim or a.size == 0:
        raise ValueError(f"{name}: must be {shape}, got shape {a.shape}")
    if not np.isfinite(a).all():
        where = np.argwhere(~np.isfinite(a))[0].tolist()
        raise ValueError(f"{name}: entry {where} is NaN or infinite; give finite numbers")
    return a


def _counts(counts, n_weapons: int) -> np.ndarray:
    if counts is None:
        return np.ones(n_weapons, dtype=np.int64)
    c = _float_array("counts", counts, 1)
    if c.size != n_weapons:
        raise ValueError(f"counts: has {c.size} entries for {n_weapons} weapons; give one each")
    if np.any(c != np.round(c)) or np.any(c < 0):
        k = int(np.argmax((c != np.round(c)) | (c < 0)))
        raise ValueError(f"counts: entry {k} = {c[k]:g} is not a whole number >= 0; fix it")
    return c.astype(np.int64)


def objective(values: np.ndarray, pk: np.ndarray, x: np.ndarray) -> float:
    """F(x) = sum_j v_j prod_i (1 - p_ij)^x_ij, exact (no clipping); ``x`` ``(W, T)`` counts."""
    surv = np.prod(np.power(1.0 - pk, x), axis=0)
    return float(values @ surv)


def greedy_mmr(v: np.ndarray, p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Maximum marginal return (den Broeder et al. 1959): counts ``(W, T)``.

    Repeatedly gives one unit of the weapon with the largest gain ``max_j S_j p_ij`` (S the
    current surviving value) to that target. Each weapon's best target is kept and recomputed
    only when its target's S drops, so a step costs O(W + T x rows touched). Ties go to the
    lowest index. Units with no positive gain stay unassigned."""
    W, T = p.shape
    x = np.zeros((W, T), dtype=np.int64)
    S = v.copy()
    left = c.copy()
    gain = p * S
    best_t = gain.argmax(axis=1)
    best_g = np.where(left > 0, gain[np.arange(W), best_t], -1.0)
    for _ in range(int(c.sum())):
        i = int(best_g.argmax())
        if best_g[i] <= 0:
            break
        j = int(best_t[i])
        x[i, j] += 1
        left[i] -= 1
        # S_j <- S_j (1 - p_ij)
        S[j] *= 1.0 - p[i, j]
        rows = np.flatnonzero(best_t == j)
        g = p[rows] * S
        best_t[rows] = g.argmax(axis=1)
        best_g[rows] = np.where(left[rows] > 0, g[np.arange(rows.size), best_t[rows]], -1.0)
    return x


def drop_useless(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Unassign units on pairs with p = 0 (they change nothing; reported as unassigned)."""
    return np.where(p > 0, x, 0)


def solve_wta(
    values,
    pk,
    counts=None,
    method: str = "heuristic",
    time_limit_s: float | None = None,
    seed: int = 0,
    start: np.ndarray | None = None,
) -> WtaResult:
    """Solve the static WTA (module docstring). ``time_limit_s`` None takes the method's default
    (``DEFAULT_TIME_LIMIT_S``). The heuristic is deterministic for a given ``seed`` up to where
    the time limit cuts its search (a round is started only where it fits, so a slower machine
    stops earlier on the same path). ``start`` (exact only): feasible counts ``(W, T)`` to
    start from instead of the heuristic's time-limited search, so that a proven result does
    not depend on the machine's speed. Raises ValueError for a malformed instance or an unknown
    method."""
    if method not in METHODS:
        raise ValueError(f"method: '{method}' is unknown; use one of {', '.join(METHODS)}")
    v, p, c = check_instance(values, pk, counts)
    limit = DEFAULT_TIME_LIMIT_S[method] if time_limit_s is None else float(time_limit_s)
    if not limit > 0:
        raise ValueError(f"time_limit_s: must be > 0, got {limit:g}")
    t0 = time.perf_counter()
    bound, proven = None, False
    if method == "greedy":
        x = greedy_mmr(v, p, c)
    elif method == "heuristic":
        from shieldwall.engagement.wta_assign import start as first_assignment
        from shieldwall.engagement.wta_columns import heuristic

        x = heuristic(v, p, c, first_assignment(v, p, c), t0 + limit,
                      np.random.default_rng(seed))  # fmt: skip
    else:
        from shieldwall.engagement.wta_exact import solve_exact

        x, bound, proven = solve_exact(v, p, c, t0 + limit, seed, start)
    seconds = time.perf_counter() - t0
    x = drop_useless(x, p)
    return WtaResult(x, objective(v, p, x), seconds, bound, proven, method)
