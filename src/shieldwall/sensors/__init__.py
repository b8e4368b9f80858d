"""Sensors: who sees which threat, when, and how well (detections from truth)."""

from shieldwall.sensors.core import Observers, RadarParams, Targets, radar_scan
from shieldwall.sensors.detection import (
    aspect_angle_rad,
    aspect_rcs_m2,
    radar_pd,
    snr_reference,
    swerling1_pd,
)
from shieldwall.sensors.ir import LaunchWarnings
from shieldwall.sensors.placement import (
    KIND_IR,
    KIND_RADAR,
    SensorArray,
    rcs_aspect_table_m2,
    sensor_array,
)
from shieldwall.sensors.platform import platform_frames, racetrack_lap_m
from shieldwall.sensors.scan import (
    FALSE_ALARM,
    Detections,
    SensorReports,
    detect_all,
    interpolate_truth,
    scan_all,
)

__all__ = [
    "FALSE_ALARM",
    "KIND_IR",
    "KIND_RADAR",
    "Detections",
    "LaunchWarnings",
    "Observers",
    "RadarParams",
    "SensorArray",
    "SensorReports",
    "Targets",
    "aspect_angle_rad",
    "aspect_rcs_m2",
    "detect_all",
    "interpolate_truth",
    "platform_frames",
    "racetrack_lap_m",
    "radar_pd",
    "radar_scan",
    "rcs_aspect_table_m2",
    "scan_all",
    "sensor_array",
    "snr_reference",
    "swerling1_pd",
]
