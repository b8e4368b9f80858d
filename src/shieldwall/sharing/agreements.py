"""Agreements resolved to arrays: who releases which threat classes to whom, how late."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.scenario import THREAT_CLASSES, Scenario


@dataclass(frozen=True, slots=True)
class ReleaseTerms:
    """One directed release: ``source`` nation to each of ``receivers``."""

    agreement_id: str
    source: int
    receivers: tuple[int, ...]
    class_mask: np.ndarray  # (3,) bool over ballistic, cruise, drone
    latency_s: float
    anonymous: bool
    from_s: float
    until_s: float

    def active(self, t_s: float) -> bool:
        return self.from_s <= t_s <= self.until_s


def resolve_agreements(scenario: Scenario) -> tuple[ReleaseTerms, ...]:
    """Expand groups and 'coalition' to nation indices; a nation never releases to itself."""
    idx = scenario.nation_index()
    terms = []
    for ag in scenario.agreements:
        members = {m for aud in ag.to for m in scenario.audience_members(aud)}
        receivers = tuple(sorted(idx[m] for m in members if m != ag.from_nation))
        mask = np.array([c in ag.classes for c in THREAT_CLASSES])
        terms.append(
            ReleaseTerms(
                agreement_id=ag.id,
                source=idx[ag.from_nation],
                receivers=receivers,
                class_mask=mask,
                latency_s=ag.latency_s,
                anonymous=ag.anonymous,
                from_s=-np.inf if ag.from_s is None else ag.from_s,
                until_s=np.inf if ag.until_s is None else ag.until_s,
            )
        )
    return tuple(terms)
