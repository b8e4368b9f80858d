"""Scenario models (pydantic v2, ``extra="forbid"``, frozen); catalog models are in ``catalog``.

Scenario files use human units with the unit in the field name (``max_range_km``,
``speed_m_s``, ``latency_s``); the ``*_m`` / ``*_rad`` properties below are the only place where
they become SI. Everything downstream of ``scenario/`` reads SI values.

Cross-references (a battery naming its interceptor type, an agreement naming nations, a salvo
aiming at an asset) are checked in :class:`Scenario` so that a bad name is an error naming the
field, never a ``KeyError`` deep inside the simulation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from shieldwall.scenario.airspaces import MAX_ZONES, AirspaceDenial, AirspaceZone
from shieldwall.scenario.catalog import (  # noqa: F401  (re-exported)
    Catalog,
    FighterType,
    InterceptorType,
    SensorType,
    ThreatType,
)
from shieldwall.scenario.crossref import (
    airspace_problems,
    out_of_range,
    patrol_overflight,
    reserved_names,
    unique_ids,
)
from shieldwall.scenario.doctrine import DoctrineOverride
from shieldwall.scenario.fields import (  # noqa: F401  (re-exported)
    THREAT_CLASSES,
    Id,
    Lat,
    Lon,
    Prob,
    Region,
    ThreatClass,
    _Model,
)
from shieldwall.scenario.policy import (  # noqa: F401  (re-exported)
    Agreement,
    Audience,
    Authority,
    Degradation,
    Letters,
    ReleaseItem,
)
from shieldwall.scenario.sharingref import agreement_problems
from shieldwall.scenario.simsettings import (  # noqa: F401
    MAX_CYCLE_S,
    MAX_RUN_S,
    MIN_CYCLE_S,
    SimSettings,
)

# --------------------------------------------------------------------------------------------
# Scenario parts
# --------------------------------------------------------------------------------------------


class Nation(_Model):
    id: Id
    name: str = Field(min_length=1)
    anonymous: bool = Field(default=False, description="partners see 'a partner', not its name")
    territory: list[str] | None = Field(
        default=None,
        description="ISO 3166 alpha-3 codes of its land and airspace (default: its id when that"
        " is a code, else none)",
    )

    def territory_codes(self) -> list[str]:
        """Its territory: ``territory`` as given, else ``[id]`` when the id is a country code
        in the package's borders data (``ISR``, ``JOR``), else none (a notional partner)."""
        if self.territory is not None:
            return list(self.territory)
        from shieldwall.geo.borders import country_names

        return [self.id] if self.id in country_names() else []


class Point(_Model):
    lat_deg: Lat
    lon_deg: Lon


class Asset(_Model):
    id: Id
    name: str = ""
    owner: Id
    lat_deg: Lat
    lon_deg: Lon
    radius_m: float = Field(default=2000.0, gt=0, le=100000, description="an impact inside hits")
    value: float = Field(default=1.0, ge=0)


class Outage(_Model):
    """The sensor is dark (failed, jammed, off station) from ``from_s`` until ``until_s``
    (for good when ``until_s`` is absent)."""

    from_s: float = Field(ge=0)
    until_s: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _order(self) -> Outage:
        if self.until_s is not None and self.until_s <= self.from_s:
            raise ValueError("until_s must be after from_s")
        return self


class Orbit(_Model):
    """A racetrack flown by an airborne sensor, centred on the sensor's placed point: two
    straight legs ``length_km`` long along ``heading_deg`` and its reverse, joined by
    half-circle right turns of diameter ``width_km``, flown at constant ``speed_m_s``."""

    heading_deg: float = Field(ge=0, lt=360, description="course of the first straight leg")
    length_km: float = Field(ge=0, le=1000, description="straight-leg length (0: a circle)")
    width_km: float = Field(gt=0, le=500, description="distance between the legs (turn diameter)")
    speed_m_s: float = Field(gt=0, le=1000, description="ground speed on the orbit")


class Sensor(_Model):
    id: Id
    type: Id
    owner: Id
    lat_deg: Lat
    lon_deg: Lon
    alt_m: float = Field(default=0.0, ge=-500, le=40000, description="site or orbit altitude")
    azimuth_deg: float = Field(default=0.0, ge=-360, le=360, description="sector boresight")
    orbit: Orbit | None = Field(default=None, description="airborne (aew) sensors: racetrack")
    outages: list[Outage] = Field(default_factory=list)


class Battery(_Model):
    id: Id
    type: Id
    owner: Id
    lat_deg: Lat
    lon_deg: Lon
    magazine: int = Field(ge=0, le=100000, description="interceptors ready")
    channels: int | None = Field(default=None, ge=1, le=1000)
    reserve: int = Field(
        default=0,
        ge=0,
        le=100000,
        description="reserve policy: the last `reserve` rounds fire only at tracks classified "
        "ballistic (kept for later waves of missiles)",
    )
    doctrine: DoctrineOverride | None = Field(
        default=None,
        description="this battery's own fire doctrine per threat class (fields it gives replace"
        " sim.doctrine's)",
    )

    @model_validator(mode="after")
    def _reserve_within_magazine(self) -> Battery:
        if self.reserve > self.magazine:
            raise ValueError(
                f"reserve ({self.reserve}) exceeds magazine ({self.magazine}); lower reserve"
            )
        return self


class Patrol(_Model):
    id: Id
    type: Id
    owner: Id
    lat_deg: Lat
    lon_deg: Lon
    aircraft: int = Field(ge=1, le=200)
    from_s: float = Field(default=0.0, ge=0, description="on station from")
    until_s: float | None = Field(default=None, ge=0, description="on station until")

    @model_validator(mode="after")
    def _order(self) -> Patrol:
        if self.until_s is not None and self.until_s <= self.from_s:
            raise ValueError(
                f"until_s ({self.until_s:g} s) must be after from_s ({self.from_s:g} s): the "
                "patrol would never be on station; swap or correct them"
            )
        return self


class LaunchArea(_Model):
    lat_deg: Lat
    lon_deg: Lon
    radius_km: float = Field(default=20.0, ge=0, le=500)
    name: str = ""


class Salvo(_Model):
    id: Id
    threat: Id
    count: int = Field(ge=1, le=10000)
    launch: LaunchArea
    window_s: tuple[float, float] = Field(description="launch times spread over [start, end]")
    aim: list[Id] = Field(min_length=1, description="asset ids, aimed at in turn")
    waypoints: list[Point] = Field(default_factory=list, description="cruise/drone route")
    reliability: Prob | None = Field(default=None, description="overrides the type's")
    profile: Literal["min-energy", "lofted", "depressed"] = Field(
        default="min-energy", description="ballistic trajectory shape"
    )
    apogee_km: float | None = Field(
        default=None, gt=0, le=5000, description="lofted/depressed: apogee height"
    )
    flight_time_s: float | None = Field(
        default=None, gt=0, le=3600, description="lofted/depressed: launch-to-impact time"
    )

    @model_validator(mode="after")
    def _profile_target(self) -> Salvo:
        given = (self.apogee_km is not None) + (self.flight_time_s is not None)
        if self.profile == "min-energy" and given:
            raise ValueError(
                "apogee_km / flight_time_s shape lofted or depressed shots; set profile to"
                " 'lofted' or 'depressed', or remove them"
            )
        if self.profile != "min-energy" and given != 1:
            raise ValueError(
                f"a {self.profile} salvo needs exactly one of apogee_km or flight_time_s"
            )
        return self

    @field_validator("window_s")
    @classmethod
    def _window(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[1] < v[0] or v[0] < 0:
            raise ValueError("window_s must be [start, end] with 0 <= start <= end")
        if v[1] > MAX_RUN_S:
            raise ValueError(
                f"window_s ends at {v[1]:g} s, after the {MAX_RUN_S:g} s a run may last; launch"
                f" by {MAX_RUN_S:g} s"
            )
        return v


class Raid(_Model):
    salvos: list[Salvo] = Field(min_length=1)


# --------------------------------------------------------------------------------------------
# Scenario root
# --------------------------------------------------------------------------------------------


class Scenario(_Model):
    """A whole coalition scenario. ``catalog`` holds the resolved equipment catalog: the
    built-in one with any entries the scenario file adds or replaces (see ``loader``)."""

    name: Id
    description: str = ""
    notional: Literal[True] = Field(
        default=True, description="parameters are public, approximate, class-level"
    )
    seed: int = Field(default=0, ge=0, description="default seed when none is given")
    region: Region
    sim: SimSettings = Field(default_factory=SimSettings)
    catalog: Catalog = Field(default_factory=Catalog)
    nations: list[Nation] = Field(min_length=1, max_length=63)  # provenance: 63-bit masks
    groups: dict[Id, list[Id]] = Field(default_factory=dict, description="named audiences")
    assets: list[Asset] = Field(default_factory=list)
    sensors: list[Sensor] = Field(default_factory=list)
    batteries: list[Battery] = Field(default_factory=list)
    patrols: list[Patrol] = Field(default_factory=list)
    agreements: list[Agreement] = Field(default_factory=list, max_length=63)  # bit masks
    authorities: list[Authority] = Field(default_factory=list)
    airspaces: list[AirspaceZone] = Field(default_factory=list, max_length=MAX_ZONES)
    airspace_denials: list[AirspaceDenial] = Field(default_factory=list)
    raid: Raid

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems: list[str] = []
        problems += unique_ids(self)
        nation_ids = {n.id for n in self.nations}
        audiences = nation_ids | set(self.groups) | {"coalition"}
        cat = self.catalog

        def need(value: str, known: set[str] | dict, where: str, what: str) -> None:
            if value not in known:
                options = ", ".join(sorted(known)) or "none defined"
                problems.append(f"{where}: unknown {what} '{value}' (known: {options})")

        from shieldwall.geo.borders import country_names

        codes = country_names()
        for i, n in enumerate(self.nations):
            for j, c in enumerate(n.territory or []):
                need(c, codes, f"nations.{i}.territory.{j}", "country code")
        for g, members in self.groups.items():
            for i, m in enumerate(members):
                need(m, nation_ids, f"groups.{g}.{i}", "nation")
        problems += reserved_names(self, nation_ids)
        for i, a in enumerate(self.assets):
            need(a.owner, nation_ids, f"assets.{i}.owner", "nation")
        units = [
            ("sensors", self.sensors, cat.sensor_types, "sensor type"),
            ("batteries", self.batteries, cat.interceptor_types, "interceptor type"),
            ("patrols", self.patrols, cat.fighter_types, "fighter type"),
        ]
        for field, items, types, what in units:
            for i, u in enumerate(items):
                need(u.type, types, f"{field}.{i}.type", what)
                need(u.owner, nation_ids, f"{field}.{i}.owner", "nation")
        for i, s in enumerate(self.sensors):
            kind = cat.sensor_types[s.type].kind if s.type in cat.sensor_types else "aew"
            if s.orbit is not None and kind != "aew":
                problems.append(
                    f"sensors.{i}.orbit: only airborne (aew) sensors fly an orbit;"
                    f" '{s.type}' is a {kind} sensor"
                )
        for i, b in enumerate(self.batteries):
            kind = cat.interceptor_types.get(b.type)
            if b.reserve and kind and not any(kind.pk.get(c, 0.0) > 0 for c in ("cruise", "drone")):
                problems.append(
                    f"batteries.{i}.reserve: the reserve keeps a battery's last rounds for"
                    f" ballistic missiles, and '{b.type}' engages nothing else; remove it"
                )
        placed = [("assets", self.assets), *[(f, items) for f, items, _, _ in units]]
        for field, items in placed:
            for i, u in enumerate(items):
                if not self.region.contains(u.lat_deg, u.lon_deg):
                    problems.append(
                        f"{field}.{i}: ({u.lat_deg}, {u.lon_deg}) lies outside the map region;"
                        " move it or widen 'region'"
                    )
        for i, ag in enumerate(self.agreements):
            need(ag.from_nation, nation_ids, f"agreements.{i}.from", "nation")
            for j, to in enumerate(ag.to):
                need(to, audiences, f"agreements.{i}.to.{j}", "nation or group")
        if not problems:  # expanding audiences needs valid names
            problems += agreement_problems(self)
        seen_auth: set[str] = set()
        for i, au in enumerate(self.authorities):
            need(au.nation, nation_ids, f"authorities.{i}.nation", "nation")
            if au.nation in seen_auth:
                problems.append(
                    f"authorities.{i}.nation: '{au.nation}' already has an authority entry;"
                    " merge them into one (classes, airspace and letters apply together)"
                )
            seen_auth.add(au.nation)
        problems += airspace_problems(self)
        problems += [] if problems else patrol_overflight(self)
        asset_ids = {a.id for a in self.assets}
        for i, s in enumerate(self.raid.salvos):
            need(s.threat, cat.threat_types, f"raid.salvos.{i}.threat", "threat type")
            ttype = cat.threat_types.get(s.threat)
            problems += out_of_range(i, s, ttype, {a.id: a for a in self.assets})
            if s.profile != "min-energy" and ttype and ttype.threat_class != "ballistic":
                problems.append(
                    f"raid.salvos.{i}.profile: '{s.profile}' applies to ballistic missiles"
                    f" only; remove it from this {ttype.threat_class} salvo"
                )
            if s.waypoints and ttype and ttype.threat_class == "ballistic":
                problems.append(
                    f"raid.salvos.{i}.waypoints: waypoints route cruise missiles and drones; a"
                    " ballistic missile flies to its aim point, so remove them from this salvo"
                )
            for j, aim in enumerate(s.aim):
                need(aim, asset_ids, f"raid.salvos.{i}.aim.{j}", "asset")
            if not self.region.contains(s.launch.lat_deg, s.launch.lon_deg):
                problems.append(
                    f"raid.salvos.{i}.launch: launch area lies outside the map region;"
                    " move it or widen 'region'"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Convenience look-ups used by the pipeline (names are validated above).
    def nation_index(self) -> dict[str, int]:
        return {n.id: i for i, n in enumerate(self.nations)}

    def audience_members(self, audience: str) -> list[str]:
        """Nation ids an agreement audience stands for."""
        if audience == "coalition":
            return [n.id for n in self.nations]
        if audience in self.groups:
            return list(self.groups[audience])
        return [audience]
