"""Scenario variants for coalition games: a coalition of some nations, a missing agreement.

Pure functions from a validated :class:`~shieldwall.scenario.Scenario` to another one; the
result is re-validated through :func:`shieldwall.scenario.load_scenario`, so a variant is
always a scenario the simulator accepts.

A nation outside the coalition keeps its place in ``nations`` (its assets are still there to
be defended: ``assets`` and ``raid`` never change) but loses everything it brings to the
defense: its sensors, batteries and fighter patrols, every agreement from it, its place in
every agreement's audience and in every group, and its engagement authority. The empty
coalition therefore defends nothing: its payoff is what the raid leaves standing on its own.
"""

from __future__ import annotations

from collections.abc import Collection

from shieldwall.scenario import Scenario, load_scenario

COALITION = "coalition"  # the audience that means every nation of the scenario


def nation_ids(scenario: Scenario) -> list[str]:
    """The scenario's nations, in file order (the players of the coalition game)."""
    return [n.id for n in scenario.nations]


def _audience(to: list[str], groups: dict[str, list[str]], keep: set[str], grand: bool) -> list:
    """An agreement's audience restricted to ``keep``: absent nations dropped, emptied groups
    dropped, and ``coalition`` (which would still name every nation in ``nations``) spelled
    out as the members present unless the coalition is the grand one."""
    out: list[str] = []
    for name in to:
        if name == COALITION:
            out += [COALITION] if grand else sorted(keep)
        elif name in groups:
            out += [name] if groups[name] else []
        elif name in keep:
            out.append(name)
    return list(dict.fromkeys(out))


def coalition_scenario(scenario: Scenario, members: Collection[str]) -> Scenario:
    """``scenario`` defended by ``members`` only (see the module docstring); the name gains
    nothing, so the variant's units keep their random streams (common random numbers).

    Raises ValueError for a member that is not one of the scenario's nations."""
    keep = set(members)
    unknown = keep - set(nation_ids(scenario))
    if unknown:
        raise ValueError(f"unknown nation(s) {', '.join(sorted(unknown))}")
    grand = keep == set(nation_ids(scenario))
    data = scenario.model_dump(mode="json", by_alias=True)
    groups = {g: [m for m in ms if m in keep] for g, ms in data["groups"].items()}
    agreements = []
    for ag in data["agreements"]:
        to = _audience(ag["to"], groups, keep, grand)
        if ag["from"] in keep and to:
            agreements.append(ag | {"to": to})
    data |= {
        "groups": groups,
        "sensors": [u for u in data["sensors"] if u["owner"] in keep],
        "batteries": [u for u in data["batteries"] if u["owner"] in keep],
        "patrols": [u for u in data["patrols"] if u["owner"] in keep],
        "agreements": agreements,
        "authorities": [a for a in data["authorities"] if a["nation"] in keep],
    }
    return load_scenario(data)


def without_agreement(scenario: Scenario, agreement_id: str) -> Scenario:
    """``scenario`` with the agreement ``agreement_id`` removed (everything else unchanged).

    Raises ValueError for an unknown agreement id."""
    ids = [ag.id for ag in scenario.agreements]
    if agreement_id not in ids:
        raise ValueError(f"unknown agreement '{agreement_id}' (known: {', '.join(ids)})")
    data = scenario.model_dump(mode="json", by_alias=True)
    data["agreements"] = [ag for ag in data["agreements"] if ag["id"] != agreement_id]
    return load_scenario(data)


__all__ = ["COALITION", "coalition_scenario", "nation_ids", "without_agreement"]
