"""Tracking: each nation's local tracks (batched Kalman filters, track management) and the
multi-target tracker library (gating, GNN/JPDA association, EKF/IMM filters, M-of-N).

Public tracker API::

    from shieldwall.tracking import Tracker, TrackerConfig, TrackStates
    trk = Tracker(TrackerConfig(associator="gnn", model="cv"))
    states = trk.step(t_s, z_m, R_m2)  # (m, 3), (m, 3, 3) -> TrackStates
"""

from shieldwall.tracking.associate import (
    Pairs,
    candidate_pairs,
    gate_threshold,
    gnn_assign,
    jpda_exact,
    jpda_lbp,
    jpda_weights,
    pair_scores,
)
from shieldwall.tracking.filters import (
    MotionModel,
    combine,
    imm_mix,
    imm_model_probabilities,
    predict_cv,
    predict_model,
)
from shieldwall.tracking.frame import Frame, classify, frame_update
from shieldwall.tracking.fuser import Fuser, SystemTracks, TrackBatch, track_batch
from shieldwall.tracking.fusion import associate_tracks, covariance_intersection
from shieldwall.tracking.kalman import predict, update_position
from shieldwall.tracking.node import LocalTracks, NodeChanges, NodeConfig, NodeTracker
from shieldwall.tracking.radar import (
    rae_jacobian,
    rae_measure,
    rae_to_cartesian,
    seed_from_launch_warning,
    update_rae,
)
from shieldwall.tracking.tracker import (
    ASSOCIATORS,
    Association,
    Associator,
    Tracker,
    TrackerConfig,
    TrackStates,
)

__all__ = [
    "ASSOCIATORS",
    "Association",
    "Associator",
    "MotionModel",
    "Frame",
    "LocalTracks",
    "NodeChanges",
    "NodeConfig",
    "NodeTracker",
    "Pairs",
    "Tracker",
    "TrackerConfig",
    "TrackStates",
    "candidate_pairs",
    "classify",
    "combine",
    "frame_update",
    "gate_threshold",
    "gnn_assign",
    "imm_mix",
    "imm_model_probabilities",
    "jpda_exact",
    "jpda_lbp",
    "jpda_weights",
    "pair_scores",
    "predict",
    "predict_cv",
    "predict_model",
    "rae_jacobian",
    "rae_measure",
    "rae_to_cartesian",
    "seed_from_launch_warning",
    "update_rae",
    "update_position",
    "Fuser",
    "SystemTracks",
    "TrackBatch",
    "associate_tracks",
    "covariance_intersection",
    "track_batch",
]
