"""What became of each threat: exactly one terminal event among intercept, leak and fail.

A leaker is a threat that reached the end of its trajectory (the ground) without being killed;
it also gets an ``impact`` event, and hits every defended asset whose radius contains the impact
point. A failed threat broke up at launch or in flight (the raid's reliability draw).

A shot is planned on a track's prediction; its kill draw counts only if the threat, where it
truly is at the intercept time, lies within the shooter's reach (the range and altitude limits
the plan used, widened by ``REACH_MARGIN``): a shot sent after a false track (a drone tracked at
700 m/s, say) flies to where the threat is not, and misses. Inside the reach, guidance (the
fire-control radar's midcourse updates, the seeker, a fighter's own radar) is taken to correct
the prediction error, which the kill probability already accounts for.
"""

from __future__ import annotations

import numpy as np

from shieldwall.engagement import Shot
from shieldwall.engagement.shooters import Shooters
from shieldwall.geo import great_circle_distance_m
from shieldwall.scenario import Scenario
from shieldwall.sensors import Detections, LaunchWarnings, SensorArray
from shieldwall.sim.events import EventLog
from shieldwall.threats import Truth
from shieldwall.threats.flight import ellipsoid_height_m

ALIVE, INTERCEPTED, LEAKED, FAILED = 0, 1, 2, 3
# How far beyond its planned envelope a shooter may still kill (x the max range and altitude;
# / it on the min ones): the class-level limits are notional, and a prediction made at
# planning time lands at the true point only within its errors (notional assumption).
REACH_MARGIN = 1.1


class Outcome:
    """Per-threat fate: ``state`` (ALIVE / INTERCEPTED / LEAKED / FAILED) and ``death_t_s``."""

    def __init__(self, n: int) -> None:
        self.state = np.full(n, ALIVE, dtype=np.int8)
        self.death_t_s = np.full(n, np.inf)
        self.hit_asset = np.full(n, -1, dtype=np.int64)
        # no threat still alive ends before this (a lower bound: alive threats only get fewer)
        self.next_end_t_s = -np.inf

    @property
    def intercepted(self) -> np.ndarray:
        return self.state == INTERCEPTED

    def resolve_shots(
        self,
        shots: list[Shot],
        shooters: Shooters,
        truth: Truth,
        log: EventLog,
        scenario: Scenario,
    ) -> None:
        """Reveal the kill draws of shots whose intercept time has come (a kill needs the
        threat in flight and within the shooter's reach where it truly is; module docstring)."""
        for s in shots:
            j, ti = s.threat, s.t_intercept_s
            flying = truth.t0_s[j] <= ti < truth.end_t_s[j] and ti < self.death_t_s[j]
            common = dict(
                nation=scenario.nations[s.nation].id,
                unit_id=shooters.ids[s.shooter],
                engagement_id=s.engagement_id,
                pk=s.pk,
            )
            beyond = _beyond_reach(shooters, s.shooter, truth, j, ti) if flying else None
            if flying and beyond is None and s.kill:
                self.state[j], self.death_t_s[j] = INTERCEPTED, ti
                log.add(ti, "intercept", j, **common)
                continue
            why = "target no longer flying" if not flying else beyond or "kill draw failed"
            log.add(ti, "miss", j, **common, detail=why)


def _beyond_reach(sh: Shooters, k: int, truth: Truth, j: int, t_s: float) -> str | None:
    """Why threat ``j``, where it truly is at ``t_s``, is out of shooter ``k``'s reach (its
    range from the shooter's site and its height, the limits of the plan's window test
    widened by :data:`REACH_MARGIN`); None when it is within."""
    pos = truth.position_ecef(t_s)[0][j]
    range_m = float(np.linalg.norm(pos - sh.pos_ecef_m[k]))
    alt_m = float(ellipsoid_height_m(pos[:, None])[0])
    lo_r, hi_r = sh.min_range_m[k] / REACH_MARGIN, sh.max_range_m[k] * REACH_MARGIN
    lo_h, hi_h = sh.min_alt_m[k] / REACH_MARGIN, sh.max_alt_m[k] * REACH_MARGIN
    if not lo_r <= range_m <= hi_r:
        return f"target out of reach: {range_m / 1e3:.0f} km from the shooter, not where planned"
    if not lo_h <= alt_m <= hi_h:
        return f"target out of reach: at {alt_m / 1e3:.1f} km altitude, not where planned"
    return None


def record_terminal(
    t_s: float, truth: Truth, outcome: Outcome, log: EventLog, scenario: Scenario
) -> None:
    """End threats whose trajectory ended by ``t_s``: a failure, or a leak with its impact."""
    if t_s < outcome.next_end_t_s:
        return
    alive = outcome.state == ALIVE
    ended = np.flatnonzero(alive & (truth.end_t_s <= t_s))
    later = truth.end_t_s[alive & (truth.end_t_s > t_s)]
    outcome.next_end_t_s = float(later.min()) if later.size else np.inf
    if ended.size == 0:
        return
    th = truth.threats
    failed = ended[th.fails[ended]]
    leaked = ended[~th.fails[ended]]
    outcome.state[failed], outcome.death_t_s[failed] = FAILED, truth.end_t_s[failed]
    outcome.state[leaked], outcome.death_t_s[leaked] = LEAKED, truth.end_t_s[leaked]
    for j in failed.tolist():
        log.add(truth.end_t_s[j], "fail", j, detail="launch or in-flight failure")
    hit = asset_hit(th.impact_lat_deg[leaked], th.impact_lon_deg[leaked], scenario)
    outcome.hit_asset[leaked] = hit
    for j, a in zip(leaked.tolist(), hit.tolist(), strict=True):
        pos = dict(lat_deg=th.impact_lat_deg[j], lon_deg=th.impact_lon_deg[j], alt_m=0.0)
        log.add(truth.end_t_s[j], "leak", j, **pos)
        log.add(
            truth.end_t_s[j],
            "impact",
            j,
            **pos,
            detail=scenario.assets[a].id if a >= 0 else "open ground",
        )


def asset_hit(lat_deg: np.ndarray, lon_deg: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Index of the (nearest) defended asset whose radius contains each point, or -1."""
    if not scenario.assets or np.size(lat_deg) == 0:
        return np.full(np.size(lat_deg), -1, dtype=np.int64)
    a_lat = np.array([a.lat_deg for a in scenario.assets])
    a_lon = np.array([a.lon_deg for a in scenario.assets])
    radius = np.array([a.radius_m for a in scenario.assets])
    d = great_circle_distance_m(lat_deg[:, None], lon_deg[:, None], a_lat[None], a_lon[None])
    inside = d <= radius[None]
    nearest = np.argmin(np.where(inside, d, np.inf), axis=1)
    return np.where(inside.any(axis=1), nearest, -1)


def record_detections(
    dets: Detections,
    sensors: SensorArray,
    outcome: Outcome,
    log: EventLog,
    scenario: Scenario,
    warnings: LaunchWarnings | None = None,
) -> None:
    """One ``detect`` event per (sensor, threat): the sensor's first report of that threat while
    it was still flying. False alarms are not events. An IR report is a launch warning: its
    ``detail`` gives the reported bearing of flight, launch time and launch point (from
    ``warnings``)."""
    live = dets.threat >= 0
    live[live] = dets.t_s[live] < outcome.death_t_s[dets.threat[live]]
    key = dets.sensor[live].astype(np.int64) * (outcome.state.size + 1) + dets.threat[live]
    _, first = np.unique(key, return_index=True)
    idx = np.flatnonzero(live)[first]
    warned = _warning_rows(warnings, outcome.state.size)
    for i in idx.tolist():
        s, j = int(dets.sensor[i]), int(dets.threat[i])
        extra: dict = {}
        if dets.kind[i]:
            extra["detail"] = "launch warning"
            w = warned.get(s * (outcome.state.size + 1) + j)
            if w is not None:
                extra = _warning_fields(warnings, w)
        log.add(
            dets.t_s[i],
            "detect",
            j,
            nation=scenario.nations[int(sensors.owner[s])].id,
            unit_id=sensors.ids[s],
            **extra,
        )


def _warning_rows(warnings: LaunchWarnings | None, n_threats: int) -> dict[int, int]:
    if warnings is None:
        return {}
    key = warnings.sensor.astype(np.int64) * (n_threats + 1) + warnings.threat
    return {int(k): i for i, k in enumerate(key.tolist())}


def _warning_fields(w: LaunchWarnings, i: int) -> dict:
    return {
        "detail": (
            f"launch warning: az {w.azimuth_deg[i]:.0f} deg, launch t {w.launch_t_s[i]:.0f} s,"
            f" from {w.launch_lat_deg[i]:.2f} N {w.launch_lon_deg[i]:.2f} E"
        )
    }
