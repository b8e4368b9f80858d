"""One ballistic trajectory on its own, for checking the physics (``shieldwall trajectory``).

:func:`fly` solves and flies a single missile of a catalog type from a launch point to an aim
point, with the full model (boost, drag, J2, Earth rotation) or with parts of it switched off;
``vacuum`` and ``rotation=False`` together give free flight from the launch point over a
non-rotating Earth without air or J2: the case with the closed form of
:mod:`shieldwall.threats.ballistic`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo.wgs84 import ecef_to_geodetic, great_circle_distance_m
from shieldwall.scenario.catalog import ThreatType
from shieldwall.threats.flight import OMEGA_EARTH_RAD_S, Vehicle
from shieldwall.threats.flightsample import sample
from shieldwall.threats.targeting import RANGE_MARGIN, Solution, TargetingError, solve

SAMPLE_STEP_S = 1.0


@dataclass(frozen=True, slots=True)
class TrajectoryReport:
    """The figures of one flight (SI inside; the dict view gives the documented units)."""

    ground_range_m: float
    flight_time_s: float
    apogee_m: float
    burnout_speed_m_s: float
    reentry_speed_m_s: float | None
    impact_error_m: float
    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    speed_m_s: np.ndarray

    def summary(self) -> dict[str, float | None]:
        """The JSON keys of ``shieldwall trajectory --json``."""
        reentry = self.reentry_speed_m_s
        return {
            "ground_range_km": round(self.ground_range_m / 1e3, 3),
            "flight_time_s": round(self.flight_time_s, 2),
            "apogee_km": round(self.apogee_m / 1e3, 3),
            "burnout_speed_m_s": round(self.burnout_speed_m_s, 2),
            "reentry_speed_m_s": None if reentry is None else round(reentry, 2),
            "impact_error_m": round(self.impact_error_m, 3),
        }


def fly(
    launch: tuple[float, float],
    aim: tuple[float, float],
    ttype: ThreatType,
    profile: str = "min-energy",
    apogee_m: float | None = None,
    flight_time_s: float | None = None,
    vacuum: bool = False,
    rotation: bool = True,
) -> TrajectoryReport:
    """Solve and fly one missile; raises :class:`TargetingError` when no such shot exists."""
    if ttype.threat_class != "ballistic":
        raise TargetingError(f"'{ttype.label or 'this type'}' is not a ballistic missile")
    one = lambda x: np.array([float(x)])  # noqa: E731
    veh = Vehicle(
        one(0.0 if vacuum else ttype.boost_s), one(ttype.mass_ratio), one(ttype.beta_kg_m2),
        drag=not vacuum, rotation=rotation, j2=not vacuum,
    )  # fmt: skip
    lat, lon, alat, alon = (one(v) for v in (*launch, *aim))
    ground = _ground_range_m(lat, lon, alat, alon)
    if ground < 1e3:
        raise TargetingError("launch and aim points are less than 1 km apart")
    if not vacuum and ground > RANGE_MARGIN * ttype.max_range_m:
        raise TargetingError(
            f"a {ground / 1e3:,.0f} km shot is beyond this type's {ttype.max_range_km:,.0f} km"
            " range; pick a nearer aim point or a longer-range --threat"
        )
    max_range = (
        np.maximum(one(ttype.max_range_m), 1.2 * ground) if vacuum else one(ttype.max_range_m)
    )
    sol = solve(lat, lon, alat, alon, veh, max_range, profile, apogee_m, flight_time_s)
    if not sol.converged[0]:
        raise TargetingError(_why(profile, apogee_m, flight_time_s))
    return _report(sol, ground, rotation)


def _ground_range_m(lat, lon, alat, alon) -> float:
    """Great-circle ground range (m) on the mean sphere, as the command reports it."""
    return float(great_circle_distance_m(lat, lon, alat, alon)[0])


def _why(profile: str, apogee_m: float | None, flight_time_s: float | None) -> str:
    if profile == "min-energy":
        return "the solver found no minimum-energy trajectory to the aim point (near-antipodal?)"
    target = (
        f"an apogee of {apogee_m / 1e3:g} km"
        if apogee_m is not None
        else f"a flight time of {flight_time_s:g} s"
    )
    side = "above" if profile == "lofted" else "below"
    return (
        f"no {profile} trajectory with {target} reaches the aim point within the missile's"
        f" energy; a {profile} shot needs a value {side} the minimum-energy one (run with"
        " --profile min-energy to see it), and not so far that it needs more energy than a"
        " minimum-energy shot to 1.1 times the type's range"
    )


def _report(sol: Solution, ground_m: float, rotation: bool) -> TrajectoryReport:
    f = sol.flight
    t_end = float(f.impact_t_s[0])
    t = np.append(np.arange(0.0, t_end, SAMPLE_STEP_S), t_end)
    pos, vel = sample(f, t[None, :], OMEGA_EARTH_RAD_S if rotation else 0.0)
    lat, lon, alt = ecef_to_geodetic(pos[0])
    reentry = float(f.reentry_speed_m_s[0])
    return TrajectoryReport(
        ground_range_m=ground_m,
        flight_time_s=t_end,
        apogee_m=float(f.apogee_m[0]),
        burnout_speed_m_s=float(f.burnout_speed_m_s[0]),
        reentry_speed_m_s=reentry if np.isfinite(reentry) else None,
        impact_error_m=float(sol.miss_m[0]),
        t_s=t,
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        speed_m_s=np.linalg.norm(vel[0], axis=-1),
    )
