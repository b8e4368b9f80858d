"""The multi-target tracker: predictor, gating, associator, updater and track management wired
together, every stage over stacked arrays of all tracks (no per-track Python loop).

One :meth:`Tracker.step` per scan of Cartesian position detections in one frame:

1. predict every track (and, for the IMM, every model) to the scan time;
2. gate: candidate (track, detection) pairs within the chi-square gate (k-d tree prefilter);
3. associate: GNN (optimal assignment per cluster) or JPDA (marginal probabilities);
4. update: Kalman update of assigned pairs (GNN) or the PDA mixture (JPDA), per model,
   then IMM model probabilities;
5. manage: M-of-N confirmation, deletion, new tentative tracks from unused detections.

Roles follow Stone Soup's split (predictor, hypothesiser, associator, updater, initiator,
deleter) as plain functions and :class:`Associator` protocol implementations.

Models (``TrackerConfig.model``): ``"cv"`` constant velocity (CWNA, ``q_m2_s3``);
``"ballistic"`` CV plus gravity, either the constant ``gravity_m_s2`` vector in the track frame
or, when it is None, ECEF inverse-square gravity; ``"imm"`` mixes CV with a manoeuvre model:
CV with ``imm_q_factor`` times the process noise (default), or with the ballistic model when
``imm_second="ballistic"``. The manoeuvre pair is the default because it needs no frame
knowledge and covers turns and burns as well as coasting arcs (BLK ch. 11).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from scipy.sparse import csr_matrix

from shieldwall.tracking.associate import (
    Pairs,
    candidate_pairs,
    gate_threshold,
    gnn_assign,
    jpda_weights,
    pair_scores,
)
from shieldwall.tracking.filters import (
    MotionModel,
    combine,
    imm_mix,
    imm_model_probabilities,
    predict_models,
    update_position,
)
from shieldwall.tracking.manage import (
    TrackTable,
    doomed,
    empty_table,
    initiate,
    position_sigma_m,
    record_scan,
)

G0_M_S2 = 9.80665


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracker settings (SI). ``clutter_density_m3`` plus ``new_target_density_m3`` is the
    ``lambda`` of the association scores; ``gate_prob`` sets the chi-square gate."""

    associator: str = "gnn"
    model: str = "cv"
    pd: float = 0.9
    clutter_density_m3: float = 1e-13
    gate_prob: float = 0.9999
    q_m2_s3: float = 1.0
    v0_sigma_m_s: float = 300.0
    confirm_m: int = 2
    confirm_n: int = 3
    delete_misses: int = 4
    max_pos_sigma_m: float = 5000.0
    new_target_density_m3: float = 0.0
    gravity_m_s2: tuple[float, float, float] | None = None
    imm_second: str = "manoeuvre"
    imm_q_factor: float = 100.0
    imm_p_stay: float = 0.95

    def __post_init__(self) -> None:
        if self.associator not in ASSOCIATORS:
            raise ValueError(f"associator {self.associator!r} not in {sorted(ASSOCIATORS)}")
        if self.model not in ("cv", "imm", "ballistic"):
            raise ValueError(f"model {self.model!r} not in ['ballistic', 'cv', 'imm']")
        if self.imm_second not in ("manoeuvre", "ballistic"):
            raise ValueError(f"imm_second {self.imm_second!r} not in ['ballistic', 'manoeuvre']")
        if not (0.0 < self.pd <= 1.0 and 0.0 < self.gate_prob < 1.0):
            raise ValueError("need 0 < pd <= 1 and 0 < gate_prob < 1")
        if self.clutter_density_m3 + self.new_target_density_m3 <= 0.0:
            raise ValueError("clutter_density_m3 + new_target_density_m3 must be positive")
        if not 1 <= self.confirm_m <= self.confirm_n or self.delete_misses < 1:
            raise ValueError("need 1 <= confirm_m <= confirm_n and delete_misses >= 1")

    def motion_models(self) -> tuple[MotionModel, ...]:
        """The model set: one model, or the IMM's two (see the module docstring)."""
        cv = MotionModel("cv", self.q_m2_s3)
        if self.gravity_m_s2 is None:
            ballistic = MotionModel("ballistic", self.q_m2_s3, "ecef")
        else:
            ballistic = MotionModel("ballistic", self.q_m2_s3, "vector", self.gravity_m_s2)
        if self.model == "cv":
            return (cv,)
        if self.model == "ballistic":
            return (ballistic,)
        if self.imm_second == "ballistic":
            return (cv, ballistic)
        return (cv, MotionModel("manoeuvre", self.q_m2_s3 * self.imm_q_factor))

    def transition(self) -> np.ndarray:
        """IMM Markov matrix ``(r, r)``: stay with ``imm_p_stay``, else switch uniformly."""
        r = len(self.motion_models())
        if r == 1:
            return np.ones((1, 1))
        off = (1.0 - self.imm_p_stay) / (r - 1)
        return np.full((r, r), off) + np.eye(r) * (self.imm_p_stay - off)


@dataclass(frozen=True, slots=True)
class TrackStates:
    """Live tracks after a scan's update (``k`` tracks): ``track_id`` int64 stable across
    scans, ``x`` ``(k, 6)`` ``[x y z vx vy vz]``, ``P`` ``(k, 6, 6)``, ``confirmed`` bool,
    ``quality`` (log-likelihood ratio, nats), ``hits`` (total), ``misses`` (consecutive)."""

    track_id: np.ndarray
    x: np.ndarray
    P: np.ndarray
    confirmed: np.ndarray
    quality: np.ndarray
    hits: np.ndarray
    misses: np.ndarray


@dataclass(frozen=True, slots=True)
class Association:
    """Result of an associator over gated pairs: pair indices ``sel``, their weights ``beta``
    and each track's no-detection weight ``beta0`` ``(k,)``; ``hard`` when every weight is 0/1
    and each track has at most one pair (GNN)."""

    sel: np.ndarray
    beta: np.ndarray
    beta0: np.ndarray
    hard: bool


class Associator(Protocol):
    """Role: turn scored gated pairs into association weights."""

    def __call__(
        self, pairs: Pairs, score: np.ndarray, n_tracks: int, n_dets: int
    ) -> Association: ...


def gnn_associator(pairs: Pairs, score: np.ndarray, n_tracks: int, n_dets: int) -> Association:
    """Global nearest neighbour (:func:`associate.gnn_assign`)."""
    sel = gnn_assign(pairs, score, n_tracks, n_dets)
    beta0 = np.ones(n_tracks)
    beta0[pairs.ti[sel]] = 0.0
    return Association(sel, np.ones(sel.size), beta0, hard=True)


def jpda_associator(pairs: Pairs, score: np.ndarray, n_tracks: int, n_dets: int) -> Association:
    """Joint probabilistic data association (:func:`associate.jpda_weights`)."""
    beta, beta0 = jpda_weights(pairs, score, n_tracks, n_dets)
    return Association(np.arange(pairs.ti.size), beta, beta0, hard=False)


ASSOCIATORS: dict[str, Associator] = {"gnn": gnn_associator, "jpda": jpda_associator}


def mixture_update(x_pred, P_pred, beta0, ti, beta, x_p, P_p):
    """PDA combination (Fortmann, Bar-Shalom & Scheffe 1983): the moment-matched mixture
    of the predicted state (weight ``beta0``) and each pair's updated state (weight ``beta``).
    Shapes ``(k, 6)``, ``(k, 6, 6)``, ``(k,)``; pairs ``(p,)``, ``(p, 6)``, ``(p, 6, 6)``."""
    k, p = x_pred.shape[0], ti.size
    W = csr_matrix((beta, (ti, np.arange(p))), shape=(k, p))
    x = beta0[:, None] * x_pred + W @ x_p
    d0 = x_pred - x
    dp = x_p - x[ti]
    P = beta0[:, None, None] * (P_pred + d0[:, :, None] * d0[:, None, :])
    P += (W @ (P_p + dp[:, :, None] * dp[:, None, :]).reshape(p, 36)).reshape(k, 6, 6)
    return x, 0.5 * (P + P.transpose(0, 2, 1))


class Tracker:
    """Multi-target tracker over scans of position detections (see module docstring)."""

    def __init__(self, config: TrackerConfig, associator: Associator | None = None) -> None:
        self.config = config
        self.models = config.motion_models()
        self.trans = config.transition()
        self.mu0 = np.full(len(self.models), 1.0 / len(self.models))
        self.gamma = gate_threshold(config.gate_prob)
        self.density = config.clutter_density_m3 + config.new_target_density_m3
        self.associator = associator or ASSOCIATORS[config.associator]
        self.table = empty_table(len(self.models))
        self.t_s: float | None = None
        self.next_id = 1

    def _predict(self, dt_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-model predicted ``x_r``, ``P_r`` and predicted model probabilities ``c``."""
        tab = self.table
        if len(self.models) == 1:
            x_r, P_r = predict_models(self.models, tab.x_r, tab.P_r, dt_s)
            return x_r, P_r, tab.mu
        x0, P0, c = imm_mix(tab.x_r, tab.P_r, tab.mu, self.trans)
        x_r, P_r = predict_models(self.models, x0, P0, dt_s)
        return x_r, P_r, c

    def _update_hard(self, x_r, P_r, c, ti, dj, z, R):
        """Kalman update of each model for assigned tracks ``ti`` with detections ``dj``."""
        mu = c.copy()
        x_r, P_r = x_r.copy(), P_r.copy()
        ll = np.empty((ti.size, len(self.models)))
        for j in range(len(self.models)):
            x_r[ti, j], P_r[ti, j], ll[:, j] = update_position(x_r[ti, j], P_r[ti, j], z[dj], R[dj])
        if len(self.models) > 1:
            mu[ti] = imm_model_probabilities(c[ti], ll)
        return x_r, P_r, mu

    def _update_soft(self, x_r, P_r, c, assoc: Association, pairs: Pairs, z, R):
        """PDA mixture update of each model with shared association weights; IMM model
        likelihood ``Lambda_j = 1 - Pd + Pd sum_p N_jp / lambda`` (IMM-PDAF; Houles & Bar-Shalom,
        IEEE TAES 25(2), 1989)."""
        pd, r, k = self.config.pd, len(self.models), c.shape[0]
        ti, dj = pairs.ti[assoc.sel], pairs.dj[assoc.sel]
        x_out, P_out = np.empty_like(x_r), np.empty_like(P_r)
        loglam = np.empty((k, r))
        for j in range(r):
            x_p, P_p, ll = update_position(x_r[ti, j], P_r[ti, j], z[dj], R[dj])
            x_out[:, j], P_out[:, j] = mixture_update(
                x_r[:, j], P_r[:, j], assoc.beta0, ti, assoc.beta, x_p, P_p
            )
            ratio = np.exp(np.minimum(ll + np.log(pd / self.density), 700.0))
            # + 1e-300: with Pd = 1 a missed track has likelihood 0 under every model
            summed = np.bincount(ti, weights=ratio, minlength=k)
            loglam[:, j] = np.log(1.0 - pd + summed + 1e-300)
        mu = imm_model_probabilities(c, loglam) if r > 1 else c
        return x_out, P_out, mu

    def _quality_increment(self, assoc: Association, pairs: Pairs, k: int) -> np.ndarray:
        """Track log-likelihood ratio increment (Blackman & Popoli 1999, ch. 6)."""
        pd = self.config.pd
        ratio = pairs.loglik[assoc.sel] + np.log(pd / self.density)
        if assoc.hard:
            dq = np.full(k, np.log1p(-pd) if pd < 1.0 else -np.inf)
            dq[pairs.ti[assoc.sel]] = ratio
            return np.maximum(dq, -50.0)
        w = np.exp(np.minimum(ratio, 700.0))
        summed = np.bincount(pairs.ti[assoc.sel], weights=w, minlength=k)
        return np.log(1.0 - pd + summed + 1e-300)

    def step(self, t_s: float, z_m: np.ndarray, R_m2: np.ndarray) -> TrackStates:
        """Process one scan: detections ``z_m`` ``(m, 3)`` with covariances ``R_m2``
        ``(m, 3, 3)`` at time ``t_s``. Returns the live tracks after the update."""
        z, R = _checked_scan(t_s, z_m, R_m2)
        if self.t_s is not None and t_s < self.t_s:
            raise ValueError(f"scan time {t_s} s precedes the previous scan at {self.t_s} s")
        dt = 0.0 if self.t_s is None else t_s - self.t_s
        self.t_s = float(t_s)
        k, m = self.table.size, z.shape[0]
        x_r, P_r, c = self._predict(dt)
        x, P = combine(x_r, P_r, c)
        pairs = candidate_pairs(x, P, z, R, self.gamma)
        score = pair_scores(pairs, self.config.pd, self.density)
        assoc = self.associator(pairs, score, k, m)
        if assoc.hard:
            ti, dj = pairs.ti[assoc.sel], pairs.dj[assoc.sel]
            x_r, P_r, mu = self._update_hard(x_r, P_r, c, ti, dj, z, R)
            used = np.zeros(m, dtype=bool)
            used[dj] = True
        else:
            x_r, P_r, mu = self._update_soft(x_r, P_r, c, assoc, pairs, z, R)
            # a detection inside any track's gate may not start a track (the usual JPDA rule:
            # a track that splits its weight over two close detections must not spawn a twin)
            used = np.zeros(m, dtype=bool)
            used[pairs.dj] = True
        dq = self._quality_increment(assoc, pairs, k)
        return self._manage(x_r, P_r, mu, assoc.beta0 < 0.5, dq, z[~used], R[~used])

    def _manage(self, x_r, P_r, mu, hit, dq, z_new, R_new) -> TrackStates:
        cfg = self.config
        tab = TrackTable(x_r, P_r, mu, *(getattr(self.table, f) for f in _BOOK_FIELDS))
        tab = record_scan(tab, hit, dq, cfg.confirm_m, cfg.confirm_n)
        x, P = combine(tab.x_r, tab.P_r, tab.mu)
        drop = doomed(
            tab,
            position_sigma_m(P),
            cfg.confirm_m,
            cfg.confirm_n,
            cfg.delete_misses,
            cfg.max_pos_sigma_m,
        )
        born = initiate(z_new, R_new, cfg.v0_sigma_m_s, self.mu0, self.next_id, cfg.confirm_m)
        self.next_id += born.size
        self.table = tab.select(~drop).concat(born)
        x_all = np.concatenate([x[~drop], born.x_r[:, 0]])
        P_all = np.concatenate([P[~drop], born.P_r[:, 0]])
        return self.states(x_all, P_all)

    def add_tracks(self, x: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Add tentative tracks with states ``x`` ``(n, 6)``, ``P`` ``(n, 6, 6)`` valid at the
        last scan time (e.g. from :func:`radar.seed_from_launch_warning`); returns their ids.
        Each counts as one hit on its first scan."""
        born = initiate(x[:, :3], P[:, :3, :3], 0.0, self.mu0, self.next_id, self.config.confirm_m)
        r = len(self.models)
        born = replace(
            born, x_r=np.repeat(x[:, None], r, axis=1), P_r=np.repeat(P[:, None], r, axis=1)
        )
        self.next_id += born.size
        self.table = self.table.concat(born)
        return born.track_id.copy()

    def states(self, x: np.ndarray | None = None, P: np.ndarray | None = None) -> TrackStates:
        """The current tracks as :class:`TrackStates` (combined over models)."""
        tab = self.table
        if x is None or P is None:
            x, P = combine(tab.x_r, tab.P_r, tab.mu)
        return TrackStates(
            tab.track_id.copy(),
            x,
            P,
            tab.confirmed.copy(),
            tab.quality.copy(),
            tab.hits.copy(),
            tab.misses.copy(),
        )


_BOOK_FIELDS = ("track_id", "age", "window_hits", "hits", "misses", "confirmed", "quality")


def _checked_scan(t_s: float, z_m, R_m2) -> tuple[np.ndarray, np.ndarray]:
    """The scan's detections as ``(m, 3)`` and ``(m, 3, 3)`` float arrays; ValueError (and no
    change to the tracker) for a non-finite time, mismatched shapes, non-finite values or a
    covariance that is not positive definite."""
    if not np.isfinite(t_s):
        raise ValueError(f"scan time must be finite, got {t_s}")
    z = np.asarray(z_m, dtype=float)
    R = np.asarray(R_m2, dtype=float)
    if z.size == 0 and R.size == 0:
        return z.reshape(0, 3), R.reshape(0, 3, 3)
    if z.ndim != 2 or z.shape[1] != 3 or R.shape != (z.shape[0], 3, 3):
        raise ValueError(
            f"detections must be (m, 3) with covariances (m, 3, 3); got {z.shape} and {R.shape}"
        )
    if not (np.isfinite(z).all() and np.isfinite(R).all()):
        raise ValueError("detections and their covariances must be finite (no NaN or inf)")
    try:
        np.linalg.cholesky(R)
    except np.linalg.LinAlgError:
        raise ValueError("every detection covariance must be positive definite") from None
    return z, R
