"""The equipment catalog: notional, class-level threat, sensor, interceptor and fighter
types, each with its public source."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from shieldwall.scenario.fields import Id, Prob, ThreatClass, _Model

# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


class ThreatType(_Model):
    """A class of attacking weapon; figures are notional, public, approximate."""

    threat_class: ThreatClass = Field(alias="class")
    label: str = ""
    speed_m_s: float | None = Field(
        default=None, gt=0, description="cruise speed (cruise missiles, drones)"
    )
    cruise_alt_m: float = Field(default=100.0, ge=0, le=30000, description="height above ellipsoid")
    max_range_km: float = Field(gt=0, le=20000)
    boost_s: float = Field(default=0.0, ge=0, le=600, description="ballistic boost duration")
    rcs_m2: float = Field(gt=0, le=1000, description="radar cross section (mean)")
    cep_m: float = Field(default=50.0, ge=0, le=100000, description="circular error probable")
    reliability: Prob = Field(default=1.0, description="probability of a successful flight")
    cost_usd: float = Field(ge=0, description="notional unit cost")
    source: str = Field(min_length=1, description="where the figures come from")

    @model_validator(mode="after")
    def _speed_for_air_breathers(self) -> ThreatType:
        if self.threat_class != "ballistic" and self.speed_m_s is None:
            raise ValueError("speed_m_s is required for cruise missiles and drones")
        return self

    @property
    def max_range_m(self) -> float:
        return self.max_range_km * 1e3


class SensorType(_Model):
    """A sensor class. ``ref_range_km``: range at which a 1 m^2 target is detected with
    probability 0.9 at false-alarm probability ``pfa`` (radar-equation scaling reference)."""

    kind: Literal["radar", "aew", "space_ir"]
    label: str = ""
    ref_range_km: float = Field(gt=0, le=50000)
    max_range_km: float = Field(gt=0, le=50000, description="instrumented range")
    pfa: float = Field(default=1e-6, gt=0, lt=1)
    sector_deg: float = Field(default=360.0, gt=0, le=360, description="azimuth coverage width")
    min_elev_deg: float = Field(default=0.0, ge=-10, le=90)
    max_elev_deg: float = Field(default=90.0, ge=-10, le=90)
    revisit_s: float = Field(default=5.0, gt=0, le=3600)
    sigma_range_m: float = Field(default=50.0, ge=0)
    sigma_az_deg: float = Field(default=0.2, ge=0)
    sigma_el_deg: float = Field(default=0.2, ge=0)
    height_m: float = Field(default=10.0, ge=0, le=50000, description="antenna or platform height")
    pd_ir: Prob = Field(default=0.95, description="space IR: per-look detection of a boosting BM")
    source: str = Field(min_length=1)

    @property
    def ref_range_m(self) -> float:
        return self.ref_range_km * 1e3

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
    pk: dict[ThreatClass, Prob] = Field(description="single-shot kill probability per class")
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
    pk: dict[ThreatClass, Prob]
    cost_usd: float = Field(ge=0, description="notional cost per shot (missile plus sortie share)")
    channels: int = Field(default=2, ge=1, le=100, description="simultaneous engagements")
    source: str = Field(min_length=1)


class Catalog(_Model):
    """The equipment catalog: notional, class-level figures with their public sources."""

    notice: str = ""
    threat_types: dict[Id, ThreatType] = Field(default_factory=dict)
    sensor_types: dict[Id, SensorType] = Field(default_factory=dict)
    interceptor_types: dict[Id, InterceptorType] = Field(default_factory=dict)
    fighter_types: dict[Id, FighterType] = Field(default_factory=dict)

    def merged(self, extra: Catalog) -> Catalog:
        """This catalog with ``extra``'s entries added or replacing same-named ones."""
        return Catalog(
            notice=self.notice,
            threat_types={**self.threat_types, **extra.threat_types},
            sensor_types={**self.sensor_types, **extra.sensor_types},
            interceptor_types={**self.interceptor_types, **extra.interceptor_types},
            fighter_types={**self.fighter_types, **extra.fighter_types},
        )
