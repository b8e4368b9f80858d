"""shieldwall.threats: the raid as drawn (:func:`build_raid`) and its truth trajectories
(:func:`build_truth`), computed once as arrays (threat x sample)."""

from shieldwall.threats.ballistic import (
    min_energy_apogee_m,
    min_energy_burnout,
    min_energy_flight_time_s,
)
from shieldwall.threats.raid import CLASS_CODES, CLASS_NAMES, ThreatSet, build_raid
from shieldwall.threats.truth import Truth, build_truth

__all__ = [
    "CLASS_CODES",
    "CLASS_NAMES",
    "ThreatSet",
    "Truth",
    "build_raid",
    "build_truth",
    "min_energy_apogee_m",
    "min_energy_burnout",
    "min_energy_flight_time_s",
]
