"""Fire doctrine (issue 7): shoot-look-shoot, salvo of k, per-class limits, under every
assignment rule (greedy, optimal matching, static WTA heuristic and exact).

References: the kill probability of a salvo of k independent shots, ``1 - (1 - pk)^k`` (e.g.
Washburn & Kress, *Combat Modeling*, 2009, ch. 2); the invariants (magazines, limits, the look
before the next shot, authority) are checked against the scenario, not the code's own tables.
"""

from __future__ import annotations

import itertools
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import shieldwall as sw
from shieldwall.engagement import cycle_wta, wta_search
from shieldwall.engagement.assign import Candidates, greedy_assign, optimal_assign
from shieldwall.engagement.doctrine import NO_LIMIT, PairLimits, doctrine_table
from shieldwall.engagement.engage import Engagements
from shieldwall.engagement.stories import LIMIT_ROUNDS, LIMIT_SHOTS
from shieldwall.geo import enu_to_ecef
from shieldwall.io.explain import story_tables
from shieldwall.scenario import ScenarioError, load_scenario
from shieldwall.sharing import ThreatView

SITE = (31.2, 35.0)
NATIONS = ("ISR", "USA", "GBR")
RULE_NAMES = ("greedy", "optimal", "heuristic", "exact")
# a notional point-defence interceptor with a middling kill probability (sensitive tests)
TEST_SAM = {"label": "test", "min_alt_km": 0.0, "max_alt_km": 30.0, "max_range_km": 80.0,
            "speed_m_s": 1000.0, "reaction_s": 5.0, "pk": {"ballistic": 0.6, "cruise": 0.6,
            "drone": 0.6}, "cost_usd": 1e5, "channels": 4, "source": "test"}  # fmt: skip


def _scenario(batteries, sim=None, auths=None, n_nations=3):
    auths = auths if auths is not None else [{"nation": n} for n in NATIONS[:n_nations]]
    return load_scenario({
        "name": "doctrine-test",
        "region": {"lat_min": 30.0, "lat_max": 33.0, "lon_min": 33.5, "lon_max": 36.5},
        "sim": sim or {},
        "catalog": {"interceptor_types": {"test-sam": TEST_SAM}},
        "nations": [{"id": n, "name": n} for n in NATIONS[:n_nations]],
        "assets": [{"id": "a", "owner": "ISR", "lat_deg": SITE[0], "lon_deg": SITE[1],
                    "radius_m": 20000}],
        "batteries": batteries,
        "authorities": auths,
        "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                             "launch": {"lat_deg": 32.5, "lon_deg": 36.0}, "window_s": [0, 0],
                             "aim": ["a"]}]},
    })  # fmt: skip


def _battery(id_, owner="ISR", type_="test-sam", magazine=20, **kw):
    return {"id": id_, "type": type_, "owner": owner, "lat_deg": SITE[0], "lon_deg": SITE[1],
            "magazine": magazine, **kw}  # fmt: skip


def _pictures(n_nations, east_m, cls, t_s=0.0):
    """Every nation sees the same threats: ``east_m[i]`` east of the site, 3 km up, flying
    due west at 200 m/s (drones and cruise missiles) or diving at it (ballistic, class 0)."""
    xs = []
    for e, c in zip(east_m, cls, strict=True):
        pos_enu = np.array([e, 0.0, 3000.0])
        vel_enu = np.array([-200.0, 0.0, 0.0]) if c else -600.0 * pos_enu / np.linalg.norm(pos_enu)
        pos = enu_to_ecef(pos_enu, *SITE, 0.0)
        xs.append(np.concatenate([pos, enu_to_ecef(pos_enu + vel_enu, *SITE, 0.0) - pos]))
    x, n = np.array(xs), len(xs)
    P = np.broadcast_to(np.eye(6) * 100.0, (n, 6, 6)).copy()
    cls = np.asarray(cls, dtype=np.int64)
    return [ThreatView(t_s, np.ones(n, dtype=bool), x, P, np.zeros(n, dtype=np.int64), cls)
            for _ in range(n_nations)]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _quick_exact():
    """The exact method within 0.5 s a cycle here (its heuristic start gets 5 % of that): the
    instances are tiny and proven long before."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cycle_wta, "EXACT_TIME_LIMIT_S", 0.5)
        yield


def _status(shot) -> dict[str, str]:
    return {c["unit"]: c["status"] for c in json.loads(shot.candidates)}


# --------------------------------------------------------------------------------------------
# Scenario fields and their errors
# --------------------------------------------------------------------------------------------


def test_doctrine_table_merges_battery_fields_over_the_sim():
    sim = {
        "doctrine": {"ballistic": {"salvo": 2, "max_shots": 4}, "drone": {"rounds_per_cycle": 3}}
    }
    own = {"ballistic": {"max_shots": 2}, "cruise": {"salvo": 3}}
    sc = _scenario([_battery("a"), _battery("b", doctrine=own)], sim)
    doc = doctrine_table(sc)
    np.testing.assert_array_equal(doc.salvo, [[2, 1, 1], [2, 3, 1]])
    np.testing.assert_array_equal(doc.max_shots, [[4, NO_LIMIT, NO_LIMIT], [2, NO_LIMIT, NO_LIMIT]])
    np.testing.assert_array_equal(doc.rounds_per_cycle, [[NO_LIMIT, NO_LIMIT, 3]] * 2)
    assert not doc.shoot_look_shoot
    assert doctrine_table(_scenario([_battery("a")])).shoot_look_shoot


@pytest.mark.parametrize(
    ("sim", "battery", "path", "text"),
    [
        ({"doctrine": {"ballistic": {"salvo": 0}}}, {}, "sim.doctrine.ballistic.salvo",
         "must be >= 1, got 0"),
        ({"doctrine": {"ballistic": {"salvo": 9}}}, {}, "sim.doctrine.ballistic.salvo",
         "must be <= 8, got 9"),
        ({"doctrine": {"balistic": {"salvo": 2}}}, {}, "sim.doctrine.balistic",
         "did you mean 'ballistic'?"),
        ({"doctrine": {"drone": {"salvos": 2}}}, {}, "sim.doctrine.drone.salvos",
         "did you mean 'salvo'?"),
        ({"doctrine": {"cruise": {"salvo": 3, "max_shots": 2}}}, {}, "sim.doctrine.cruise",
         "max_shots (2) is below salvo (3): the salvo could never be fired whole; raise "
         "max_shots or lower salvo"),
        ({"doctrine": {"drone": {"rounds_per_cycle": 0}}}, {},
         "sim.doctrine.drone.rounds_per_cycle", "must be >= 1, got 0"),
        ({"assignment": "exakt"}, {}, "sim.assignment", "did you mean 'exact'?"),
        ({}, {"doctrine": {"ballistic": {}}}, "batteries.0.doctrine.ballistic",
         "give salvo, max_shots or rounds_per_cycle, or remove this class"),
        ({}, {"doctrine": {"ballistic": {"salvo": 4, "max_shots": 1}}},
         "batteries.0.doctrine.ballistic", "raise max_shots or lower salvo"),
        ({}, {"doctrine": {"drones": {"salvo": 2}}}, "batteries.0.doctrine.drones",
         "did you mean 'drone'?"),
    ],
)  # fmt: skip
def test_bad_doctrine_is_a_one_line_error_naming_field_and_fix(sim, battery, path, text):
    with pytest.raises(ScenarioError) as err:
        _scenario([_battery("a", **battery)], sim)
    lines = [p for p in err.value.problems if p.startswith(f"<dict>: {path}:")]
    assert len(lines) == 1, err.value.problems
    assert text in lines[0] and "\n" not in lines[0]


# --------------------------------------------------------------------------------------------
# Shoot-look-shoot and salvos on Engagements.assign
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_shoot_look_shoot_waits_for_the_kill_assessment(rule):
    """One battery, one drone: a shot, then nothing while it flies (even with rounds and
    channels to spare), then, after a miss is assessed, the second shot; after a kill, none."""
    sc = _scenario([_battery("a", channels=4)], {"assignment": rule})
    for killed in (False, True):
        eng = Engagements(sc, seed=3)
        pics, cls = _pictures(3, [30e3], [2]), np.array([2])
        first = eng.assign(0.0, pics, cls, np.array([True]))
        assert len(first) == 1
        t_hit = first[0].t_intercept_s
        for t in np.arange(5.0, t_hit, 5.0):
            assert eng.due(t) == [] and eng.assign(t, pics, cls, np.array([True])) == []
        due = eng.due(t_hit)  # the kill assessment
        assert [s.engagement_id for s in due] == [first[0].engagement_id]
        second = eng.assign(t_hit, pics, cls, np.array([not killed]))
        assert len(second) == (0 if killed else 1)
        assert all(s.t_fire_s >= t_hit for s in second)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_salvo_of_two_fires_two_together_then_looks(rule):
    """Salvo 2 against drones: two rounds at the drone in the first cycle (one battery, or
    shared when it has one channel), none while they fly; a ballistic track keeps salvo 1."""
    sim = {"assignment": rule, "doctrine": {"drone": {"salvo": 2}}}
    for channels, owners in ((4, {"a"}), (1, {"a", "b"})):
        sc = _scenario([_battery("a", channels=channels), _battery("b", channels=channels)], sim)
        eng = Engagements(sc, seed=1)
        pics, cls = _pictures(3, [30e3, 30e3], [2, 0]), np.array([2, 0])
        shots = eng.assign(0.0, pics, cls, np.array([True, True]))
        at = [s.threat for s in shots]
        assert at.count(0) == 2 and at.count(1) <= 1
        assert {eng.shooters.ids[s.shooter] for s in shots if s.threat == 0} <= owners | {"b"}
        assert len({s.t_fire_s for s in shots}) == 1
        assert eng.assign(5.0, pics, cls, np.array([True, True])) == []


def test_salvo_kill_probability_is_one_minus_miss_squared():
    """1,000 drones, a salvo of two pk-0.6 rounds at each: the fraction killed is
    1 - 0.4^2 = 0.84 within 4 standard errors (sqrt(0.84 x 0.16 / 1000) = 0.0116, so 0.046);
    single rounds kill 0.6 of them. Each round is its own kill draw."""
    n = 1000
    for salvo, expect in ((2, 1 - 0.4**2), (1, 0.6)):
        sim = {"doctrine": {"drone": {"salvo": salvo}}}
        sc = _scenario([_battery(f"b{i}", channels=1000, magazine=1000) for i in range(2)], sim)
        eng = Engagements(sc, seed=11)
        pics = _pictures(3, np.full(n, 30e3), np.full(n, 2))
        shots = eng.assign(0.0, pics, np.full(n, 2), np.ones(n, dtype=bool))
        assert len(shots) == salvo * n
        killed = np.zeros(n, dtype=bool)
        for s in shots:
            killed[s.threat] |= s.kill
        tol = 4 * math.sqrt(expect * (1 - expect) / n)
        assert abs(killed.mean() - expect) < tol, (salvo, killed.mean())
        per_round = np.mean([s.kill for s in shots])
        assert abs(per_round - 0.6) < 4 * math.sqrt(0.24 / (salvo * n))


def test_limits_show_in_the_candidate_records_and_as_a_leave():
    """max_shots 2 for drones, one battery allowed 3: after two rounds the others are barred
    by the limit (its record says so), the third battery still fires; once it has fired too,
    the nation leaves the drone alone with the reason. rounds_per_cycle 1: a battery's second
    drone this cycle goes to another battery and the record says why."""
    sim = {"doctrine": {"drone": {"max_shots": 2}}}
    own = {"drone": {"max_shots": 3}}
    sc = _scenario([_battery("a", channels=1), _battery("b", channels=1),
                    _battery("c", channels=1, doctrine=own)], sim)  # fmt: skip
    eng = Engagements(sc, seed=2)
    pics, cls, open_ = _pictures(3, [30e3], [2]), np.array([2]), np.array([True])
    fired = []
    t = 0.0
    for _ in range(4):
        shots = eng.assign(t, pics, cls, open_)
        fired += shots
        if shots:
            t = shots[0].t_intercept_s
            eng.due(t)
    assert len(fired) == 3
    assert eng.shooters.ids[fired[2].shooter] == "c"
    assert _status(fired[2]) == {"c": "chosen", "a": LIMIT_SHOTS, "b": LIMIT_SHOTS}
    assert [(a, j) for _, a, j, _ in eng.left_alone] == [(0, 0)]
    assert (
        "per-class limit reached: 3 interceptors fired at it, max_shots 3" in eng.left_alone[0][3]
    )

    sim = {"doctrine": {"drone": {"rounds_per_cycle": 1}}}
    sc = _scenario([_battery("a", channels=4), _battery("b", channels=4)], sim)
    shots = Engagements(sc, seed=2).assign(0.0, _pictures(3, [30e3, 31e3], [2, 2]),
                                           np.array([2, 2]), np.array([True, True]))  # fmt: skip
    assert sorted(s.shooter for s in shots) == [0, 1]
    assert _status(shots[1])[eng.shooters.ids[shots[0].shooter]] == LIMIT_ROUNDS


def test_same_salvo_status():
    sc = _scenario([_battery("a", channels=1), _battery("b", channels=1)],
                   {"doctrine": {"drone": {"salvo": 2}}})  # fmt: skip
    shots = Engagements(sc, seed=2).assign(0.0, _pictures(3, [30e3], [2]), np.array([2]),
                                           np.array([True]))  # fmt: skip
    assert _status(shots[0]) == {"a": "chosen", "b": "fires in the same salvo"}


# --------------------------------------------------------------------------------------------
# The rules on candidates
# --------------------------------------------------------------------------------------------


def _cand(rows):
    """rows: (shooter, threat, first, last, pk, cost_usd)."""
    cols = list(zip(*rows, strict=True))
    return Candidates(*(np.array(c, dtype=np.int64) for c in cols[:4]),
                      np.array(cols[4], dtype=float), np.array(cols[5], dtype=float))  # fmt: skip


def _limits(slots, budget=None, budget_left=None):
    n = len(slots)
    return PairLimits(np.array(slots), np.zeros(n, dtype=np.int64) if budget is None
                      else np.array(budget), np.array(budget_left or [NO_LIMIT]))  # fmt: skip


def test_optimal_salvo_positions_are_worth_less_each():
    """One shooter with two rounds, threats worth 10 and 4, pk 0.5 and no cost: with salvo 2
    both rounds go at the first (5 + 2.5 = 7.5 > 5 + 2), with salvo 1 one at each."""
    cand = _cand([(0, 0, 1, 9, 0.5, 0.0), (0, 1, 1, 9, 0.5, 0.0)])
    two, value = np.array([2]), np.array([10.0, 4.0])
    assert sorted(optimal_assign(cand, two, two, value, 0.0, _limits([2, 2]))) == [
        (0, 0, 1), (0, 0, 1)]  # fmt: skip
    assert sorted(optimal_assign(cand, two, two, value, 0.0, _limits([1, 1]))) == [
        (0, 0, 1), (0, 1, 1)]  # fmt: skip
    # worth 10 and 6: 5 + 3 beats 7.5
    assert sorted(optimal_assign(cand, two, two, np.array([10.0, 6.0]), 0.0,
                                 _limits([2, 2]))) == [(0, 0, 1), (0, 1, 1)]  # fmt: skip


@pytest.mark.parametrize("method", ["heuristic", "exact"])
def test_wta_units_beyond_the_salvo_go_elsewhere(method):
    """The static WTA puts all three rounds on the threat worth 100; salvo 1 keeps one there
    and the others go to the threats worth 1 and 2 (maximum marginal return)."""
    cand = _cand([(0, 0, 1, 9, 0.8, 0.0), (0, 1, 2, 9, 0.8, 0.0), (0, 2, 3, 9, 0.8, 0.0)])
    three = np.array([3])
    shots, _ = cycle_wta.wta_assign(cand, three, three, np.array([100.0, 1.0, 2.0]), method, 0,
                                    0.0, _limits([1, 1, 1]))  # fmt: skip
    assert sorted(shots) == [(0, 0, 1), (0, 1, 2), (0, 2, 3)]
    shots, _ = cycle_wta.wta_assign(cand, three, three, np.array([100.0, 1.0, 2.0]), method, 0,
                                    0.0, _limits([3, 3, 3]))  # fmt: skip
    assert sorted(shots) == [(0, 0, 1)] * 3


@pytest.mark.parametrize("rule", ["heuristic", "exact"])
def test_wta_rules_do_not_depend_on_the_clock(monkeypatch, rule):
    """Deterministic on any machine: the same cycle (30 threats, six batteries, drone salvo 2)
    gives the same shots when the local search's clock runs a second per reading, as on a
    machine far slower than this one. The exact rule proves the cycle and starts HiGHS from
    the heuristic rule's descent, not from solve_wta's time-limited search."""
    sc = _scenario([_battery(f"b{i}", NATIONS[i % 2], channels=3, magazine=6) for i in range(6)],
                   {"assignment": rule, "doctrine": {"drone": {"salvo": 2}}})  # fmt: skip
    east, cls = np.linspace(15e3, 45e3, 30), np.arange(30) % 3

    def shots():
        eng = Engagements(sc, seed=5)
        fired = eng.assign(0.0, _pictures(3, east, cls), cls, np.ones(30, dtype=bool))
        assert eng.unproven == 0
        return [(s.shooter, s.threat, s.t_intercept_s) for s in fired]

    calm = shots()
    assert len(calm) >= 10
    clock = itertools.count(0.0, 1.0)
    monkeypatch.setattr(wta_search, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    assert shots() == calm
    assert next(clock) > 0.0  # the search did read the fast clock


@st.composite
def cycles(draw):
    n_sh, n_th = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_sh - 1), st.integers(0, n_th - 1)),
                          min_size=1, max_size=16, unique=True))  # fmt: skip
    rows = [(s, j, draw(st.integers(0, 10)), 20, draw(st.floats(0.2, 1.0)),
             draw(st.sampled_from([5e4, 1e6, 3.5e6]))) for s, j in pairs]  # fmt: skip
    cls = [draw(st.integers(0, 2)) for _ in range(n_th)]
    slots = [draw(st.integers(1, 3)) for _ in pairs]
    budget_left = [draw(st.sampled_from([1, 2, NO_LIMIT])) for _ in range(n_sh * 3)]
    rounds = np.array(draw(st.lists(st.integers(0, 5), min_size=n_sh, max_size=n_sh)))
    free = np.array(draw(st.lists(st.integers(1, 5), min_size=n_sh, max_size=n_sh)))
    value = np.array(draw(st.lists(st.floats(0.1, 100.0), min_size=n_th, max_size=n_th)))
    return rows, cls, slots, budget_left, rounds, free, value


def _rule(name, cand, rounds, free, value, limits):
    if name == "greedy":
        return greedy_assign(cand, rounds, free, limits=limits)
    if name == "optimal":
        return optimal_assign(cand, rounds, free, value, limits=limits)
    return cycle_wta.wta_assign(cand, rounds, free, value, name, 0, limits=limits)[0]


@pytest.mark.parametrize("name", RULE_NAMES)
@settings(max_examples=30, deadline=None)
@given(problem=cycles())
def test_every_rule_keeps_the_doctrine_on_random_cycles(problem, name):
    """Only candidate pairs; per shooter at most min(rounds, free channels); per (shooter,
    class) at most its budget; per threat, the shots fit its salvo positions (sorted by the
    pairs' slots, the k-th has at least k)."""
    rows, cls, slots, budget_left, rounds, free, value = problem
    cand = _cand(rows)
    budget = [s * 3 + cls[j] for s, j, *_ in rows]
    limits = _limits(slots, budget, budget_left)
    shots = _rule(name, cand, rounds, free, value, limits)
    pair = {(r[0], r[1]): k for k, r in enumerate(rows)}
    used = np.bincount([s for s, _, _ in shots], minlength=rounds.size)
    assert np.all(used <= np.minimum(rounds, free))
    spent = np.bincount([budget[pair[(s, j)]] for s, j, _ in shots], minlength=len(budget_left))
    assert np.all(spent <= np.array(budget_left))
    for j in {j for _, j, _ in shots}:
        mine = sorted(slots[pair[(s, jj)]] for s, jj, _ in shots if jj == j)
        assert all(m >= k for k, m in enumerate(mine, start=1)), (j, mine)
    for s, j, k in shots:
        assert k == rows[pair[(s, j)]][2]
    event(f"{name}: {'salvo' if len(shots) > len({j for _, j, _ in shots}) else 'no salvo'}")


def test_default_limits_change_nothing():
    """One slot per pair and no budget: the rules give what they give without limits."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        rows = [(int(s), int(j), int(rng.integers(0, 9)), 20, float(rng.uniform(0.2, 1.0)),
                 1e6) for s in range(3) for j in range(5) if rng.random() < 0.6]  # fmt: skip
        if not rows:
            continue
        cand, rounds, free = _cand(rows), rng.integers(0, 4, 3), rng.integers(0, 4, 3)
        value = rng.uniform(1.0, 50.0, 5)
        lim = _limits([1] * len(rows), [0] * len(rows), [NO_LIMIT])
        assert greedy_assign(cand, rounds, free, limits=lim) == greedy_assign(cand, rounds, free)
        assert optimal_assign(cand, rounds, free, value, limits=lim) == optimal_assign(
            cand, rounds, free, value)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Invariants over random small scenarios, cycle after cycle
# --------------------------------------------------------------------------------------------


@st.composite
def defences(draw):
    n_bat = draw(st.integers(1, 3))
    bats = []
    for i in range(n_bat):
        kw = {}
        if draw(st.booleans()):
            kw["doctrine"] = {"drone": {"salvo": draw(st.integers(1, 3))}}
        bats.append(_battery(f"b{i}", NATIONS[draw(st.integers(0, 2))],
                             draw(st.sampled_from(["test-sam", "test-sam", "iron-dome"])),
                             draw(st.integers(0, 6)), channels=draw(st.integers(1, 3)),
                             **kw))  # fmt: skip
    doc = {}
    for c in ("ballistic", "cruise", "drone"):
        salvo = draw(st.integers(1, 3))
        doc[c] = {"salvo": salvo, "max_shots": draw(st.sampled_from([None, salvo, 4])),
                  "rounds_per_cycle": draw(st.sampled_from([None, 1, 2]))}  # fmt: skip
    auths = [{"nation": n, "classes": draw(st.lists(st.sampled_from(["ballistic", "cruise",
              "drone"]), min_size=1, max_size=3, unique=True))} for n in NATIONS[:2]]  # fmt: skip
    for a in auths:
        if draw(st.booleans()):
            a |= {"requires_invitation": True, "letters": {"request_s": 0.0,
                  "ack_s": float(draw(st.integers(0, 60)))}}  # fmt: skip
    n_th = draw(st.integers(1, 5))
    east = [draw(st.floats(15e3, 45e3)) for _ in range(n_th)]
    cls = [draw(st.integers(0, 2)) for _ in range(n_th)]
    return bats, {"doctrine": doc}, auths, east, cls


@pytest.mark.parametrize("rule", RULE_NAMES)
@settings(max_examples=25, deadline=None)
@given(case=defences(), seed=st.integers(0, 2**16))
def test_magazines_limits_look_and_authority_hold_cycle_after_cycle(case, seed, rule):
    """Eight decision cycles of 5 s with kills assessed as they come, under every rule: no
    battery fires beyond its magazine or channels; no threat takes more than its salvo in a
    cycle or its max_shots in all, nor a shot while one is in flight; no battery spends more
    than rounds_per_cycle on a class in a cycle; and no nation fires where its authority
    (class, letters) forbids it."""
    bats, sim, auths, east, cls = case
    sc = _scenario(bats, sim | {"assignment": rule}, auths)
    eng = Engagements(sc, seed=seed)
    n = len(east)
    pics, true_cls = _pictures(3, east, cls), np.array(cls)
    nat = sc.nation_index()
    auth = {a.nation: a for a in sc.authorities}
    doc = {b.id: b.doctrine for b in sc.batteries}
    open_, fired = np.ones(n, dtype=bool), np.zeros(n, dtype=int)
    flying: dict[int, float] = {}
    used = np.zeros(len(sc.batteries), dtype=int)
    for t in np.arange(0.0, 40.0, 5.0):
        for s in eng.due(t):
            open_[s.threat] &= not s.kill
        flying = {j: t_hit for j, t_hit in flying.items() if t_hit > t}
        shots = eng.assign(t, pics, true_cls, open_.copy())
        per_cycle: dict[tuple[int, int], int] = {}
        for s in shots:
            b = sc.batteries[s.shooter]
            c = ("ballistic", "cruise", "drone")[cls[s.threat]]
            a = auth.get(b.owner)
            assert a is not None and c in a.classes and t >= a.authorised_from_s  # authority
            assert nat[b.owner] == s.nation and s.threat not in flying  # look first
            per_cycle[(s.shooter, s.threat)] = per_cycle.get((s.shooter, s.threat), 0) + 1
            used[s.shooter] += 1
        for j in {s.threat for s in shots}:
            c = ("ballistic", "cruise", "drone")[cls[j]]
            base = getattr(sc.sim.doctrine, c)
            mine = [s for s in shots if s.threat == j]
            salvos = [_own(doc[sc.batteries[s.shooter].id], c, "salvo") or base.salvo
                      for s in mine]  # fmt: skip
            assert len(mine) <= max(salvos)
            assert all(v >= k for k, v in enumerate(sorted(salvos), start=1))
            fired[j] += len(mine)
            assert base.max_shots is None or fired[j] <= base.max_shots
            flying[j] = max(s.t_intercept_s for s in mine)
        for i in range(len(sc.batteries)):
            for c_i, c in enumerate(("ballistic", "cruise", "drone")):
                k = sum(1 for s in shots if s.shooter == i and cls[s.threat] == c_i)
                cap = getattr(sc.sim.doctrine, c).rounds_per_cycle
                assert cap is None or k <= cap
            assert sum(1 for s in shots if s.shooter == i) <= (sc.batteries[i].channels or 4)
    assert np.all(used <= [b.magazine for b in sc.batteries])
    assert np.all(eng.rounds >= 0)
    event(f"{sc.sim.assignment}: {'no shot' if used.sum() == 0 else 'shots'}")


def _own(override, c, field):
    part = None if override is None else getattr(override, c)
    return None if part is None else getattr(part, field)


# --------------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------------


def _fire_and_assessments(sc, seed=4):
    ev = sw.run(sc, seed=seed).events.to_pylist()
    done = {r["engagement_id"]: r["t_s"] for r in ev if r["event"] in ("intercept", "miss")}
    shots = [r for r in ev if r["event"] == "engage"]
    return ev, shots, done


def test_simulator_shoot_look_shoot_and_salvo_with_limit():
    """The tutorial, default doctrine: no threat is engaged while an earlier interceptor at it
    is unassessed. With ballistic salvo 2 and max_shots 3: ballistic threats take 2 rounds at
    once (the look rule between cycles still holds) and never more than 3 in all; drones
    keep shoot-look-shoot."""
    base = load_scenario("tutorial")
    for doctrine in ({}, {"ballistic": {"salvo": 2, "max_shots": 3}}):
        sim = base.sim.model_copy(update={"doctrine": type(base.sim.doctrine)(**doctrine)})
        _, shots, done = _fire_and_assessments(base.model_copy(update={"sim": sim}))
        by_threat: dict[str, list[dict]] = {}
        for r in shots:
            by_threat.setdefault(r["threat_id"], []).append(r)
        for rows in by_threat.values():
            times = sorted({r["t_s"] for r in rows})
            for t in times:
                now = [r for r in rows if r["t_s"] == t]
                before = [r for r in rows if r["t_s"] < t]
                assert all(done[r["engagement_id"]] <= t for r in before)  # looked first
                big = doctrine and now[0]["threat_class"] == "ballistic"
                assert len(now) <= (2 if big else 1)
            if doctrine and rows[0]["threat_class"] == "ballistic":
                assert len(rows) <= 3
        if doctrine:
            assert any(len([r for r in rows if r["t_s"] == rows[0]["t_s"]]) == 2
                       for rows in by_threat.values())  # fmt: skip


def test_explain_prints_doctrine_statuses_and_counts_them():
    """The candidates table of a shot lists the batteries held back by the per-class limit
    and its caption counts them per nation."""
    sim = {"doctrine": {"drone": {"max_shots": 1}}}
    own = {"drone": {"max_shots": 2}}
    sc = _scenario([_battery("a", channels=1), _battery("b", "USA", channels=1),
                    _battery("c", channels=1, doctrine=own)], sim)  # fmt: skip
    eng = Engagements(sc, seed=2)
    pics, cls, open_ = _pictures(3, [30e3], [2]), np.array([2]), np.array([True])
    first = eng.assign(0.0, pics, cls, open_)
    eng.due(first[0].t_intercept_s)
    (shot,) = eng.assign(first[0].t_intercept_s, pics, cls, open_)
    row = {"threat_id": "d-000", "threat_class": "drone", "t_s": shot.t_fire_s,
           "event": "engage", "nation": "ISR", "unit_id": "c", "engagement_id": 1,
           "source_nation": "ISR", "pk": shot.pk, "cost_usd": shot.cost_usd,
           "value_gain": shot.value_gain, "detail": "", "candidates": shot.candidates}  # fmt: skip
    _, table = story_tables([row])
    assert table.caption == "held by doctrine: 2 (ISR 1, USA 1)"
    assert {c["unit"]: c["status"] for c in json.loads(shot.candidates)} == {
        "a": LIMIT_SHOTS, "b": LIMIT_SHOTS, "c": "chosen"}  # fmt: skip
