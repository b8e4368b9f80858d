"""The simulation loop: the only place that knows the order of the pipeline.

    scenario -> truth -> detections -> nodes' tracks -> releases -> pictures -> assignment
             -> engagements -> outcomes

Truth and every sensor's detections depend only on the scenario and the seed, so they are built
up front as arrays. The loop then steps a decision clock (``sim.decision_period_s``): it resolves
engagements that reached their intercept time, ends threats that landed or failed, feeds the
detections of still-flying threats to each nation's tracker, builds each nation's picture from
its own tracks and its partners' delayed releases, and assigns shooters. Stretches with nothing
in the air and nothing pending are skipped in one jump (see :func:`_next_time`), and so is the
quiet tail of a run whose ``sim.end_s`` lies long after the raid.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from shieldwall.engagement import Engagements
from shieldwall.rng import stream
from shieldwall.scenario import Scenario
from shieldwall.sensors import KIND_IR, rcs_aspect_table_m2, scan_all, sensor_array
from shieldwall.sharing import PictureBuilder, SharingStage, Warnings
from shieldwall.sharing.crossing import AuditLog
from shieldwall.sharing.stage import AudienceLog
from shieldwall.sim.events import EventLog
from shieldwall.sim.feed import stack_feed
from shieldwall.sim.outcome import Outcome, record_detections, record_terminal
from shieldwall.sim.pictures import SAMPLE_PERIOD_S, PictureLog
from shieldwall.threats import CLASS_NAMES, Truth, build_raid, build_truth
from shieldwall.tracking import LocalTracks, NodeConfig
from shieldwall.tracking.node_stack import NodeStack, StackChanges

Progress = Callable[[float, float], None]
FAST_AFTER_WARNING_S = 900.0  # a launch warning keeps the fast cycle this long (BM flight)


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
    audit: AuditLog  # every item that crossed from one nation to another
    views: AudienceLog  # each nation's picture as that nation sees it, sampled


def simulate(scenario: Scenario, seed: int, progress: Progress | None = None) -> SimResult:
    """Run ``scenario`` once with ``seed``. ``progress(t_s, t_end_s)`` is called as time moves."""
    threats = build_raid(scenario, stream(seed, "raid"))
    truth = build_truth(scenario, threats)
    t_end = scenario.sim.end_s or natural_end(truth)
    sensors = sensor_array(scenario)
    rcs_table = rcs_aspect_table_m2(scenario, threats.type_id, threats.rcs_m2)
    rngs = [stream(seed, "sensor", i) for i in sensors.ids]
    reports = scan_all(sensors, truth, t_end, rngs, rcs_table)
    dets = reports.detections
    n_nat = len(scenario.nations)
    nodes = NodeStack(n_nat, node_config(scenario))  # every nation's node tracker
    radar_owner = {int(o) for o, k in zip(sensors.owner, sensors.kind, strict=True) if k != KIND_IR}
    lw = reports.launch_warnings
    sharing = SharingStage(
        scenario,
        seed,
        [a in radar_owner for a in range(n_nat)],
        Warnings(np.arange(lw.t_s.size), lw.t_s, lw.launch_lat_deg, lw.launch_lon_deg,
                 lw.azimuth_deg, lw.threat),
        sensors.owner[lw.sensor],
        SAMPLE_PERIOD_S,
    )  # fmt: skip
    eng = Engagements(scenario, seed)
    outcome = Outcome(threats.threat_id.size)
    log = EventLog()
    samples = PictureLog(n_nat + 1, threats.n)  # every nation's picture, then the coalition's
    coalition = PictureBuilder(-1, sharing.builders[0].fuser.max_age_s, 2 * SAMPLE_PERIOD_S)
    for j in np.flatnonzero(threats.launch_t_s <= t_end).tolist():  # (end_s may cut the raid)
        log.add(threats.launch_t_s[j], "launch", j, detail=str(threats.type_id[j]))
    # radar reports (and false alarms) feed the nodes; IR launch warnings are events only
    feed = stack_feed(dets, sensors.owner)
    warning_t_s = sorted(lw.t_s.tolist())  # (for _period)
    fast = fast_classes(scenario)
    max_age_s = scenario.sim.engage_max_age_s  # (views put tracks unfit to fire on last)
    released = np.zeros((len(sharing.terms), n_nat, threats.n), dtype=bool)  # logged yet
    killed = np.zeros(threats.n, dtype=bool)
    reach_s = scenario.sim.confirm_window_s  # a frame after a jump reaches back this far
    t_prev, t, t_from, n_left = -np.inf, 0.0, -np.inf, 0
    while t_prev < t_end:
        t = min(t, t_end)
        outcome.resolve_shots(eng.due(t), eng.shooters, truth, log, scenario)
        record_terminal(t, truth, outcome, log, scenario)
        new_kills = np.flatnonzero(outcome.intercepted & ~killed)
        killed[new_kills] = True
        stepped = nodes.step(t, *feed.frame(t_from, t, outcome.death_t_s))
        kills = nodes.kill(new_kills)
        if stepped.any() or kills.any():
            _node_events(log, t, stepped, kills, scenario)
        # (the stage uses only confirmed tracks; the node hands the same objects again for
        # nations whose tracks did not change)
        confirmed = nodes.confirmed_tracks()
        pictures = sharing.step(t, confirmed)
        _release_events(log, sharing, released, scenario)
        if samples.due(t):
            everything = [(a, a, tr) for a, tr in enumerate(confirmed)]
            analyst = coalition.build(t, LocalTracks.empty(), everything)
            samples.sample(t, [*pictures, analyst], truth, outcome.death_t_s > t)
        views: list = []
        for a, pic in enumerate(pictures):  # a twin's picture is the same object: same view
            twin = sharing.twin[a]
            views.append(views[twin] if twin != a else pic.per_threat(threats.n, max_age_s))
        open_ = ~outcome.intercepted  # the defense assesses kills, not failures or leaks
        cycle = _period(t, scenario, nodes.knows_fast(fast), warning_t_s)
        for shot in eng.assign(t, views, threats.class_code, open_, cycle):
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
                value_gain=shot.value_gain,
                candidates=shot.candidates,
            )
        for t_s, a, j, why in eng.left_alone[n_left:]:
            log.add(t_s, "leave", j, nation=scenario.nations[a].id, detail=why)
        n_left = len(eng.left_alone)
        if progress is not None:
            progress(t, t_end)
        t_prev, (t, t_from) = t, _next_time(t, cycle, truth, outcome, eng, t_end, reach_s)
    record_detections(dets, sensors, outcome, log, scenario, reports.launch_warnings)
    false_alarms = dict(zip(sensors.ids, dets.false_alarm_counts(sensors.n).tolist(), strict=True))
    return SimResult(scenario, seed, truth, outcome, log, eng, false_alarms, samples,
                     sharing.audit, sharing.views)  # fmt: skip


def fast_classes(scenario: Scenario) -> np.ndarray:
    """A bool per threat class code: the classes whose known track sets the fast cycle."""
    return np.array([c in scenario.sim.fast_classes for c in CLASS_NAMES.tolist()])


def natural_end(truth: Truth) -> float:
    """End of a run without ``sim.end_s``: 60 s after the last threat's flight ends."""
    return float(truth.end_t_s.max(initial=0.0)) + 60.0


def _period(t: float, scenario: Scenario, knows_fast: bool, warning_t_s: Sequence[float]) -> float:
    """Length of the next decision cycle: ``sim.decision_period_s`` while anything fast may be
    in the air (``knows_fast``: a node holds a confirmed track of a class in
    ``sim.fast_classes``, ballistic and cruise missiles by default, :meth:`NodeStack.knows_fast`;
    or a launch warning came in the last
    ``FAST_AFTER_WARNING_S``; ``warning_t_s``: the run's warning times, sorted), else
    ``sim.quiet_period_s`` (a drone at 50 m/s moves 750 m in 15 s; a shot at one is assessed at
    the first decision after its intercept time). Decided from what the defense knows, not from
    truth."""
    sim = scenario.sim
    if sim.quiet_period_s <= sim.decision_period_s or knows_fast:
        return sim.decision_period_s
    # the latest warning issued by t, if any, came within the window
    i = bisect_right(warning_t_s, t)
    if i and warning_t_s[i - 1] > t - FAST_AFTER_WARNING_S:
        return sim.decision_period_s
    return sim.quiet_period_s


def _next_time(
    t: float, period: float, truth: Truth, outcome: Outcome, eng, t_end: float, reach_s: float
) -> tuple[float, float]:
    """Next decision time and the start of its frame (the nodes get the detections in
    ``(start, time]``). The time is the next multiple of ``period`` (so that cycles of different
    lengths stay on one grid and the 30 s picture samples fall on decision times) and the frame
    starts at ``t``; but with nothing flying and nothing pending the loop jumps: to the grid
    time before the next launch, or, with no launch to come and ``t`` past :func:`natural_end`
    (the default ``t_end``), straight to ``t_end`` (a long ``sim.end_s`` costs one cycle, not
    one per ``period``). The frame after a jump reaches back
    only ``max(period, reach_s)`` (``sim.confirm_window_s``: what a new track may gather its
    confirming hits over): the clutter of a skipped stretch, when nothing flew, carries no
    information, and hours of it in one frame would be clustered at once. A shorter jump (to a
    first launch 45 s in) hands over every detection since ``t``."""
    nxt = float((np.floor(t / period + 1e-9) + 1.0) * period)
    flying = (truth.t0_s <= nxt) & (outcome.death_t_s > t)
    if flying.any() or eng.pending():
        return nxt, t
    upcoming = truth.t0_s[truth.t0_s > t]
    if upcoming.size:
        target = float(np.floor(float(upcoming.min()) / period) * period)
    elif t >= natural_end(truth):
        target = t_end
    else:
        return nxt, t
    target = min(target, t_end)
    if target <= nxt:
        return nxt, t
    return target, max(t, target - max(period, reach_s))


def _node_events(log, t_s: float, stepped: StackChanges, kills: StackChanges, scenario) -> None:
    """The track events of one cycle, nation by nation: tracks confirmed and ended by the
    nation's step, then ended by kill assessment; one event per confirmed local track started
    or ended (threat: its true object, none for a track on clutter)."""
    rows = []
    for kind, (ids, labels, nation) in enumerate((stepped[:3], stepped[3:], kills[3:])):
        if ids.size:
            rows += zip(nation.tolist(), [kind] * ids.size, ids.tolist(), labels.tolist(),
                        strict=True)  # fmt: skip
    rows.sort(key=lambda r: r[:2])  # stable: each nation's own order within a kind
    nations = scenario.nations
    for a, kind, tid, j in rows:
        detail = f"track {tid}" + ("" if j >= 0 else " (false track)")
        log.add(t_s, _TRACK_EVENTS[kind], j, nation=nations[a].id, detail=detail)


_TRACK_EVENTS = ("track_start", "track_end", "track_end")


def _release_events(log, sharing: SharingStage, released: np.ndarray, scenario) -> None:
    """One ``release`` event per (agreement, receiver, object) the first time a track on that
    object crosses (the analyst's view: names everyone, notes anonymity)."""
    for t, k, source, r, labels in sharing.pull_first_releases():
        labels = labels[labels >= 0]
        labels = labels[~released[k, r, labels]]
        if labels.size == 0:
            continue
        new = np.unique(labels)
        released[k, r, new] = True
        term = sharing.terms[k]
        for j in new.tolist():
            log.add(
                t,
                "release",
                j,
                nation=scenario.nations[source].id,
                to_nation=scenario.nations[r].id,
                agreement_id=term.agreement_id,
                detail="anonymous" if term.anonymous else None,
            )


def node_config(scenario: Scenario) -> NodeConfig:
    """Node tracker settings from the scenario: a new track is confirmed by ``sim.confirm_hits``
    detections within ``sim.confirm_window_s`` and deleted after ``sim.drop_track_s``
    unseen; a low track is called a cruise missile only up to the catalog's
    :meth:`~shieldwall.scenario.Catalog.air_speed_limit_m_s`."""
    sim = scenario.sim
    cruise_max = scenario.catalog.air_speed_limit_m_s()
    return NodeConfig(confirm_m=sim.confirm_hits, confirm_window_s=sim.confirm_window_s,
                      drop_track_s=sim.drop_track_s, cruise_max_m_s=cruise_max)  # fmt: skip
