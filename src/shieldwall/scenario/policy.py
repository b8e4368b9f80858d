"""Sovereignty in the scenario: sharing agreements (who releases what to whom, on which terms)
and engagement authorities (who may engage what, where, defending whom, after which letters).

The sharing stage (:mod:`shieldwall.sharing`) and the engagement stage
(:mod:`shieldwall.engagement.authority`) read these; their cross-references (nations,
audiences, contradictory terms) are checked by :class:`shieldwall.scenario.models.Scenario`.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from shieldwall.scenario.fields import THREAT_CLASSES, Id, Region, ThreatClass, _Model

Audience = Id  # a nation id, a group name, or "coalition"
ReleaseItem = Literal["tracks", "launch_warnings"]


class Degradation(_Model):
    """How an agreement coarsens released positions: rounding each ECEF coordinate to a grid of
    ``grid_m`` and/or adding Gaussian noise of ``noise_m`` per axis; the released covariance is
    inflated to match (``grid_m**2 / 12`` and ``noise_m**2`` per axis)."""

    grid_m: float | None = Field(default=None, gt=0, le=100_000, description="rounding grid")
    noise_m: float | None = Field(default=None, gt=0, le=100_000, description="added noise")

    @model_validator(mode="after")
    def _something(self) -> Degradation:
        if self.grid_m is None and self.noise_m is None:
            raise ValueError("give grid_m and/or noise_m, or remove 'degrade'")
        return self


class Agreement(_Model):
    """A directed release of one nation's tracks (and launch warnings) to others, on its terms."""

    id: Id
    from_nation: Id = Field(alias="from")
    to: list[Audience] = Field(min_length=1)
    items: list[ReleaseItem] = Field(
        default_factory=lambda: ["tracks", "launch_warnings"], min_length=1
    )
    classes: list[ThreatClass] = Field(default_factory=lambda: list(THREAT_CLASSES))
    region: Region | None = Field(default=None, description="release only items inside")
    latency_s: float = Field(default=5.0, ge=0, le=3600)
    degrade: Degradation | None = None
    anonymous: bool | None = Field(
        default=None, description="receivers learn 'a partner', not who (default: the nation's)"
    )
    condition: Literal["none", "threatens_receiver"] = Field(
        default="none",
        description="threatens_receiver: only threats predicted to land in (ballistic) or"
        " fly into (air-breathing, next 10 min) the receiver's territory",
    )
    from_s: float | None = Field(default=None, description="valid from")
    until_s: float | None = Field(default=None, description="valid until")

    @model_validator(mode="after")
    def _validity(self) -> Agreement:
        if self.from_s is not None and self.until_s is not None and self.until_s < self.from_s:
            raise ValueError("until_s is before from_s; swap them")
        return self


class Letters(_Model):
    """The exchange of letters: a host's request and the helper's acknowledgement."""

    request_s: float
    ack_s: float
    requested_by: Id | None = Field(
        default=None,
        description="the host nation that asked: a record for the report (where the help may "
        "fly is the authority's airspace; when, ack_s)",
    )

    @model_validator(mode="after")
    def _order(self) -> Letters:
        if self.ack_s < self.request_s:
            raise ValueError("ack_s must not be before request_s")
        return self


class Authority(_Model):
    """Who may engage what, over whose airspace, defending whom."""

    id: Id = Field(default="", description="name for what-ifs (default: the nation's id)")
    nation: Id
    classes: list[ThreatClass] = Field(default_factory=lambda: list(THREAT_CLASSES))
    airspace: list[str] = Field(
        default_factory=lambda: ["any"],
        description="ISO 3166 alpha-3 codes, 'INTL' for international airspace, ids of"
        " 'airspaces' zones, or 'any'",
    )
    defend: list[Audience] = Field(
        default_factory=lambda: ["coalition"],
        min_length=1,
        description="whose assets it may defend: a threat is engaged only when the asset the"
        " defense's threat evaluation predicts it threatens belongs to one of these",
    )
    requires_invitation: bool = False
    letters: Letters | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("id") and isinstance(data.get("nation"), str):
            data = {**data, "id": data["nation"]}
        return data

    @model_validator(mode="after")
    def _letters(self) -> Authority:
        if self.requires_invitation and self.letters is None:
            raise ValueError("requires_invitation is true but no letters are given")
        return self

    @property
    def authorised_from_s(self) -> float:
        """Time from which this nation may fire (both letters exist), or -inf."""
        if not self.requires_invitation:
            return -math.inf
        assert self.letters is not None
        return max(self.letters.request_s, self.letters.ack_s)
