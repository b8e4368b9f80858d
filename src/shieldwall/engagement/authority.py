"""Engagement authority and airspace: which (nation, threat, intercept point) the rules allow.

A nation's shooter may engage a threat only when, in the order the candidate records report
them (:data:`~shieldwall.engagement.engage.RULES`):

1. *letters*: its law requires no invitation, or both letters exist (``t >= ack_s``);
2. *class*: its authority covers the threat's class, as its own picture classifies it;
3. *defend*: the asset that its own threat evaluation (:func:`~shieldwall.engagement.evaluate.
   evaluate`, the defense's estimate, not truth) predicts the threat threatens most belongs to
   a nation it may defend (a threat predicted to threaten no asset is nobody's to defend, so a
   nation that defends only some nations leaves it alone);

and only at an intercept point that

4. lies in airspace its authority lists (a country code, ``INTL``, a zone id; or ``any``), and
5. lies in no airspace a host denies it at the intercept time (``from_s <= t + tau < until_s``).

Rules 1-3 hold per (nation, threat); 4-5 per predicted point on the look-ahead grid, through
the exact raster lookup of :mod:`~shieldwall.engagement.airspace`, for the points of a decision
cycle where some engagement window lies, all at once.
"""

from __future__ import annotations

import numpy as np

from shieldwall.engagement.airspace import AirspaceGrid, airspace_grid
from shieldwall.engagement.evaluate import Assets, evaluate
from shieldwall.engagement.feasibility import LOOKAHEAD_S
from shieldwall.engagement.shooters import Authorities, authorities
from shieldwall.scenario import Scenario

Membership = tuple[np.ndarray, np.ndarray]  # country index and zone bits per point


class Rules:
    """The scenario's engagement rules, prepared once: masks over airspace codes and zones per
    nation and per denial, and which assets each nation may defend."""

    def __init__(self, scenario: Scenario, build_grid: bool = True) -> None:
        self.auth: Authorities = authorities(scenario)
        nat = scenario.nation_index()
        owner = np.array([nat[a.owner] for a in scenario.assets], dtype=np.int64)
        self.asset_ok = self.auth.defend[:, owner]  # (N, A): may defend each asset
        self.defend_restricted = ~self.auth.defend.all(axis=1)
        restricted = any(a is not None for a in self.auth.airspace) or bool(self.auth.denials)
        self.grid: AirspaceGrid | None = None
        if restricted and build_grid:
            r = scenario.region
            zones = tuple((z.id, z.lon_lat()) for z in scenario.airspaces)
            self.grid = airspace_grid(r.lat_min, r.lat_max, r.lon_min, r.lon_max, zones)
            g = self.grid
            self._codes = [None if a is None else g.allowed_mask(a) for a in self.auth.airspace]
            self._zones = [np.uint64(0) if a is None else g.zone_mask(a)
                           for a in self.auth.airspace]  # fmt: skip
            self._denied = [(d, g.allowed_mask(d.airspace), g.zone_mask(d.airspace))
                            for d in self.auth.denials]  # fmt: skip
            # per nation, as tables: allowed codes (all, where any airspace is) and zone bits
            n_codes = g.codes.size + 1
            self._code_table = np.stack([np.ones(n_codes, dtype=bool) if c is None else c
                                         for c in self._codes])  # fmt: skip
            self._zone_table = np.array(self._zones, dtype=np.uint64)

    # -- per (nation, threat) -----------------------------------------------------------------

    def authorised(self, t_s: float, todo: list, assets: Assets) -> list[np.ndarray]:
        """Per ``(nation, picture, shooters, threats m)`` item of ``todo``: bool ``(m,)``,
        rules 1-3. The defend rule evaluates each distinct estimate once, and only for
        nations that may defend some nations only."""
        letters = self.auth.from_s <= t_s
        out = [letters[a] & self.auth.classes[a][pic.cls[m]] for a, pic, _, m in todo]
        rows = [(k, np.flatnonzero(out[k])) for k, (a, *_) in enumerate(todo)
                if self.defend_restricted[a]]  # fmt: skip
        rows = [(k, r) for k, r in rows if r.size]
        if not rows:
            return out
        x = np.concatenate([todo[k][1].x[todo[k][3][r]] for k, r in rows])
        P = np.concatenate([todo[k][1].P[todo[k][3][r]] for k, r in rows])
        cls = np.concatenate([todo[k][1].cls[todo[k][3][r]] for k, r in rows])
        key = np.concatenate([x, cls[:, None]], axis=1)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        asset = evaluate(x[first], P[first], cls[first], assets).asset[inverse.reshape(-1)]
        start = 0
        for k, r in rows:
            mine = asset[start : start + r.size]
            start += r.size
            a = todo[k][0]
            out[k][r] = (mine >= 0) & self.asset_ok[a][np.maximum(mine, 0)]
        return out

    # -- per intercept point ------------------------------------------------------------------

    def membership(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> Membership | None:
        """Country index and zone bits of points (None: no nation's airspace is restricted)."""
        return None if self.grid is None else self.grid.membership(lat_deg, lon_deg)

    def airspace_ok(self, a: int, t_s: float, member: Membership | None) -> np.ndarray | None:
        """Bool ``(m, L)``, rules 4-5 for nation ``a`` deciding at ``t_s`` on points of the
        look-ahead grid (intercept at ``t_s + LOOKAHEAD_S``); None when nothing restricts."""
        if member is None:
            return None
        country, bits = member
        codes = self._codes[a]
        ok = (np.ones(country.shape, dtype=bool) if codes is None
              else codes[country] | ((bits & self._zones[a]) != 0))  # fmt: skip
        t_hit = t_s + LOOKAHEAD_S
        for d, d_codes, d_zones in self._denied:
            active = (d.from_s <= t_hit) & (t_hit < d.until_s)
            if d.nations[a] and active.any():
                ok &= ~((d_codes[country] | ((bits & d_zones) != 0)) & active[None])
        return ok

    def airspace_ok_rows(
        self, nation: np.ndarray, t_s: float, member: Membership | None
    ) -> np.ndarray | None:
        """:meth:`airspace_ok` of many nations at once: bool ``(R, L)`` for rows of points
        ``member`` ``(R, L)``, row r judged for ``nation[r]``."""
        if member is None:
            return None
        country, bits = member
        ok = self._code_table[nation[:, None], country]
        ok |= (bits & self._zone_table[nation][:, None]) != 0
        t_hit = t_s + LOOKAHEAD_S
        for d, d_codes, d_zones in self._denied:
            active = (d.from_s <= t_hit) & (t_hit < d.until_s)
            bound = d.nations[nation]
            if bound.any() and active.any():
                hit = d_codes[country] | ((bits & d_zones) != 0)
                ok &= ~(hit & active[None] & bound[:, None])
        return ok
