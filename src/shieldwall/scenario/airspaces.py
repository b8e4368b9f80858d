"""Scenario airspace: zones the scenario draws, and hosts' denials of intercept airspace.

Airspace codes are ISO 3166 alpha-3 country codes of the borders data (``geo.borders``),
``INTL`` (international airspace: outside every country polygon) or the id of a zone below. A
point lies in exactly one country (or ``INTL``) and in every zone whose polygon contains it, so
a zone id can stand wherever a country code can (an authority's airspace, a denial).
"""

from __future__ import annotations

import shapely
from pydantic import Field, ValidationInfo, field_validator

from shieldwall.scenario.fields import Id, Lat, Lon, _Model

INTL, ANY = "INTL", "any"
MAX_ZONES = 64  # a point's zones are one uint64 bit mask in the engagement stage


class Vertex(_Model):
    lat_deg: Lat
    lon_deg: Lon


class AirspaceZone(_Model):
    """A named airspace drawn by the scenario (a corridor, a host's restricted area): a simple
    polygon (edges do not cross) through at least three points, in order around its edge."""

    id: Id
    name: str = ""
    polygon: list[Vertex] = Field(min_length=3, description="corners in order, lat/lon degrees")

    @field_validator("polygon")
    @classmethod
    def _simple(cls, points: list[Vertex]) -> list[Vertex]:
        poly = shapely.Polygon([(p.lon_deg, p.lat_deg) for p in points])
        if poly.is_valid and poly.area > 0.0:
            return points
        reason = shapely.is_valid_reason(poly)
        if "Self-intersection" in reason and "[" in reason:
            lon, lat = (float(v) for v in reason.split("[", 1)[1].rstrip("]").split()[:2])
            raise ValueError(
                f"edges cross near ({lat:.3f}, {lon:.3f}) (lat, lon): the polygon must not"
                " intersect itself; list the corners in order around its edge"
            )
        raise ValueError(
            f"not a valid polygon ({reason}, area {poly.area:g} deg^2); give at least three"
            " distinct corners that enclose an area, in order around its edge"
        )

    def lon_lat(self) -> tuple[tuple[float, float], ...]:
        """Corners as ``(lon, lat)`` pairs (shapely's x, y)."""
        return tuple((p.lon_deg, p.lat_deg) for p in self.polygon)


class AirspaceDenial(_Model):
    """A host denies intercept airspace: while valid (``from_s <= t < until_s`` at the intercept
    time; open-ended when absent), the nations in ``to`` other than ``by`` may not engage with
    an intercept point in ``airspace`` (country codes, ``INTL`` or zone ids)."""

    id: Id
    by: Id = Field(description="the host nation that denies")
    airspace: list[str] = Field(min_length=1, description="codes or zone ids denied")
    to: list[Id] = Field(
        default_factory=lambda: ["coalition"], min_length=1, description="nations or groups"
    )
    from_s: float | None = Field(default=None, description="valid from (default: always)")
    until_s: float | None = Field(default=None, description="valid until (default: always)")

    @field_validator("until_s")
    @classmethod
    def _after_from(cls, until_s: float | None, info: ValidationInfo) -> float | None:
        from_s = info.data.get("from_s")
        if until_s is not None and from_s is not None and until_s < from_s:
            raise ValueError(f"until_s ({until_s:g} s) is before from_s ({from_s:g} s); swap them")
        return until_s

    def interval_s(self) -> tuple[float, float]:
        """``[from_s, until_s)`` with absent ends as -inf / inf."""
        lo = -float("inf") if self.from_s is None else self.from_s
        return lo, float("inf") if self.until_s is None else self.until_s
