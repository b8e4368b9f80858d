"""The numerical core of a node's frame update (see :mod:`shieldwall.tracking.node` for the
method): kinematic classification, retrodicted gating of detections made earlier in the frame,
and the information-form multisensor update; the clustering of unused detections into new
objects is in :mod:`~shieldwall.tracking.clusters` (re-exported here). Pure functions on stacked
arrays.

A node holds about ten tracks and detections per decision cycle, so the cost here is the
number of numpy calls, not arithmetic: gathers use ``take``, small linear algebra goes straight
to the compiled kernels (:mod:`~shieldwall.tracking.fastnp`), and each formula is written in
the same operation order as its first version, so that results are bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from shieldwall.tracking.associate import Pairs
from shieldwall.tracking.clusters import components, init_clusters, init_links  # noqa: F401
from shieldwall.tracking.fastnp import amax, count_nonzero, einsum, inv, solve
from shieldwall.tracking.filters import gaussian_loglik
from shieldwall.tracking.kalman import gravity_ecef
from shieldwall.tracking.nodetypes import Hits

# Process-noise spectral density (m^2/s^3) per estimated class (ballistic, cruise, drone).
# Notional tuning: q ~ (expected unmodelled acceleration)^2 * T; a ballistic track's reentry
# drag is its unmodelled acceleration.
Q_BY_CLASS = np.array([400.0, 20.0, 2.0])
R_EARTH_MEAN_M = 6_371_008.8  # IUGG mean radius: altitude to +-11 km, enough to classify
BALLISTIC_ALT_M, BALLISTIC_SPEED_M_S, BALLISTIC_CLIMB_M_S = 25e3, 700.0, 150.0
CRUISE_SPEED_M_S = 110.0
ALL_PAIRS_MAX = 96  # gate every (track, detection) pair below this many: cheaper than a prefilter
EYE3, EYE6 = np.eye(3), np.eye(6)
_NORM_FLOOR = np.array([1.0, 1e-9])  # floors of |r| and |v| where they divide


def classify(
    x: np.ndarray,
    P: np.ndarray | None = None,
    speed_test: np.ndarray | bool = True,
    cruise_max_m_s: float = np.inf,
) -> np.ndarray:
    """Class code ``(k,)`` (0 ballistic, 1 cruise, 2 drone) of states ``x`` ``(k, 6)`` (ECEF)
    from kinematics alone: ballistic above 25 km, faster than 700 m/s or climbing or diving
    faster than 150 m/s; cruise faster than 110 m/s; drone otherwise (Shahed-class drones fly
    at 50 m/s, cruise missiles at 200-250 m/s, ballistic missiles at 1-4 km/s). With ``P``
    ``(k, 6, 6)`` each test must hold by two standard deviations of the quantity (first-order
    propagation), so that a track whose velocity is not yet known is not called ballistic and
    put under gravity (a drone falling at 1 g is lost within a few frames), nor a cruise
    missile (which would keep the simulator's fast decision cycle running). Where
    ``speed_test`` is False only altitude makes a track ballistic (see :class:`NodeTracker`),
    and a track that is surely faster than ``cruise_max_m_s`` is not called cruise unless it
    climbs or dives steeply: the expected air-breathers fly slower, and at long range a track
    strung across two drones of a swarm reads as a precise but false 500 m/s (it is "drone", the
    class that claims nothing)."""
    return kinematics(x, P, speed_test, cruise_max_m_s)[0]


def kinematics(
    x: np.ndarray,
    P: np.ndarray | None = None,
    speed_test: np.ndarray | bool = True,
    cruise_max_m_s: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`classify`'s class code ``(k,)`` with the by-products a node reuses for deletion:
    altitude above the mean sphere ``(k,)`` (m) and its standard deviation ``(k,)`` (None
    without ``P``)."""
    k = x.shape[0]
    # |r| and |v| at once (sequential sums of squares, as np.linalg.norm), then r/|r|, v/|v|
    norms = np.sqrt(np.add.reduce((x * x).reshape(k, 2, 3), 2))
    unit = x.reshape(k, 2, 3) / np.maximum(norms, _NORM_FLOOR)[:, :, None]
    r, speed, up, u = norms[:, 0], norms[:, 1], unit[:, 0], unit[:, 1]
    climb = einsum("ki,ki->k", up, x[:, 3:])
    alt = r - R_EARTH_MEAN_M
    alt_low, margin_v, margin_c, sig_alt = alt, 0.0, 0.0, None
    if P is not None:
        # standard deviations of speed, climb rate and altitude (first order)
        sd = np.empty((3, k))
        Pv = P[:, 3:, 3:]
        einsum("ki,kij,kj->k", u, Pv, u, out=sd[0])
        einsum("ki,kij,kj->k", up, Pv, up, out=sd[1])
        einsum("ki,kij,kj->k", up, P[:, :3, :3], up, out=sd[2])
        np.sqrt(sd, out=sd)
        margin_v, margin_c = 2.0 * sd[:2]
        sig_alt = sd[2]
        alt_low = alt - 2.0 * sig_alt
    speed_low = speed - margin_v
    steep = np.abs(climb) - margin_c > BALLISTIC_CLIMB_M_S
    fast = (speed_low > BALLISTIC_SPEED_M_S) | steep
    ballistic = (alt_low > BALLISTIC_ALT_M) | (fast & speed_test)
    cruise = speed_low > CRUISE_SPEED_M_S
    if cruise_max_m_s < np.inf:
        cruise &= (speed_low <= cruise_max_m_s) | steep | speed_test
    return np.where(ballistic, 0, np.where(cruise, 1, 2)), alt, sig_alt


CRUISE_UPDATES = 2  # updates in a row that must read cruise, none of them in doubt
CRUISE_UPDATES_IN_DOUBT = 6  # or this many, some in doubt (see cruise_held)


def cruise_held(
    cls: np.ndarray, updated: np.ndarray, run: np.ndarray, clear: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Classes ``cls`` (:func:`kinematics`) with cruise kept only where the reading has held,
    and the new counts ``run`` ``(k, 2)``: updates in a row that read cruise, all of them and
    those whose association was not in doubt (``updated``: the tracks updated in this frame,
    ``clear``: those of them with no doubtful pair, None: all; the others keep their counts).

    In a drone swarm seen with kilometres of cross-range noise but a precise range, a track
    can string detections of drones spaced along the route into a precise but false 200-400
    m/s: its prediction runs ahead and picks up the drone ahead, for up to five updates in
    the April 2024 runs. Calling it cruise would put a drone under the authorities and
    doctrine of cruise missiles (and keep the fast decision cycle running) for the
    ``drop_track_s`` it then coasts. So cruise needs ``CRUISE_UPDATES`` readings in a row on
    associations not in doubt (:func:`contested`; a doubtful one holds that count), or
    ``CRUISE_UPDATES_IN_DOUBT`` in a row on any: a formation of cruise missiles keeps its
    tracks' associations in doubt, but its velocity is everyone's. Drone, the class that
    claims nothing, stands in until then."""
    cruise = cls == 1
    step = np.ones((cls.size, 2), dtype=np.int64)
    if clear is not None:
        step[:, 1] = clear
    run = np.where((updated & cruise)[:, None], run + step, np.where(updated[:, None], 0, run))
    held = (run[:, 1] >= CRUISE_UPDATES) | (run[:, 0] >= CRUISE_UPDATES_IN_DOUBT)
    return np.where(cruise & ~held, 2, cls), run


def contested(ti: np.ndarray, dj: np.ndarray, group: np.ndarray, n_det: int) -> np.ndarray:
    """Mask of the candidate pairs ``(ti, dj)`` (track, detection) whose association is in
    doubt: the detection is a candidate of another track too, or the track has another
    candidate in the same scan (``group``: each detection's scan). These are the conflicts
    that make a nearest-neighbour assignment ambiguous (Blackman & Popoli 1999, ch. 6); the
    assignment still picks one, but a class read from the result is not yet evidence."""
    wanted = np.bincount(dj, minlength=n_det) > 1
    key = ti * (int(amax(group)) + 1) + group.take(dj)
    _, where, count = np.unique(key, return_inverse=True, return_counts=True)
    return wanted.take(dj) | (count.take(where) > 1)


def gravity_of(x: np.ndarray, cls: np.ndarray) -> np.ndarray | None:
    """Known acceleration ``(k, 3)`` of tracks ``x`` of classes ``cls``: gravity for ballistic
    ones, zero for the others; None when no track is ballistic."""
    ballistic = cls == 0
    if not count_nonzero(ballistic):
        return None
    return gravity_ecef(x[:, :3], x[:, 3:]) * ballistic[:, None]


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


class Gated(NamedTuple):
    """A frame's candidate (track, detection) pairs ``(p,)``, by track then detection:
    ``ti``, ``dj``, ``tau`` (detection age at the frame time), innovation ``y`` ``(p, 3)``,
    ``qt = q tau^3 / 3`` (the process noise folded into the measurement noise), squared
    Mahalanobis distance ``d2`` and ``loglik = ln N(y; 0, S)``."""

    ti: np.ndarray
    dj: np.ndarray
    tau: np.ndarray
    y: np.ndarray
    qt: np.ndarray
    d2: np.ndarray
    loglik: np.ndarray

    def take(self, idx: np.ndarray) -> Gated:
        return Gated(self.ti.take(idx), self.dj.take(idx), self.tau.take(idx),
                     self.y.take(idx, 0), self.qt.take(idx), self.d2.take(idx),
                     self.loglik.take(idx))  # fmt: skip


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
    ``cls``: the tracks' classes (default :func:`classify`). See :func:`retro_gate`."""
    if x.shape[0] == 0 or frame.t_s.size == 0:
        return Pairs(_I64, _I64, np.zeros(0), np.zeros(0)), np.zeros(0)
    cls = classify(x, P) if cls is None else cls
    g, inside = retro_gate(x, P, gravity_of(x, cls), Q_BY_CLASS[cls], t_s, frame, gamma)
    g = g.take(inside.nonzero()[0])
    return Pairs(g.ti, g.dj, g.d2, g.loglik), g.tau


def retro_gate(
    x: np.ndarray,
    P: np.ndarray,
    acc: np.ndarray | None,
    q: np.ndarray,
    t_s: float,
    frame: Frame,
    gamma: float,
) -> tuple[Gated, np.ndarray]:
    """Candidate pairs of tracks ``x`` ``(k, 6)``, ``P`` held at ``t_s``, with known
    acceleration ``acc`` ``(k, 3)`` (None: zero) and process noise ``q`` ``(k,)``, and the
    detections of ``frame`` (``k``, ``m`` > 0), and the mask ``(p,)`` of those inside the
    chi-square gate ``gamma`` (left to the caller: selecting costs more than masking).

    Prefilter (above ``ALL_PAIRS_MAX`` pairs): the innovation is ``y = z - p + tau v - c``,
    so ``|z - p| <= |y| + tau |v| + |c|`` and ``|y|^2 <= gamma tr S``; with ``tr(H P H') <=
    (sqrt(tr Ppp) + tau sqrt(tr Pvv))^2`` (Cauchy-Schwarz) a ball of that radius around each
    track loses no pair."""
    k, m = x.shape[0], frame.t_s.size
    if k * m <= ALL_PAIRS_MAX:
        ti, dj = _all_pairs(k, m)
    else:
        ti, dj = _near(x, P, acc, q, t_s, frame, gamma).nonzero()
        if ti.size == 0:
            return Gated(_I64, _I64, *(np.zeros(0),) * 5), np.zeros(0, dtype=bool)
    tau = t_s - frame.t_s.take(dj)
    y, S, qt = _retro_terms(x.take(ti, 0), P.take(ti, 0), None if acc is None else
                            acc.take(ti, 0), q.take(ti), tau, frame.z.take(dj, 0),
                            frame.R.take(dj, 0))  # fmt: skip
    loglik, d2 = gaussian_loglik(y, S)
    return Gated(ti, dj, tau, y, qt, d2, loglik), d2 <= gamma


def _near(x, P, acc, q, t_s, frame, gamma) -> np.ndarray:
    """``(k, m)`` mask of the pairs inside the prefilter ball (see :func:`retro_gate`)."""
    k = x.shape[0]
    tau_max = t_s - float(frame.t_s.min())
    # sqrt(tr Ppp), sqrt(tr Pvv)
    sd = np.sqrt(np.add.reduce(einsum("kii->ki", P).reshape(k, 2, 3), 2))
    spread = sd[:, 0] + tau_max * sd[:, 1]
    tr_s = spread * spread + (einsum("mii->m", frame.R).max() + q * tau_max**3)
    v = x[:, 3:]
    radius = np.sqrt(gamma * tr_s) + tau_max * np.sqrt(einsum("ki,ki->k", v, v))
    if acc is not None:
        radius += 0.5 * tau_max**2 * np.sqrt(einsum("ki,ki->k", acc, acc))
    d = x[:, None, :3] - frame.z
    return einsum("kmi,kmi->km", d, d) <= (radius * radius)[:, None]


@lru_cache(maxsize=1024)
def _all_pairs(k: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (track, detection) pair, by track then detection (read-only: cached)."""
    ti, dj = np.repeat(np.arange(k), m), np.tile(np.arange(m), k)
    ti.flags.writeable = dj.flags.writeable = False
    return ti, dj


def _retro_innovation(x, P, acc, q, tau, z, R) -> tuple[np.ndarray, np.ndarray]:
    """``y = z - (p - tau v + a tau^2 / 2)`` and ``S = H P H' + R + q tau^3/3 I`` per pair
    (``acc`` None: no known acceleration)."""
    return _retro_terms(x, P, acc, q, tau, z, R)[:2]


def _retro_terms(x, P, acc, q, tau, z, R) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_retro_innovation` and ``q tau^3 / 3`` per pair."""
    t = tau[:, None]
    back = x[:, :3] - t * x[:, 3:]
    if acc is not None:
        back = back + 0.5 * acc * (t * t)
    tb = tau[:, None, None]
    Pc = P[:, :3, 3:]
    S = P[:, :3, :3] - tb * (Pc + Pc.transpose(0, 2, 1)) + (tb * tb) * P[:, 3:, 3:] + R
    qt = q * tau**3 / 3.0
    S += qt[:, None, None] * EYE3
    return z - back, S, qt


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
    acc = gravity_of(x, cls)
    y, _, qt = _retro_terms(x[ti], P[ti], None if acc is None else acc[ti],
                            Q_BY_CLASS[cls][ti], tau_s, z, R)  # fmt: skip
    A, W = info_terms(tau_s, R + qt[:, None, None] * EYE3)
    b = info_vector(W, tau_s, y)
    return info_apply(x, P, segment_sum(A, ti, k), segment_sum(b, ti, k))


def info_terms(tau_s: np.ndarray, R_eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per detection ``A = H' W H`` ``(p, 6, 6)`` and ``W = R_eff^-1`` ``(p, 3, 3)``,
    ``H = [I, -tau I]``."""
    W = inv(R_eff)
    W = 0.5 * (W + W.transpose(0, 2, 1))
    t = tau_s[:, None, None]
    # H' W H = [[W, -tau W], [-tau W, tau^2 W]]
    mtW = -t * W
    A = np.empty((W.shape[0], 6, 6))
    A[:, :3, :3] = W
    A[:, :3, 3:] = mtW
    A[:, 3:, :3] = mtW
    np.multiply(t * t, W, out=A[:, 3:, 3:])
    return A, W


def info_vector(W: np.ndarray, tau_s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per detection ``b = H' W y = [W y, -tau W y]`` ``(p, 6)``."""
    Wy = einsum("pij,pj->pi", W, y)
    return np.concatenate((Wy, -tau_s[:, None] * Wy), axis=1)


def info_apply(
    x: np.ndarray | None, P: np.ndarray, A_sum: np.ndarray, b_sum: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray]:
    """``P+ = (P^-1 + A)^-1 = (I + P A)^-1 P`` and ``x+ = x + P+ b`` (``x`` None: only
    ``P+``; else ``x`` and ``b_sum`` are the leading tracks')."""
    P_new = solve(EYE6 + P @ A_sum, P)
    P_new = 0.5 * (P_new + P_new.transpose(0, 2, 1))
    if x is None:
        return None, P_new
    return x + einsum("kij,kj->ki", P_new[: x.shape[0]], b_sum), P_new


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


def unused_detections(m: int, hits: Hits | None) -> np.ndarray:
    """Indices of a frame's ``m`` detections no track took (``hits``): new tracks' seeds."""
    if hits is None:
        return np.arange(m)
    free = np.ones(m, dtype=bool)
    free[hits.dj] = False
    return free.nonzero()[0]
