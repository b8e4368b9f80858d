"""Sensors: who sees which threat, when, and how well (detections from truth)."""

from shieldwall.sensors.detection import radar_pd, snr_reference, swerling1_pd
from shieldwall.sensors.placement import KIND_IR, KIND_RADAR, SensorArray, sensor_array
from shieldwall.sensors.scan import Detections, detect_all, interpolate_truth

__all__ = [
    "KIND_IR",
    "KIND_RADAR",
    "Detections",
    "SensorArray",
    "detect_all",
    "interpolate_truth",
    "radar_pd",
    "sensor_array",
    "snr_reference",
    "swerling1_pd",
]
