"""Threat evaluation: where each tracked threat comes down, when, and what it threatens.

From a picture's estimates (ECEF state ``x`` and covariance ``P`` per track, and the picture's
class), vectorised over all tracks at once:

- **Ballistic tracks** fall under gravity in the rotating frame and drag in an exponential
  atmosphere (RK4, 5 s steps) until they reach the WGS 84 ellipsoid; the impact point is
  interpolated linearly in height between the last two steps. Its uncertainty is the
  unscented transform of the track covariance and of the unknown ballistic coefficient: the
  15 sigma points of the state and ``log beta`` go through the same propagation and their
  impact points give mean and covariance in the local east-north plane (Julier & Uhlmann,
  "Unscented filtering and nonlinear estimation", Proc. IEEE 92(3), 2004; ``kappa = 0``,
  weights ``1/2n``, which keeps every weight positive). Without drag a re-entry vehicle
  would be predicted kilometres long, and left alone while it falls on its target.
- **Cruise missiles and drones** keep their velocity and height (route extrapolation): for each
  defended asset the closest point of approach (CPA) of the straight track, the time to it
  and the horizontal covariance of the track's position there,
  ``S = Ppp + tau (Ppv + Pvp) + tau^2 Pvv``, projected on the asset's east-north plane.
- **Hit probability** of an asset of radius ``r``: the bivariate normal's mass inside the
  offset disc (:func:`disc_probability`; the problem of DiDonato & Jarnagin, "Integration of
  the general bivariate Gaussian distribution over an offset circle", Math. Comp. 15, 1961),
  reduced to a 1-D integral along the ellipse's major axis.
- **Threat value** = sum over assets of ``value x lethality(class) x P_hit``. A ballistic
  track whose every hit probability is below ``OPEN_GROUND_P`` is predicted to land in open
  ground and may be left alone, once it is between 30 s and 4 min from its predicted impact
  (``OPEN_GROUND_TTG_S``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from shieldwall.engagement.coast import fall
from shieldwall.engagement.feasibility import STEP_S
from shieldwall.geo import ecef_delta_to_enu, ecef_to_geodetic, geodetic_to_ecef

LETHALITY = np.array([1.0, 0.8, 0.4])  # notional, per class: ballistic, cruise, drone
OPEN_GROUND_P = 0.001  # below this hit probability on every asset: open ground
# ... decided only this long before the predicted impact: a track still in boost falls short in
# prediction, and one a few seconds from the ground is more likely a misclassified drone
OPEN_GROUND_TTG_S = (30.0, 240.0)
MAX_FALL_S = 1800.0  # a ballistic track that has not come down by then is left unevaluated
MIN_SIGMA_M = 1.0
BETA_NOMINAL_KG_M2, BETA_LOG_SIGMA = 6000.0, 0.45  # the defense's prior: catalog 3,000-10,000
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)
SIGMA_POINTS = 15  # 2 d + 1 over the state and log beta (d = 7)


@dataclass(frozen=True, slots=True)
class Assets:
    """Defended assets (``A``): centre ``lat_deg``, ``lon_deg``, ``radius_m``, ``value``."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    radius_m: np.ndarray
    value: np.ndarray

    @staticmethod
    def of(scenario) -> Assets:
        a = scenario.assets
        return Assets(*(np.array([getattr(x, f) for x in a], dtype=float)
                        for f in ("lat_deg", "lon_deg", "radius_m", "value")))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThreatAssessment:
    """Per track (``n``): predicted impact or CPA point ``lat_deg``, ``lon_deg`` (of the most
    threatened asset's CPA for air-breathers), its east-north covariance ``cov_m2``
    ``(n, 2, 2)``, ``time_to_go_s``, hit probability per asset ``p_hit`` ``(n, A)``, threat
    ``value``, most threatened ``asset`` (-1: none) and ``open_ground`` (ballistic tracks
    predicted to hit nothing)."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    cov_m2: np.ndarray
    time_to_go_s: np.ndarray
    p_hit: np.ndarray
    value: np.ndarray
    asset: np.ndarray
    open_ground: np.ndarray


def evaluate(
    x: np.ndarray,
    P: np.ndarray,
    cls: np.ndarray,
    assets: Assets,
    decide_only: bool = False,
    fallen: tuple[np.ndarray, np.ndarray] | None = None,
) -> ThreatAssessment:
    """Evaluate tracks ``x`` ``(n, 6)``, ``P`` ``(n, 6, 6)`` of class ``cls`` against
    ``assets`` (see the module docstring). ``decide_only``: enough for ``open_ground`` alone;
    a ballistic track whose time to go is outside ``OPEN_GROUND_TTG_S`` is not followed to
    the ground (its time to go is inf and its hit probabilities 0), every other result is
    as without it. ``fallen``: the ballistic tracks' sigma points already followed down (see
    :func:`ballistic_impact`)."""
    n, A = x.shape[0], assets.value.size
    lat, lon = np.zeros(n), np.zeros(n)
    cov = np.broadcast_to(np.eye(2), (n, 2, 2)).copy()
    ttg = np.full(n, np.inf)
    p_hit = np.zeros((n, A))
    bal = np.flatnonzero(cls == 0)
    air = np.flatnonzero(cls != 0)
    if bal.size:
        window = OPEN_GROUND_TTG_S if decide_only else None
        lat[bal], lon[bal], cov[bal], ttg[bal] = ballistic_impact(x[bal], P[bal], window, fallen)
        ok = np.isfinite(ttg[bal])
        p_hit[bal[ok]] = _hit_probability(lat[bal[ok]], lon[bal[ok]], cov[bal[ok]], assets)
    if air.size and A:
        lat[air], lon[air], cov[air], ttg[air], p_hit[air] = _airbreather_cpa(
            x[air], P[air], assets
        )
    value = (p_hit * assets.value[None]).sum(axis=1) * LETHALITY[cls]
    asset = np.where(p_hit.max(axis=1, initial=0.0) > 0.0, np.argmax(p_hit, axis=1)
                     if A else -1, -1)  # fmt: skip
    trusted = (ttg >= OPEN_GROUND_TTG_S[0]) & (ttg <= OPEN_GROUND_TTG_S[1])
    open_ground = (cls == 0) & trusted & (p_hit.max(axis=1, initial=0.0) < OPEN_GROUND_P)
    return ThreatAssessment(lat, lon, cov, ttg, p_hit, value, asset, open_ground)


def ballistic_impact(
    x: np.ndarray,
    P: np.ndarray,
    window_s: tuple[float, float] | None = None,
    fallen: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Impact ``lat``, ``lon``, east-north covariance ``(n, 2, 2)`` and time to go of
    ballistic states: the unscented transform of the fall to the ellipsoid over the 6-D state
    and the unknown ballistic coefficient (log-normal, ``BETA_NOMINAL_KG_M2`` times
    ``exp(BETA_LOG_SIGMA)``): 15 sigma points. With ``window_s``, tracks whose time to go
    falls outside it get time to go inf (their sigma points are not followed down).
    ``fallen``: the impact points and times of fall of :func:`sigma_states` (``fall`` with
    ``window_s``), when the caller integrated them already."""
    n, d, k = x.shape[0], 7, SIGMA_POINTS
    if fallen is not None:
        imp, t = fallen
    else:
        states, inv2b = sigma_states(x, P)
        imp, t = fall(states, inv2b, STEP_S, MAX_FALL_S, k, window_s)
    imp, t = imp.reshape(n, k, 3), t.reshape(n, k)
    ok = np.all(np.isfinite(t), axis=1)
    w = np.full(k, 1.0 / (2 * d))
    w[0] = 0.0
    centre = np.einsum("k,nki->ni", w, np.where(ok[:, None, None], imp, 0.0))
    centre = np.where(ok[:, None], centre, 1.0)
    lat, lon, _ = ecef_to_geodetic(centre)
    en = np.nan_to_num(ecef_delta_to_enu(imp - centre[:, None], lat[:, None], lon[:, None]))
    en = en[..., :2]
    cov_en = np.einsum("k,nki,nkj->nij", w, en, en) + np.eye(2) * MIN_SIGMA_M**2
    ttg = np.where(ok, t[:, 0], np.inf)
    return lat, lon, cov_en, ttg


def sigma_states(x: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``SIGMA_POINTS`` sigma points per track of :func:`ballistic_impact` (over the
    state and ``log beta``): states ``(n * 15, 6)`` and ``1 / (2 beta)`` ``(n * 15,)``."""
    n, d = x.shape[0], 7
    mean = np.concatenate([x, np.full((n, 1), np.log(BETA_NOMINAL_KG_M2))], axis=1)
    cov = np.zeros((n, d, d))
    cov[:, :6, :6] = P
    cov[:, 6, 6] = BETA_LOG_SIGMA**2
    pts = _sigma_points(mean, cov).reshape(-1, d)  # (n * 15, 7)
    return pts[:, :6], 0.5 / np.exp(pts[:, 6])


def fall_to_ground(x: np.ndarray, beta_kg_m2: np.ndarray | None = None):
    """Impact point ``(m, 3)`` (ECEF, on the ellipsoid by linear interpolation of height) and
    time of fall ``(m,)`` of coasting states ``x`` ``(m, 6)`` under gravity in the rotating
    frame and, with ``beta_kg_m2`` ``(m,)``, drag in the exponential atmosphere of the truth
    model, ``a_drag = -rho(h) |v| v / (2 beta)`` (the atmosphere turns with the Earth, so the
    ECEF velocity is the air-relative one). RK4, ``STEP_S`` steps (Press et al., sec. 17.1);
    inf and NaN where not down within ``MAX_FALL_S``."""
    inv2b = np.zeros(x.shape[0]) if beta_kg_m2 is None else 0.5 / np.asarray(beta_kg_m2)
    return fall(x, inv2b, STEP_S, MAX_FALL_S)


def _sigma_points(x: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``x`` and ``x +- sqrt(d) L e_i`` with ``P = L L'``: ``(m, 2d + 1, d)``."""
    d = x.shape[1]
    L = np.linalg.cholesky(0.5 * (P + P.transpose(0, 2, 1)) + np.eye(d) * 1e-9)
    s = np.sqrt(float(d)) * L.transpose(0, 2, 1)  # rows: columns of L
    return np.concatenate([x[:, None], x[:, None] + s, x[:, None] - s], axis=1)


def _hit_probability(lat, lon, cov, assets: Assets) -> np.ndarray:
    """``(n, A)`` mass of N(point, cov) inside each asset's disc (circular approximation)."""
    if assets.value.size == 0:
        return np.zeros((lat.size, 0))
    centre = _asset_frames(assets)[0]
    point = geodetic_to_ecef(lat, lon, np.zeros(lat.size))
    en = ecef_delta_to_enu(centre[None] - point[:, None], lat[:, None], lon[:, None])[..., :2]
    return disc_probability(en, cov[:, None], assets.radius_m[None])


def disc_probability(centre_m: np.ndarray, S: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """Mass of ``N(0, S)`` inside discs of ``radius_m`` centred at ``centre_m`` (all
    broadcast: ``(..., 2)``, ``(..., 2, 2)``, ``(...)``), exactly up to quadrature: in the
    principal axes of ``S`` (standard deviations ``su`` <= ``sv``) the mass is the 1-D integral
    ``int phi(v / sv) / sv [Phi((cu + h(v)) / su) - Phi((cu - h(v)) / su)] dv`` with
    ``h(v) = sqrt(r^2 - (v - cv)^2)``, over the part of the disc within 8 ``sv`` of the mean,
    by 64-point Gauss-Legendre (the inner direction is exact, so a narrow ellipse costs
    nothing). Within 1e-3 of Monte Carlo in the tests; the equal-area circular approximation
    is off by 0.1 for a 3:1 ellipse."""
    lam, vec = np.linalg.eigh(0.5 * (S + np.swapaxes(S, -1, -2)))
    su = np.sqrt(np.maximum(lam[..., 0], MIN_SIGMA_M**2))
    sv = np.sqrt(np.maximum(lam[..., 1], MIN_SIGMA_M**2))
    cu = np.einsum("...i,...i->...", vec[..., :, 0], centre_m)
    cv = np.einsum("...i,...i->...", vec[..., :, 1], centre_m)
    r = np.broadcast_to(radius_m, cu.shape)
    lo = np.maximum(cv - r, -8.0 * sv)
    hi = np.minimum(cv + r, 8.0 * sv)
    half, mid = np.maximum(hi - lo, 0.0) / 2.0, (hi + lo) / 2.0
    # a disc beyond 8 sv (half = 0) has mass 0: the quadrature only where half is not 0
    live = half != 0.0
    out = np.zeros(live.shape)
    if not live.any():
        return out
    half, mid = half[live], mid[live]
    r, cu, cv, su, sv = (np.broadcast_to(a, live.shape)[live] for a in (r, cu, cv, su, sv))
    v = mid[..., None] + half[..., None] * _GL_NODES
    h = np.sqrt(np.maximum(r[..., None] ** 2 - (v - cv[..., None]) ** 2, 0.0))
    s_u = su[..., None]
    inner = ndtr((cu[..., None] + h) / s_u) - ndtr((cu[..., None] - h) / s_u)
    dens = np.exp(-0.5 * (v / sv[..., None]) ** 2) / (np.sqrt(2.0 * np.pi) * sv[..., None])
    out[live] = np.clip(half * np.sum(_GL_WEIGHTS * dens * inner, axis=-1), 0.0, 1.0)
    return out


def _airbreather_cpa(x, P, assets: Assets):
    """Closest approach of straight, level tracks to every asset: per track the CPA of the
    most threatened asset (point, covariance, time) and the hit probability of each."""
    centre, lat, lon, R = _asset_frames(assets)
    r = centre[None] - x[:, None, :3]  # (n, A, 3)
    v = x[:, None, 3:]
    tau = np.maximum((r * v).sum(-1) / np.maximum((v * v).sum(-1), 1e-9), 0.0)  # (n, A)
    cpa = x[:, None, :3] + tau[..., None] * v
    miss_en = ecef_delta_to_enu(cpa - centre[None], lat[None], lon[None])[..., :2]
    t = tau[..., None, None]
    Pp, Pv, Pc = P[:, None, :3, :3], P[:, None, 3:, 3:], P[:, None, :3, 3:]
    S = Pp + t * (Pc + Pc.transpose(0, 1, 3, 2)) + t * t * Pv  # (n, A, 3, 3)
    S_en = R @ S @ R.transpose(0, 1, 3, 2)
    p_hit = disc_probability(-miss_en, S_en, assets.radius_m[None])
    best = np.argmax(p_hit, axis=1)
    rows = np.arange(x.shape[0])
    plat, plon, _ = ecef_to_geodetic(cpa[rows, best])
    return plat, plon, S_en[rows, best], tau[rows, best], p_hit


_FRAMES: dict[bytes, tuple[np.ndarray, ...]] = {}


def _asset_frames(assets: Assets) -> tuple[np.ndarray, ...]:
    """The assets' centres (ECEF), their geodetic latitude and longitude recomputed from
    the centres, and their ECEF -> east-north rotations ``(1, A, 2, 3)``: the same every
    cycle, so computed once per set of assets (keyed by its coordinates)."""
    key = assets.lat_deg.tobytes() + assets.lon_deg.tobytes()
    frames = _FRAMES.get(key)
    if frames is None:
        centre = geodetic_to_ecef(assets.lat_deg, assets.lon_deg, np.zeros(assets.value.size))
        lat, lon, _ = ecef_to_geodetic(centre)
        frames = _FRAMES[key] = (centre, lat, lon, _enu_rotation(lat, lon)[None, :, :2])
    return frames


def _enu_rotation(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """ECEF -> ENU rotation matrices ``(A, 3, 3)`` (Farrell 2008, eq. 2.30)."""
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    sl, cl, so, co = np.sin(la), np.cos(la), np.sin(lo), np.cos(lo)
    z = np.zeros_like(la)
    return np.stack([np.stack([-so, co, z], -1), np.stack([-sl * co, -sl * so, cl], -1),
                     np.stack([cl * co, cl * so, sl], -1)], axis=1)  # fmt: skip
