"""Benchmark: shieldwall's GNN tracker against a Stone Soup GNN tracker on identical detections.

Scenario (fixed seed 20250101): N targets in 3-D constant velocity (start uniform in a
200 x 200 x 10 km box, horizontal speed 100-300 m/s in a random heading, vertical speed within
+-10 m/s), a Cartesian position sensor with 50 m noise per axis and Pd 0.9 scanning every 2 s,
Poisson clutter of 20 per scan uniform in the box, 100 scans.

Both trackers: constant-velocity Kalman filter with white-noise acceleration q = 1 m^2/s^3,
position prior from the first detection and 300 m/s velocity sigma, chi-square gate at
probability 0.9999 on the 3-D innovation (Mahalanobis distance 4.57), confirmation 2 of 3
(Stone Soup: ``MultiMeasurementInitiator`` with 2 updates, holding tracks deleted after 2 scans
without an update), deletion after 4 scans without an update (``UpdateTimeStepsDeleter(4)``).
Stone Soup: ``KalmanPredictor``, ``KalmanUpdater``, ``DistanceHypothesiser`` with the
``Mahalanobis`` measure and ``missed_distance`` at the gate, and ``GNNWith2DAssignment`` or
``DetectionKDTreeGNN2D`` (k-d tree of detections queried within 6 km of each predicted
measurement, then the same hypothesiser and 2-D assignment) as associator. 6 km exceeds every
chi-square gate a kept track can have (the widest, a holding track after one miss, predicted
4 s from one detection: 4.57 x 1.2 km = 5.5 km), so the tree only prunes and both trackers gate
alike; a tighter radius (5 km) silently narrows Stone Soup's gate. Its step is
exactly ``MultiTargetTracker.__next__`` (associate, update, delete, initiate).

The gate is the same; the assignment costs are not: Stone Soup minimises the sum of
Mahalanobis distances, shieldwall maximises the log-likelihood ratio against "missed, clutter"
(which adds log|S|, Pd and the clutter density), puts tentative tracks in the same assignment
(Stone Soup's initiator sees only detections the confirmed tracks left), and also deletes a
track whose position sigma exceeds 5 km. Each is that tracker's own documented GNN, so the
comparison is of two GNN trackers with matched filters, gates and M-of-N rules, not of one
algorithm in two implementations.

Figures: ``*_s_per_scan`` is the mean wall time of one tracker step (detections already built,
no metric work; one run of each tracker, cold, neither favoured) over the first
``stonesoup_scans`` scans for both trackers, so ``speedup`` and the GOSPAs compare the same
scans; ``shieldwall_*_all`` are over all 100 scans. GOSPA: mean over those scans of
:func:`shieldwall.tracking.metrics.gospa` (alpha 2, p 2, cut-off c = 500 m, ten sensor sigmas)
between the confirmed tracks' positions and the true positions; scan 0 has no confirmed track
in either tracker, so it costs every target's c^2/2 (N = 200: 5,000 m) in both.

``python bench/tracking_vs_stonesoup.py`` (needs the ``bench`` extra) prints one JSON line per
case; ``--profile`` adds Stone Soup's top functions by own time (cProfile) on stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import pstats
import sys
import time

import numpy as np
from scipy.stats import chi2

from shieldwall.tracking import Tracker, TrackerConfig
from shieldwall.tracking.metrics import gospa

SEED, N_SCANS, DT_S, SIGMA_M, PD, CLUTTER = 20250101, 100, 2.0, 50.0, 0.9, 20
BOX_M = np.array([200e3, 200e3, 10e3])
Q_M2_S3, V0_SIGMA_M_S, GATE_PROB, C_M, KD_RADIUS_M = 1.0, 300.0, 0.9999, 500.0, 6000.0
# (targets, Stone Soup associator, Stone Soup scans)
CASES = [(50, "GNNWith2DAssignment", 100), (200, "GNNWith2DAssignment", 100),
         (200, "DetectionKDTreeGNN2D", 100), (1000, "DetectionKDTreeGNN2D", 100)]  # fmt: skip


def scenario(n: int, rng: np.random.Generator):
    """Truth positions ``(scans, n, 3)`` and each scan's detections ``(m, 3)`` (targets then
    clutter, shuffled)."""
    p0 = rng.uniform(0, 1, (n, 3)) * BOX_M
    heading, speed = rng.uniform(0, 2 * np.pi, n), rng.uniform(100, 300, n)
    v = np.column_stack([speed * np.cos(heading), speed * np.sin(heading), rng.uniform(-10, 10, n)])
    t = DT_S * np.arange(N_SCANS)
    truth = p0[None] + t[:, None, None] * v[None]
    scans = []
    for k in range(N_SCANS):
        seen = truth[k][rng.random(n) < PD]
        z = seen + rng.normal(0, SIGMA_M, seen.shape)
        clutter = rng.uniform(0, 1, (rng.poisson(CLUTTER), 3)) * BOX_M
        scans.append(rng.permutation(np.vstack([z, clutter])))
    return t, truth, scans


def run_shieldwall(t, scans):
    cfg = TrackerConfig(associator="gnn", model="cv", pd=PD,
                        clutter_density_m3=CLUTTER / np.prod(BOX_M), gate_prob=GATE_PROB,
                        q_m2_s3=Q_M2_S3, v0_sigma_m_s=V0_SIGMA_M_S, confirm_m=2, confirm_n=3,
                        delete_misses=4)  # fmt: skip
    trk, seconds, est = Tracker(cfg), [], []
    for k, z in enumerate(scans):
        R = np.broadcast_to(SIGMA_M**2 * np.eye(3), (len(z), 3, 3))
        start = time.perf_counter()
        st = trk.step(float(t[k]), z, R)
        seconds.append(time.perf_counter() - start)
        est.append(st.x[st.confirmed, :3])
    return np.array(seconds), est


def stonesoup_tracker(associator: str):
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import KalmanUpdater

    motion = CombinedLinearGaussianTransitionModel([ConstantVelocity(Q_M2_S3)] * 3)
    sensor = LinearGaussian(6, (0, 2, 4), SIGMA_M**2 * np.eye(3))
    predictor, updater = KalmanPredictor(motion), KalmanUpdater(sensor)
    gate = float(np.sqrt(chi2.ppf(GATE_PROB, 3)))
    hyp = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=gate)

    def associate():
        if associator == "GNNWith2DAssignment":
            return GNNWith2DAssignment(hyp)
        return DetectionKDTreeGNN2D(hyp, predictor, updater, max_distance=KD_RADIUS_M)

    prior = GaussianState(np.zeros((6, 1)), np.diag([0, V0_SIGMA_M_S**2] * 3))
    initiator = MultiMeasurementInitiator(
        prior, UpdateTimeStepsDeleter(2), associate(), updater, sensor, min_points=2
    )
    return sensor, associate(), updater, UpdateTimeStepsDeleter(4), initiator


def run_stonesoup(t, scans, associator: str, n_scans: int, profile: bool):
    from stonesoup.types.detection import Detection

    sensor, assoc, updater, deleter, initiator = stonesoup_tracker(associator)
    t0 = datetime.datetime(2025, 1, 1)
    times = [t0 + datetime.timedelta(seconds=float(s)) for s in t[:n_scans]]
    dets = [{Detection(z.reshape(3, 1), timestamp=tm, measurement_model=sensor) for z in zs}
            for tm, zs in zip(times, scans[:n_scans], strict=True)]  # fmt: skip
    tracks, seconds, est = set(), [], []
    prof = cProfile.Profile() if profile else None
    for tm, detections in zip(times, dets, strict=True):
        start = time.perf_counter()
        if prof:
            prof.enable()
        # MultiTargetTracker.__next__ (stonesoup/tracker/simple.py)
        associations = assoc.associate(tracks, detections, tm)
        used = set()
        for track, hypothesis in associations.items():
            if hypothesis:
                track.append(updater.update(hypothesis))
                used.add(hypothesis.measurement)
            else:
                track.append(hypothesis.prediction)
        tracks -= deleter.delete_tracks(tracks)
        tracks |= initiator.initiate(detections - used, tm)
        if prof:
            prof.disable()
        seconds.append(time.perf_counter() - start)
        pos = [np.asarray(tr.state_vector, float)[[0, 2, 4], 0] for tr in tracks]
        est.append(np.array(pos).reshape(-1, 3))
    if prof:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(
            f"--- Stone Soup {associator}, {n_scans} scans ---\n{out.getvalue()}", file=sys.stderr
        )
    return np.array(seconds), est


def mean_gospa(truth, est, n: int) -> float:
    return float(np.mean([gospa(truth[k], est[k], c=C_M, p=2.0).distance for k in range(n)]))


def run_case(n: int, associator: str, ss_scans: int, profile: bool) -> dict:
    t, truth, scans = scenario(n, np.random.default_rng(SEED))
    sw_s, sw_est = run_shieldwall(t, scans)  # one run, as for Stone Soup
    ss_s, ss_est = run_stonesoup(t, scans, associator, ss_scans, profile)
    sw_per, ss_per = float(sw_s[:ss_scans].mean()), float(ss_s.mean())
    return {
        "n_targets": n,
        "associator": associator,
        "shieldwall_s_per_scan": round(sw_per, 6),
        "stonesoup_s_per_scan": round(ss_per, 4),
        "speedup": round(ss_per / sw_per, 1),
        "shieldwall_gospa": round(mean_gospa(truth, sw_est, ss_scans), 1),
        "stonesoup_gospa": round(mean_gospa(truth, ss_est, ss_scans), 1),
        "stonesoup_scans": ss_scans,
        "shieldwall_s_per_scan_all": round(float(sw_s.mean()), 6),
        "shieldwall_gospa_all": round(mean_gospa(truth, sw_est, N_SCANS), 1),
        "detections_per_scan": round(float(np.mean([len(z) for z in scans])), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", action="store_true", help="cProfile Stone Soup (stderr)")
    ap.add_argument("--targets", type=int, nargs="*", help="only these N (default: all cases)")
    args = ap.parse_args()
    for n, associator, ss_scans in CASES:
        if args.targets and n not in args.targets:
            continue
        print(json.dumps(run_case(n, associator, ss_scans, args.profile)), flush=True)


if __name__ == "__main__":
    main()
