"""shieldwall's picture metrics against Stone Soup's on the same truths and tracks (``bench``
extra; skipped without stonesoup).

SIAP: Stone Soup's ``SIAPMetrics`` with its ``TrackToTruth`` associator set to one scan to
confirm and one to end (``consec_pairs_confirm=1, consec_misses_end=1``), which is exactly
shieldwall's scan-by-scan :func:`associate_by_distance` when every track has a state at every
scan of its life. GOSPA / OSPA: Stone Soup's ``GOSPAMetric`` / ``OSPAMetric`` per scan.
Agreement to 1e-9 (counts and ratios) and 1e-9 m (accuracies, distances).
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest

pytest.importorskip("stonesoup")

from stonesoup.dataassociator.tracktotrack import TrackToTruth  # noqa: E402
from stonesoup.measures import Euclidean  # noqa: E402
from stonesoup.metricgenerator.manager import MultiManager  # noqa: E402
from stonesoup.metricgenerator.ospametric import GOSPAMetric, OSPAMetric  # noqa: E402
from stonesoup.metricgenerator.tracktotruthmetrics import SIAPMetrics  # noqa: E402
from stonesoup.types.groundtruth import GroundTruthPath, GroundTruthState  # noqa: E402
from stonesoup.types.state import State  # noqa: E402
from stonesoup.types.track import Track  # noqa: E402

from shieldwall.tracking.metrics import (  # noqa: E402
    History,
    associate_by_distance,
    gospa,
    ospa,
    siap,
)

T0 = datetime.datetime(2025, 1, 1)
DT_S = 10.0
GATE_M = 1000.0
POS, VEL = (0, 2, 4), (1, 3, 5)  # Stone Soup state order x, vx, y, vy, z, vz


def _truth_x(s: int, j: int) -> np.ndarray:
    if j == 1:  # flies along x at 100 m/s
        return np.array([100.0 * DT_S * s, 0, 0, 100.0, 0, 0])
    return np.array([0.0, 5000.0 + 20.0 * DT_S * s, 0, 0, 20.0, 0])


def scenario():
    """Truth 1 over scans 0-5, truth 2 over scans 0-4. Tracks (offset from truth): 10 on
    truth 1 at scans 0-2 (50 m off, 5 m/s off), 11 on truth 1 at scans 3-5 (20 m), 12 on truth 1
    at scans 1-2 (10 m, ambiguous), 20 on truth 2 at scans 0-1 and 3-4 and 3 km away at scan 2
    (a break), 99 spurious at scans 2-4. Every track has a state at every scan of its life."""
    truth = [(s, 1, _truth_x(s, 1)) for s in range(6)] + [(s, 2, _truth_x(s, 2)) for s in range(5)]
    off = {10: [30, 40, 0, 3, 4, 0], 11: [0, 0, 20, 0, 0, 1], 12: [0, 10, 0, 0, 0, 0], 20: 0}
    spec = [(10, 1, (0, 1, 2)), (11, 1, (3, 4, 5)), (12, 1, (1, 2)), (20, 2, (0, 1, 3, 4))]
    tracks = [(s, k, _truth_x(s, j) + off[k]) for k, j, scans in spec for s in scans]
    tracks.append((2, 20, _truth_x(2, 2) + [3000.0, 0, 0, 0, 0, 0]))
    tracks += [(s, 99, np.array([5e4, 5e4, 0, 0, 0, 0])) for s in (2, 3, 4)]
    return History.of(*zip(*truth, strict=True)), History.of(*zip(*tracks, strict=True))


def _to_stonesoup(h: History, cls, state_cls):
    """One Stone Soup path per object; our (pos, vel) columns -> (x, vx, y, vy, z, vz)."""
    paths = {}
    for i in np.lexsort((h.scan, h.obj_id)):
        sv = h.x[i][[0, 3, 1, 4, 2, 5]].reshape(6, 1)
        t = T0 + datetime.timedelta(seconds=DT_S * int(h.scan[i]))
        paths.setdefault(int(h.obj_id[i]), cls()).append(state_cls(sv, timestamp=t))
    return paths


def test_siap_equals_stonesoup():
    truth, tracks = scenario()
    ours = siap(truth, tracks, associate_by_distance(truth, tracks, GATE_M), DT_S * np.arange(6))
    gen = SIAPMetrics(position_measure=Euclidean(POS), velocity_measure=Euclidean(VEL))
    assoc = TrackToTruth(
        association_threshold=GATE_M,
        consec_pairs_confirm=1,
        consec_misses_end=1,
        measure=Euclidean(POS),
    )
    manager = MultiManager([gen], assoc)
    ss_truth = _to_stonesoup(truth, GroundTruthPath, GroundTruthState)
    ss_tracks = _to_stonesoup(tracks, Track, State)
    manager.add_data(
        {"groundtruth_paths": ss_truth.values(), "tracks": ss_tracks.values()}, overwrite=False
    )
    m = manager.generate_metrics()["siap_generator"]
    theirs = {k: m[f"SIAP {k}"].value for k in (
        "Completeness", "Ambiguity", "Spuriousness", "Position Accuracy", "Velocity Accuracy",
        "Rate of Track Number Change", "Longest Track Segment")}  # fmt: skip
    assert ours.completeness == pytest.approx(theirs["Completeness"], abs=1e-12)
    assert ours.ambiguity == pytest.approx(theirs["Ambiguity"], abs=1e-12)
    assert ours.spuriousness == pytest.approx(theirs["Spuriousness"], abs=1e-12)
    assert ours.position_accuracy_m == pytest.approx(theirs["Position Accuracy"], abs=1e-9)
    assert ours.velocity_accuracy_m_s == pytest.approx(theirs["Velocity Accuracy"], abs=1e-9)
    assert ours.track_number_change_rate_per_s == pytest.approx(
        theirs["Rate of Track Number Change"], abs=1e-12
    )
    assert ours.longest_track_segment == pytest.approx(theirs["Longest Track Segment"], abs=1e-12)
    # the case is not trivial: every measure is away from its ideal value
    assert 0 < ours.completeness < 1 and ours.ambiguity > 1 and ours.spuriousness > 0
    assert ours.track_number_changes == 2 and 0 < ours.longest_track_segment < 1


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_gospa_and_ospa_equal_stonesoup_per_scan(p):
    truth, tracks = scenario()
    c = 500.0
    g = GOSPAMetric(c=c, p=p, measure=Euclidean(POS))
    o = OSPAMetric(c=c, p=p, measure=Euclidean(POS))
    for s in range(6):
        t = T0 + datetime.timedelta(seconds=DT_S * s)
        X, Y = truth.x[truth.scan == s], tracks.x[tracks.scan == s]
        ss_x = [State(x[[0, 3, 1, 4, 2, 5]].reshape(6, 1), timestamp=t) for x in X]
        ss_y = [State(y[[0, 3, 1, 4, 2, 5]].reshape(6, 1), timestamp=t) for y in Y]
        theirs = g.compute_gospa_metric(ss_y, ss_x)[0].value
        ours = gospa(X[:, :3], Y[:, :3], c=c, p=p)
        assert ours.distance == pytest.approx(theirs["distance"], abs=1e-9)
        assert ours.localisation == pytest.approx(theirs["localisation"], abs=1e-9)
        assert ours.missed == pytest.approx(theirs["missed"], abs=1e-9)
        assert ours.false == pytest.approx(theirs["false"], abs=1e-9)
        their_ospa = o.compute_OSPA_distance(ss_y, ss_x)
        their_ospa = getattr(their_ospa, "value", their_ospa)
        assert ospa(X[:, :3], Y[:, :3], c=c, p=p) == pytest.approx(their_ospa, abs=1e-9)
