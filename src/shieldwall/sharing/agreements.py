"""Agreements resolved to arrays: who releases what to whom, how late, how coarse, how named."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.scenario import THREAT_CLASSES, Scenario
from shieldwall.scenario.sharingref import effective_anonymous

TRACKS, LAUNCH_WARNINGS = "tracks", "launch_warnings"


@dataclass(frozen=True, slots=True)
class ReleaseTerms:
    """One directed release: ``source`` nation to each of ``receivers``.

    ``class_mask`` ``(3,)`` bool over ballistic, cruise, drone; ``items`` the kinds released;
    ``region`` ``(lat_min, lat_max, lon_min, lon_max)`` or None; ``grid_m`` / ``noise_m`` the
    position degradation (0: none); ``condition`` ``"none"`` or ``"threatens_receiver"``."""

    agreement_id: str
    source: int
    receivers: tuple[int, ...]
    class_mask: np.ndarray
    latency_s: float
    anonymous: bool
    from_s: float
    until_s: float
    items: frozenset[str] = frozenset({TRACKS, LAUNCH_WARNINGS})
    region: tuple[float, float, float, float] | None = None
    grid_m: float = 0.0
    noise_m: float = 0.0
    condition: str = "none"

    def active(self, t_s: float) -> bool:
        return self.from_s <= t_s <= self.until_s

    def describe(self) -> str:
        """The terms in words (the audit's ``terms`` column)."""
        parts = [f"latency {self.latency_s:g} s",
                 "classes " + "+".join(c for c, m in zip(THREAT_CLASSES, self.class_mask,
                                                         strict=True) if m)]  # fmt: skip
        if self.region is not None:
            parts.append("region lat {:g}..{:g} lon {:g}..{:g}".format(*self.region))
        if self.grid_m:
            parts.append(f"grid {self.grid_m:g} m")
        if self.noise_m:
            parts.append(f"noise {self.noise_m:g} m")
        if self.anonymous:
            parts.append("anonymous")
        if self.condition != "none":
            parts.append(self.condition)
        return "; ".join(parts)


def resolve_agreements(scenario: Scenario) -> tuple[ReleaseTerms, ...]:
    """Expand groups and 'coalition' to nation indices; a nation never releases to itself."""
    idx = scenario.nation_index()
    terms = []
    for ag in scenario.agreements:
        members = {m for aud in ag.to for m in scenario.audience_members(aud)}
        receivers = tuple(sorted(idx[m] for m in members if m != ag.from_nation))
        mask = np.array([c in ag.classes for c in THREAT_CLASSES])
        r = ag.region
        terms.append(
            ReleaseTerms(
                agreement_id=ag.id,
                source=idx[ag.from_nation],
                receivers=receivers,
                class_mask=mask,
                latency_s=ag.latency_s,
                anonymous=effective_anonymous(scenario, ag),
                from_s=-np.inf if ag.from_s is None else ag.from_s,
                until_s=np.inf if ag.until_s is None else ag.until_s,
                items=frozenset(ag.items),
                region=None if r is None else (r.lat_min, r.lat_max, r.lon_min, r.lon_max),
                grid_m=0.0 if ag.degrade is None else ag.degrade.grid_m or 0.0,
                noise_m=0.0 if ag.degrade is None else ag.degrade.noise_m or 0.0,
                condition=ag.condition,
            )
        )
    return tuple(terms)
