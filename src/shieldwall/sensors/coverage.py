"""Radar coverage against target altitude: horizon, Pd 0.5 range, elevation and range limits.

Pure functions on float64 arrays, plus one record (:class:`Coverage`) that the ``shieldwall
coverage`` command prints and plots. Lengths are metres inside, km only in :func:`coverage_json`.

Limits, each as a ground distance from the sensor to the point below the target:

- radar horizon over the 4/3 effective Earth, d = sqrt(2kRh1) + sqrt(2kRh2) (Skolnik,
  *Introduction to Radar Systems*, 3rd ed., eq. 8.2; :func:`shieldwall.geo.radar_horizon_m`);
- the range at which Pd = 0.5 for a threat type's mean RCS, from the radar range equation
  scaled from the reference (Skolnik eq. 2.1) with Swerling 1 detection (Richards,
  *Fundamentals of Radar Signal Processing*, eq. 6.64), see :func:`pd_range_m`;
- the instrumented range ``max_range_km`` (slant);
- the minimum elevation ``min_elev_deg``, on the *apparent* (refracted) elevation like the
  simulator (:func:`shieldwall.sensors.core.apparent_elevation_rad`): the elevation of the
  straight ray over the same 4/3 effective Earth as the horizon, see
  :func:`elevation_limit_ground_m`.

Slant ranges are converted to ground distances on the mean-radius sphere
(:func:`slant_to_ground_m`). The cone of silence above ``max_elev_deg`` and the azimuth sector
are not shown: the curves give the outer edge of cover along a bearing inside the sector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shieldwall.geo import EARTH_MEAN_RADIUS_M, EFFECTIVE_EARTH_K, radar_horizon_m
from shieldwall.sensors.detection import snr_reference

if TYPE_CHECKING:
    from shieldwall.scenario.catalog import Catalog, SensorType, ThreatType

FloatArray = NDArray[np.float64]

TABLE_ALTITUDES_M = (30.0, 50.0, 100.0, 300.0, 1e3, 3e3, 10e3, 30e3, 100e3)
"""Target altitudes (m) reported in the table and JSON. The horizon formula stays within
0.5 % of the exact 4/3-Earth tangent distance up to 100 km (1.5 % at 300 km), so we stop there."""
PLOT_ALTITUDES_M = np.geomspace(10.0, 100e3, 241)
LIMITS = ("horizon", "pd50", "max_range", "min_elevation")
"""What caps the detection range, in the order used by :attr:`Coverage.limited_by`."""


def pd_range_m(pd: ArrayLike, rcs_m2: ArrayLike, ref_range_m: float, pfa: float) -> FloatArray:
    """Slant range (m) at which a Swerling 1 target of mean RCS ``rcs_m2`` has Pd = ``pd``.

    Closed-form inverse of :func:`shieldwall.sensors.detection.radar_pd`. Swerling 1,
    Pd = Pfa^(1/(1+SNR)) (Richards eq. 6.64) gives SNR = ln(Pfa)/ln(Pd) - 1; the radar range
    equation scaled from the reference, SNR = SNR_ref sigma (R_ref/R)^4 (Skolnik eq. 2.1),
    then gives R = R_ref (SNR_ref sigma / SNR)^(1/4). Broadcasts; needs Pfa < Pd < 1.
    """
    snr = np.log(pfa) / np.log(np.asarray(pd, dtype=np.float64)) - 1.0
    ratio = snr_reference(pfa) * np.asarray(rcs_m2, dtype=np.float64) / snr
    return ref_range_m * ratio**0.25


def slant_to_ground_m(
    slant_m: ArrayLike, h_sensor_m: ArrayLike, h_target_m: ArrayLike
) -> FloatArray:
    """Ground distance (m) on the mean-radius sphere to a target at slant range ``slant_m``.

    Law of cosines in the triangle (centre, sensor, target): R^2 = r1^2 + r2^2 - 2 r1 r2 cos(th),
    r_i = Re + h_i, so th = arccos((r1^2 + r2^2 - R^2) / (2 r1 r2)) and d = Re th. A slant
    range shorter than the height difference reaches no point at that height: 0. Broadcasts.
    """
    r1 = EARTH_MEAN_RADIUS_M + np.asarray(h_sensor_m, dtype=np.float64)
    r2 = EARTH_MEAN_RADIUS_M + np.asarray(h_target_m, dtype=np.float64)
    rr = np.asarray(slant_m, dtype=np.float64)
    cos_th = (r1 * r1 + r2 * r2 - rr * rr) / (2.0 * r1 * r2)
    return EARTH_MEAN_RADIUS_M * np.arccos(np.clip(cos_th, -1.0, 1.0))


def elevation_limit_ground_m(
    min_elev_deg: float, h_sensor_m: ArrayLike, h_target_m: ArrayLike, k: float = EFFECTIVE_EARTH_K
) -> FloatArray:
    """Largest ground distance (m) at which a target at ``h_target_m`` is at or above the
    apparent elevation ``min_elev_deg`` as seen from ``h_sensor_m``.

    Refraction as the 4/3 effective Earth (Skolnik, *Introduction to Radar Systems*, 3rd ed.,
    sec. 8.2), as in the simulator: on the sphere of radius kR, with r_i = kR + h_i and central
    angle th' the straight ray's elevation e satisfies r2 cos(th' + e) = r1 cos(e), so the outer
    edge is th' = arccos(r1 cos(e) / r2) - e and the ground distance kR th'. No solution (or
    th' < 0) means the target is never that high in the sky: 0. With e the horizon dip
    -arccos(kR / r1) and h2 = 0 this is the tangent distance (:func:`radar_horizon_m`, to first
    order); ``k = 1`` gives the geometric limit. Broadcasts.
    """
    e = np.radians(min_elev_deg)
    kr = k * EARTH_MEAN_RADIUS_M
    r1 = kr + np.asarray(h_sensor_m, dtype=np.float64)
    r2 = kr + np.asarray(h_target_m, dtype=np.float64)
    c = r1 * np.cos(e) / r2
    th = np.arccos(np.clip(c, -1.0, 1.0)) - e
    return kr * np.where(c <= 1.0, np.maximum(th, 0.0), 0.0)


@dataclass(frozen=True, slots=True)
class Coverage:
    """One radar's cover against target altitude ``alt_m (a,)`` for threat types ``(t,)``.

    ``limits_m (4, t, a)`` holds the ground-distance limits in :data:`LIMITS` order;
    ``detection_m (t, a)`` is their minimum and ``limited_by (t, a)`` the index of the binding one.
    """

    sensor_type: str
    kind: str
    antenna_m: float
    lat_deg: float
    lon_deg: float
    max_range_m: float
    min_elev_deg: float
    alt_m: FloatArray
    threat_types: tuple[str, ...]
    threat_classes: tuple[str, ...]
    rcs_m2: FloatArray
    pd50_m: FloatArray
    limits_m: FloatArray
    detection_m: FloatArray
    limited_by: NDArray[np.int64]

    def rcs_groups(self) -> dict[float, list[int]]:
        """Threat-type indices by mean RCS, smallest first (same RCS, same cover)."""
        groups: dict[float, list[int]] = {}
        for j in np.argsort(self.rcs_m2, kind="stable"):
            groups.setdefault(float(self.rcs_m2[j]), []).append(int(j))
        return groups

    @property
    def horizon_m(self) -> FloatArray:
        return self.limits_m[0, 0]

    @property
    def elevation_limit_m(self) -> FloatArray:
        return self.limits_m[3, 0]


def radar_coverage(
    sensor_type: str,
    sensor: SensorType,
    threats: dict[str, ThreatType],
    antenna_m: float,
    lat_deg: float,
    lon_deg: float,
    alt_m: ArrayLike = TABLE_ALTITUDES_M,
) -> Coverage:
    """Coverage of a catalog ``SensorType`` against catalog ``ThreatType``s (id -> type)."""
    alt = np.asarray(alt_m, dtype=np.float64)
    rcs = np.array([t.rcs_m2 for t in threats.values()], dtype=np.float64)
    pd50 = pd_range_m(0.5, rcs, sensor.ref_range_m, sensor.pfa)
    shape = (rcs.size, alt.size)
    limits = np.stack(
        [
            np.broadcast_to(radar_horizon_m(antenna_m, alt), shape),
            slant_to_ground_m(pd50[:, None], antenna_m, alt),
            np.broadcast_to(slant_to_ground_m(sensor.max_range_m, antenna_m, alt), shape),
            np.broadcast_to(elevation_limit_ground_m(sensor.min_elev_deg, antenna_m, alt), shape),
        ]
    )
    return Coverage(
        sensor_type=sensor_type,
        kind=sensor.kind,
        antenna_m=float(antenna_m),
        lat_deg=float(lat_deg),
        lon_deg=float(lon_deg),
        max_range_m=float(sensor.max_range_m),
        min_elev_deg=float(sensor.min_elev_deg),
        alt_m=alt,
        threat_types=tuple(threats),
        threat_classes=tuple(t.threat_class for t in threats.values()),
        rcs_m2=rcs,
        pd50_m=pd50,
        limits_m=limits,
        detection_m=limits.min(axis=0),
        limited_by=limits.argmin(axis=0),
    )


def _alt_key(alt_m: float) -> str:
    return f"{alt_m:g}" if alt_m < 1e5 else str(int(alt_m))


def _km(x_m: float) -> float:
    return round(float(x_m) / 1e3, 3)


def coverage_json(cov: Coverage) -> dict:
    """The ``--json`` object: ranges in km (to the metre); altitude keys in metres ("30")."""
    keys = [_alt_key(a) for a in cov.alt_m]
    per_alt = {k: i for i, k in enumerate(keys)}
    return {
        "sensor_type": cov.sensor_type,
        "kind": cov.kind,
        "site": {"lat_deg": cov.lat_deg, "lon_deg": cov.lon_deg},
        "antenna_m": cov.antenna_m,
        "max_range_km": _km(cov.max_range_m),
        "min_elev_deg": cov.min_elev_deg,
        "horizon_km": {k: _km(cov.horizon_m[i]) for k, i in per_alt.items()},
        "elevation_limit_km": {k: _km(cov.elevation_limit_m[i]) for k, i in per_alt.items()},
        "pd50_range_km": {t: _km(r) for t, r in zip(cov.threat_types, cov.pd50_m, strict=True)},
        "pd50_capped_by_max_range": {
            t: bool(r > cov.max_range_m) for t, r in zip(cov.threat_types, cov.pd50_m, strict=True)
        },
        "detection_range_km": {
            k: {t: _km(cov.detection_m[j, i]) for j, t in enumerate(cov.threat_types)}
            for k, i in per_alt.items()
        },
        "limited_by": {
            k: {t: LIMITS[cov.limited_by[j, i]] for j, t in enumerate(cov.threat_types)}
            for k, i in per_alt.items()
        },
        "notes": (
            "Notional, public-figure model. pd50_range_km and max_range_km are slant ranges; "
            "horizon_km, elevation_limit_km and detection_range_km are ground distances."
        ),
    }


def parse_lat_lon(text: str) -> tuple[float, float]:
    """``"LAT,LON"`` in degrees to floats; ValueError with a one-line reason otherwise."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"expected LAT,LON in degrees (e.g. 31.0,34.9), got {text!r}")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"expected two numbers LAT,LON (e.g. 31.0,34.9), got {text!r}") from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(
            f"latitude must be in [-90, 90] and longitude in [-180, 180], got {text!r}"
        )
    return lat, lon


def coverage_request(
    catalog: Catalog, sensor_type: str, at: str, antenna_m: float | None
) -> tuple[SensorType, float, float, float]:
    """Check the ``coverage`` command's inputs: (sensor, lat_deg, lon_deg, antenna_m).

    Raises ValueError with one line naming the argument or option and the fix. The antenna
    height defaults to the catalog's ``height_m`` (for ``aew`` the platform altitude).
    """
    radars = sorted(k for k, s in catalog.sensor_types.items() if s.kind != "space_ir")
    sensor = catalog.sensor_types.get(sensor_type)
    if sensor is None:
        raise ValueError(
            f"SENSOR_TYPE: unknown sensor type {sensor_type!r}; choose one of: {', '.join(radars)}"
        )
    if sensor.kind == "space_ir":
        raise ValueError(
            f"SENSOR_TYPE: {sensor_type!r} is a space IR sensor; coverage curves apply to radars"
            f" and airborne early warning: {', '.join(radars)}"
        )
    try:
        lat, lon = parse_lat_lon(at)
    except ValueError as exc:
        raise ValueError(f"--at: {exc}") from None
    height = sensor.height_m if antenna_m is None else antenna_m
    if not 0.0 <= height <= 50e3:
        raise ValueError(f"--antenna-m: height must be between 0 and 50000 m, got {height:g}")
    return sensor, lat, lon, float(height)
