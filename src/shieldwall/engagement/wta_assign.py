"""Assignment neighbourhood for the static WTA: lift a set of units, put them back optimally.

Take any set ``K`` of units off their targets; target j keeps the residual surviving value
``S'_j = S_j / prod_{u in K: t_u = j} r_{w_u j}`` (``r = 1 - p``). If every target then
receives at most one unit of ``K``, the new objective is linear in the choice,

    F' = sum_j S'_j + sum_{u in K} S'_{b_u} (r_{w_u b_u} - 1),

so the best such re-insertion is a rectangular linear assignment of ``K`` to the targets
(Kuhn-Munkres; here scipy's ``linear_sum_assignment``, Crouse, IEEE Transactions on Aerospace
and Electronic Systems 52(4), 2016). With one unit lifted per target, the neighbourhood holds
every cyclic and path multi-exchange of the very large-scale neighbourhood of Ahuja, Kumar, Jha
& Orlin (Operations Research 55(6), 2007, section 5) in which each target loses and gains at most
one unit, and the assignment finds the best of them exactly, in O(|K|^2 T).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def lift(
    S: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, n_flip: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices ``(K,)``, ascending, K <= T: one random unit on each occupied target, except
    ``n_flip`` targets that lift a second unit (they end with one unit fewer) and ``n_flip``
    that lift none (they may gain one). Flips are drawn with randomised scores: out, the
    targets with two or more units whose weakest unit saves least, ``S_b (1 / r_max - 1)``;
    in, the targets with the largest surviving value ``S_b``."""
    perm = rng.permutation(t_u.size)
    _, first = np.unique(t_u[perm], return_index=True)
    ones = perm[first]
    rest = np.setdiff1d(perm, ones, assume_unique=True)
    if n_flip == 0 or rest.size == 0:
        return np.sort(ones)
    r_own = r_u[rest, t_u[rest]]
    order = np.lexsort((r_own, t_u[rest]))  # per target, its weakest extra unit last
    last = np.flatnonzero(np.append(np.diff(t_u[rest][order]) != 0, True))
    weak = rest[order[last]]  # one weakest extra unit per target holding two or more
    noise = rng.uniform(0.5, 2.0, size=(2, S.size))
    save = S[t_u[weak]] * (1.0 / r_u[weak, t_u[weak]] - 1.0) * noise[0, t_u[weak]]
    out = weak[np.argsort(save)[:n_flip]]
    gain = np.where(np.isin(np.arange(S.size), t_u[out]), -np.inf, S * noise[1])
    gain[np.setdiff1d(np.arange(S.size), t_u[ones])] = -np.inf  # empty targets lift nothing
    stay = np.argsort(-gain)[: out.size]
    keep = ones[~np.isin(t_u[ones], stay)]
    return np.sort(np.concatenate([keep, out]))


def reinsert(
    S: np.ndarray, r_u: np.ndarray, t_u: np.ndarray, lifted: np.ndarray
) -> tuple[np.ndarray, float]:
    """(targets ``(U,)``, F') of the best re-insertion of the ``lifted`` units, at most one per
    target (module docstring); ``S`` ``(T,)`` the surviving values of ``t_u``, ``r_u``
    ``(U, T)`` the survival factors of each unit. Needs ``lifted.size <= T``."""
    own = r_u[lifted, t_u[lifted]]
    # S'_j = S_j / prod_{u in K on j} r_{w_u j}
    S_res = S * np.exp(-np.bincount(t_u[lifted], weights=np.log(own), minlength=S.size))
    # C[u, b] = S'_b (r_{w_u b} - 1)
    C = S_res[None, :] * (r_u[lifted] - 1.0)
    rows, cols = linear_sum_assignment(C)
    t_new = t_u.copy()
    t_new[lifted[rows]] = cols
    return t_new, float(S_res.sum() + C[rows, cols].sum())
