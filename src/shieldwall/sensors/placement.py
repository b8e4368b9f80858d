"""Placed sensors as arrays (SI), built from the scenario's sensors and the catalog."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo import geodetic_to_ecef
from shieldwall.scenario import Scenario

KIND_RADAR = 0
KIND_IR = 1


@dataclass(frozen=True, slots=True)
class SensorArray:
    """One row per placed sensor. Angles in radians, distances in metres, times in seconds."""

    ids: tuple[str, ...]
    type_ids: tuple[str, ...]
    owner: np.ndarray  # nation index
    kind: np.ndarray  # KIND_RADAR (ground, naval, airborne radar) or KIND_IR (space IR)
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray  # antenna or platform altitude above the ellipsoid
    height_m: np.ndarray  # same, used for the radar horizon
    pos_ecef_m: np.ndarray  # (S, 3)
    ref_range_m: np.ndarray
    max_range_m: np.ndarray
    pfa: np.ndarray
    boresight_rad: np.ndarray
    half_sector_rad: np.ndarray
    min_el_rad: np.ndarray
    max_el_rad: np.ndarray
    revisit_s: np.ndarray
    sigma_range_m: np.ndarray
    sigma_az_rad: np.ndarray
    sigma_el_rad: np.ndarray
    false_alarms_per_scan: np.ndarray  # Poisson mean per scan (radars)
    pd_ir: np.ndarray
    plume_alt_m: np.ndarray  # space IR: plume visible above this altitude
    launch_point_sigma_m: np.ndarray  # space IR: per horizontal axis
    launch_time_sigma_s: np.ndarray
    launch_azimuth_sigma_rad: np.ndarray
    orbit_heading_rad: np.ndarray  # racetrack (speed 0: fixed at the placed point)
    orbit_length_m: np.ndarray
    orbit_width_m: np.ndarray
    orbit_speed_m_s: np.ndarray
    outages: tuple[tuple[tuple[float, float], ...], ...]

    @property
    def n(self) -> int:
        return len(self.ids)


def sensor_array(scenario: Scenario) -> SensorArray:
    """Placed sensors of ``scenario`` with their catalog figures, converted to SI."""
    nations = scenario.nation_index()
    rows = [(s, scenario.catalog.sensor_types[s.type]) for s in scenario.sensors]

    def col(f, dtype=float) -> np.ndarray:
        return np.array([f(s, t) for s, t in rows], dtype=dtype).reshape(len(rows))

    lat = col(lambda s, t: s.lat_deg)
    lon = col(lambda s, t: s.lon_deg)
    alt = col(lambda s, t: s.alt_m + (0.0 if t.kind == "space_ir" else t.height_m))
    return SensorArray(
        ids=tuple(s.id for s, _ in rows),
        type_ids=tuple(s.type for s, _ in rows),
        owner=col(lambda s, t: nations[s.owner], np.int32),
        kind=col(lambda s, t: KIND_IR if t.kind == "space_ir" else KIND_RADAR, np.int8),
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        height_m=alt.copy(),
        pos_ecef_m=geodetic_to_ecef(lat, lon, alt).reshape(len(rows), 3),
        ref_range_m=col(lambda s, t: t.ref_range_m),
        max_range_m=col(lambda s, t: t.max_range_m),
        pfa=col(lambda s, t: t.pfa),
        boresight_rad=np.deg2rad(col(lambda s, t: s.azimuth_deg)),
        half_sector_rad=np.deg2rad(col(lambda s, t: t.sector_deg / 2.0)),
        min_el_rad=np.deg2rad(col(lambda s, t: t.min_elev_deg)),
        max_el_rad=np.deg2rad(col(lambda s, t: t.max_elev_deg)),
        revisit_s=col(lambda s, t: t.revisit_s),
        sigma_range_m=col(lambda s, t: t.sigma_range_m),
        sigma_az_rad=np.deg2rad(col(lambda s, t: t.sigma_az_deg)),
        sigma_el_rad=np.deg2rad(col(lambda s, t: t.sigma_el_deg)),
        false_alarms_per_scan=col(lambda s, t: t.false_alarms_per_scan),
        **_ir_columns([t for _, t in rows]),
        **_orbits([s for s, _ in rows]),
        outages=tuple(
            tuple((o.from_s, np.inf if o.until_s is None else o.until_s) for o in s.outages)
            for s, _ in rows
        ),
    )


def _ir_columns(types: list) -> dict[str, np.ndarray]:
    """Space IR figures in SI (read for IR sensors only)."""

    def col(name: str) -> np.ndarray:
        return np.array([getattr(t, name) for t in types], dtype=float)

    return {
        "pd_ir": col("pd_ir"),
        "plume_alt_m": col("plume_alt_km") * 1e3,
        "launch_point_sigma_m": col("launch_point_sigma_km") * 1e3,
        "launch_time_sigma_s": col("launch_time_sigma_s"),
        "launch_azimuth_sigma_rad": np.deg2rad(col("launch_azimuth_sigma_deg")),
    }


def _orbits(sensors: list) -> dict[str, np.ndarray]:
    """Racetrack columns in SI; zeros for sensors without an orbit (speed 0 = fixed)."""

    def col(name: str) -> np.ndarray:
        return np.array([0.0 if s.orbit is None else getattr(s.orbit, name) for s in sensors])

    return {
        "orbit_heading_rad": np.deg2rad(col("heading_deg")),
        "orbit_length_m": col("length_km") * 1e3,
        "orbit_width_m": col("width_km") * 1e3,
        "orbit_speed_m_s": col("speed_m_s"),
    }


def enu_to_ecef_rotation(lat_deg: float, lon_deg: float) -> np.ndarray:
    """3x3 matrix taking local ENU vectors to ECEF (columns: east, north, up unit vectors).

    Standard form, e.g. Misra & Enge, *Global Positioning System*, eq. 4.9 (transposed)."""
    la, lo = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    sl, cl, so, co = np.sin(la), np.cos(la), np.sin(lo), np.cos(lo)
    return np.array([[-so, -sl * co, cl * co], [co, -sl * so, cl * so], [0.0, cl, sl]])


def rcs_aspect_table_m2(scenario: Scenario, type_id: np.ndarray, rcs_m2: np.ndarray) -> np.ndarray:
    """Nose/side/tail RCS ``(n, 3)`` (m^2) of threats of catalog types ``type_id``; a type
    without ``rcs_aspect_m2`` shows its mean ``rcs_m2`` from every aspect."""
    types = scenario.catalog.threat_types
    table = np.repeat(np.asarray(rcs_m2, dtype=float)[:, None], 3, axis=1)
    for name in np.unique(type_id):
        aspect = types[str(name)].rcs_aspect_m2 if str(name) in types else None
        if aspect is not None:
            table[type_id == name] = (aspect.nose, aspect.side, aspect.tail)
    return table
