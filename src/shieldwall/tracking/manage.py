"""Track management: the track table, M-of-N confirmation, deletion, track numbers, quality.

Rules (Blackman & Popoli, *Design and Analysis of Modern Tracking Systems*, 1999, ch. 6;
Bar-Shalom, Li & Kirubarajan 2001, ch. 3):

- **Initiation**: every detection left unassigned starts a tentative track; the initiating
  detection is hit 1 of scan 1.
- **Confirmation (M-of-N)**: a tentative track is confirmed once M of its first N scans
  (counting the initiating one) are hits; it is deleted as soon as it can no longer reach M
  within those N scans. A confirmed track stays confirmed until it is deleted.
- **Deletion**: after ``delete_misses`` consecutive misses, or when its largest per-axis
  position standard deviation exceeds ``max_pos_sigma_m``.
- **Track numbers**: int64 from a counter that only increases, so a number is never reused.
- **Quality**: the track log-likelihood ratio (Blackman & Popoli 1999, ch. 6),
  in nats: it starts at 0 and on each scan adds ``ln(Pd N(y; 0, S) / lambda)`` on a hit and
  ``ln(1 - Pd)`` on a miss (JPDA: ``ln(1 - Pd + Pd sum_j N_j / lambda)`` over the gated detections).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np


@dataclass(frozen=True, slots=True)
class TrackTable:
    """Every live track as stacked arrays (``k`` tracks, ``r`` motion models).

    ``x_r`` ``(k, r, 6)`` and ``P_r`` ``(k, r, 6, 6)`` per-model estimates, ``mu`` ``(k, r)``
    model probabilities, ``track_id`` ``(k,)`` int64, ``age`` (scans since initiation, 1 on
    the initiating scan), ``window_hits`` (hits within the first N scans), ``hits`` (all),
    ``misses`` (consecutive), ``confirmed`` bool, ``quality`` (log-likelihood ratio)."""

    x_r: np.ndarray
    P_r: np.ndarray
    mu: np.ndarray
    track_id: np.ndarray
    age: np.ndarray
    window_hits: np.ndarray
    hits: np.ndarray
    misses: np.ndarray
    confirmed: np.ndarray
    quality: np.ndarray

    @property
    def size(self) -> int:
        return int(self.track_id.size)

    def select(self, keep: np.ndarray) -> TrackTable:
        """The tracks selected by a boolean mask or index array, in order."""
        return TrackTable(*(getattr(self, f.name)[keep] for f in fields(self)))

    def concat(self, other: TrackTable) -> TrackTable:
        return TrackTable(
            *(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self))
        )


def empty_table(n_models: int) -> TrackTable:
    """A table with no tracks."""
    i64 = np.zeros(0, dtype=np.int64)
    return TrackTable(
        np.zeros((0, n_models, 6)),
        np.zeros((0, n_models, 6, 6)),
        np.zeros((0, n_models)),
        i64,
        i64.copy(),
        i64.copy(),
        i64.copy(),
        i64.copy(),
        np.zeros(0, dtype=bool),
        np.zeros(0),
    )


def initiate(
    z: np.ndarray,
    R: np.ndarray,
    v0_sigma_m_s: float,
    mu0: np.ndarray,
    first_id: int,
    confirm_m: int = 2,
) -> TrackTable:
    """Single-point initiation (Blackman & Popoli 1999, ch. 6): ``x = [z, 0]``,
    ``P = blockdiag(R, v0^2 I)``, one hit, ids ``first_id, first_id + 1, ...``; confirmed at
    once when one hit is enough (``confirm_m <= 1``).
    ``z`` ``(m, 3)``, ``R`` ``(m, 3, 3)``, ``mu0`` ``(r,)`` initial model probabilities."""
    m, r = z.shape[0], mu0.size
    x = np.zeros((m, 6))
    x[:, :3] = z
    P = np.zeros((m, 6, 6))
    P[:, :3, :3] = R
    P[:, 3:, 3:] = np.eye(3) * v0_sigma_m_s**2
    ones = np.ones(m, dtype=np.int64)
    return TrackTable(
        np.repeat(x[:, None], r, axis=1),
        np.repeat(P[:, None], r, axis=1),
        np.broadcast_to(mu0, (m, r)).copy(),
        first_id + np.arange(m, dtype=np.int64),
        ones,
        ones.copy(),
        ones.copy(),
        np.zeros(m, dtype=np.int64),
        np.full(m, confirm_m <= 1),
        np.zeros(m),
    )


def record_scan(
    table: TrackTable, hit: np.ndarray, dquality: np.ndarray, confirm_m: int, confirm_n: int
) -> TrackTable:
    """Book one scan's hit (bool ``(k,)``) or miss for every track and apply M-of-N."""
    age = table.age + 1
    in_window = age <= confirm_n
    window_hits = table.window_hits + (hit & in_window)
    confirmed = table.confirmed | (window_hits >= confirm_m)
    return replace(
        table,
        age=age,
        window_hits=window_hits,
        hits=table.hits + hit,
        misses=np.where(hit, 0, table.misses + 1),
        confirmed=confirmed,
        quality=table.quality + dquality,
    )


def position_sigma_m(P: np.ndarray) -> np.ndarray:
    """Largest per-axis position standard deviation ``(k,)`` of ``P`` ``(k, 6, 6)``."""
    return np.sqrt(np.max(np.diagonal(P[:, :3, :3], axis1=1, axis2=2), axis=1))


def doomed(
    table: TrackTable,
    pos_sigma_m: np.ndarray,
    confirm_m: int,
    confirm_n: int,
    delete_misses: int,
    max_pos_sigma_m: float,
) -> np.ndarray:
    """Tracks to delete ``(k,)``: M-of-N failed, too many consecutive misses, or too vague."""
    cannot_confirm = ~table.confirmed & (
        table.window_hits + np.maximum(confirm_n - table.age, 0) < confirm_m
    )
    return cannot_confirm | (table.misses >= delete_misses) | (pos_sigma_m > max_pos_sigma_m)
