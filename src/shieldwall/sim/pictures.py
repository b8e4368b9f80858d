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
        # per picture sampled: number, label, source, x (k, 6), position variances (k, 3)
        self.tracks: list[tuple[np.ndarray, ...]] = []
        self.n_pictures: list[int] = []  # pictures per sample
        self.next_t_s = 0.0
        self._cols: dict[str, np.ndarray] | None = None  # arrays(), until the next sample

    def due(self, t_s: float) -> bool:
        return t_s >= self.next_t_s

    def sample(self, t_s: float, pictures, truth: Truth, alive: np.ndarray) -> None:
        """Record the pictures (one per nation) and the threats in the air (``alive``)."""
        state, flying = truth.state_ecef(t_s)
        air = np.flatnonzero(flying & alive)
        self.truth.append((air, state[air]))
        for pic in pictures:
            n = pic.number.size
            var = np.take(pic.P.reshape(n, 36), _POS_DIAG, axis=1)  # P_xx, P_yy, P_zz
            self.tracks.append((pic.number, pic.label, pic.source, pic.x, var))
        self.n_pictures.append(len(pictures))
        self.t_s.append(float(t_s))
        self.next_t_s = (np.floor(t_s / SAMPLE_PERIOD_S) + 1.0) * SAMPLE_PERIOD_S
        self._cols = None

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything as flat columns: truth rows (``truth_*``) and picture rows (read-only,
        computed once per sample count). A track's ``pos_sigma_m`` is sqrt(trace(P_pos) / 3)."""
        if self._cols is None:
            self._cols = self._arrays()
        return self._cols

    def _arrays(self) -> dict[str, np.ndarray]:
        n_s = len(self.t_s)
        t_scan = np.repeat(np.arange(n_s), [a.size for a, _ in self.truth])
        counts = [c[0].size for c in self.tracks]
        scan = np.repeat(np.repeat(np.arange(n_s), self.n_pictures), counts)
        nation = np.repeat(np.concatenate([np.arange(p) for p in self.n_pictures] or [[]]), counts)
        if self.tracks:
            cols = [np.concatenate(c) for c in zip(*self.tracks, strict=True)]
        else:
            cols = [np.zeros(0, dtype=np.int64)] * 3 + [np.zeros((0, 6)), np.zeros((0, 3))]
        var = cols[4]
        out = {
            "scan_t_s": np.array(self.t_s),
            "truth_scan": t_scan,
            "truth_threat": np.concatenate([a for a, _ in self.truth] or [np.zeros(0, int)]),
            "truth_x": np.concatenate([x for _, x in self.truth] or [np.zeros((0, 6))]),
            "scan": scan.astype(np.int64),
            "nation": nation.astype(np.int64),
            "number": cols[0].astype(np.int64),
            "threat": cols[1].astype(np.int64),
            "source": cols[2].astype(np.int64),
            "x": cols[3].reshape(-1, 6),
            # trace summed in order, as np.trace does: (P_xx + P_yy) + P_zz
            "pos_sigma_m": np.sqrt((var[:, 0] + var[:, 1] + var[:, 2]) / 3.0),
        }
        for a in out.values():
            a.flags.writeable = False
        return out


_POS_DIAG = np.array([0, 7, 14])  # P_xx, P_yy, P_zz in a row-major 6 x 6 covariance


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
