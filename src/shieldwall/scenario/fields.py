"""Shared field types and the strict, frozen base model of scenario and catalog files."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

THREAT_CLASSES = ("ballistic", "cruise", "drone")
ThreatClass = Literal["ballistic", "cruise", "drone"]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, description="geodetic latitude, degrees")]
Lon = Annotated[float, Field(ge=-180.0, le=180.0, description="longitude, degrees east")]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="identifier: letters, digits, '-', '_', '.'",
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Region(_Model):
    """Map bounds: every placed unit, asset and launch area must lie inside."""

    lat_min: Lat
    lat_max: Lat
    lon_min: Lon
    lon_max: Lon

    @model_validator(mode="after")
    def _ordered(self) -> Region:
        if self.lat_max <= self.lat_min or self.lon_max <= self.lon_min:
            raise ValueError("region needs lat_min < lat_max and lon_min < lon_max")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max
