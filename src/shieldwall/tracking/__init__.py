"""Tracking: each nation's local tracks (batched Kalman filters, track management)."""

from shieldwall.tracking.kalman import predict, update_position
from shieldwall.tracking.node import CONFIRMED, NONE, TENTATIVE, NodeTracks, TrackChanges

__all__ = [
    "CONFIRMED",
    "NONE",
    "TENTATIVE",
    "NodeTracks",
    "TrackChanges",
    "predict",
    "update_position",
]
