"""The simulation loop: the only place that knows the order of the pipeline.

    scenario -> truth -> detections -> nodes' tracks -> releases -> pictures -> assignment
             -> engagements -> outcomes

Truth and every sensor's detections depend only on the scenario and the seed, so they are built
up front as arrays. The loop then steps a decision clock (``sim.decision_period_s``): it resolves
engagements that reached their intercept time, ends threats that landed or failed, feeds the
detections of still-flying threats to each nation's tracker, builds each nation's picture from
its own tracks and its partners' delayed releases, and assigns shooters. Stretches with nothing
in the air and nothing pending are skipped in one jump.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from shieldwall.engagement import Engagements
from shieldwall.rng import stream
from shieldwall.scenario import Scenario
from shieldwall.sensors import KIND_IR, rcs_aspect_table_m2, scan_all, sensor_array
from shieldwall.sharing import DelayLine, build_picture, resolve_agreements
from shieldwall.sharing.picture import released_view
from shieldwall.sim.events import EventLog
from shieldwall.sim.outcome import Outcome, record_detections, record_terminal
from shieldwall.sim.pictures import PictureLog
from shieldwall.threats import Truth, build_raid, build_truth
from shieldwall.tracking import NodeTracks

Progress = Callable[[float, float], None]


@dataclass(frozen=True, slots=True)
class SimResult:
    scenario: Scenario
    seed: int
    truth: Truth
    outcome: Outcome
    events: EventLog
    engagements: Engagements
    false_alarms: dict[str, int]  # per sensor id: radar false alarms over the run
    pictures: PictureLog  # each nation's picture against truth, sampled (SIAP)


def simulate(scenario: Scenario, seed: int, progress: Progress | None = None) -> SimResult:
    """Run ``scenario`` once with ``seed``. ``progress(t_s, t_end_s)`` is called as time moves."""
    threats = build_raid(scenario, stream(seed, "raid"))
    truth = build_truth(scenario, threats)
    t_end = scenario.sim.end_s or float(truth.end_t_s.max(initial=0.0)) + 60.0
    sensors = sensor_array(scenario)
    rcs_table = rcs_aspect_table_m2(scenario, threats.type_id, threats.rcs_m2)
    rngs = [stream(seed, "sensor", i) for i in sensors.ids]
    reports = scan_all(sensors, truth, t_end, rngs, rcs_table)
    dets = reports.detections
    n_nat = len(scenario.nations)
    nodes = NodeTracks(
        n_nat, threats.class_code, scenario.sim.confirm_hits, scenario.sim.drop_track_s
    )
    terms = resolve_agreements(scenario)
    delay = DelayLine(max([t.latency_s for t in terms], default=0.0) + 60.0)
    eng = Engagements(scenario, seed)
    outcome = Outcome(threats.threat_id.size)
    log = EventLog()
    samples = PictureLog(n_nat, threats.n)
    for j in range(threats.n):
        log.add(threats.launch_t_s[j], "launch", j, detail=str(threats.type_id[j]))
    # the tracker associates by true object id for now: it gets radar reports of real objects
    radar = (dets.kind != KIND_IR) & (dets.threat >= 0)
    det_owner = sensors.owner[dets.sensor]
    released = np.zeros((len(terms), n_nat, threats.n), dtype=bool)  # first release logged
    period = scenario.sim.decision_period_s
    t_prev, t = -np.inf, 0.0
    while t_prev < t_end:
        t = min(t, t_end)
        outcome.resolve_shots(eng.due(t), eng.shooters.ids, truth, log, scenario)
        record_terminal(t, truth, outcome, log, scenario)
        lo, hi = np.searchsorted(dets.t_s, [t_prev, t], side="right")
        sel = np.arange(lo, hi)
        sel = sel[radar[sel]]
        sel = sel[dets.t_s[sel] < outcome.death_t_s[dets.threat[sel]]]
        if sel.size:
            ch = nodes.ingest(
                dets.t_s[sel],
                det_owner[sel],
                dets.threat[sel],
                dets.z_ecef_m[sel],
                dets.r_ecef_m2[sel],
            )
            _track_events(log, "track_start", ch.started, nodes, scenario)
        ch = nodes.drop(t, dead=outcome.intercepted)
        _track_events(log, "track_end", ch.ended, nodes, scenario, at=t)
        delay.push(t, nodes.snapshot())
        pictures = [
            build_picture(
                a,
                t,
                nodes.estimates(a, t),
                _releases(a, t, terms, delay, threats.class_code, released, log, scenario),
            )
            for a in range(n_nat)
        ]
        if samples.due(t):
            samples.sample(t, pictures, truth, outcome.death_t_s > t)
        open_ = ~outcome.intercepted  # the defense assesses kills, not failures or leaks
        for shot in eng.assign(t, pictures, threats.class_code, open_):
            log.add(
                t,
                "engage",
                shot.threat,
                nation=scenario.nations[shot.nation].id,
                unit_id=eng.shooters.ids[shot.shooter],
                engagement_id=shot.engagement_id,
                source_nation=scenario.nations[shot.source_nation].id,
                pk=shot.pk,
                cost_usd=shot.cost_usd,
                lat_deg=shot.lat_deg,
                lon_deg=shot.lon_deg,
                alt_m=shot.alt_m,
                detail=f"intercept planned at t={shot.t_intercept_s:.0f} s",
            )
        if progress is not None:
            progress(t, t_end)
        t_prev, t = t, _next_time(t, period, truth, outcome, eng, dets.t_s)
    record_detections(dets, sensors, outcome, log, scenario, reports.launch_warnings)
    false_alarms = dict(zip(sensors.ids, dets.false_alarm_counts(sensors.n).tolist(), strict=True))
    return SimResult(scenario, seed, truth, outcome, log, eng, false_alarms, samples)


def _next_time(t: float, period: float, truth: Truth, outcome: Outcome, eng, det_t) -> float:
    """Next decision time; jumps over stretches with nothing flying and nothing pending."""
    nxt = t + period
    flying = (truth.t0_s <= nxt) & (outcome.death_t_s > t)
    if flying.any() or eng.pending():
        return nxt
    upcoming = truth.t0_s[truth.t0_s > t]
    if upcoming.size == 0:
        return nxt
    first = float(upcoming.min())
    return max(nxt, np.floor(first / period) * period)


def _track_events(
    log: EventLog, kind: str, pairs, nodes: NodeTracks, scenario: Scenario, at: float | None = None
) -> None:
    nation, threat = pairs
    for a, j in zip(nation.tolist(), threat.tolist(), strict=True):
        t_s = at if at is not None else nodes.t_s[nodes.key(np.int64(a), np.int64(j))]
        log.add(t_s, kind, j, nation=scenario.nations[a].id)


def _releases(a, t, terms, delay, class_code, released, log, scenario):
    """Partner tracks released to nation ``a`` at ``t`` (each as it was ``latency_s`` ago)."""
    out = []
    for k, term in enumerate(terms):
        if a not in term.receivers or not term.active(t):
            continue
        snap = delay.at(t - term.latency_s)
        if snap is None:
            continue
        mask, x, P = released_view(snap, term, class_code, t)
        new = np.flatnonzero(mask & ~released[k, a])
        released[k, a, new] = True
        for j in new.tolist():
            log.add(
                t,
                "release",
                j,
                nation=scenario.nations[term.source].id,
                to_nation=scenario.nations[a].id,
                agreement_id=term.agreement_id,
                detail="anonymous" if term.anonymous else None,
            )
        out.append((term.source, mask, x, P))
    return out
