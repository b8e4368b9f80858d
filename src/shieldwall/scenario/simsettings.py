"""``sim``: the simulation's clocks, track management, assignment rule and fire doctrine.

The decision cycles are bounded by what the node trackers can work with (see
:meth:`SimSettings._cycles_confirm`): a cycle too long for new tracks to gather their
confirmation hits within the window, or longer than ``MAX_CYCLE_S``, is refused with one line
instead of running with drones unseen.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from shieldwall.scenario.doctrine import Doctrine
from shieldwall.scenario.fields import ThreatClass, _Model

# The longest decision cycle allowed: over longer cycles the node trackers (which work in frames
# of one cycle) lose tracks and shooters miss their windows (measured on the tutorial, seed 0,
# both cycles equal, 2 hits in 600 s to confirm: coalition picture completeness 0.41 / 0.45 /
# 0.36 / 0.29 / 0.002 and threats intercepted 14 / 14 / 11 / 9 / 0 at 5 / 30 / 60 / 120 / 240 s;
# tests/test_sim_tracking.py keeps the collapse).
MAX_CYCLE_S = 30.0
MAX_RUN_S = 1e6  # longest run (11.6 days): sim.end_s, launch windows and flights end by it
MIN_CYCLE_S = 1.0  # sensors revisit in seconds; a shorter cycle only costs time


class SimSettings(_Model):
    decision_period_s: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="decision cycle (1 to 30 s) while anything fast flies",
    )
    quiet_period_s: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="decision cycle while no node tracks anything faster than a drone and no "
        "launch warning is recent (at most decision_period_s: off)",
    )
    fast_classes: list[ThreatClass] = Field(
        default=["ballistic", "cruise"],
        description="classes whose confirmed track in any node keeps the decision_period_s "
        "cycle on ([ballistic]: cruise missiles are decided every quiet_period_s, a study "
        "runs faster; a launch warning always sets the fast cycle)",
    )
    end_s: float | None = Field(
        default=None,
        gt=0,
        le=MAX_RUN_S,
        description="stop time, at most 1e6 s (11.6 days: every radar's false alarms up to it are"
        " drawn at the start); default: raid over",
    )
    drop_track_s: float = Field(default=30.0, gt=0, description="delete a track unseen this long")
    confirm_hits: int = Field(
        default=3,
        ge=1,
        le=20,
        description="detections that confirm a new track within confirm_window_s (3: two looks "
        "can be one object and a clutter point, three rarely are)",
    )
    engage_max_age_s: float = Field(
        default=20.0,
        gt=0,
        description="plan shots only on tracks with a detection in the last this many seconds "
        "(a coasting track may be of a missile that broke up: radars stopped seeing it)",
    )
    cost_weight_per_musd: float = Field(
        default=0.02,
        ge=0,
        le=10,
        description="interceptor cost in the assignment score: kill probability given up per "
        "US$1M (0.02: a US$3.5M interceptor 'costs' 0.07 of pk)",
    )
    assignment: Literal["greedy", "optimal", "heuristic", "exact"] = Field(
        default="greedy",
        description="weapon assignment each cycle: the urgency-ordered greedy rule, the optimal"
        " value-weighted matching, or the static WTA solver's heuristic or exact method on the"
        " cycle's problem",
    )
    doctrine: Doctrine = Field(
        default_factory=Doctrine,
        description="fire doctrine per threat class: salvo (1: shoot-look-shoot), max_shots per"
        " threat, rounds_per_cycle per shooter",
    )
    confirm_window_s: float = Field(
        default=60.0, gt=0, le=600, description="time a new track has to gather confirm_hits"
    )

    @model_validator(mode="after")
    def _cycles_confirm(self) -> SimSettings:
        """A node tracker works in frames of one decision cycle, and an object seen once per
        cycle gains one hit per frame: a new track then needs ``confirm_hits - 1`` further
        cycles within ``confirm_window_s``, or no such track confirms (every drone would go
        unseen by the defense); over cycles longer than ``MAX_CYCLE_S`` the trackers lose
        tracks and shooters miss their windows. Such cycles are refused rather than run; so is
        a cycle under ``MIN_CYCLE_S``, which only costs time."""
        confirm = (self.confirm_window_s / (self.confirm_hits - 1) if self.confirm_hits > 1
                   else float("inf"))  # fmt: skip
        for name in ("decision_period_s", "quiet_period_s"):
            period = getattr(self, name)  # (a quiet period up to the decision period is off)
            if name == "quiet_period_s" and period <= self.decision_period_s:
                continue
            if period < MIN_CYCLE_S:
                raise ValueError(
                    f"{name} {period:g} s is below {MIN_CYCLE_S:g} s (sensors revisit in "
                    f"seconds: a shorter cycle changes nothing but the run time); raise {name}"
                )
            if period > MAX_CYCLE_S:
                raise ValueError(
                    f"{name} {period:g} s is longer than {MAX_CYCLE_S:g} s, over which the node "
                    f"trackers lose tracks and shooters miss their windows; use at most "
                    f"{MAX_CYCLE_S:g} s"
                )
            if period > confirm:
                raise ValueError(
                    f"{name} {period:g} s is too long for node tracks to confirm "
                    f"({self.confirm_hits} hits within confirm_window_s {self.confirm_window_s:g}"
                    f" s need cycles of at most {confirm:g} s); shorten {name} or lengthen "
                    "confirm_window_s"
                )
        return self
