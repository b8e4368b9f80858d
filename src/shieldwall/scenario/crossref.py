"""Cross-reference checks of a scenario that need more than one field: unique ids, and aims
within a threat type's range. Called by :class:`shieldwall.scenario.models.Scenario`'s
validator; each returns one message per problem (field path, what is wrong, the fix)."""

from __future__ import annotations

import math


def _route_km(points: list[tuple[float, float]]) -> float:
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
        km = _route_km([*start, (assets[aim].lat_deg, assets[aim].lon_deg)]) - s.launch.radius_km
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
