"""A run cut short by ``sim.end_s``: the summary counts and costs only the threats launched by
the end, and accounts for those still in the air (``threats.in_flight``), so the accounting
balances and the cost-exchange ratio is not inflated by missiles that never left the ground."""

from __future__ import annotations

import numpy as np

from shieldwall.scenario import load_scenario
from shieldwall.sim import simulate
from shieldwall.sim.summary import summarize


def test_a_run_cut_short_counts_only_what_was_launched():
    sc = load_scenario("tutorial")
    end_s = 2000.0
    cut = sc.model_copy(update={"sim": sc.sim.model_copy(update={"end_s": end_s})})
    run = simulate(cut, 0)
    s = summarize(run)
    up = run.truth.t0_s <= end_s
    assert 0 < up.sum() < up.size  # the cut leaves some of the raid on the ground
    th = s["threats"]
    assert th["launched"] == int(up.sum())
    assert s["accounting"]["balanced"]
    assert th["launched"] == th["intercepted"] + th["leaked"] + th["failed"] + th["in_flight"]
    assert sum(c["launched"] for c in th["by_class"].values()) == th["launched"]
    assert s["attack"]["cost_usd"] == float(np.sum(run.truth.threats.cost_usd[up]))
    assert run.events._rows["event"].count("launch") == int(up.sum())  # no launch after the end
    # the whole run: everything launched, nothing left in the air
    full = summarize(simulate(sc, 0))["threats"]
    assert full["launched"] == up.size and full["in_flight"] == 0
