"""Local search for the static WTA: all 1-moves and 2-swaps evaluated at once, iterated.

A solution is a target ``t_u`` for each unit u (unit u belongs to weapon ``w_u``). With the
surviving value ``S_j = v_j prod_{u: t_u = j} r_{w_u j}`` (``r = 1 - p``) and the value target j
would keep without unit u, ``R_u = S_{t_u} / r_{w_u t_u}``, the change of F is, for every pair
at once (Ahuja, Kumar, Jha & Orlin, Operations Research 55(6), 2007, section 4, the two-exchange
neighbourhood, here with moves of one unit as well):

    1-move u -> b:      d1[u, b] = (R_u - S_{t_u}) - S_b (1 - r_{w_u b})
    2-swap u <-> v:     d2[u, v] = M[u, v] + M[v, u],   M[u, v] = R_u r_{w_v t_u} - S_{t_u}

Moves on disjoint targets change F additively, so each round applies every improving move
(best first) whose targets no earlier move of the round touched; rounds repeat until no move
improves (a local optimum of both neighbourhoods). An iterated local search (Lourenco, Martin &
Stuetzle, "Iterated local search", Handbook of Metaheuristics, 2003) then relocates a few random
units and searches again, keeping the best, until the deadline.
"""

from __future__ import annotations

import time

import numpy as np

from shieldwall.engagement.wta import MIN_SURVIVAL

REL_TOL = 1e-12  # a move must improve F by more than this fraction of F


def improve(
    v: np.ndarray, p: np.ndarray, x0: np.ndarray, deadline: float, rng: np.random.Generator
) -> np.ndarray:
    """Counts ``(W, T)`` no worse than ``x0``; the units ``x0`` assigns are searched (a unit the
    greedy start left unassigned had no target with a positive gain)."""
    r = np.clip(1.0 - p, MIN_SURVIVAL, 1.0)
    w_u, t_u = _units(x0, p)
    if w_u.size == 0:
        return x0
    r_u = r[w_u]  # (U, T): survival factor of unit u on every target
    t_u = local_search(v, r_u, t_u, deadline)
    best_t, best_f = t_u, surviving(v, r_u, t_u).sum()
    k_max = max(2, int(np.ceil(0.03 * w_u.size)))
    while time.perf_counter() < deadline:
        trial = perturb(best_t, v.size, int(rng.integers(2, k_max + 1)), rng)
        trial = local_search(v, r_u, trial, deadline)
        f = surviving(v, r_u, trial).sum()
        if f < best_f * (1.0 - REL_TOL):
            best_t, best_f = trial, f
    return _counts(w_u, best_t, p.shape)


def _units(x0: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit weapons and targets ``(U,)`` from counts ``(W, T)``."""
    w, t = np.nonzero(x0)
    reps = x0[w, t]
    return np.repeat(w, reps), np.repeat(t, reps)


def _counts(w_u: np.ndarray, t_u: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    x = np.zeros(shape, dtype=np.int64)
    np.add.at(x, (w_u, t_u), 1)
    return x


def surviving(v: np.ndarray, r_u: np.ndarray, t_u: np.ndarray) -> np.ndarray:
    """S ``(T,)``: S_j = v_j exp(sum_{u: t_u = j} log r_{w_u j})."""
    logs = np.log(r_u[np.arange(t_u.size), t_u])
    return v * np.exp(np.bincount(t_u, weights=logs, minlength=v.size))


def local_search(v: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, deadline: float) -> np.ndarray:
    """Rounds of disjoint improving 1-moves and 2-swaps until none improves or the deadline."""
    t_u = t_u.copy()
    while time.perf_counter() < deadline:
        S = surviving(v, r_u, t_u)
        moves = _improving_moves(S, r_u, t_u, REL_TOL * S.sum())
        if not moves:
            break
        _apply_disjoint(moves, t_u)
    return t_u


def _improving_moves(S: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, tol: float) -> list:
    """(delta, kind, u, b_or_v) for each unit's best 1-move and best 2-swap below -tol, sorted."""
    idx = np.arange(t_u.size)
    s_own = S[t_u]
    # R_u = S_{t_u} / r_{w_u t_u}: value kept by u's target without u
    R = s_own / r_u[idx, t_u]
    # d1[u, b] = (R_u - S_{t_u}) - S_b (1 - r_{w_u b})
    d1 = (R - s_own)[:, None] - S[None, :] * (1.0 - r_u)
    d1[idx, t_u] = 0.0
    b = d1.argmin(axis=1)
    # M[u, v] = R_u r_{w_v t_u} - S_{t_u};  d2 = M + M'
    m = R[:, None] * r_u[:, t_u].T - s_own[:, None]
    d2 = m + m.T
    d2[t_u[:, None] == t_u[None, :]] = 0.0
    v2 = d2.argmin(axis=1)
    best1, best2 = d1[idx, b], d2[idx, v2]
    moves = [(best1[u], 1, u, b[u]) for u in np.flatnonzero(best1 < -tol)]
    moves += [(best2[u], 2, u, v2[u]) for u in np.flatnonzero(best2 < -tol)]
    moves.sort()
    return moves


def _apply_disjoint(moves: list, t_u: np.ndarray) -> None:
    """Apply moves best first, skipping any that touches a target an applied move touched."""
    used: set[int] = set()
    for _, kind, u, other in moves:
        a = int(t_u[u])
        b = int(other) if kind == 1 else int(t_u[other])
        if a in used or b in used:
            continue
        used.update((a, b))
        if kind == 1:
            t_u[u] = b
        else:
            t_u[u], t_u[other] = b, a


def perturb(t_u: np.ndarray, n_targets: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` random units moved to random targets."""
    t = t_u.copy()
    pick = rng.choice(t.size, size=min(k, t.size), replace=False)
    t[pick] = rng.integers(0, n_targets, size=pick.size)
    return t
