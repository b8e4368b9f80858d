"""Cross-reference checks of sharing agreements: terms that contradict each other.

Two agreements *overlap* when the same nation releases, to at least one common receiver, the
same kind of item (tracks, launch warnings) of a common threat class, at a common time, in a
common region. Overlapping agreements must carry the same terms (latency, degradation,
anonymity, condition): otherwise one item would reach the receiver on two sets of terms and
which one holds would be arbitrary. Anonymity is stricter still: a nation that releases to a
receiver anonymously under one agreement must do so under every agreement to that receiver, or
the named one would tell the receiver who the anonymous partner is. Called by
:class:`shieldwall.scenario.models.Scenario`'s validator; one message per problem.
"""

from __future__ import annotations

import math
from itertools import combinations


def _receivers(s, ag) -> set[str]:
    return {m for aud in ag.to for m in s.audience_members(aud) if m != ag.from_nation}


def effective_anonymous(s, ag) -> bool:
    """An agreement's anonymity: as given, else its nation's."""
    if ag.anonymous is not None:
        return ag.anonymous
    return next((n.anonymous for n in s.nations if n.id == ag.from_nation), False)


def _interval(ag) -> tuple[float, float]:
    lo = -math.inf if ag.from_s is None else ag.from_s
    return lo, math.inf if ag.until_s is None else ag.until_s


def _regions_overlap(a, b) -> bool:
    if a is None or b is None:
        return True
    return not (a.lat_max < b.lat_min or b.lat_max < a.lat_min or a.lon_max < b.lon_min
                or b.lon_max < a.lon_min)  # fmt: skip


def _terms(s, ag) -> dict:
    degrade = None if ag.degrade is None else (ag.degrade.grid_m, ag.degrade.noise_m)
    return {"latency_s": ag.latency_s, "degrade": degrade,
            "anonymous": effective_anonymous(s, ag), "condition": ag.condition}  # fmt: skip


def agreement_problems(s) -> list[str]:
    """Anonymity that contradicts the nation's, contradictory overlapping terms, anonymity
    that differs between two agreements to one receiver, and conditions on territory for
    receivers without one."""
    nations = {n.id: n for n in s.nations}
    problems = []
    for i, ag in enumerate(s.agreements):
        nation = nations.get(ag.from_nation)
        if nation is not None and nation.anonymous and ag.anonymous is False:
            problems.append(
                f"agreements.{i}.anonymous: '{ag.from_nation}' is an anonymous nation, so all its"
                " releases are anonymous; remove 'anonymous: false'"
            )
        if ag.condition == "threatens_receiver":
            bare = sorted(r for r in _receivers(s, ag) if r in nations
                          and not nations[r].territory_codes())  # fmt: skip
            if bare:
                problems.append(
                    f"agreements.{i}.condition: receivers {', '.join(bare)} have no territory to"
                    " be threatened; give them 'territory' codes or narrow 'to'"
                )
    for (_, a), (j, b) in combinations(enumerate(s.agreements), 2):
        if a.from_nation != b.from_nation:
            continue
        common = _receivers(s, a) & _receivers(s, b)
        if not common:
            continue
        if effective_anonymous(s, a) != effective_anonymous(s, b):
            problems.append(
                f"agreements.{j}.anonymous: '{a.from_nation}' releases to"
                f" {', '.join(sorted(common))} anonymously under one of '{a.id}' and '{b.id}'"
                " and by name under the other, which would reveal the anonymous partner;"
                " make both anonymous or both named"
            )
            continue
        (lo_a, hi_a), (lo_b, hi_b) = _interval(a), _interval(b)
        overlap = (
            max(lo_a, lo_b) <= min(hi_a, hi_b)
            and set(a.classes) & set(b.classes)
            and set(a.items) & set(b.items)
            and _regions_overlap(a.region, b.region)
        )
        ta, tb = _terms(s, a), _terms(s, b)
        if overlap and ta != tb:
            diff = "; ".join(f"{k} {ta[k]} vs {tb[k]}" for k in ta if ta[k] != tb[k])
            problems.append(
                f"agreements.{j}: overlaps '{a.id}' (same source {a.from_nation}, receivers"
                f" {', '.join(sorted(common))}, common classes and times) with different terms"
                f" ({diff}); make the terms equal, or separate them by classes, items, region"
                " or from_s/until_s"
            )
    return problems
