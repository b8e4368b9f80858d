"""Batteries and fighter patrols as one array of shooters, plus each nation's authority."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.geo import geodetic_to_ecef
from shieldwall.scenario import THREAT_CLASSES, Catalog, Scenario

KIND_BATTERY, KIND_PATROL = 0, 1


@dataclass(frozen=True, slots=True)
class Shooters:
    """One row per battery or patrol (SI). ``pk`` is ``(S, 3)`` over threat classes."""

    ids: tuple[str, ...]
    type_ids: tuple[str, ...]
    kind: np.ndarray
    owner: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    pos_ecef_m: np.ndarray
    min_range_m: np.ndarray
    max_range_m: np.ndarray
    min_alt_m: np.ndarray
    max_alt_m: np.ndarray
    speed_m_s: np.ndarray
    reaction_s: np.ndarray
    pk: np.ndarray
    cost_usd: np.ndarray
    channels: np.ndarray
    magazine: np.ndarray
    from_s: np.ndarray
    until_s: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Denial:
    """A host's denial of intercept airspace: the nations it binds ``(N,)`` (its audience less
    the host), the codes or zone ids denied, and its validity ``[from_s, until_s)``."""

    nations: np.ndarray
    airspace: frozenset[str]
    from_s: float
    until_s: float


@dataclass(frozen=True, slots=True)
class Authorities:
    """Per nation: classes it may engage ``(N, 3)``, airspace codes or zone ids (None = any),
    the time from which it may fire (after the exchange of letters where its law requires
    one), and whose assets it may defend ``(N, N)`` (row: the defender, column: the owner);
    plus the hosts' denials of intercept airspace."""

    classes: np.ndarray
    airspace: tuple[frozenset[str] | None, ...]
    from_s: np.ndarray
    defend: np.ndarray
    denials: tuple[Denial, ...] = ()


def shooters(scenario: Scenario) -> Shooters:
    """Batteries then patrols of ``scenario`` with their catalog figures, in SI."""
    nat = scenario.nation_index()
    cat = scenario.catalog
    rows = []
    for b in scenario.batteries:
        t = cat.interceptor_types[b.type]
        rows.append(
            (
                b.id,
                b.type,
                KIND_BATTERY,
                nat[b.owner],
                b.lat_deg,
                b.lon_deg,
                t.min_range_km * 1e3,
                t.max_range_km * 1e3,
                t.min_alt_km * 1e3,
                t.max_alt_km * 1e3,
                t.speed_m_s,
                t.reaction_s,
                [t.pk.get(c, 0.0) for c in THREAT_CLASSES],
                t.cost_usd,
                b.channels or t.channels,
                b.magazine,
                0.0,
                np.inf,
            )
        )
    for p in scenario.patrols:
        t = cat.fighter_types[p.type]
        rows.append(
            (
                p.id,
                p.type,
                KIND_PATROL,
                nat[p.owner],
                p.lat_deg,
                p.lon_deg,
                0.0,
                t.radius_km * 1e3,
                0.0,
                t.max_alt_km * 1e3,
                t.speed_m_s,
                t.reaction_s,
                [t.pk.get(c, 0.0) for c in THREAT_CLASSES],
                t.cost_usd,
                t.channels * p.aircraft,
                t.shots_per_sortie * p.aircraft,
                p.from_s,
                np.inf if p.until_s is None else p.until_s,
            )
        )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 18
    arr = [None, None] + [np.asarray(c, dtype=float) for c in cols[2:]]
    lat, lon = arr[4], arr[5]
    return Shooters(
        ids=tuple(cols[0]),
        type_ids=tuple(cols[1]),
        kind=arr[2].astype(np.int8),
        owner=arr[3].astype(np.int32),
        lat_deg=lat,
        lon_deg=lon,
        pos_ecef_m=geodetic_to_ecef(lat, lon, np.zeros_like(lat)).reshape(len(rows), 3),
        min_range_m=arr[6],
        max_range_m=arr[7],
        min_alt_m=arr[8],
        max_alt_m=arr[9],
        speed_m_s=arr[10],
        reaction_s=arr[11],
        pk=arr[12].reshape(len(rows), 3),
        cost_usd=arr[13],
        channels=arr[14].astype(np.int64),
        magazine=arr[15].astype(np.int64),
        from_s=arr[16],
        until_s=arr[17],
    )


def authorities(scenario: Scenario) -> Authorities:
    """Each nation's engagement authority and the hosts' denials. A nation with no authority
    entry may not fire."""
    n = len(scenario.nations)
    nat = scenario.nation_index()
    classes = np.zeros((n, 3), dtype=bool)
    airspace: list[frozenset[str] | None] = [frozenset()] * n
    from_s = np.full(n, np.inf)
    defend = np.ones((n, n), dtype=bool)
    for a in scenario.authorities:
        i = nat[a.nation]
        classes[i] |= np.array([c in a.classes for c in THREAT_CLASSES])
        codes = frozenset(a.airspace)
        airspace[i] = None if "any" in codes or airspace[i] is None else airspace[i] | codes
        from_s[i] = min(from_s[i], a.authorised_from_s)
        defend[i] = _members(scenario, a.defend)
    denials = []
    for d in scenario.airspace_denials:
        bound = _members(scenario, d.to)
        bound[nat[d.by]] = False
        denials.append(Denial(bound, frozenset(d.airspace), *d.interval_s()))
    return Authorities(classes=classes, airspace=tuple(airspace), from_s=from_s,
                       defend=defend, denials=tuple(denials))  # fmt: skip


def _members(scenario: Scenario, audiences: list[str]) -> np.ndarray:
    """Bool over nations: members of any of ``audiences`` (nation ids, groups, coalition)."""
    nat = scenario.nation_index()
    out = np.zeros(len(scenario.nations), dtype=bool)
    out[[nat[m] for aud in audiences for m in scenario.audience_members(aud)]] = True
    return out


def layers(sh: Shooters, catalog: Catalog) -> tuple[str, ...]:
    """Each shooter's layer of the defense, from its type's ``layer`` in ``catalog``: ``upper``
    (batteries of a type with ``layer: upper``; built in: Arrow 3, Arrow 2, THAAD, SM-3),
    ``lower`` (batteries of any other layer, ``middle``, ``lower`` or ``point``: David's Sling,
    SM-6, Iron Dome, SM-2, Patriot) or ``air`` (fighter patrols)."""
    types = catalog.interceptor_types
    return tuple(
        "air" if k == KIND_PATROL else ("upper" if types[t].layer == "upper" else "lower")
        for k, t in zip(sh.kind.tolist(), sh.type_ids, strict=True)
    )
