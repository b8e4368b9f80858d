"""A kill needs the threat within the shooter's reach where it truly is (sim.outcome): a shot
planned on a false track flies to where the threat is not, and misses."""

from __future__ import annotations

import numpy as np
import pytest

from shieldwall.engagement import Engagements, Shot
from shieldwall.geo import great_circle_distance_m
from shieldwall.rng import stream
from shieldwall.scenario import load_scenario
from shieldwall.sim.events import EventLog
from shieldwall.sim.outcome import INTERCEPTED, REACH_MARGIN, Outcome
from shieldwall.threats import build_raid, build_truth


@pytest.fixture(scope="module")
def world():
    sc = load_scenario("tutorial")
    truth = build_truth(sc, build_raid(sc, stream(0, "raid")))
    return sc, truth, Engagements(sc, 0).shooters


def _shot(shooter: int, threat: int, t_s: float, kill: bool = True) -> Shot:
    return Shot(1, shooter, threat, 0, 0, t_s - 30.0, t_s, kill, 0.9, 1e5, 31.0, 35.0, 1e3)


def _resolve(world, shooter: int, threat: int, t_s: float, kill: bool = True):
    sc, truth, shooters = world
    outcome, log = Outcome(truth.t0_s.size), EventLog()
    outcome.resolve_shots([_shot(shooter, threat, t_s, kill)], shooters, truth, log, sc)
    ((t, kind, cols),) = log._events
    return outcome.state[threat], kind, cols.get("detail")


def _range_km(world, shooter: int, threat: int, t_s: float) -> float:
    _, truth, shooters = world
    lat, lon, _ = truth.geodetic_at(np.array(t_s))
    d = great_circle_distance_m(lat.reshape(-1)[threat], lon.reshape(-1)[threat],
                                shooters.lat_deg[shooter], shooters.lon_deg[shooter])  # fmt: skip
    return float(d) / 1e3


def test_kill_only_within_reach_where_the_threat_truly_is(world):
    sc, truth, shooters = world
    dome = shooters.ids.index("idome-nevatim")
    drone = 0  # a drone of the first salvo, flying for hours toward Nevatim
    t_near = float(truth.end_t_s[drone]) - 400.0  # 20 km out, inbound to the base
    t_far = float(truth.t0_s[drone]) + 600.0  # ten minutes after launch: over Iraq
    assert 10.0 < _range_km(world, dome, drone, t_near) < shooters.max_range_m[dome] / 1e3
    assert _range_km(world, dome, drone, t_far) > REACH_MARGIN * shooters.max_range_m[dome] / 1e3
    assert _resolve(world, dome, drone, t_near) == (INTERCEPTED, "intercept", None)
    state, kind, why = _resolve(world, dome, drone, t_far)
    assert (state, kind) == (0, "miss") and why.startswith("target out of reach:")
    assert "km from the shooter, not where planned" in why
    # within reach, the draw decides; a threat that ended misses whatever the draw
    assert _resolve(world, dome, drone, t_near, kill=False)[1:] == ("miss", "kill draw failed")
    gone = float(truth.end_t_s[drone]) + 10.0
    assert _resolve(world, dome, drone, gone)[1:] == ("miss", "target no longer flying")


def test_reach_includes_the_altitude_limits(world):
    """A ballistic missile high in its coast is beyond Iron Dome's ceiling, however close."""
    sc, truth, shooters = world
    dome = shooters.ids.index("idome-nevatim")
    bal = int(np.flatnonzero(truth.threats.class_code == 0)[0])
    t_top = float(truth.t0_s[bal] + truth.end_t_s[bal]) / 2.0  # near its apogee
    _, _, alt = truth.geodetic_at(np.array(t_top))
    assert float(alt.reshape(-1)[bal]) > REACH_MARGIN * shooters.max_alt_m[dome]
    state, kind, why = _resolve(world, dome, bal, t_top)
    assert kind == "miss" and why.startswith("target out of reach:")
