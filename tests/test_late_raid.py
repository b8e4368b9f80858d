"""Quiet stretches cost one decision cycle: a raid launched hours after t = 0 hands the node
trackers only the last reports before the jump (not hours of clutter in one frame), and a
``sim.end_s`` far past the raid jumps there instead of stepping every quiet period."""

from __future__ import annotations

import numpy as np
import pytest

from shieldwall.scenario import ScenarioError, load_scenario
from shieldwall.sim.engine import _next_time, simulate
from shieldwall.sim.outcome import ALIVE
from shieldwall.sim.summary import summarize
from shieldwall.tracking.node_stack import NodeStack

FIRST_LAUNCH_S = 20_000.0


def _raid(first_s: float, end_s: float | None = None):
    """The tutorial without its drones (they fly from t = 0 and would keep the loop stepping),
    the other salvos shifted so that the first launch window opens at ``first_s``."""
    data = load_scenario("tutorial").model_dump(by_alias=True, exclude={"catalog"})
    salvos = [s for s in data["raid"]["salvos"] if s["id"] != "drones"]
    shift = first_s - min(s["window_s"][0] for s in salvos)
    for s in salvos:
        s["window_s"] = [s["window_s"][0] + shift, s["window_s"][1] + shift]
    data["raid"]["salvos"] = salvos
    data["sim"]["end_s"] = end_s
    return load_scenario(data)


def _run(scenario):
    """``simulate`` with seed 0 and its decision times."""
    times: list[float] = []
    result = simulate(scenario, 0, lambda t, t_end: times.append(t))
    return result, times


@pytest.fixture(scope="module")
def early():
    return _run(_raid(0.0))


@pytest.fixture(scope="module")
def late():
    """The raid launched at ``FIRST_LAUNCH_S``: result, decision times and each node step's
    time and report times."""
    frames: list = []
    step = NodeStack.step

    def spy(self, t_s, frame, nation):
        frames.append((t_s, frame.t_s.copy()))
        return step(self, t_s, frame, nation)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(NodeStack, "step", spy)
        result, times = _run(_raid(FIRST_LAUNCH_S))
    return result, times, frames


def test_late_raid_frame_after_jump_holds_only_the_last_window(late, early):
    """From t = 0 the loop jumps to the launch; that step's frame holds the reports of the last
    ``sim.confirm_window_s`` only (about 30 here, not the some 9,000 false alarms of 5.5 h that
    once made one frame and an out-of-memory clustering), and the run takes the early raid's
    number of cycles."""
    result, times, frames = late
    scenario = result.scenario
    reach = max(scenario.sim.confirm_window_s, scenario.sim.quiet_period_s)
    gaps = np.diff(times)
    k = int(gaps.argmax())
    first = float(result.truth.t0_s.min())
    assert first >= FIRST_LAUNCH_S and times[k] == 0.0
    q = scenario.sim.quiet_period_s
    assert times[k + 1] == np.floor(first / q) * q
    t_jump, t_s = next(f for f in frames if f[0] == times[k + 1])
    assert 0 < t_s.size < 100
    assert t_s.min() > t_jump - reach and t_s.max() <= t_jump
    assert max(f[1].size for f in frames) < 100  # every frame: a cycle or a window of reports
    assert not (result.outcome.state == ALIVE).any()  # every threat met its fate
    # (within 3 %: the two raids' clutter differs, and a track read as a missile keeps the
    # fast cycle a few cycles longer or shorter; a loop stepping through the 5.5 h gap would
    # add over 1,300, 180 %)
    assert abs(len(times) - len(early[1])) <= 0.03 * len(early[1])


def test_huge_end_s_costs_a_cycle_and_changes_nothing_else(early):
    """``sim.end_s`` of 1e6 s: once the raid is over (last end + 60 s) the loop jumps to it,
    one more cycle instead of ~66,000 quiet ones. Every report up to the raid's end is the
    default run's (the looks and false alarms are drawn independently of the end,
    sensors.falsealarm.BLOCK_S), so the whole summary is too, but for the false-alarm counts,
    which cover the run (the 11.6 days of clutter after the raid)."""
    result, times = _run(_raid(0.0, end_s=1e6))
    assert len(times) <= len(early[1]) + 2
    assert times[-1] == 1e6
    natural_end = float(result.truth.end_t_s.max()) + 60.0
    assert times[-2] < natural_end + 15.0  # the last quiet step, then the jump
    got, want = summarize(result), summarize(early[0])
    assert set(got) == set(want)
    for key in set(want) - {"sensors"}:
        assert got[key] == want[key], key
    fa_got, fa_want = got["sensors"]["false_alarms"], want["sensors"]["false_alarms"]
    assert fa_got.keys() == fa_want.keys()
    assert all(fa_got[k] > 100 * fa_want[k] > 0 for k in fa_want)
    assert {k: v for k, v in got["sensors"].items() if k != "false_alarms"} == {
        k: v for k, v in want["sensors"].items() if k != "false_alarms"}  # fmt: skip


class _Idle:
    """Engagements with no interceptor in the air."""

    @staticmethod
    def pending() -> bool:
        return False


def test_next_time_jumps_to_launch_and_to_end(late):
    """:func:`_next_time` on the late raid's truth and outcome: a step while anything flies;
    with nothing flying, a jump to the grid time before the next launch or, past the natural
    end, to ``t_end``; a jump's frame reaches back ``max(period, reach_s)``, at most to ``t``.
    """
    truth, outcome = late[0].truth, late[0].outcome
    first, natural_end = float(truth.t0_s.min()), float(truth.end_t_s.max()) + 60.0
    t_end = 1e6

    def nxt(t, period=15.0, t_end=t_end):
        return _next_time(t, period, truth, outcome, _Idle(), t_end, 60.0)

    grid = np.floor(first / 15.0) * 15.0
    assert nxt(0.0) == (grid, grid - 60.0)  # to the launch, the frame the last 60 s
    assert nxt(grid - 45.0) == (grid, grid - 45.0)  # a shorter jump: everything since t
    assert nxt(grid - 15.0) == (grid, grid - 15.0)  # no jump: the next grid time
    t = first + 1.0  # while threats fly: the next grid time, frame from t
    assert nxt(t, 5.0) == (np.floor(t / 5.0) * 5.0 + 5.0, t)
    # past the natural end: to t_end, the frame the last 60 s; before it: steps
    assert nxt(natural_end) == (t_end, t_end - 60.0)
    assert nxt(natural_end - 20.0)[1] == natural_end - 20.0
    assert nxt(natural_end, t_end=natural_end + 10.0)[1] == natural_end  # (the loop clamps)


def test_end_s_beyond_a_million_seconds_is_refused():
    """Every radar's false alarms up to ``end_s`` are drawn at the start: 1e8 s would need
    gigabytes, so the scenario is refused with one line."""
    with pytest.raises(ScenarioError, match=r"sim\.end_s: must be <= 1000000"):
        _raid(0.0, end_s=1e8)
