"""Truth trajectories for a whole raid, computed once as arrays (threat x sample).

Each threat has its own uniform sample grid ``t0_s + k * dt_s`` (k < ``n_samples``); the first
sample is the launch point and the last valid one the impact point. Rows are padded to a common
length ``K`` with their last valid sample. Queries interpolate linearly between the bracketing
samples, vectorised over threats (and over times for :meth:`Truth.positions_ecef`).

A threat that ``fails`` keeps its nominal samples but its trajectory ends at ``fail_t_s``: it
vanishes there (breaks up or falls harmlessly; no impact). Positions asked for outside
``[t0_s, end_t_s]`` are clamped to the launch or end point, with the in-flight mask false.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymap3d

from shieldwall.scenario.models import Scenario
from shieldwall.threats.airbreathing import (
    airbreathing_tracks,
    central_angle_rad,
    latlon_deg,
    route_points,
    slerp,
    unit_vectors,
)
from shieldwall.threats.ballistic import EARTH_MEAN_RADIUS_M, PSI_MIN_RAD, ballistic_arcs
from shieldwall.threats.raid import CLASS_CODES, ThreatSet

DT_MAX_S = {"ballistic": 1.0, "cruise": 5.0, "drone": 10.0}


def _interp(
    pos: np.ndarray,
    t0: np.ndarray,
    dt: np.ndarray,
    n_samples: np.ndarray,
    end: np.ndarray,
    t_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation of ``pos`` (n, K, 3) at times ``t_s`` (n, m), clamped to each
    row's ``[t0, end]``. Returns positions (n, m, 3), in-flight mask (n, m) and the velocity
    of the bracketing interval (n, m, 3), ``(p1 - p0) / dt``."""
    t0c, dtc, endc = t0[:, None], dt[:, None], end[:, None]
    active = (t_s >= t0c) & (t_s < endc)
    k = (np.clip(t_s, t0c, endc) - t0c) / dtc
    i0 = np.clip(np.floor(k).astype(np.int64), 0, n_samples[:, None] - 2)
    frac = np.clip(k - i0, 0.0, 1.0)[..., None]
    rows = np.arange(pos.shape[0])[:, None]
    p0, p1 = pos[rows, i0], pos[rows, i0 + 1]
    return p0 + frac * (p1 - p0), active, (p1 - p0) / dtc[..., None]


@dataclass(frozen=True, slots=True, eq=False)
class Truth:
    """Sampled truth trajectories of every threat in a :class:`ThreatSet` (same row order)."""

    threats: ThreatSet
    t0_s: np.ndarray
    dt_s: np.ndarray
    n_samples: np.ndarray
    pos_ecef_m: np.ndarray
    end_t_s: np.ndarray
    boost_end_t_s: np.ndarray

    def _at(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _interp(self.pos_ecef_m, self.t0_s, self.dt_s, self.n_samples, self.end_t_s, t_s)

    def position_ecef(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(n, 3) ECEF positions at time ``t_s`` and (n,) mask ``t0 <= t < end``."""
        pos, active, _ = self._at(np.full((self.t0_s.size, 1), float(t_s)))
        return pos[:, 0], active[:, 0]

    def velocity_ecef(self, t_s: float) -> np.ndarray:
        """(n, 3) ECEF velocity (m/s) from the bracketing samples; zero when not in flight."""
        _, active, vel = self._at(np.full((self.t0_s.size, 1), float(t_s)))
        return vel[:, 0] * active[:, 0, None]

    def positions_ecef(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Times (m,) -> positions (n, m, 3) and in-flight mask (n, m)."""
        t = np.broadcast_to(np.asarray(t_s, dtype=float)[None, :], (self.t0_s.size, len(t_s)))
        pos, active, _ = self._at(t)
        return pos, active

    def geodetic_at(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each threat at its own time ``t_s`` (n,) -> geodetic lat, lon (deg), alt (m)."""
        pos, _, _ = self._at(np.asarray(t_s, dtype=float).reshape(-1, 1))
        return pymap3d.ecef2geodetic(pos[:, 0, 0], pos[:, 0, 1], pos[:, 0, 2])

    def ground_track(self, i: int, max_points: int = 200) -> tuple[np.ndarray, np.ndarray]:
        """Latitudes and longitudes (deg) of threat ``i`` from launch to end, for maps.

        At most ``max_points`` points, evenly spaced in time, including both ends.
        """
        t0, end = self.t0_s[i], self.end_t_s[i]
        n_valid = int(np.ceil((end - t0) / self.dt_s[i])) + 1
        t = np.linspace(t0, end, max(2, min(max_points, n_valid)))
        sl = slice(i, i + 1)
        pos, _, _ = _interp(
            self.pos_ecef_m[sl], self.t0_s[sl], self.dt_s[sl], self.n_samples[sl],
            self.end_t_s[sl], t[None, :],
        )  # fmt: skip
        lat, lon, _ = pymap3d.ecef2geodetic(pos[0, :, 0], pos[0, :, 1], pos[0, :, 2])
        return lat, lon


def _ballistic_part(threats: ThreatSet, idx: np.ndarray) -> tuple[np.ndarray, ...]:
    """Minimum-energy arcs mapped onto the launch -> impact great circle: ``theta / psi`` of
    the way along it (slerp), at height ``r - R`` above the ellipsoid."""
    lu = unit_vectors(threats.launch_lat_deg[idx], threats.launch_lon_deg[idx])
    iu = unit_vectors(threats.impact_lat_deg[idx], threats.impact_lon_deg[idx])
    psi = np.maximum(central_angle_rad(lu, iu), PSI_MIN_RAD)
    dt, n_samples, r, theta = ballistic_arcs(psi, DT_MAX_S["ballistic"])
    frac = np.clip(theta / psi[:, None], 0.0, 1.0)
    lat, lon = latlon_deg(slerp(lu[:, None, :], iu[:, None, :], frac))
    return dt, n_samples, lat, lon, r - EARTH_MEAN_RADIUS_M


def _airbreathing_part(scenario: Scenario, threats: ThreatSet, idx: np.ndarray, j: int):
    """Great-circle routes of salvo ``j``'s threats (rows ``idx``), shared waypoints."""
    salvo = scenario.raid.salvos[j]
    ttype = scenario.catalog.threat_types[salvo.threat]
    wps = np.array([(p.lat_deg, p.lon_deg) for p in salvo.waypoints]).reshape(-1, 2)
    pts = route_points(
        unit_vectors(threats.launch_lat_deg[idx], threats.launch_lon_deg[idx]),
        unit_vectors(wps[:, 0], wps[:, 1]),
        unit_vectors(threats.impact_lat_deg[idx], threats.impact_lon_deg[idx]),
    )
    assert ttype.speed_m_s is not None
    dt_max = DT_MAX_S[ttype.threat_class]
    return airbreathing_tracks(pts, ttype.speed_m_s, ttype.cruise_alt_m, dt_max)


def build_truth(scenario: Scenario, threats: ThreatSet) -> Truth:
    """Sample every threat's trajectory (ballistic: 1 s; cruise: 5 s; drones: 10 s at most).

    Ballistic threats are integrated together; cruise missiles and drones one salvo at a
    time (a salvo shares its waypoints). ``end_t_s`` is the impact time, or ``fail_t_s``.
    """
    n = threats.n
    parts = []
    bal = np.flatnonzero(threats.class_code == CLASS_CODES["ballistic"])
    if bal.size:
        parts.append((bal, *_ballistic_part(threats, bal)))
    for j in np.unique(threats.salvo[threats.class_code != CLASS_CODES["ballistic"]]):
        idx = np.flatnonzero(threats.salvo == j)
        parts.append((idx, *_airbreathing_part(scenario, threats, idx, int(j))))
    k_max = max(p[2].max() for p in parts)
    pos = np.empty((n, k_max, 3))
    dt, n_samples = np.empty(n), np.empty(n, dtype=np.int64)
    for idx, dt_p, ns_p, lat, lon, alt in parts:
        x, y, z = pymap3d.geodetic2ecef(lat, lon, alt)
        k = lat.shape[1]
        pos[idx, :k] = np.stack([x, y, z], axis=-1)
        pos[idx, k:] = pos[idx, k - 1 : k]
        dt[idx], n_samples[idx] = dt_p, ns_p
    t0 = np.asarray(threats.launch_t_s, dtype=float)
    end = np.where(threats.fails, threats.fail_t_s, t0 + dt * (n_samples - 1))
    boost = np.array([scenario.catalog.threat_types[t].boost_s for t in threats.type_id])
    boost_end = np.where(threats.class_code == CLASS_CODES["ballistic"], t0 + boost, t0)
    arrays = [t0.copy(), dt, n_samples, pos, end, boost_end]
    for a in arrays:
        a.flags.writeable = False
    return Truth(threats, *arrays)
