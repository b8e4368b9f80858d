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
improves (a local optimum of both neighbourhoods). Then, where it is affordable, the exchange of
all units at once, and units lifted one per target and put back, both by linear assignment
(:mod:`shieldwall.engagement.wta_assign`), and, last, ejection chains
(:mod:`shieldwall.engagement.wta_chains`) are tried, each improvement followed by the cheaper
neighbourhoods again. An iterated local search (Lourenco, Martin & Stuetzle, "Iterated local
search", Handbook of Metaheuristics, 2003) then kicks the best solution (:func:`kick`) and
searches again, keeping the best, until the deadline or ``MAX_STALL`` kicks without improvement.
"""

from __future__ import annotations

import time

import numpy as np

from shieldwall.engagement.wta import MIN_SURVIVAL
from shieldwall.engagement.wta_assign import exchange, lift, permute, reinsert
from shieldwall.engagement.wta_chains import K, chain_moves

REL_TOL = 1e-12  # a move must improve F by more than this fraction of F
MAX_STALL = 3000  # perturbation rounds without improvement before the search gives up
END_MARGIN_S = 0.005  # the search ends this much (at most 5 % of its time) before the deadline
N_LIFTS = 3  # random one-per-target lifts without improvement that end a descent
EXCHANGE_MAX_CELLS = 100_000  # all-unit exchanges where units x (units + targets) is at most this
EXCHANGE_S_PER_CELL = 2e-7  # first guess of an exchange's time per unit and place
N_FLIP = 60  # 1-moves closest to improving that a kick chooses from
REINSERT_S_PER_CELL = 1.5e-7  # first guess of a re-insertion's time per target pair
CHAIN_S_PER_CELL = 4e-8  # first guess of a chain round's time per unit pair and first arc


def improve(
    v: np.ndarray, p: np.ndarray, x0: np.ndarray, deadline: float, rng: np.random.Generator
) -> np.ndarray:
    """Counts ``(W, T)`` no worse than ``x0``; the units ``x0`` assigns are searched (a unit the
    greedy start left unassigned had no target with a positive gain)."""
    # stop a little early: the round running at the deadline and the wrap-up must fit the limit
    deadline -= min(END_MARGIN_S, 0.05 * (deadline - time.perf_counter()))
    r = np.clip(1.0 - p, MIN_SURVIVAL, 1.0)
    w_u, t_u = _units(x0, p)
    if w_u.size == 0:
        return x0
    r_u = r[w_u]  # (U, T): survival factor of unit u on every target
    t_u = descend(v, r_u, t_u, deadline, rng)
    best_t, best_f = t_u, surviving(v, r_u, t_u).sum()
    stall = 0
    kick_s = EXCHANGE_S_PER_CELL * w_u.size**2  # duration of the last kick
    while time.perf_counter() + kick_s < deadline and stall < MAX_STALL:
        t0 = time.perf_counter()
        trial = kick(v, r_u, best_t, rng)
        kick_s = time.perf_counter() - t0
        dirty = np.zeros(v.size, dtype=bool)
        dirty[best_t[trial != best_t]] = dirty[trial[trial != best_t]] = True
        trial = descend(v, r_u, trial, deadline, rng, dirty, chains=False)
        f = surviving(v, r_u, trial).sum()
        stall += 1
        if f < best_f * (1.0 - REL_TOL):
            best_t, best_f, stall = trial, f, 0
    return _counts(w_u, best_t, p.shape)


def descend(
    v: np.ndarray,
    r_u: np.ndarray,
    t_u: np.ndarray,
    deadline: float,
    rng: np.random.Generator,
    dirty: np.ndarray | None = None,
    chains: bool = True,
) -> np.ndarray:
    """A local optimum of moves and swaps, of the exchange of all units at once (where it has
    at most ``EXCHANGE_MAX_CELLS`` costs), of lift-and-reinsert (up to ``N_LIFTS`` random lifts;
    both :mod:`wta_assign`) and, if ``chains``, of ejection chains, searched in that order of
    cost."""
    cells = t_u.size * (t_u.size + v.size)
    exchange_s = EXCHANGE_S_PER_CELL * cells  # duration of the last exchange
    while time.perf_counter() < deadline:
        t_u = local_search(v, r_u, t_u, deadline, dirty, chains=False)
        t_new = None
        if cells <= EXCHANGE_MAX_CELLS and time.perf_counter() + exchange_s < deadline:
            t0 = time.perf_counter()
            S = surviving(v, r_u, t_u)
            t_new = exchange(S, r_u, t_u, REL_TOL * S.sum())
            exchange_s = time.perf_counter() - t0
        if t_new is None:
            t_new = _reinserted(v, r_u, t_u, deadline, rng)
        if t_new is None:
            if not chains:
                break
            t_new = local_search(v, r_u, t_u, deadline, np.zeros(v.size, dtype=bool))
            if np.array_equal(t_new, t_u):
                break
        moved = t_new != t_u
        dirty = np.zeros(v.size, dtype=bool)
        dirty[t_u[moved]] = dirty[t_new[moved]] = True
        t_u = t_new
    return t_u


def _reinserted(v, r_u, t_u, deadline, rng) -> np.ndarray | None:
    """Targets after the first improving re-insertion of ``N_LIFTS`` random lifts, or None (also
    where the next re-insertion would not end before the deadline)."""
    S = surviving(v, r_u, t_u)
    lsa_s = REINSERT_S_PER_CELL * S.size**2  # duration of the last re-insertion
    for k in range(N_LIFTS):
        t0 = time.perf_counter()
        if t0 + lsa_s >= deadline:
            return None
        n_flip = 0 if k == 0 else int(rng.integers(1, 5))
        t_new, _ = reinsert(S, r_u, t_u, lift(S, r_u, t_u, n_flip, rng))
        lsa_s = time.perf_counter() - t0
        if surviving(v, r_u, t_new).sum() < S.sum() * (1.0 - REL_TOL):
            return t_new
    return None


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


def local_search(
    v: np.ndarray,
    r_u: np.ndarray,
    t_u: np.ndarray,
    deadline: float,
    dirty: np.ndarray | None = None,
    chains: bool = True,
) -> np.ndarray:
    """Rounds of disjoint improving 1-moves and 2-swaps until none improves or the deadline.

    ``dirty`` ``(T,)`` bool marks the targets whose S changed since ``t_u`` was last a local
    optimum (None: all). A move's change of F depends only on S of the targets it touches, so
    only moves touching a dirty target are evaluated; each round dirties the targets it moved."""
    t_u = t_u.copy()
    dirty = np.ones(v.size, dtype=bool) if dirty is None else dirty.copy()
    chain_s = CHAIN_S_PER_CELL * t_u.size**2 * K  # duration of the last chain round
    S = surviving(v, r_u, t_u)
    while time.perf_counter() < deadline:
        if dirty.any():
            moves = _improving_moves(S, r_u, t_u, REL_TOL * S.sum(), dirty)
        else:  # a local optimum of moves and swaps: try the chains if a round fits in time
            t0 = time.perf_counter()
            if not chains or t0 + chain_s > deadline:
                break
            moves = chain_moves(S, r_u, t_u, REL_TOL * S.sum())
            chain_s = time.perf_counter() - t0
            if not moves:
                break
        before = t_u.copy()
        dirty[:] = False
        dirty[_apply_disjoint(moves, t_u)] = True
        S_new = surviving(v, r_u, t_u)
        # every round must lower F (the rounding of its predicted gains aside): a round that
        # does not is undone and ends the search, so that even with no deadline (the cycle
        # rules' descent) it ends
        if not S_new.sum() < S.sum():
            return before
        S = S_new
    return t_u


def _improving_moves(
    S: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, tol: float, dirty: np.ndarray
) -> list:
    """(delta, kind, u, b_or_v) for the best moves touching a dirty target, below -tol, sorted:
    per unit on a dirty target its best 1-move and 2-swap, per unit its best 1-move into a
    dirty target."""
    s_own = S[t_u]
    # R_u = S_{t_u} / r_{w_u t_u}: value kept by u's target without u
    R = s_own / r_u[np.arange(t_u.size), t_u]
    g = R - s_own
    rows, cols = np.flatnonzero(dirty[t_u]), np.flatnonzero(dirty)
    k = np.arange(rows.size)
    # d1[u, b] = (R_u - S_{t_u}) - S_b (1 - r_{w_u b}), for u on a dirty target
    d1 = g[rows, None] - S[None, :] * (1.0 - r_u[rows])
    d1[k, t_u[rows]] = 0.0
    # the same into dirty targets b only, for every u
    d1c = g[:, None] - S[cols][None, :] * (1.0 - r_u[:, cols])
    d1c[t_u[:, None] == cols[None, :]] = 0.0
    # d2[u, v] = M[u, v] + M[v, u],  M[u, v] = R_u r_{w_v t_u} - S_{t_u}, for u on a dirty target
    d2 = R[rows, None] * r_u[:, t_u[rows]].T - s_own[rows, None]
    d2 += R[None, :] * r_u[rows][:, t_u] - s_own[None, :]
    d2[t_u[rows][:, None] == t_u[None, :]] = 0.0
    moves = _row_best(d1, rows, np.arange(S.size), 1, tol)
    moves += _row_best(d1c, np.arange(t_u.size), cols, 1, tol)
    moves += _row_best(d2, rows, np.arange(t_u.size), 2, tol)
    moves.sort()
    return moves


def _row_best(d: np.ndarray, units: np.ndarray, other: np.ndarray, kind: int, tol: float) -> list:
    if d.size == 0:
        return []
    j = d.argmin(axis=1)
    best = d[np.arange(units.size), j]
    return [(best[i], kind, int(units[i]), int(other[j[i]])) for i in np.flatnonzero(best < -tol)]


def _apply_disjoint(moves: list, t_u: np.ndarray) -> list[int]:
    """Apply moves best first, skipping any that touches a target an applied move touched;
    returns the touched targets. A move is (delta, 1, u, b), (delta, 2, u, v) or a chain
    (delta, 3, units, new targets)."""
    used: set[int] = set()
    for _, kind, u, other in moves:
        if kind == 1:
            units, new = (u,), (other,)
        elif kind == 2:
            units, new = (u, other), (int(t_u[other]), int(t_u[u]))
        else:
            units, new = u, other
        touched = {int(t_u[k]) for k in units} | set(new)
        if touched & used:
            continue
        used |= touched
        t_u[list(units)] = new
    return sorted(used)


def kick(v: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A perturbed copy of ``t_u``. Where the exchange of all units is affordable: one of the
    ``N_FLIP`` 1-moves closest to improving, chosen at random (it changes how many units two
    targets hold, which moves, swaps and exchanges rarely do: their local optima share their
    counts with the optimum at 100x40 and 200x80 but for one such pair), then every unit
    re-placed among the places this leaves (:func:`~shieldwall.engagement.wta_assign.permute`).
    Elsewhere a few random units moved to random targets (:func:`perturb`)."""
    U, T = r_u.shape
    n = min(N_FLIP, U * (T - 1))
    if U * U > EXCHANGE_MAX_CELLS or n == 0:
        k_max = max(2, int(np.ceil(0.03 * U)))
        return perturb(t_u, T, int(rng.integers(2, k_max + 1)), rng)
    S = surviving(v, r_u, t_u)
    R = S[t_u] / r_u[np.arange(U), t_u]
    # d1[u, b] = (R_u - S_{t_u}) - S_b (1 - r_{w_u b})
    d1 = (R - S[t_u])[:, None] - S[None, :] * (1.0 - r_u)
    d1[np.arange(U), t_u] = np.inf
    u, b = np.unravel_index(rng.choice(np.argpartition(d1, n - 1, axis=None)[:n]), d1.shape)
    t = t_u.copy()
    t[u] = b
    return permute(surviving(v, r_u, t), r_u, t)


def perturb(t_u: np.ndarray, n_targets: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` random units moved to random targets."""
    t = t_u.copy()
    pick = rng.choice(t.size, size=min(k, t.size), replace=False)
    t[pick] = rng.integers(0, n_targets, size=pick.size)
    return t
