"""A shot of the engagement stage, and the threat values the optimal and WTA rules plan
with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shieldwall.engagement.assign import Candidates
from shieldwall.engagement.evaluate import LETHALITY, Assets, evaluate

VALUE_FLOOR = 1.0  # optimal and WTA rules: the least value of a threat, times its lethality


@dataclass(frozen=True, slots=True)
class Shot:
    engagement_id: int
    shooter: int
    threat: int
    nation: int
    source_nation: int
    t_fire_s: float
    t_intercept_s: float
    kill: bool
    pk: float
    cost_usd: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    value_gain: float = float("nan")  # pk x the threat value in the firing nation's picture
    candidates: str = "[]"  # JSON: every shooter, and why it was or was not chosen


def candidate_values(todo: list, cand: Candidates, n: int, assets: Assets) -> np.ndarray:
    """Per threat index: its value in the picture of the first nation of ``todo`` (items
    ``(nation, picture, shooters, threats, allowed)``) that may shoot at it, at least
    ``VALUE_FLOOR`` x its class lethality (a threat whose straight course misses every asset
    still flies; drones turn at waypoints)."""
    value = np.zeros(n)
    done = np.zeros(n, dtype=bool)
    for _, pic, _, m, ok in todo:
        m = m[ok]
        j = np.intersect1d(m[~done[m]], cand.threat)
        if j.size == 0:
            continue
        floor = VALUE_FLOOR * LETHALITY[pic.cls[j]]
        if assets.value.size:
            ev = evaluate(pic.x[j], pic.P[j], pic.cls[j], assets)
            value[j] = np.maximum(ev.value, floor)
        else:
            value[j] = floor
        done[j] = True
    return value
