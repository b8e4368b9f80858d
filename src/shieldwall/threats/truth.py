"""Truth trajectories for a whole raid, computed once as arrays (threat x sample).

Each threat has its own uniform sample grid ``t0_s + k * dt_s`` (k < ``n_samples``); the first
sample is the launch point and the last valid one the impact point. Rows are padded to a common
length ``K`` with their last valid sample. Queries interpolate linearly between the bracketing
samples, vectorised over threats (and over times for :meth:`Truth.positions_ecef`).

A threat that ``fails`` keeps its nominal samples but its trajectory ends at ``end_t_s``: it
vanishes there (breaks up or falls harmlessly; no impact). Positions asked for outside
``[t0_s, end_t_s]`` are clamped to the launch or end point, with the in-flight mask false.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymap3d

from shieldwall.geo import geodetic_to_ecef
from shieldwall.scenario.models import Scenario
from shieldwall.threats.airbreathing import airbreathing_tracks, route_points, unit_vectors
from shieldwall.threats.feasible import raid_problems
from shieldwall.threats.flight import OMEGA_EARTH_RAD_S, Flight, Vehicle
from shieldwall.threats.flightsample import sample
from shieldwall.threats.raid import CLASS_CODES, ThreatSet
from shieldwall.threats.targeting import TargetingError, solve

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

    def state_ecef(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(n, 6) ECEF positions and velocities (the bracketing samples' velocity, as
        :meth:`velocity_ecef` gives it for a threat in flight) at time ``t_s`` and the (n,)
        mask ``t0 <= t < end``; one interpolation for both."""
        pos, active, vel = self._at(np.full((self.t0_s.size, 1), float(t_s)))
        return np.concatenate([pos[:, 0], vel[:, 0]], axis=1), active[:, 0]

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


def _vehicles(
    scenario: Scenario, threats: ThreatSet, idx: np.ndarray
) -> tuple[Vehicle, np.ndarray]:
    """Vehicle arrays and catalog max ranges (m) of threats ``idx`` (one catalog look-up per
    type, broadcast to rows)."""
    types = scenario.catalog.threat_types
    names, inverse = np.unique(threats.type_id[idx], return_inverse=True)
    col = lambda f: np.array([f(types[str(t)]) for t in names], dtype=float)[inverse]  # noqa: E731
    veh = Vehicle(col(lambda t: t.boost_s), col(lambda t: t.mass_ratio),
                  col(lambda t: t.beta_kg_m2))  # fmt: skip
    return veh, col(lambda t: t.max_range_m)


def _ballistic_part(scenario: Scenario, threats: ThreatSet, idx: np.ndarray):
    """Powered and free flight of ballistic threats ``idx`` to their impact points, solved per
    salvo profile (:mod:`shieldwall.threats.targeting`), sampled every ``DT_MAX_S`` at most.
    Returns (dt, n_samples, ECEF (m, K, 3), flight time)."""
    veh, max_range = _vehicles(scenario, threats, idx)
    t_flight = np.empty(idx.size)
    flights: list[tuple[np.ndarray, Flight]] = []
    salvos = scenario.raid.salvos
    shapes = [(s.profile, s.apogee_km, s.flight_time_s) for s in salvos]
    row_shape = np.array([shapes.index(shapes[j]) for j in range(len(salvos))])[threats.salvo[idx]]
    for g in np.unique(row_shape):
        rows = np.flatnonzero(row_shape == g)
        profile, apogee_km, time_s = shapes[int(g)]
        try:
            sol = solve(
                threats.launch_lat_deg[idx][rows], threats.launch_lon_deg[idx][rows],
                threats.impact_lat_deg[idx][rows], threats.impact_lon_deg[idx][rows],
                _take(veh, rows), max_range[rows], profile,
                None if apogee_km is None else apogee_km * 1e3, time_s,
            )  # fmt: skip
        except TargetingError as exc:  # (exc.rows: the failing ones among ``rows``)
            bad = idx[rows] if exc.rows is None else idx[rows[exc.rows]]
            raise _salvo_error(salvos, threats, bad, str(exc)) from None
        if not sol.converged.all():
            bad = idx[rows[~sol.converged]]
            raise _salvo_error(salvos, threats, bad, _why(profile, apogee_km, time_s))
        t_flight[rows] = sol.flight.impact_t_s
        flights.append((rows, sol.flight))
    n_steps = np.maximum(np.ceil(t_flight / DT_MAX_S["ballistic"] - 1e-9), 1).astype(np.int64)
    dt = t_flight / n_steps
    k_max = int(n_steps.max())
    pos = np.empty((idx.size, k_max + 1, 3))
    for rows, flight in flights:
        t = np.minimum(np.arange(k_max + 1)[None, :] * dt[rows, None], t_flight[rows, None])
        pos[rows] = sample(flight, t, OMEGA_EARTH_RAD_S)[0]
    return dt, n_steps + 1, pos


def _salvo_error(salvos, threats: ThreatSet, bad: np.ndarray, why: str) -> TargetingError:
    """A one-line error naming the salvo (scenario field path), its failing missiles and why."""
    j = int(threats.salvo[bad[0]])
    ids = ", ".join(map(str, threats.threat_id[bad[:3]])) + (", ..." if bad.size > 3 else "")
    return TargetingError(f"raid.salvos.{j} ('{salvos[j].id}'): {why} ({bad.size} missiles: {ids})")


def _why(profile: str, apogee_km: float | None, time_s: float | None) -> str:
    if profile == "min-energy":
        return "no minimum-energy trajectory reaches the aim point"
    target = f"apogee_km {apogee_km:g}" if apogee_km is not None else f"flight_time_s {time_s:g}"
    side = "above" if profile == "lofted" else "below"
    return (
        f"no {profile} trajectory with {target} reaches the aim point within the missile's"
        f" energy; it must lie {side} the minimum-energy value, and not so far that it needs"
        " more energy than a minimum-energy shot to 1.1 times the type's range (see"
        " `shieldwall trajectory`)"
    )


def _take(veh: Vehicle, rows: np.ndarray) -> Vehicle:
    return Vehicle(veh.boost_s[rows], veh.mass_ratio[rows], veh.beta_kg_m2[rows], veh.drag,
                   veh.rotation, veh.j2)  # fmt: skip


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
    dive_m = ttype.dive_km * 1e3
    return airbreathing_tracks(pts, ttype.speed_m_s, ttype.cruise_alt_m, dt_max, dive_m)


def build_truth(scenario: Scenario, threats: ThreatSet) -> Truth:
    """Sample every threat's trajectory (ballistic: 1 s; cruise: 5 s; drones: 10 s at most).

    Ballistic threats are solved and flown together (one batch per salvo profile); cruise
    missiles and drones one salvo at a time (a salvo shares its waypoints). ``end_t_s`` is the
    impact time, or for a failing threat ``fail_frac`` of the way through its flight.
    """
    n = threats.n
    parts = []
    bal = np.flatnonzero(threats.class_code == CLASS_CODES["ballistic"])
    if problems := raid_problems(scenario):  # the same for every seed
        raise TargetingError(problems[0])
    if bal.size:
        parts.append((bal, *_ballistic_part(scenario, threats, bal)))
    for j in np.unique(threats.salvo[threats.class_code != CLASS_CODES["ballistic"]]):
        idx = np.flatnonzero(threats.salvo == j)
        dt_p, ns_p, lat, lon, alt = _airbreathing_part(scenario, threats, idx, int(j))
        parts.append((idx, dt_p, ns_p, geodetic_to_ecef(lat, lon, alt)))
    k_max = max(p[3].shape[1] for p in parts)
    pos = np.empty((n, k_max, 3))
    dt, n_samples = np.empty(n), np.empty(n, dtype=np.int64)
    for idx, dt_p, ns_p, pos_p in parts:
        k = pos_p.shape[1]
        pos[idx, :k] = pos_p
        pos[idx, k:] = pos_p[:, k - 1 : k]
        dt[idx], n_samples[idx] = dt_p, ns_p
    t0 = np.asarray(threats.launch_t_s, dtype=float)
    t_flight = dt * (n_samples - 1)
    end = t0 + np.where(threats.fails, threats.fail_frac * t_flight, t_flight)
    names, inverse = np.unique(threats.type_id, return_inverse=True)
    boost = np.array([scenario.catalog.threat_types[str(t)].boost_s for t in names])[inverse]
    boost_end = np.where(threats.class_code == CLASS_CODES["ballistic"], t0 + boost, t0)
    arrays = [t0.copy(), dt, n_samples, pos, end, boost_end]
    for a in arrays:
        a.flags.writeable = False
    return Truth(threats, *arrays)
