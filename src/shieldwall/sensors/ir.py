"""Space-based infrared launch warning.

A staring IR sensor sees the hot exhaust plume of a boosting missile once it climbs above low
cloud and the dense lower atmosphere (``plume_alt_km``) and until motor burnout
(``truth.boost_end_t_s``); after burnout the cold body is not seen. Each look inside the
coverage area (ground distance from the placed nominal point up to ``max_range_km``) detects a
boosting ballistic missile with probability ``pd_ir``. Detection physics are not modelled
beyond that: see e.g. Simmons, "Boost-phase missile detection", *Johns Hopkins APL Technical
Digest* 22(4), 2001, for the real chain.

From the first look that sees a missile the sensor issues one launch-warning report with the
launch point (error ``launch_point_sigma_km`` per horizontal axis), the launch time (error
``launch_time_sigma_s``) and the bearing of flight (initial great-circle course from the launch
point towards the impact point, error ``launch_azimuth_sigma_deg``); all errors are zero-mean
Gaussian. These seed ballistic tracks downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from shieldwall.geo import (
    destination_point,
    ecef_to_geodetic,
    great_circle_distance_m,
    initial_bearing_deg,
)
from shieldwall.sensors.placement import SensorArray
from shieldwall.threats import Truth

BALLISTIC = 0


@dataclass(frozen=True, slots=True)
class LaunchWarnings:
    """One report per (IR sensor, threat), sorted by (time, sensor, threat).

    ``t_s``: when the report is issued (first look that saw the plume). Reported values:
    ``launch_t_s``, ``launch_lat_deg``, ``launch_lon_deg`` and ``azimuth_deg`` (bearing of
    flight, clockwise from north, [0, 360)); their stated 1-sigma errors: ``sigma_launch_t_s``,
    ``sigma_launch_m`` (per horizontal axis) and ``sigma_azimuth_deg``."""

    t_s: np.ndarray
    sensor: np.ndarray
    threat: np.ndarray
    launch_t_s: np.ndarray
    launch_lat_deg: np.ndarray
    launch_lon_deg: np.ndarray
    azimuth_deg: np.ndarray
    sigma_launch_t_s: np.ndarray
    sigma_launch_m: np.ndarray
    sigma_azimuth_deg: np.ndarray

    @property
    def n(self) -> int:
        return int(self.t_s.size)

    def until(self, t_s: float) -> LaunchWarnings:
        """The warnings issued by ``t_s``."""
        if not self.t_s.size or self.t_s.max() <= t_s:
            return self
        keep = self.t_s <= t_s
        return type(self)(*(getattr(self, f.name)[keep] for f in fields(self)))

    @classmethod
    def concat(cls, parts: list[LaunchWarnings]) -> LaunchWarnings:
        """All ``parts`` together, sorted by (time, sensor, threat)."""
        if not parts:
            z = np.zeros(0)
            return cls(*(z.astype(np.int64) if f.name in ("sensor", "threat") else z
                         for f in fields(cls)))  # fmt: skip
        cols = [np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)]
        order = np.lexsort((cols[2], cols[1], cols[0]))
        return cls(*(c[order] for c in cols))


def ir_looks(
    sensors: SensorArray,
    s: int,
    truth: Truth,
    threat: np.ndarray,
    t_s: np.ndarray,
    pos_ecef_m: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Looks of IR sensor ``s`` at threats ``threat`` at times ``t_s`` (true positions
    ``pos_ecef_m``): detected mask, reported ECEF position (error ``sigma_range_m`` per axis)
    and its covariance."""
    lat, lon, alt = ecef_to_geodetic(pos_ecef_m, iterations=1)
    ground_m = great_circle_distance_m(sensors.lat_deg[s], sensors.lon_deg[s], lat, lon)
    visible = (
        (truth.threats.class_code[threat] == BALLISTIC)
        & (ground_m <= sensors.max_range_m[s])
        & (alt >= sensors.plume_alt_m[s])
        & (t_s >= truth.t0_s[threat])
        & (t_s <= truth.boost_end_t_s[threat])
    )
    detected = visible & (rng.random(t_s.size) < sensors.pd_ir[s])
    sigma = sensors.sigma_range_m[s]
    z = pos_ecef_m + sigma * rng.standard_normal((t_s.size, 3))
    r_ecef = np.broadcast_to(np.eye(3) * sigma**2, (t_s.size, 3, 3)).copy()
    return detected, z, r_ecef


def launch_warnings(
    sensors: SensorArray,
    s: int,
    truth: Truth,
    threat: np.ndarray,
    t_s: np.ndarray,
    rng: np.random.Generator,
) -> LaunchWarnings:
    """One report per threat from IR sensor ``s``'s detections ``(threat, t_s)`` (time order):
    issued at the first one, with Gaussian errors on launch point, time and bearing."""
    _, first = np.unique(threat, return_index=True)
    j, t_rep = threat[first], t_s[first]
    noise = rng.standard_normal((j.size, 4))
    th = truth.threats
    sig_m, sig_t = sensors.launch_point_sigma_m[s], sensors.launch_time_sigma_s[s]
    sig_az = np.degrees(sensors.launch_azimuth_sigma_rad[s])
    east, north = sig_m * noise[:, 0], sig_m * noise[:, 1]
    lat, lon = destination_point(
        th.launch_lat_deg[j],
        th.launch_lon_deg[j],
        np.degrees(np.arctan2(east, north)),
        np.hypot(east, north),
    )
    course = initial_bearing_deg(
        th.launch_lat_deg[j], th.launch_lon_deg[j], th.impact_lat_deg[j], th.impact_lon_deg[j]
    )
    n = j.size
    return LaunchWarnings(
        t_s=t_rep,
        sensor=np.full(n, s, dtype=np.int64),
        threat=j.astype(np.int64),
        launch_t_s=truth.t0_s[j] + sig_t * noise[:, 2],
        launch_lat_deg=lat,
        launch_lon_deg=lon,
        azimuth_deg=np.mod(course + sig_az * noise[:, 3], 360.0),
        sigma_launch_t_s=np.full(n, sig_t),
        sigma_launch_m=np.full(n, sig_m),
        sigma_azimuth_deg=np.full(n, sig_az),
    )
