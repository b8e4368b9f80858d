"""Engagement windows: where and when each shooter can meet each tracked threat.

The threat's future path is predicted from the picture's estimate on a look-ahead grid
(``LOOKAHEAD_S``): ballistic tracks fall under inverse-square gravity (RK4), others keep their
velocity and height. A shooter can intercept at look-ahead time ``tau`` when the predicted
point is inside its altitude band and range ring and its interceptor (or aircraft) can get
there in time:
``reaction_s + d / speed <= tau`` (straight fly-out at average speed, the usual first-order
engagement-window model, e.g. Zarchan, *Tactical and Strategic Missile Guidance*, ch. 1).
A shot is only taken when its launch is due now (see ``feasible_windows``). Everything is
vectorised over (shooter, threat, tau).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.engagement.coast import gravity_path, length
from shieldwall.engagement.shooters import Shooters
from shieldwall.geo import ecef_to_geodetic

STEP_S = 5.0
R_BELOW_GROUND_M = 6_350e3  # below the WGS 84 polar radius (6,356.8 km): surely underground
LOOKAHEAD_S = np.arange(1, 121) * STEP_S  # 5 s .. 600 s


@dataclass(frozen=True, slots=True)
class PredictedPaths:
    """Predicted positions ``(m, L, 3)`` and geodetic coordinates ``(m, L)`` of m threats on
    the look-ahead grid; ``airborne`` is false once a prediction reaches the ground."""

    pos_ecef_m: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    airborne: np.ndarray


def predict_paths(
    x: np.ndarray,
    ballistic: np.ndarray,
    ballistic_steps: int | None = None,
    ballistic_pos: np.ndarray | None = None,
) -> PredictedPaths:
    """Predict states ``x`` ``(m, 6)`` along ``LOOKAHEAD_S``. ``ballistic_steps``: integrate
    ballistic paths only that far (see :func:`window_steps`), holding them there after;
    ``ballistic_pos``: the ballistic rows' positions ``(b, L, 3)``, already integrated."""
    m, L = x.shape[0], LOOKAHEAD_S.size
    pos = predict_positions(x, ballistic, ballistic_steps, ballistic_pos)
    lat, lon, alt = ecef_to_geodetic(pos.reshape(-1, 3), iterations=1)
    lat, lon, alt = (a.reshape(m, L) for a in (lat, lon, alt))
    airborne = np.logical_and.accumulate(alt > 0.0, axis=1)
    return PredictedPaths(pos, lat, lon, alt, airborne)


def predict_positions(
    x: np.ndarray,
    ballistic: np.ndarray,
    ballistic_steps: int | None = None,
    ballistic_pos: np.ndarray | None = None,
) -> np.ndarray:
    """The positions ``(m, L, 3)`` of :func:`predict_paths` (same arguments)."""
    L = LOOKAHEAD_S.size
    ballistic = np.asarray(ballistic, dtype=bool)
    if not ballistic.any():
        return _straight(x)
    pos = np.empty((x.shape[0], L, 3))
    if not ballistic.all():
        pos[~ballistic] = _straight(x[~ballistic])
    if ballistic_pos is not None:
        pos[ballistic] = ballistic_pos
    else:
        pos[ballistic] = gravity_path(x[ballistic], L, STEP_S, R_BELOW_GROUND_M,
                                      ballistic_steps)  # fmt: skip
    return pos


def _straight(x: np.ndarray) -> np.ndarray:
    """Positions ``(m, L, 3)`` of air-breathers ``x`` ``(m, 6)``: they hold their height, so
    the straight ECEF line is scaled to keep the geocentric radius (the line would climb
    d^2 / 2R above the curving Earth, 1.6 km after 144 km)."""
    pos = x[:, None, :3] + LOOKAHEAD_S[None, :, None] * x[:, None, 3:]
    r0 = length(x[:, :3])
    pos *= (r0[:, None] / length(pos))[:, :, None]
    return pos


def feasible_windows(
    shooters: Shooters,
    idx: np.ndarray,
    paths: PredictedPaths,
    class_code: np.ndarray,
    slack_s: float = 2 * STEP_S,
    bounds: tuple[np.ndarray, ...] | None = None,
    p2: np.ndarray | None = None,
) -> np.ndarray:
    """Bool ``(s, m, L)``: shooter ``idx[s]``, firing *now*, can intercept threat m at
    look-ahead step L. Firing now means arriving no later than ``slack_s`` after the fastest
    possible fly-out: ``0 <= tau - (reaction + d / speed) <= slack_s``. A shot whose intercept
    lies further out waits for a later cycle, which keeps the threat open to other shooters.

    Both range conditions bound the distance: ``max(min_range, speed (tau - reaction -
    slack)) <= d <= min(max_range, speed (tau - reaction))``, tested on ``d^2 = |p|^2 + |s|^2
    - 2 p.s`` (no ``(s, m, L, 3)`` difference array; 1e-2 m^2 of rounding at Earth radius).
    ``bounds``: :func:`window_bounds` of all shooters for ``slack_s``, when the caller keeps
    them; ``p2``: ``|p|^2`` ``(m, L)`` of the paths' points, when the caller has it."""
    lo2, hi2, some, pos2 = window_bounds(shooters, slack_s) if bounds is None else bounds
    pos = shooters.pos_ecef_m[idx]
    p = paths.pos_ecef_m
    if p2 is None:
        p2 = np.einsum("mlk,mlk->ml", p, p)
    d2 = p2[None] + pos2[idx][:, None, None] - 2.0 * np.einsum("mlk,sk->sml", p, pos)
    ok = (d2 >= lo2[idx][:, None]) & (d2 <= hi2[idx][:, None]) & some[idx][:, None]
    alt = paths.alt_m[None]
    band = (slice(None), None, None)
    ok &= paths.airborne[None] & (alt >= shooters.min_alt_m[idx][band])
    ok &= alt <= shooters.max_alt_m[idx][band]
    can_kill = shooters.pk[idx][:, class_code] > 0.0
    return ok & can_kill[:, :, None]


def range_bounds(
    shooters: Shooters, idx: np.ndarray, slack_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(s, L)`` least and greatest distance at which shooter ``idx[s]``, firing now, meets
    a threat at each look-ahead step (see :func:`feasible_windows`; no window where
    ``hi < lo``)."""
    sh = (slice(None), None)
    fly = LOOKAHEAD_S[None] - shooters.reaction_s[idx][sh]  # (s, L)
    lo = np.maximum(shooters.min_range_m[idx][sh], shooters.speed_m_s[idx][sh] * (fly - slack_s))
    hi = np.minimum(shooters.max_range_m[idx][sh], shooters.speed_m_s[idx][sh] * fly)
    return np.maximum(lo, 0.0), hi


def window_steps(shooters: Shooters, idx: np.ndarray, class_code: int, slack_s: float) -> int:
    """How many look-ahead steps can hold an engagement window of any shooter ``idx`` on a
    threat of ``class_code``: beyond them every such shooter's fly-out is too long for its
    range, so a predicted path need not be known there."""
    idx = idx[shooters.pk[idx, class_code] > 0.0]
    if idx.size == 0:
        return 0
    lo, hi = range_bounds(shooters, idx, slack_s)
    some = np.flatnonzero((hi >= lo).any(axis=0))
    return int(some[-1]) + 1 if some.size else 0


def window_bounds(shooters: Shooters, slack_s: float) -> tuple[np.ndarray, ...]:
    """For every shooter, what :func:`feasible_windows` tests distances against: the squared
    least and greatest distance ``(S, L)`` (:func:`range_bounds`), whether any distance fits
    ``(S, L)``, and the squared distance of the shooter from the Earth's centre ``(S,)``."""
    lo, hi = range_bounds(shooters, np.arange(shooters.n), slack_s)
    pos = shooters.pos_ecef_m
    return lo * lo, hi * hi, hi >= lo, np.einsum("sk,sk->s", pos, pos)
