"""Shared field types and the strict, frozen base model of scenario and catalog files."""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

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

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``true``/``false`` where a number (or a list of numbers) is expected: refused.
        pydantic's lax mode would read them as 1 and 0 (``count: true``, one missile)."""
        field = cls.model_fields.get(str(info.field_name))
        if field is None:
            return value
        scalar, items = _numeric_kinds(field.annotation)
        inner = value.values() if isinstance(value, dict) else value
        bad = (scalar and isinstance(value, bool)) or (
            items
            and isinstance(value, list | tuple | dict)
            and any(isinstance(v, bool) for v in inner)
        )
        if bad:
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


def _numeric_kinds(annotation: Any) -> tuple[bool, bool]:
    """Whether a field's type takes a number (and no bool), and whether a list, tuple or
    mapping of numbers."""
    options = _options(annotation)
    if bool in options:
        return False, False
    scalar = any(o in (int, float) for o in options)
    items = any(
        (get_origin(o) in (list, tuple) and _all_numeric(get_args(o)))
        or (get_origin(o) is dict and _all_numeric(get_args(o)[1:]))
        for o in options
    )
    return scalar, items


def _all_numeric(args: tuple) -> bool:
    return all(e in (int, float, Ellipsis) for a in args for e in _options(a))


def _options(annotation: Any) -> list[Any]:
    """The types a field may hold: ``Annotated`` stripped, unions spread."""
    if get_origin(annotation) is Annotated:
        return _options(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return [t for a in get_args(annotation) for t in _options(a)]
    return [annotation]


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
