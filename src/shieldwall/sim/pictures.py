"""Samples of every nation's picture against truth, and their SIAP measures.

Every ``SAMPLE_PERIOD_S`` of simulated time (at the first decision time on or after each
multiple) the simulator records, for each nation, the tracks its picture holds (own and
released) and, once, the threats really in the air. From those samples
:func:`picture_siap` computes each nation's SIAP measures with
:func:`shieldwall.tracking.metrics.siap` (Votruba et al. 2001, as Stone Soup computes them).

A picture track is a system track of that nation's fuser, under its system track number; its
truth is the object its first input's latest detection came from (the analyst's label, see
:mod:`shieldwall.sharing.picture`), and a track on clutter, or on an object no longer in the air
(a release still in the delay line after a kill), counts as spurious.
"""

from __future__ import annotations

import numpy as np

from shieldwall.threats import Truth
from shieldwall.tracking.metrics import History, SiapResult, commonality, siap

SAMPLE_PERIOD_S = 30.0
COALITION = "coalition"  # name of the analyst's fused picture (after the nations')
COMMONALITY_AGREE_M = 2000.0  # two pictures agree on an object's position within this


class PictureLog:
    """Accumulates picture and truth samples (arrays per sample, concatenated at the end)."""

    def __init__(self, n_nations: int, n_threats: int) -> None:
        self.n_nations = n_nations
        self.n_threats = n_threats
        self.t_s: list[float] = []
        self.truth: list[tuple[np.ndarray, np.ndarray]] = []
        self.tracks: list[tuple[np.ndarray, ...]] = []
        self.next_t_s = 0.0

    def due(self, t_s: float) -> bool:
        return t_s >= self.next_t_s

    def sample(self, t_s: float, pictures, truth: Truth, alive: np.ndarray) -> None:
        """Record the pictures (one per nation) and the threats in the air (``alive``)."""
        k = len(self.t_s)
        pos, flying = truth.position_ecef(t_s)
        vel = truth.velocity_ecef(t_s)
        air = np.flatnonzero(flying & alive)
        self.truth.append((air, np.concatenate([pos[air], vel[air]], axis=1)))
        for a, pic in enumerate(pictures):
            n = pic.number.size
            sigma = np.sqrt(np.trace(pic.P[:, :3, :3], axis1=1, axis2=2) / 3.0)
            self.tracks.append((np.full(n, k), np.full(n, a), pic.number, pic.label, pic.source,
                                pic.x, sigma))  # fmt: skip
        self.t_s.append(float(t_s))
        self.next_t_s = (np.floor(t_s / SAMPLE_PERIOD_S) + 1.0) * SAMPLE_PERIOD_S

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything as flat columns: truth rows (``truth_*``) and picture rows."""
        n_s = len(self.t_s)
        t_scan = np.repeat(np.arange(n_s), [a.size for a, _ in self.truth])
        if self.tracks:
            cols = [np.concatenate(c) for c in zip(*self.tracks, strict=True)]
        else:
            cols = [np.zeros(0, dtype=np.int64)] * 5 + [np.zeros((0, 6)), np.zeros(0)]
        return {
            "scan_t_s": np.array(self.t_s),
            "truth_scan": t_scan,
            "truth_threat": np.concatenate([a for a, _ in self.truth] or [np.zeros(0, int)]),
            "truth_x": np.concatenate([x for _, x in self.truth] or [np.zeros((0, 6))]),
            "scan": cols[0].astype(np.int64),
            "nation": cols[1].astype(np.int64),
            "number": cols[2].astype(np.int64),
            "threat": cols[3].astype(np.int64),
            "source": cols[4].astype(np.int64),
            "x": cols[5].reshape(-1, 6),
            "pos_sigma_m": cols[6],
        }


def _picture_rows(cols: dict[str, np.ndarray]):
    """Truth history and, per picture index, its track history and each row's truth: the
    labelled object while it is in the air, else none (spurious)."""
    truth = History.of(cols["truth_scan"], cols["truth_threat"], cols["truth_x"])
    width = int(max(cols["truth_threat"].max(initial=-1), cols["threat"].max(initial=-1))) + 1
    in_air_keys = cols["truth_scan"] * width + cols["truth_threat"]

    def rows(a: int) -> tuple[History, np.ndarray]:
        m = cols["nation"] == a
        scan, threat, number = cols["scan"][m], cols["threat"][m], cols["number"][m]
        in_air = (threat >= 0) & np.isin(scan * width + threat, in_air_keys)
        return History.of(scan, number, cols["x"][m]), np.where(in_air, threat, -1)

    return truth, rows


def picture_siap(cols: dict[str, np.ndarray], n_pictures: int) -> list[SiapResult]:
    """The SIAP measures of each sampled picture (each nation's, then the coalition's) from
    the columns of :meth:`PictureLog.arrays` (one function, so the run folder's files
    recompute exactly what the summary shows)."""
    truth, rows = _picture_rows(cols)
    return [siap(truth, *rows(a), cols["scan_t_s"]) for a in range(n_pictures)]


def picture_commonality(
    cols: dict[str, np.ndarray], n_nations: int, agree_m: float = COMMONALITY_AGREE_M
) -> dict[tuple[int, int], float]:
    """Commonality of every pair of nations' pictures
    (:func:`shieldwall.tracking.metrics.commonality`): the share of (object, sample) pairs
    both hold under the same coalition track number, within ``agree_m`` of each other."""
    truth, rows = _picture_rows(cols)
    per = [rows(a) for a in range(n_nations)]
    return {
        (a, b): commonality(truth, *per[a], *per[b], agree_m)
        for a in range(n_nations)
        for b in range(a + 1, n_nations)
    }
