"""Ejection chains and 3-cycles for the static WTA local search (a slice of the very large-scale
neighbourhood of Ahuja, Kumar, Jha & Orlin, Operations Research 55(6), 2007, section 5).

In the improvement graph an arc u -> v means unit u enters v's target and ejects v:

    A[u, v] = R_v r_{w_u t_v} - S_{t_v}        (R_v = S_{t_v} / r_{w_v t_v})

A chain over distinct targets changes F by the sum of its parts: a path starts with
``g_u = R_u - S_{t_u}`` (u leaves its target) and ends with an insertion
``ins[w, b] = -S_b (1 - r_{w b})`` (w enters b without ejecting anyone); a cycle closes with the
arc back to its first unit. Evaluated here for all paths of 2 and 3 units and all 3-cycles whose
first arc is among the ``K`` best arcs leaving its unit, vectorised.
"""

from __future__ import annotations

import numpy as np

K = 6  # first arcs kept per unit
N_INS = 3  # best insertion targets kept per unit


def chain_moves(S: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, tol: float) -> list:
    """(delta, 3, units, new targets) for each unit's best improving chain, below -tol."""
    U = t_u.size
    s_own = S[t_u]
    R = s_own / r_u[np.arange(U), t_u]
    g = R - s_own
    same = t_u[:, None] == t_u[None, :]
    A = np.where(same, np.inf, R[None, :] * r_u[:, t_u] - s_own[None, :])
    ins = -S[None, :] * (1.0 - r_u)
    ins[np.arange(U), t_u] = np.inf
    ib = np.argsort(ins, axis=1)[:, :N_INS]  # (U, N_INS) best insertion targets
    iv = np.take_along_axis(ins, ib, axis=1)
    k = min(K, U)
    vs = np.argpartition(A, k - 1, axis=1)[:, :k]  # (U, k)
    a1 = np.take_along_axis(A, vs, axis=1)
    moves = _paths2(g, A, ib, iv, t_u, tol)
    moves += _three(g, A, a1, vs, ib, iv, t_u, tol)
    return moves


def _first_free(ib: np.ndarray, iv: np.ndarray, banned: list[np.ndarray]):
    """Best insertion (target, delta) per entry avoiding the ``banned`` targets."""
    val = np.full(banned[0].shape, np.inf)
    tgt = np.zeros(banned[0].shape, dtype=np.int64)
    for n in range(ib.shape[-1] - 1, -1, -1):
        ok = np.ones(banned[0].shape, dtype=bool)
        for b in banned:
            ok &= ib[..., n] != b
        val = np.where(ok, iv[..., n], val)
        tgt = np.where(ok, ib[..., n], tgt)
    return tgt, val


def _paths2(g, A, ib, iv, t_u, tol) -> list:
    """u leaves, enters t_v ejecting v, v inserts into b: g_u + A[u, v] + ins[v, b]."""
    U = t_u.size
    tu, tv = np.broadcast_to(t_u[:, None], (U, U)), np.broadcast_to(t_u[None, :], (U, U))
    b, ins = _first_free(ib[None, :, :], iv[None, :, :], [tu, tv])
    d = g[:, None] + A + ins
    v = d.argmin(axis=1)
    best = d[np.arange(U), v]
    return [
        (best[u], 3, (u, int(v[u])), (int(t_u[v[u]]), int(b[u, v[u]])))
        for u in np.flatnonzero(best < -tol)
    ]


def _three(g, A, a1, vs, ib, iv, t_u, tol) -> list:
    """3-cycles u -> v -> w -> u and 3-paths u -> v -> w -> b, with v among u's best arcs."""
    U, k = vs.shape
    a12 = a1[:, :, None] + A[vs]  # (U, k, U): A[u, v] + A[v, w]
    cyc = a12 + A.T[:, None, :]  # + A[w, u]
    tu = np.broadcast_to(t_u[:, None, None], a12.shape)
    tv = np.broadcast_to(t_u[vs][:, :, None], a12.shape)
    tw = np.broadcast_to(t_u[None, None, :], a12.shape)
    b, ins = _first_free(ib[None, None, :, :], iv[None, None, :, :], [tu, tv, tw])
    # a path's parts add up only over distinct targets: w on u's target (which u leaves and v
    # then enters) would be counted twice (the arcs already keep t_v apart from t_u and t_w)
    path = np.where(tw == tu, np.inf, g[:, None, None] + a12 + ins)
    moves = []
    for d, is_cycle in ((cyc, True), (path, False)):
        flat = d.reshape(U, -1)
        m = flat.argmin(axis=1)
        best = flat[np.arange(U), m]
        for u in np.flatnonzero(best < -tol):
            v, w = int(vs[u, m[u] // U]), int(m[u] % U)
            end = int(t_u[u]) if is_cycle else int(b[u, m[u] // U, w])
            moves.append((best[u], 3, (int(u), v, w), (int(t_u[v]), int(t_u[w]), end)))
    return moves
