"""The numerical core of a node's frame update (see :mod:`shieldwall.tracking.node` for the
method): kinematic classification, retrodicted gating of detections made earlier in the frame,
the information-form multisensor update, and the clustering of unused detections into new
objects. Pure functions on stacked arrays.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from shieldwall.tracking.associate import Pairs
from shieldwall.tracking.filters import gaussian_loglik
from shieldwall.tracking.kalman import gravity_ecef

# Process-noise spectral density (m^2/s^3) per estimated class (ballistic, cruise, drone).
# Notional tuning: q ~ (expected unmodelled acceleration)^2 * T; a ballistic track's reentry
# drag is its unmodelled acceleration.
Q_BY_CLASS = np.array([400.0, 20.0, 2.0])
R_EARTH_MEAN_M = 6_371_008.8  # IUGG mean radius: altitude to +-11 km, enough to classify
BALLISTIC_ALT_M, BALLISTIC_SPEED_M_S, BALLISTIC_CLIMB_M_S = 25e3, 700.0, 150.0
CRUISE_SPEED_M_S = 110.0


def classify(
    x: np.ndarray, P: np.ndarray | None = None, speed_test: np.ndarray | bool = True
) -> np.ndarray:
    """Class code ``(k,)`` (0 ballistic, 1 cruise, 2 drone) of states ``x`` ``(k, 6)`` (ECEF)
    from kinematics alone: ballistic above 25 km, faster than 700 m/s or climbing or diving
    faster than 150 m/s; cruise faster than 110 m/s; drone otherwise (Shahed-class drones fly
    at 50 m/s, cruise missiles at 200-250 m/s, ballistic missiles at 1-4 km/s). With ``P``
    ``(k, 6, 6)`` each test must hold by two standard deviations of the quantity (first-order
    propagation), so that a track whose velocity is not yet known is not called ballistic and
    put under gravity (a drone falling at 1 g is lost within a few frames), nor a cruise
    missile (which would keep the simulator's fast decision cycle running). Where
    ``speed_test`` is False only altitude makes a track ballistic (see :class:`NodeTracker`)."""
    r = np.linalg.norm(x[:, :3], axis=1)
    up = x[:, :3] / np.maximum(r, 1.0)[:, None]
    speed = np.linalg.norm(x[:, 3:], axis=1)
    climb = np.einsum("ki,ki->k", up, x[:, 3:])
    alt, margin_v, margin_c = r - R_EARTH_MEAN_M, 0.0, 0.0
    if P is not None:
        u = x[:, 3:] / np.maximum(speed, 1e-9)[:, None]
        margin_v = 2.0 * np.sqrt(np.einsum("ki,kij,kj->k", u, P[:, 3:, 3:], u))
        margin_c = 2.0 * np.sqrt(np.einsum("ki,kij,kj->k", up, P[:, 3:, 3:], up))
        alt = alt - 2.0 * np.sqrt(np.einsum("ki,kij,kj->k", up, P[:, :3, :3], up))
    fast = (speed - margin_v > BALLISTIC_SPEED_M_S) | (
        np.abs(climb) - margin_c > BALLISTIC_CLIMB_M_S
    )
    ballistic = (alt > BALLISTIC_ALT_M) | (fast & speed_test)
    return np.where(ballistic, 0, np.where(speed - margin_v > CRUISE_SPEED_M_S, 1, 2))


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame's detections (``m``): time ``t_s``, scan group (equal for one sensor's one
    scan), position ``z`` ``(m, 3)``, covariance ``R`` ``(m, 3, 3)``, truth ``label``."""

    t_s: np.ndarray
    group: np.ndarray
    z: np.ndarray
    R: np.ndarray
    label: np.ndarray


_I64 = np.zeros(0, dtype=np.int64)


def retro_pairs(
    x: np.ndarray,
    P: np.ndarray,
    t_s: float,
    frame: Frame,
    gamma: float,
    cls: np.ndarray | None = None,
) -> tuple[Pairs, np.ndarray]:
    """Gated (track, detection) pairs for tracks ``x``, ``P`` held at ``t_s`` and detections
    made at ``frame.t_s <= t_s`` (see the module docstring, step 1), and each pair's ``tau``.

    Prefilter: the innovation is ``y = z - p + tau v - c``, so ``|z - p| <= |y| + tau |v| +
    |c|`` and ``|y|^2 <= gamma tr S``; with ``tr(H P H') <= (sqrt(tr Ppp) + tau sqrt(tr Pvv))^2``
    (Cauchy-Schwarz) a ball query of that radius around each track loses no pair. ``cls``: the
    tracks' classes (default :func:`classify`)."""
    empty = Pairs(_I64, _I64, np.zeros(0), np.zeros(0))
    if x.shape[0] == 0 or frame.t_s.size == 0:
        return empty, np.zeros(0)
    cls = classify(x, P) if cls is None else cls
    q = Q_BY_CLASS[cls]
    acc = gravity_ecef(x[:, :3], x[:, 3:]) * (cls == 0)[:, None]
    tau_max = t_s - float(frame.t_s.min())
    trp = np.einsum("kii->k", P[:, :3, :3])
    trv = np.einsum("kii->k", P[:, 3:, 3:])
    tr_s = (np.sqrt(trp) + tau_max * np.sqrt(trv)) ** 2 + np.einsum("mii->m", frame.R).max()
    drift = tau_max * np.linalg.norm(x[:, 3:], axis=1)
    drift += 0.5 * tau_max**2 * np.linalg.norm(acc, axis=1)
    radius = np.sqrt(gamma * (tr_s + q * tau_max**3)) + drift
    hits = cKDTree(frame.z).query_ball_point(x[:, :3], radius)
    counts = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
    ti = np.repeat(np.arange(x.shape[0]), counts)
    if ti.size == 0:
        return empty, np.zeros(0)
    dj = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=counts.sum())
    tau = t_s - frame.t_s[dj]
    y, S = _retro_innovation(x[ti], P[ti], acc[ti], q[ti], tau, frame.z[dj], frame.R[dj])
    loglik, d2 = gaussian_loglik(y, S)
    keep = d2 <= gamma
    return Pairs(ti[keep], dj[keep], d2[keep], loglik[keep]), tau[keep]


def _retro_innovation(x, P, acc, q, tau, z, R) -> tuple[np.ndarray, np.ndarray]:
    """``y = z - (p - tau v + a tau^2 / 2)`` and ``S = H P H' + R + q tau^3/3 I`` per pair."""
    t = tau[:, None]
    y = z - (x[:, :3] - t * x[:, 3:] + 0.5 * acc * t**2)
    tb = tau[:, None, None]
    Pp, Pv, Pc = P[:, :3, :3], P[:, 3:, 3:], P[:, :3, 3:]
    S = Pp - tb * (Pc + Pc.transpose(0, 2, 1)) + tb**2 * Pv + R
    S += (q * tau**3 / 3.0)[:, None, None] * np.eye(3)
    return y, S


def frame_update(
    x: np.ndarray,
    P: np.ndarray,
    ti: np.ndarray,
    tau_s: np.ndarray,
    z: np.ndarray,
    R: np.ndarray,
    cls: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Information-form update of tracks ``x`` ``(k, 6)``, ``P`` ``(k, 6, 6)`` held at the
    frame time with detections ``z`` ``(p, 3)``, ``R`` ``(p, 3, 3)`` of track ``ti`` ``(p,)``
    made ``tau_s`` ``(p,)`` earlier (see the module docstring, step 3). Tracks without
    detections come back unchanged. ``cls``: the tracks' classes (default :func:`classify`)."""
    k = x.shape[0]
    cls = classify(x, P) if cls is None else cls
    acc = gravity_ecef(x[:, :3], x[:, 3:]) * (cls == 0)[:, None]
    q = Q_BY_CLASS[cls]
    y, _ = _retro_innovation(x[ti], P[ti], acc[ti], q[ti], tau_s, z, R)
    R_eff = R + (q[ti] * tau_s**3 / 3.0)[:, None, None] * np.eye(3)
    W = np.linalg.inv(R_eff)
    W = 0.5 * (W + W.transpose(0, 2, 1))
    t = tau_s[:, None, None]
    # H' W H = [[W, -tau W], [-tau W, tau^2 W]] ; H' W y = [W y, -tau W y]
    A = np.concatenate(
        [np.concatenate([W, -t * W], axis=2), np.concatenate([-t * W, t * t * W], axis=2)], axis=1
    )
    Wy = np.einsum("pij,pj->pi", W, y)
    b = np.concatenate([Wy, -tau_s[:, None] * Wy], axis=1)
    A_sum = segment_sum(A, ti, k)
    b_sum = segment_sum(b, ti, k)
    # P+ = (P^-1 + A)^-1 = (I + P A)^-1 P ; x+ = x + P+ b
    P_new = np.linalg.solve(np.eye(6) + P @ A_sum, P)
    P_new = 0.5 * (P_new + P_new.transpose(0, 2, 1))
    return x + np.einsum("kij,kj->ki", P_new, b_sum), P_new


def segment_sum(values: np.ndarray, seg: np.ndarray, k: int) -> np.ndarray:
    """Sums of ``values`` ``(p, ...)`` per segment index ``seg`` ``(p,)`` in ``[0, k)``."""
    out = np.zeros((k, *values.shape[1:]))
    if seg.size == 0:
        return out
    order = np.argsort(seg, kind="stable")
    s = seg[order]
    start = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    out[s[start]] = np.add.reduceat(values[order], start, axis=0)
    return out


def init_clusters(
    t_s: np.ndarray, group: np.ndarray, z: np.ndarray, R: np.ndarray, speed_m_s: float
) -> np.ndarray:
    """Cluster index ``(m,)`` of detections that may be one new object: connected components of
    pairs from different scans (a radar reports an object once per scan) with
    ``|z_i - z_j| <= 3 sqrt(tr R_i + tr R_j) + speed |t_i - t_j|``. ``speed`` is
    kept low (cruise-missile speed): linking unrelated detections (clutter) gives a new track
    an absurd velocity, while a fast object's two looks in one frame only start two tentative
    tracks, which merge once confirmed."""
    m = t_s.size
    if m == 1:
        return np.zeros(1, dtype=np.int64)
    tr = np.einsum("mii->m", R)
    if m <= 64:  # all pairs: cheaper than a k-d tree at this size
        i, j = np.triu_indices(m, 1)
    else:
        span = float(t_s.max() - t_s.min())
        radius = 3.0 * np.sqrt(2.0 * tr.max()) + speed_m_s * span
        ij = cKDTree(z).query_pairs(radius, output_type="ndarray")
        i, j = ij[:, 0], ij[:, 1]
    dist = np.linalg.norm(z[i] - z[j], axis=1)
    ok = dist <= 3.0 * np.sqrt(tr[i] + tr[j]) + speed_m_s * np.abs(t_s[i] - t_s[j])
    ok &= group[i] != group[j]
    if not ok.any():
        return np.arange(m, dtype=np.int64)
    graph = coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(m, m))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)
