"""The reserve policy holds when a rule gives one battery several rounds in one cycle: a
fuzzed tutorial (Iron Dome magazine 20, reserve 19, drone salvo 2) fired two rounds at a drone
in one cycle, the second out of the reserve."""

from __future__ import annotations

import pytest

from shieldwall.scenario import load_scenario
from shieldwall.sim import simulate


@pytest.mark.parametrize("rule", ["greedy", "optimal", "heuristic"])
def test_a_salvo_does_not_dip_into_the_reserve(rule):
    sc = load_scenario("tutorial")
    data = sc.model_dump(mode="json", by_alias=True)
    battery = next(b for b in data["batteries"] if b["id"] == "idome-nevatim")
    assert battery["magazine"] == 20
    battery["reserve"] = 19
    data["sim"]["doctrine"]["drone"]["salvo"] = 2
    data["sim"]["assignment"] = rule
    run = simulate(type(sc).model_validate(data), 0)
    i = run.engagements.shooters.ids.index("idome-nevatim")
    drone = run.truth.threats.class_code == 2
    at_drones = [s for s in run.engagements.fired if s.shooter == i and drone[s.threat]]
    assert 1 <= len(at_drones) <= 20 - 19  # it engages drones, with its one free round only
