"""Whether every ballistic missile a salvo may draw can fly its shot: checked before any is
flown, the same for every seed.

A salvo's missiles start anywhere in its launch disc and land around their aim point (CEP
scatter), so a shot's ground range lies within ``d -+ (r + 5 sigma)`` of the centre-to-aim
range ``d`` (``r``: the disc radius; sigma: the scatter's, :data:`~.raid.CEP_PER_SIGMA`). A
missile type's boost sets the span of ranges it can fly at all
(:func:`~.targeting.min_energy_start`): a span that does not hold the whole interval would
let some seeds fly the raid and others fail, so the salvo is refused for every seed.

A lofted or depressed salvo names an apogee or a flight time that must lie above (lofted) or
below (depressed) the minimum-energy value at every range in that interval. Both values grow
with range, so the minimum-energy shots at its two ends bound them. A value on the right side
must also be flyable within the type's energy (:func:`~.targeting.max_energy_m_s`), which the
salvo's own profile, solved at both ends, shows. Both checks refuse for every seed; their
:func:`~.targeting.solve` flights are kept per process (none for a raid without such salvos).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shieldwall.geo.wgs84 import destination_point, initial_bearing_deg
from shieldwall.scenario import Scenario
from shieldwall.scenario.crossref import route_km
from shieldwall.scenario.simsettings import MAX_RUN_S
from shieldwall.threats.flight import Vehicle
from shieldwall.threats.raid import CEP_PER_SIGMA
from shieldwall.threats.targeting import RANGE_MARGIN, _ground_range_m, min_energy_start, solve

SCATTER_SIGMAS = 5.0  # impact scatter allowed for, in sigmas of the type's CEP distribution


def raid_problems(scenario: Scenario) -> list[str]:
    """One line per air-breathing salvo whose flight could end after the longest run
    (:func:`duration_problems`) and per (ballistic salvo, aim point) whose possible shots are
    not all within the span of ranges the salvo's missile type can fly; empty if every shot
    can be flown."""
    return duration_problems(scenario) + _ballistic_problems(scenario)


def duration_problems(scenario: Scenario) -> list[str]:
    """One line per cruise or drone salvo whose last launch plus its longest flight
    (:func:`_longest_flight`) ends after ``MAX_RUN_S``: every look and false alarm up to a
    run's end is drawn at its start, so a crawling drone must be refused, not flown for years."""
    problems = []
    for i, s in enumerate(scenario.raid.salvos):
        flight = _longest_flight(scenario, i)
        if flight is None or s.window_s[1] + flight[1] <= MAX_RUN_S:
            continue
        speed = scenario.catalog.threat_types[s.threat].speed_m_s
        problems.append(
            f"raid.salvos.{i}: a '{s.threat}' at {speed:g} m/s flies its route of up to"
            f" {flight[0] / 1e3:,.0f} km in {flight[1]:,.0f} s, ending after the"
            f" {MAX_RUN_S:g} s a run may last; use a faster type, a shorter route or an"
            " earlier window_s"
        )
    return problems


BALLISTIC_FLIGHT_MAX_S = 3600.0  # longer than any ballistic flight the catalog allows


def run_end_bound_s(scenario: Scenario) -> float:
    """A time by which a run of ``scenario`` surely ends: ``sim.end_s``, else the last launch
    plus the longest flight of its salvo (ballistic: ``BALLISTIC_FLIGHT_MAX_S``), plus the
    60 s a run goes on after the raid."""
    if scenario.sim.end_s is not None:
        return float(scenario.sim.end_s)
    ends = [0.0]
    for i, s in enumerate(scenario.raid.salvos):
        flight = _longest_flight(scenario, i)
        ends.append(s.window_s[1] + (BALLISTIC_FLIGHT_MAX_S if flight is None else flight[1]))
    return max(ends) + 60.0


def _longest_flight(scenario: Scenario, i: int) -> tuple[float, float] | None:
    """Longest route (m) and flight time (s) of cruise or drone salvo ``i``: launch disc,
    waypoints, farthest aim point and impact scatter, on the mean sphere, at the type's speed;
    None for a ballistic salvo (or one whose type or aims are unknown)."""
    s = scenario.raid.salvos[i]
    t = scenario.catalog.threat_types.get(s.threat)
    assets = {a.id: a for a in scenario.assets}
    aims = [assets[a] for a in s.aim if a in assets]
    if t is None or t.speed_m_s is None or not aims:
        return None
    pts = [(p.lat_deg, p.lon_deg) for p in (s.launch, *s.waypoints)]
    route_m = 1e3 * max(route_km([*pts, (a.lat_deg, a.lon_deg)]) for a in aims)
    route_m += s.launch.radius_km * 1e3 + SCATTER_SIGMAS * t.cep_m / CEP_PER_SIGMA
    return route_m, route_m / t.speed_m_s


def _ballistic_problems(scenario: Scenario) -> list[str]:
    """The ballistic part of :func:`raid_problems`."""
    types, assets = scenario.catalog.threat_types, {a.id: a for a in scenario.assets}
    shots = []  # (salvo, aim index, aim id, threat type, launch area)
    for i, s in enumerate(scenario.raid.salvos):
        t = types.get(s.threat)
        if t is None or t.threat_class != "ballistic":
            continue
        shots += [(i, j, aim, t, s.launch) for j, aim in enumerate(s.aim) if aim in assets]
    if not shots:
        return []
    col = lambda f: np.array([f(row) for row in shots], dtype=float)  # noqa: E731
    d = _ground_range_m(col(lambda r: r[4].lat_deg), col(lambda r: r[4].lon_deg),
                        col(lambda r: assets[r[2]].lat_deg),
                        col(lambda r: assets[r[2]].lon_deg))  # fmt: skip
    veh = Vehicle(col(lambda r: r[3].boost_s), col(lambda r: r[3].mass_ratio),
                  col(lambda r: r[3].beta_kg_m2))  # fmt: skip
    _, _, span, _ = min_energy_start(d, veh, col(lambda r: r[3].max_range_m))
    reach = col(lambda r: r[4].radius_km * 1e3 + SCATTER_SIGMAS * r[3].cep_m / CEP_PER_SIGMA)
    lo, hi = d - reach, d + reach
    problems = []
    outside = (lo < span[0]) | (hi > span[1])
    for k in np.flatnonzero(outside).tolist():
        i, j, aim, _, _ = shots[k]
        s = scenario.raid.salvos[i]
        problems.append(
            f"raid.salvos.{i}.aim.{j}: shots from the launch area at '{aim}' run"
            f" {max(lo[k], 0.0) / 1e3:,.0f}-{hi[k] / 1e3:,.0f} km, outside the"
            f" {span[0, k] / 1e3:,.0f}-{span[1, k] / 1e3:,.0f} km a '{s.threat}' can fly with"
            " its boost; move the launch area or aim elsewhere"
        )
    salvos = scenario.raid.salvos
    shaped = [k for k, shot in enumerate(shots)
              if not outside[k] and salvos[shot[0]].profile != "min-energy"]  # fmt: skip
    if shaped:
        ends = np.concatenate([lo[shaped], hi[shaped]])
        ap_m, time_s = _min_energy_ends([shots[k] for k in shaped] * 2, ends, assets, veh,
                                        np.array(shaped * 2))  # fmt: skip
        n = len(shaped)
        for m, k in enumerate(shaped):
            ends_m = (ap_m[m], ap_m[n + m]), (time_s[m], time_s[n + m])
            wrong_side = _profile_problem(scenario, shots[k], (lo[k], hi[k]), *ends_m)
            problems += wrong_side or _energy_problem(scenario, shots[k], (lo[k], hi[k]),
                                                      assets, veh, k)  # fmt: skip
    return problems


def _min_energy_ends(aims, ranges_m, assets, veh: Vehicle, rows) -> tuple[np.ndarray, ...]:
    """Apogee (m) and flight time (s) of the minimum-energy shot of each of ``aims`` (shot
    tuples; ``rows``: theirs in ``veh``) flown ``ranges_m`` from its launch centre towards its
    aim point."""
    return _flights(_shots_key(aims, ranges_m, assets, veh, rows), len(aims))[:2]


def _shots_key(aims, ranges_m, assets, veh: Vehicle, rows) -> tuple[float, ...]:
    """The shots of ``aims`` (shot tuples; ``rows``: theirs in ``veh``) flown ``ranges_m`` from
    each launch centre towards its aim point, as one hashable key for :func:`_flights`."""
    lat = np.array([a[4].lat_deg for a in aims], dtype=float)
    lon = np.array([a[4].lon_deg for a in aims], dtype=float)
    bearing = initial_bearing_deg(lat, lon, [assets[a[2]].lat_deg for a in aims],
                                  [assets[a[2]].lon_deg for a in aims])  # fmt: skip
    aim_lat, aim_lon = destination_point(lat, lon, bearing, ranges_m)
    cols = [lat, lon, aim_lat, aim_lon, veh.boost_s[rows], veh.mass_ratio[rows],
            veh.beta_kg_m2[rows], [a[3].max_range_m for a in aims]]  # fmt: skip
    return tuple(np.stack(cols).ravel().tolist())


@lru_cache(maxsize=64)
def _flights(key: tuple[float, ...], n: int, profile: str = "min-energy",
             apogee_m: float | None = None, time_s: float | None = None):  # fmt: skip
    """Apogee, flight time and whether solved, of the ``n`` shots of ``key``
    (:func:`_shots_key`) on ``profile``, kept per process: every replication of a study asks
    the same (read-only arrays)."""
    lat, lon, aim_lat, aim_lon, boost, ratio, beta, max_range = np.array(key).reshape(8, n)
    sol = solve(lat, lon, aim_lat, aim_lon, Vehicle(boost, ratio, beta), max_range, profile,
                apogee_m, time_s)  # fmt: skip
    out = sol.flight.apogee_m.copy(), sol.flight.impact_t_s.copy(), sol.converged.copy()
    for a in out:
        a.flags.writeable = False
    return out


def _energy_problem(scenario: Scenario, shot, ranges_m, assets, veh: Vehicle, row) -> list[str]:
    """The line for a lofted or depressed salvo whose shot (shot tuple) cannot be flown at
    the shortest or longest of its ``ranges_m`` (more energy than the type has, or no such
    trajectory at all), or none."""
    i, j, aim, ttype, _ = shot
    s = scenario.raid.salvos[i]
    apogee_m = None if s.apogee_km is None else s.apogee_km * 1e3
    key = _shots_key([shot, shot], np.asarray(ranges_m, dtype=float), assets, veh,
                     np.array([row, row]))  # fmt: skip
    flown = _flights(key, 2, s.profile, apogee_m, s.flight_time_s)[2]
    if flown.all():
        return []
    far = int(not flown[1])  # the longest shot if it fails, else the shortest
    field = "apogee_km" if s.apogee_km is not None else "flight_time_s"
    given = s.apogee_km if s.apogee_km is not None else s.flight_time_s
    unit = "km" if field == "apogee_km" else "s"
    reach_km = RANGE_MARGIN * ttype.max_range_km
    return [
        f"raid.salvos.{i}.{field}: no {s.profile} trajectory with {given:g} {unit} takes salvo"
        f" '{s.id}' ({s.threat}) to '{aim}' (aim {j}) on its {('shortest', 'longest')[far]}"
        f" shot, {ranges_m[far] / 1e3:,.0f} km: none flies within the type's energy (at most"
        f" that of a minimum-energy shot to {reach_km:,.0f} km); bring {field} nearer the"
        " minimum-energy value, or profile: min-energy"
    ]


def _profile_problem(scenario: Scenario, shot, ranges_m, apogee_m, time_s) -> list[str]:
    """The line for a lofted or depressed salvo whose apogee or flight time is not above
    (lofted) or below (depressed) the minimum-energy value at every range of ``shot``
    (``ranges_m``: shortest and longest; ``apogee_m``, ``time_s``: the minimum-energy values
    there), or none."""
    i, j, aim, ttype, _ = shot
    s = scenario.raid.salvos[i]
    lofted = s.profile == "lofted"
    end = 1 if lofted else 0  # the binding end: the longest shot for lofted, shortest else
    if s.apogee_km is not None:
        field, given, bound, unit = "apogee_km", s.apogee_km, apogee_m[end] / 1e3, "km"
    else:
        field, given, bound, unit = "flight_time_s", s.flight_time_s, time_s[end], "s"
    if (given > bound) if lofted else (given < bound):
        return []
    side, which = ("above", "longest") if lofted else ("below", "shortest")
    return [
        f"raid.salvos.{i}.{field}: {given:g} {unit} is not {side} the minimum-energy"
        f" {bound:,.0f} {unit} of salvo '{s.id}' ({s.threat}) on its {which} shot, at '{aim}'"
        f" (aim {j}, {ranges_m[end] / 1e3:,.0f} km); a {s.profile} salvo needs {field} {side}"
        " it, or profile: min-energy"
    ]
