"""Cross-reference checks of a scenario that need more than one field: unique ids, aims
within a threat type's range, airspace codes, authorities, denials and patrol overflight.
Called by :class:`shieldwall.scenario.models.Scenario`'s validator; each returns one message per
problem (field path, what is wrong, the fix)."""

from __future__ import annotations

import difflib
import math

import numpy as np
import shapely

from shieldwall.scenario.airspaces import ANY, INTL


def route_km(points: list[tuple[float, float]]) -> float:
    """Length of great-circle legs through ``points`` (haversine on the 6,371 km sphere)."""
    total = 0.0
    for (la1, lo1), (la2, lo2) in zip(points, points[1:], strict=False):
        p1, p2, dl = math.radians(la1), math.radians(la2), math.radians(lo2 - lo1)
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))
    return total


def out_of_range(i: int, s, ttype, assets: dict) -> list[str]:
    """Aims (through the waypoints) farther from the launch area than the type can fly."""
    if ttype is None:
        return []
    start = [(s.launch.lat_deg, s.launch.lon_deg)] + [(w.lat_deg, w.lon_deg) for w in s.waypoints]
    problems = []
    for j, aim in enumerate(s.aim):
        if aim not in assets:
            continue
        km = route_km([*start, (assets[aim].lat_deg, assets[aim].lon_deg)]) - s.launch.radius_km
        if km > ttype.max_range_km:
            problems.append(
                f"raid.salvos.{i}.aim.{j}: '{aim}' is {km:,.0f} km from the launch area"
                f" (route included), beyond the '{s.threat}' range of {ttype.max_range_km:,.0f}"
                " km; aim at a nearer asset or use a longer-range type"
            )
    return problems


def unique_ids(s) -> list[str]:
    """Ids used twice (per list, salvos, and unit ids across sensors, batteries, patrols)."""
    problems = []
    for field in (
        "nations",
        "assets",
        "sensors",
        "batteries",
        "patrols",
        "agreements",
        "authorities",
        "airspaces",
        "airspace_denials",
    ):
        seen: set[str] = set()
        for i, item in enumerate(getattr(s, field)):
            if item.id in seen:
                problems.append(f"{field}.{i}.id: '{item.id}' is used twice; ids must be unique")
            seen.add(item.id)
    seen = set()
    for i, salvo in enumerate(s.raid.salvos):
        if salvo.id in seen:
            problems.append(f"raid.salvos.{i}.id: '{salvo.id}' is used twice; ids must be unique")
        seen.add(salvo.id)
    unit_field: dict[str, str] = {}
    for field in ("sensors", "batteries", "patrols"):
        for i, unit in enumerate(getattr(s, field)):
            other = unit_field.setdefault(unit.id, field)
            if other != field:
                problems.append(
                    f"{field}.{i}.id: '{unit.id}' is already used in {other};"
                    " unit ids must be unique across sensors, batteries and patrols"
                )
    return problems


def _unknown(where: str, what: str, value: str, known: set[str]) -> str:
    """The message of an unknown name, as the scenario validator words it (the loader adds a
    'did you mean' from the known list)."""
    return f"{where}: unknown {what} '{value}' (known: {', '.join(sorted(known)) or 'none'})"


def _unknown_airspace(where: str, code: str, known: set[str]) -> str:
    close = difflib.get_close_matches(code, sorted(known), n=1, cutoff=0.6)
    fix = f"did you mean '{close[0]}'?" if close else "use a code such as ISR or JOR"
    return (
        f"{where}: unknown airspace '{code}': not an ISO alpha-3 code of the borders data,"
        f" '{INTL}', '{ANY}' or the id of an entry in 'airspaces'; {fix}"
        " (or draw it under 'airspaces')"
    )


def airspace_problems(s) -> list[str]:
    """Zone ids that shadow a code; unknown airspace codes, audiences and nations in
    authorities (airspace, defend, letters) and denials; a host that denies its own nation."""
    from shieldwall.geo.borders import country_names

    countries = set(country_names())
    nations = {n.id for n in s.nations}
    audiences = nations | set(s.groups) | {"coalition"}
    zones = {z.id for z in s.airspaces}
    problems = []
    for i, z in enumerate(s.airspaces):
        if z.id in countries or z.id in (INTL, ANY):
            problems.append(
                f"airspaces.{i}.id: '{z.id}' is a country code or a reserved word ('{INTL}',"
                f" '{ANY}'); rename the zone"
            )
    known = countries | zones | {INTL}
    for i, au in enumerate(s.authorities):
        for j, code in enumerate(au.airspace):
            if code != ANY and code not in known:
                problems.append(_unknown_airspace(f"authorities.{i}.airspace.{j}", code, known))
        for j, aud in enumerate(au.defend):
            if aud not in audiences:
                where = f"authorities.{i}.defend.{j}"
                problems.append(_unknown(where, "nation or group", aud, audiences))
        host = au.letters.requested_by if au.letters is not None else None
        where = f"authorities.{i}.letters.requested_by"
        if host is not None and host not in nations:
            problems.append(_unknown(where, "nation", host, nations))
        elif host is not None and host == au.nation:
            problems.append(
                f"{where}: '{host}' is the helper itself; name the host nation that asked"
            )
    for i, d in enumerate(s.airspace_denials):
        problems += _denial_problems(i, d, nations, audiences, known)
    return problems


def _denial_problems(i, d, nations, audiences, known) -> list[str]:
    where = f"airspace_denials.{i}"
    problems = [] if d.by in nations else [_unknown(f"{where}.by", "nation", d.by, nations)]
    for j, aud in enumerate(d.to):
        if aud not in audiences:
            problems.append(_unknown(f"{where}.to.{j}", "nation or group", aud, audiences))
        elif aud == d.by:
            problems.append(
                f"{where}.to.{j}: '{aud}' is the denying host itself; a host cannot deny its"
                " own nation, remove it"
            )
    for j, code in enumerate(d.airspace):
        if code == ANY:
            problems.append(
                f"{where}.airspace.{j}: '{ANY}' cannot be denied; list the codes or zone ids"
                " of the airspace the host denies"
            )
        elif code not in known:
            problems.append(_unknown_airspace(f"{where}.airspace.{j}", code, known))
    return problems


def patrol_overflight(s) -> list[str]:
    """Each patrol's station lies in international airspace, its owner's territory or its
    owner's authority's airspace, and in no airspace denied to its owner while it is on
    station. A nation without an authority entry may not fire, so its patrols are inert and
    only denials bind them (a what-if that drops an authority stays a valid scenario)."""
    if not s.patrols:
        return []
    from shieldwall.geo.borders import country_at, country_names

    lat = np.array([p.lat_deg for p in s.patrols])
    lon = np.array([p.lon_deg for p in s.patrols])
    country = country_at(lat, lon).tolist()
    in_zone = [shapely.intersects_xy(shapely.Polygon(z.lon_lat()), lon, lat) for z in s.airspaces]
    auth = {(a.nation): (k, a) for k, a in enumerate(s.authorities)}
    territory = {n.id: set(n.territory_codes()) for n in s.nations}
    names = country_names()
    problems = []
    for i, p in enumerate(s.patrols):
        zones = [z.id for z, hit in zip(s.airspaces, in_zone, strict=True) if hit[i]]
        here = {country[i], *zones}
        k, au = auth.get(p.owner, (None, None))
        if au is not None and not (
            INTL in here or ANY in au.airspace or here & (territory.get(p.owner, set())
                                                          | set(au.airspace))
        ):  # fmt: skip
            where = " and ".join([f"{names.get(country[i], country[i])} ({country[i]})",
                                  *(f"zone '{z}'" for z in zones)])  # fmt: skip
            problems.append(
                f"patrols.{i}: station ({p.lat_deg}, {p.lon_deg}) lies in {where} airspace,"
                f" which {p.owner} may not fly in (not international, not its territory, not"
                f" in its authority's airspace [{', '.join(au.airspace)}]); move the station"
                f" or add '{country[i]}' to authorities.{k}.airspace"
            )
        problems += _denied_station(i, p, here, s)
    return problems


def _denied_station(i, p, here: set[str], s) -> list[str]:
    until_s = math.inf if p.until_s is None else p.until_s
    problems = []
    for k, d in enumerate(s.airspace_denials):
        bound = {m for aud in d.to for m in s.audience_members(aud)} - {d.by}
        lo, hi = d.interval_s()
        hit = sorted(here & set(d.airspace))
        if p.owner in bound and hit and lo < until_s and p.from_s < hi:
            problems.append(
                f"patrols.{i}: station ({p.lat_deg}, {p.lon_deg}) lies in '{hit[0]}', denied"
                f" to {p.owner} by airspace_denials.{k} ('{d.id}') while the patrol is on"
                " station; move the station, or change the patrol's or the denial's times"
            )
    return problems


RESERVED_AUDIENCE = "coalition"  # every nation (and the analyst's picture in the outputs)


def reserved_names(sc, nation_ids: set[str]) -> list[str]:
    """Names an audience cannot take: a group named as a nation (the nation's name would then
    mean the group's members) or either named ``coalition``."""
    problems = [
        f"nations.{i}.id: '{RESERVED_AUDIENCE}' is reserved (every nation, and the analyst's"
        " picture); choose another id"
        for i, n in enumerate(sc.nations)
        if n.id == RESERVED_AUDIENCE
    ]
    for g in sc.groups:
        if g == RESERVED_AUDIENCE:
            problems.append(f"groups.{g}: '{g}' is reserved (it means every nation); rename the"
                            " group")  # fmt: skip
        elif g in nation_ids:
            problems.append(f"groups.{g}: '{g}' is a nation's id; give the group another name")
    return problems
