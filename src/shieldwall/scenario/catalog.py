"""The equipment catalog: notional, class-level threat, sensor, interceptor and fighter
types, each with its public source."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from shieldwall.scenario.fields import Id, Prob, ThreatClass, _Model

MIN_PK = 0.3
"""Lowest single-shot kill probability the engagement stage ever shoots with (doctrine: a pair
with a lower pk is dropped before assignment). A catalog pk between 0 and this would silently
never fire, so it is refused: 0 means "cannot engage that class"."""
# A low track this many times faster than any air-breathing type of the catalog is none: it is
# strung across two objects of a swarm (see Catalog.air_speed_limit_m_s)
AIR_SPEED_MARGIN = 1.5

SIGMA_FLOORS = {"sigma_range_m": (1.0, "m"), "sigma_az_deg": (0.001, "deg"),
                "sigma_el_deg": (0.001, "deg")}  # fmt: skip
"""Smallest measurement error (1-sigma) accepted per field, with its unit. A perfect or nearly
perfect measurement (0, or 1e-4 m in range beside 0.2 deg angle errors) makes the track
covariance singular and the run stops in the tracker (LinAlgError); 0 in angle also wrote NaN
into summary.json. These floors are finer than any sensor modelled here."""


def _usable_pk(pk: float) -> float:
    if 0.0 < pk < MIN_PK:
        raise ValueError(
            f"{pk:g} is below {MIN_PK:g}, under which no shot is fired;"
            f" set 0 (cannot engage) or at least {MIN_PK:g}"
        )
    return pk


Pk = Annotated[Prob, AfterValidator(_usable_pk)]


def _not_applicable(model: _Model, names: tuple[str, ...]) -> list[str]:
    """Those of fields ``names`` whose value differs from the field's default."""
    fields = type(model).model_fields
    return [n for n in names if getattr(model, n) != fields[n].default]


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _apply_to(names: list[str], what: str, fix: str) -> str:
    """'a applies to <what>; leave it out <fix>' (plural-aware) for one or more field names."""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb, it = ("applies", "it") if len(names) == 1 else ("apply", "them")
    return f"{listed} {verb} to {what}; leave {it} out {fix}"


# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


class RcsAspect(_Model):
    """Radar cross section (m^2) seen from the nose (aspect 0 deg), the side (90 deg) and the
    tail (180 deg); the simulator interpolates linearly in dB over the aspect angle."""

    nose: float = Field(gt=0, le=1000, description="RCS seen head-on, m^2")
    side: float = Field(gt=0, le=1000, description="RCS seen broadside, m^2")
    tail: float = Field(gt=0, le=1000, description="RCS seen from behind, m^2")


class ThreatType(_Model):
    """A class of attacking weapon; figures are notional, public, approximate."""

    threat_class: ThreatClass = Field(alias="class")
    label: str = ""
    speed_m_s: float | None = Field(
        default=None,
        gt=0,
        le=3000,
        description="cruise missiles and drones: cruise speed, m/s (at most 3000, beyond any"
        " air-breathing threat)",
    )
    cruise_alt_m: float = Field(
        default=100.0,
        ge=0,
        le=30000,
        description="cruise missiles and drones: height above ellipsoid",
    )
    max_range_km: float = Field(gt=0, le=20000)
    boost_s: float = Field(default=0.0, ge=0, le=600, description="ballistic boost duration")
    mass_ratio: float = Field(
        default=4.0, gt=1, le=30, description="ballistic: lift-off / burnout mass (thrust law)"
    )
    beta_kg_m2: float = Field(
        default=5000.0, gt=0, le=1e6, description="ballistic: reentry m / (C_D A), kg/m^2"
    )
    dive_km: float = Field(
        default=5.0, ge=0, le=200, description="cruise/drone: terminal dive length (0: none)"
    )
    rcs_m2: float = Field(gt=0, le=1000, description="radar cross section (mean)")
    rcs_aspect_m2: RcsAspect | None = Field(
        default=None,
        description="RCS by aspect (nose/side/tail, m^2); rcs_m2 is used when absent",
    )
    cep_m: float = Field(default=50.0, ge=0, le=100000, description="circular error probable")
    reliability: Prob = Field(default=1.0, description="probability of a successful flight")
    cost_usd: float = Field(ge=0, description="notional unit cost")
    source: str = Field(min_length=1, description="where the figures come from")

    @model_validator(mode="after")
    def _class_fields(self) -> ThreatType:
        if self.threat_class == "ballistic":
            unused = _not_applicable(self, ("speed_m_s", "cruise_alt_m", "dive_km"))
            if unused:
                raise ValueError(
                    _apply_to(unused, "cruise missiles and drones", "for a ballistic missile")
                )
            return self
        if self.speed_m_s is None:
            raise ValueError("speed_m_s is required for cruise missiles and drones")
        unused = _not_applicable(self, ("boost_s", "mass_ratio", "beta_kg_m2"))
        if unused:
            what = "a drone" if self.threat_class == "drone" else "a cruise missile"
            raise ValueError(_apply_to(unused, "ballistic missiles", f"for {what}"))
        return self

    @property
    def max_range_m(self) -> float:
        return self.max_range_km * 1e3


RADAR_ONLY = ("ref_range_km", "pfa", "sector_deg", "min_elev_deg", "max_elev_deg",
              "sigma_az_deg", "sigma_el_deg", "height_m")  # fmt: skip
"""Sensor type fields that only radars (``radar``, ``aew``) read (``ref_range_km`` is required
of them)."""
SPACE_IR_ONLY = ("pd_ir", "plume_alt_km", "launch_point_sigma_km", "launch_time_sigma_s",
                 "launch_azimuth_sigma_deg")  # fmt: skip
"""Sensor type fields that only space IR sensors read."""


class SensorType(_Model):
    """A sensor class. ``ref_range_km`` (radars): range at which a 1 m^2 target is detected
    with probability 0.9 at false-alarm probability ``pfa`` (radar-equation scaling reference).

    A space IR sensor sees within ``max_range_km`` (ground distance from its placed point),
    with its own fields (:data:`SPACE_IR_ONLY`) and ``revisit_s``; ``sigma_range_m`` is the
    error of its looks per ECEF axis. The radar fields (:data:`RADAR_ONLY`) must keep their
    defaults there, and the space IR fields on a radar."""

    kind: Literal["radar", "aew", "space_ir"]
    label: str = ""
    ref_range_km: float | None = Field(
        default=None,
        gt=0,
        le=50000,
        description="radar, aew: Pd 0.9 range of a 1 m^2 target (required; not for space_ir)",
    )
    max_range_km: float = Field(ge=1, le=50000, description="instrumented range, at least 1 km")
    pfa: float = Field(default=1e-6, gt=0, lt=1)
    sector_deg: float = Field(default=360.0, gt=0, le=360, description="azimuth coverage width")
    min_elev_deg: float = Field(default=0.0, ge=-10, le=90)
    max_elev_deg: float = Field(default=90.0, ge=-10, le=90)
    revisit_s: float = Field(
        default=5.0, ge=1, le=3600,
        description="time between looks, at least 1 s (every look of a run is drawn at its start)",
    )  # fmt: skip
    sigma_range_m: float = Field(
        default=50.0,
        le=1e5,
        json_schema_extra={"minimum": SIGMA_FLOORS["sigma_range_m"][0]},
        description="range error, 1-sigma (space_ir: position error per axis), 1 m to 100 km",
    )
    sigma_az_deg: float = Field(
        default=0.2,
        le=30,
        json_schema_extra={"minimum": SIGMA_FLOORS["sigma_az_deg"][0]},
        description="radar: azimuth error, 1-sigma, 0.001 to 30 deg",
    )
    sigma_el_deg: float = Field(
        default=0.2,
        le=30,
        json_schema_extra={"minimum": SIGMA_FLOORS["sigma_el_deg"][0]},
        description="radar: elevation error, 1-sigma, 0.001 to 30 deg",
    )
    height_m: float = Field(default=10.0, ge=0, le=50000, description="antenna or platform height")
    false_alarms_per_scan: float = Field(
        default=0.0,
        ge=0,
        le=100,
        description="radar: mean (Poisson) false alarms per scan, at most 100 (each is tracked"
        " like a detection: at 1000 a run takes over 80 times longer)",
    )
    pd_ir: Prob = Field(default=0.95, description="space IR: per-look detection of a boosting BM")
    plume_alt_km: float = Field(
        default=3.0, ge=0, le=100, description="space IR: plume seen above this altitude"
    )
    launch_point_sigma_km: float = Field(
        default=2.0, ge=0, le=500, description="space IR: launch point error, per horizontal axis"
    )
    launch_time_sigma_s: float = Field(
        default=5.0, ge=0, le=600, description="space IR: launch time error"
    )
    launch_azimuth_sigma_deg: float = Field(
        default=5.0, ge=0, le=180, description="space IR: error of the reported flight bearing"
    )
    source: str = Field(min_length=1)

    @field_validator("sigma_range_m", "sigma_az_deg", "sigma_el_deg")
    @classmethod
    def _not_perfect(cls, sigma: float, info: ValidationInfo) -> float:
        floor, unit = SIGMA_FLOORS[str(info.field_name)]
        if not sigma >= floor:
            raise ValueError(
                f"must be >= {floor:g} {unit}, got {sigma:g}: a (near-)perfect measurement makes"
                " the track covariance singular"
            )
        return sigma

    @model_validator(mode="after")
    def _kind_fields(self) -> SensorType:
        if self.kind != "space_ir" and self.ref_range_km is None:
            raise ValueError(
                f"ref_range_km is required for {_a(self.kind)} sensor: the range (km) at which"
                " it detects a 1 m^2 target with probability 0.9"
            )
        if self.kind == "space_ir" and self.false_alarms_per_scan > 0:
            raise ValueError(
                "false_alarms_per_scan applies to radars (radar, aew); a space_ir sensor reports"
                " launch warnings only, so leave it at 0"
            )
        if self.kind == "space_ir" and (unused := _not_applicable(self, RADAR_ONLY)):
            raise ValueError(_apply_to(unused, "radars (radar, aew)", "for a space_ir sensor"))
        if self.kind != "space_ir" and (unused := _not_applicable(self, SPACE_IR_ONLY)):
            raise ValueError(
                _apply_to(unused, "space IR sensors (space_ir)", f"for {_a(self.kind)} sensor")
            )
        if self.max_elev_deg < self.min_elev_deg:
            raise ValueError("max_elev_deg must not be below min_elev_deg")
        return self

    @property
    def ref_range_m(self) -> float:
        """The radar reference range (m); NaN for a space IR sensor, which has none."""
        return float("nan") if self.ref_range_km is None else self.ref_range_km * 1e3

    @property
    def max_range_m(self) -> float:
        return self.max_range_km * 1e3


class InterceptorType(_Model):
    """A ground or ship-based interceptor missile class."""

    label: str = ""
    layer: Literal["upper", "middle", "lower", "point"] = "lower"
    min_alt_km: float = Field(ge=0, le=2000)
    max_alt_km: float = Field(gt=0, le=2000)
    min_range_km: float = Field(default=0.0, ge=0)
    max_range_km: float = Field(gt=0, le=5000)
    speed_m_s: float = Field(gt=0, le=10000, description="average fly-out speed")
    reaction_s: float = Field(default=10.0, ge=0, le=600, description="decision to launch")
    pk: dict[ThreatClass, Pk] = Field(
        description="single-shot kill probability per class: 0 (cannot engage) or at least 0.3"
    )
    cost_usd: float = Field(ge=0)
    channels: int = Field(default=4, ge=1, le=1000, description="simultaneous engagements")
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _band(self) -> InterceptorType:
        if self.max_alt_km <= self.min_alt_km:
            raise ValueError("max_alt_km must be above min_alt_km")
        if self.max_range_km <= self.min_range_km:
            raise ValueError("max_range_km must be above min_range_km")
        return self


class FighterType(_Model):
    """Fighter aircraft on a combat air patrol; engages drones and cruise missiles."""

    label: str = ""
    shots_per_sortie: int = Field(ge=1, le=64)
    radius_km: float = Field(gt=0, le=2000, description="engagement radius around the station")
    speed_m_s: float = Field(gt=0, le=1500, description="average dash plus missile fly-out speed")
    max_alt_km: float = Field(default=15.0, gt=0, le=30)
    reaction_s: float = Field(default=30.0, ge=0, le=3600)
    pk: dict[ThreatClass, Pk] = Field(
        description="single-shot kill probability per class: 0 (cannot engage) or at least 0.3"
    )
    cost_usd: float = Field(ge=0, description="notional cost per shot (missile plus sortie share)")
    channels: int = Field(default=2, ge=1, le=100, description="simultaneous engagements")
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _no_ballistic(self) -> FighterType:
        p = self.pk.get("ballistic", 0.0)
        if p > 0:
            raise ValueError(
                f"pk.ballistic {p:g}: a fighter on patrol engages drones and cruise missiles,"
                " not ballistic missiles; set it to 0 or leave it out"
            )
        return self


class Catalog(_Model):
    """The equipment catalog: notional, class-level figures with their public sources."""

    notice: str = ""
    threat_types: dict[Id, ThreatType] = Field(default_factory=dict)
    sensor_types: dict[Id, SensorType] = Field(default_factory=dict)
    interceptor_types: dict[Id, InterceptorType] = Field(default_factory=dict)
    fighter_types: dict[Id, FighterType] = Field(default_factory=dict)

    def air_speed_limit_m_s(self) -> float:
        """The fastest a cruise missile or drone is believed to fly: ``AIR_SPEED_MARGIN`` times
        the fastest air-breathing threat type of the catalog (the defense's intelligence, not
        the raid; inf without one). A node tracker calls no faster low track a cruise missile
        (unless it climbs or dives steeply), and no shot is planned on a drone track that is
        surely faster: its velocity is made up (a track strung across two drones of a swarm
        reads as a precise 500 m/s)."""
        speeds = [t.speed_m_s for t in self.threat_types.values()
                  if t.threat_class != "ballistic" and t.speed_m_s is not None]  # fmt: skip
        return AIR_SPEED_MARGIN * max(speeds) if speeds else float("inf")

    def merged(self, extra: Catalog) -> Catalog:
        """This catalog with ``extra``'s entries added or replacing same-named ones."""
        return Catalog(
            notice=self.notice,
            threat_types={**self.threat_types, **extra.threat_types},
            sensor_types={**self.sensor_types, **extra.sensor_types},
            interceptor_types={**self.interceptor_types, **extra.interceptor_types},
            fighter_types={**self.fighter_types, **extra.fighter_types},
        )
