"""Whether every ballistic missile a salvo may draw can fly its shot: checked before any is
flown, the same for every seed.

A salvo's missiles start anywhere in its launch disc and land around their aim point (CEP
scatter), so a shot's ground range lies within ``d -+ (r + 5 sigma)`` of the centre-to-aim
range ``d`` (``r``: the disc radius; sigma: the scatter's, :data:`~.raid.CEP_PER_SIGMA`). A
missile type's boost sets the span of ranges it can fly at all
(:func:`~.targeting.min_energy_start`): a span that does not hold the whole interval would
let some seeds fly the raid and others fail, so the salvo is refused for every seed.
"""

from __future__ import annotations

import numpy as np

from shieldwall.scenario import Scenario
from shieldwall.threats.flight import Vehicle
from shieldwall.threats.raid import CEP_PER_SIGMA
from shieldwall.threats.targeting import _ground_range_m, min_energy_start

SCATTER_SIGMAS = 5.0  # impact scatter allowed for, in sigmas of the type's CEP distribution


def raid_problems(scenario: Scenario) -> list[str]:
    """One line per (ballistic salvo, aim point) whose possible shots are not all within the
    span of ranges the salvo's missile type can fly; empty if every shot can be flown."""
    types, assets = scenario.catalog.threat_types, {a.id: a for a in scenario.assets}
    shots = []  # (salvo, aim index, aim id, threat type, launch area)
    for i, s in enumerate(scenario.raid.salvos):
        t = types.get(s.threat)
        if t is None or t.threat_class != "ballistic":
            continue
        shots += [(i, j, aim, t, s.launch) for j, aim in enumerate(s.aim) if aim in assets]
    if not shots:
        return []
    col = lambda f: np.array([f(row) for row in shots], dtype=float)  # noqa: E731
    d = _ground_range_m(col(lambda r: r[4].lat_deg), col(lambda r: r[4].lon_deg),
                        col(lambda r: assets[r[2]].lat_deg),
                        col(lambda r: assets[r[2]].lon_deg))  # fmt: skip
    veh = Vehicle(col(lambda r: r[3].boost_s), col(lambda r: r[3].mass_ratio),
                  col(lambda r: r[3].beta_kg_m2))  # fmt: skip
    _, _, span, _ = min_energy_start(d, veh, col(lambda r: r[3].max_range_m))
    reach = col(lambda r: r[4].radius_km * 1e3 + SCATTER_SIGMAS * r[3].cep_m / CEP_PER_SIGMA)
    lo, hi = d - reach, d + reach
    problems = []
    for k in np.flatnonzero((lo < span[0]) | (hi > span[1])).tolist():
        i, j, aim, _, _ = shots[k]
        s = scenario.raid.salvos[i]
        problems.append(
            f"raid.salvos.{i}.aim.{j}: shots from the launch area at '{aim}' run"
            f" {max(lo[k], 0.0) / 1e3:,.0f}-{hi[k] / 1e3:,.0f} km, outside the"
            f" {span[0, k] / 1e3:,.0f}-{span[1, k] / 1e3:,.0f} km a '{s.threat}' can fly with"
            " its boost; move the launch area or aim elsewhere"
        )
    return problems
