"""Each nation's local tracks, held as stacked arrays over (nation, threat).

Foundation-level tracker: measurement-to-track association is by the detection's true object
(a perfect associator), one Kalman filter per (nation, object). Tracks start tentative, are
confirmed after ``confirm_hits`` detections (an N-hits rule; misses
do not reset the count, M-of-N arrives with the tracking issue) and are deleted when unseen for
``drop_track_s``. Detections of one batch are applied in time order in *rounds*: round r holds
the r-th detection of every (nation, object) key, so each round is one vectorised update and
there is no Python loop over tracks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.tracking.kalman import predict, update_position

NONE, TENTATIVE, CONFIRMED = 0, 1, 2
# Process-noise spectral density (m^2/s^3) and initial velocity sigma (m/s) per threat class
# (ballistic, cruise, drone). Notional tuning: q ~ (expected unmodelled acceleration)^2 * T.
Q_BY_CLASS = np.array([400.0, 20.0, 2.0])
V0_SIGMA_BY_CLASS = np.array([4000.0, 350.0, 80.0])


@dataclass(frozen=True, slots=True)
class TrackChanges:
    """(nation, threat) pairs whose track was confirmed or ended in a call."""

    started: tuple[np.ndarray, np.ndarray]
    ended: tuple[np.ndarray, np.ndarray]


class NodeTracks:
    """Local tracks of every nation on every threat (state arrays, updated in place)."""

    def __init__(
        self, n_nations: int, class_code: np.ndarray, confirm_hits: int, drop_track_s: float
    ) -> None:
        n = class_code.size
        self.n_threats = n
        self.class_code = np.tile(class_code, n_nations)
        self.confirm_hits = confirm_hits
        self.drop_track_s = drop_track_s
        k = n_nations * n
        self.x = np.zeros((k, 6))
        self.P = np.broadcast_to(np.eye(6), (k, 6, 6)).copy()
        self.t_s = np.full(k, -np.inf)
        self.hits = np.zeros(k, dtype=np.int32)
        self.status = np.zeros(k, dtype=np.int8)

    def key(self, nation: np.ndarray, threat: np.ndarray) -> np.ndarray:
        return nation * self.n_threats + threat

    def split(self, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return key // self.n_threats, key % self.n_threats

    def ingest(
        self,
        t_s: np.ndarray,
        nation: np.ndarray,
        threat: np.ndarray,
        z: np.ndarray,
        R: np.ndarray,
    ) -> TrackChanges:
        """Apply detections (sorted by time) to the nations' tracks."""
        key = self.key(nation, threat)
        order = np.lexsort((t_s, key))
        key, t_s, z, R = key[order], t_s[order], z[order], R[order]
        first = np.r_[True, key[1:] != key[:-1]]
        start_idx = np.maximum.accumulate(np.where(first, np.arange(key.size), 0))
        rank = np.arange(key.size) - start_idx
        was_confirmed = self.status == CONFIRMED
        for r in range(int(rank.max(initial=-1)) + 1):
            sel = rank == r
            self._apply(key[sel], t_s[sel], z[sel], R[sel])
        started = np.flatnonzero((self.status == CONFIRMED) & ~was_confirmed)
        return TrackChanges(self.split(started), self.split(np.zeros(0, dtype=np.int64)))

    def _apply(self, key: np.ndarray, t_s: np.ndarray, z: np.ndarray, R: np.ndarray) -> None:
        fresh = self.status[key] == NONE
        cls = self.class_code[key]
        # New tracks: x = [z, 0], P = blkdiag(R, v0^2 I)
        if np.any(fresh):
            k = key[fresh]
            self.x[k] = np.concatenate([z[fresh], np.zeros((k.size, 3))], axis=1)
            P0 = np.zeros((k.size, 6, 6))
            P0[:, :3, :3] = R[fresh]
            P0[:, 3:, 3:] = np.eye(3) * V0_SIGMA_BY_CLASS[cls[fresh]][:, None, None] ** 2
            self.P[k] = P0
            self.status[k] = TENTATIVE
            self.hits[k] = 1
        old = ~fresh
        if np.any(old):
            k = key[old]
            dt = np.maximum(t_s[old] - self.t_s[k], 0.0)
            x, P = predict(self.x[k], self.P[k], dt, Q_BY_CLASS[cls[old]], cls[old] == 0)
            self.x[k], self.P[k] = update_position(x, P, z[old], R[old])
            self.hits[k] += 1
        self.t_s[key] = t_s
        self.status[key[self.hits[key] >= self.confirm_hits]] = CONFIRMED

    def drop(self, t_s: float, dead: np.ndarray | None = None) -> TrackChanges:
        """Delete tracks unseen for ``drop_track_s`` and, where ``dead`` (bool per threat) is
        given, every nation's track on those threats. Returns the confirmed tracks that ended."""
        stale = (self.status != NONE) & (t_s - self.t_s > self.drop_track_s)
        if dead is not None:
            stale |= (self.status != NONE) & np.tile(dead, self.status.size // dead.size)
        ended = np.flatnonzero(stale & (self.status == CONFIRMED))
        self.status[stale] = NONE
        self.hits[stale] = 0
        return TrackChanges(self.split(np.zeros(0, dtype=np.int64)), self.split(ended))

    def estimates(self, nation: int, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Confirmed mask ``(n,)``, states ``(n, 6)`` and covariances ``(n, 6, 6)`` of one
        nation's tracks predicted to ``t_s``."""
        sl = slice(nation * self.n_threats, (nation + 1) * self.n_threats)
        ok = self.status[sl] == CONFIRMED
        x, P = self.x[sl].copy(), self.P[sl].copy()
        if ok.any():
            cls = self.class_code[sl][ok]
            dt = np.maximum(t_s - self.t_s[sl][ok], 0.0)
            x[ok], P[ok] = predict(x[ok], P[ok], dt, Q_BY_CLASS[cls], cls == 0)
        return ok, x, P

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copy of the state (for delayed releases to partners)."""
        return {
            "x": self.x.copy(),
            "P": self.P.copy(),
            "t_s": self.t_s.copy(),
            "status": self.status.copy(),
        }
