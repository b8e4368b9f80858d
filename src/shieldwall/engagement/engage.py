"""Shots: assignment each decision cycle, interceptors in flight, kill draws.

The kill draw of a shot is made when it is fired, from the shooter's own random stream, and is
revealed at the intercept time (the simulator then records an intercept or a miss). Drawing at
fire time in fire order keeps every shooter's draws independent of the others' (common random
numbers across variants). Each round of a salvo is a shot of its own with its own draw; the
threat dies with the first that kills.

The fire doctrine (:mod:`~shieldwall.engagement.doctrine`) shapes each cycle's candidates: how
many rounds a threat may take now (salvo, and what ``max_shots`` leaves of its whole-flight
limit) and how many a shooter may spend on a class (``rounds_per_cycle``). A threat with an
interceptor in flight is not engaged again until every one of them is assessed (look).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from shieldwall.engagement.assign import Candidates, greedy_assign, optimal_assign, select
from shieldwall.engagement.authority import Rules
from shieldwall.engagement.cycle_rows import (
    Bounds,
    Pairs,
    Rows,
    cycle_paths,
    pair_candidates,
    pair_windows,
    squared_lengths,
)
from shieldwall.engagement.cycle_wta import wta_assign
from shieldwall.engagement.doctrine import PairLimits, doctrine_table, pair_slots
from shieldwall.engagement.evaluate import Assets, evaluate
from shieldwall.engagement.feasibility import LOOKAHEAD_S, STEP_S
from shieldwall.engagement.open_ground import decide_open_ground
from shieldwall.engagement.rows import airspace_where, made_up_velocity, within_reach
from shieldwall.engagement.shooters import shooters
from shieldwall.engagement.shot import VALUE_FLOOR, Shot, candidate_values  # noqa: F401
from shieldwall.engagement.stories import (  # noqa: F401  (RULES re-exported)
    RULES,
    Cycle,
    pairs_by_threat,
    stories,
)
from shieldwall.engagement.stories import Rules as StoryRules
from shieldwall.rng import stream
from shieldwall.scenario import THREAT_CLASSES, Scenario


class Engagements:
    """The coalition's shooters, their magazines and channels, and the shots in flight."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.shooters = shooters(scenario)
        self.rules = Rules(scenario, build_grid=self.shooters.n > 0)
        self.auth = self.rules.auth
        self.rounds = self.shooters.magazine.copy()
        self.busy = np.zeros(self.shooters.n, dtype=np.int64)
        self.rngs = [stream(seed, "shooter", i) for i in self.shooters.ids]
        self.in_flight: list[Shot] = []
        self.fired: list[Shot] = []
        self.slack_s = scenario.sim.decision_period_s + 2 * STEP_S
        self.assets = Assets.of(scenario)
        self.method = scenario.sim.assignment
        self.nation_ids = tuple(n.id for n in scenario.nations)
        self.cost_weight = scenario.sim.cost_weight_per_musd
        self.air_speed_limit_m_s = scenario.catalog.air_speed_limit_m_s()
        self.max_age_s = scenario.sim.engage_max_age_s
        self._firm_of: dict[int, np.ndarray] = {}  # per view of this cycle: see _firm
        # reserve policy, per shooter (batteries first, then patrols: see shooters())
        self.reserve = np.array([b.reserve for b in scenario.batteries]
                                + [0] * len(scenario.patrols), dtype=np.int64)  # fmt: skip
        self.doctrine = doctrine_table(scenario)
        names = tuple(self.nation_ids[a] for a in self.shooters.owner.tolist())
        self.story_rules = StoryRules(self.shooters, self.auth, self.reserve, self.doctrine, names)
        self.fired_at = np.zeros(0, dtype=np.int64)  # interceptors fired at each threat
        self.seed, self.solved, self.unproven = seed, 0, 0  # static WTA cycles (not proven)
        # (t_s, nation, threat, detail) of each nation's first decision to leave a threat alone
        # (open ground, or its doctrine's limit of shots at the threat reached)
        self.left_alone: list[tuple[float, int, int, str]] = []
        self._left: set[tuple[int, int]] = set()
        self._complete: dict[bytes, float] = {}  # see _leave_open_ground
        self._coasted: tuple | None = None  # see _leave_open_ground
        self._held: dict[tuple[int, int], tuple] = {}  # see decide_open_ground
        self._bounds: dict[float, Bounds] = {}  # per slack
        self._limited: set[tuple[int, int]] = set()
        # [authority, airspace] x nation x threat: a shooter of the nation had a window and a
        # track on the threat but the rules barred it (see declined())
        self.barred = np.zeros((2, len(scenario.nations), 0), dtype=bool)

    def pending(self) -> bool:
        return bool(self.in_flight)

    def due(self, t_s: float) -> list[Shot]:
        """Shots whose intercept time has come, in time order; frees their channels."""
        done = sorted(
            (s for s in self.in_flight if s.t_intercept_s <= t_s),
            key=lambda s: (s.t_intercept_s, s.engagement_id),
        )
        self.in_flight = [s for s in self.in_flight if s.t_intercept_s > t_s]
        for s in done:
            self.busy[s.shooter] -= 1
        return done

    def assign(
        self,
        t_s: float,
        pictures,
        true_class: np.ndarray,
        open_: np.ndarray,
        cycle_s: float | None = None,
    ) -> list[Shot]:
        """Fire this cycle's shots on the nations' per-threat views (``has_track``, ``x``,
        ``source``, estimated class ``cls``). ``open_`` marks threats not known dead. Planning
        uses each picture's class estimate; a shot's kill probability is that of its
        interceptor against the object it really meets (``true_class``). ``cycle_s``: time to
        the next decision (default ``sim.decision_period_s``), which sets how early a shot may
        be taken (see :func:`feasible_windows`)."""
        slack_s = self.slack_s if cycle_s is None else cycle_s + 2 * STEP_S
        if self.barred.shape[2] != open_.size:
            self.barred = np.zeros((2, len(pictures), open_.size), dtype=bool)
        if self.fired_at.size != open_.size:
            self.fired_at = np.zeros(open_.size, dtype=np.int64)
        todo, reach = self._todo(t_s, pictures, open_, slack_s)
        if not todo:  # no candidates, no shots: nothing to record
            return []
        if slack_s not in self._bounds:
            self._bounds[slack_s] = Bounds.of(self.shooters, slack_s)
        bounds = self._bounds[slack_s]
        rows = Rows.of(todo)
        every = cycle_paths(rows, bounds, self._coasted)
        p2 = squared_lengths(every.pos_ecef_m)
        pairs = Pairs.of(self.shooters, rows)
        window, alt = pair_windows(self.shooters, pairs, every, bounds, p2)
        if not window.any():  # no window: nothing barred, no candidates, no shots
            return []
        need = np.zeros(alt.shape, dtype=bool)  # airspace only where a window is
        k, step = np.nonzero(window)
        need.reshape(-1)[pairs.est[k] * need.shape[1] + step] = True
        space = airspace_where(self.rules, every, need)
        cand, limits, air_no, limited = self._candidates(t_s, rows, pairs, window, space)
        shots = self._within_reserve(self._choose(todo, cand, limits, open_.size), pictures)
        if not shots:
            return []
        defend_no = self._defend_no(t_s, len(pictures), open_.size, *reach)
        firm = np.stack([self._firm(t_s, p) for p in pictures])
        cy = Cycle.of(t_s, pictures, cand, self.rounds, self.busy, shots, air_no, limited,
                      defend_no, self.fired_at, self._left, self.shooters.n,
                      self.shooters.owner, firm)  # fmt: skip
        values = self._threat_values(pictures, shots)
        records = stories(self.story_rules, cy)
        fired = [self._fire(t_s, s, j, k, rows, (every, alt), pictures, true_class)
                 for s, j, k in shots]  # fmt: skip
        return [
            replace(f, value_gain=v * pk, candidates=c)
            for f, (v, pk), c in zip(fired, values, records, strict=True)
        ]

    def _within_reserve(self, shots: list, pictures) -> list:
        """``shots`` less those that would dip into a battery's reserve: its last ``reserve``
        rounds go only to tracks its nation's picture calls ballistic. The candidates already
        bar a shooter at its reserve; this also holds when a rule gives one shooter several
        rounds in a cycle (a salvo), kept in the rule's order."""
        left = self.rounds.copy()
        kept = []
        for s, j, k in shots:
            if left[s] <= self.reserve[s] and pictures[int(self.shooters.owner[s])].cls[j] != 0:
                continue
            left[s] -= 1
            kept.append((s, j, k))
        return kept

    def _choose(self, todo, cand: Candidates, limits: PairLimits, n: int):
        """The cycle's shots by the scenario's rule (``sim.assignment``)."""
        free = self.shooters.channels - self.busy
        if self.method == "greedy":
            return greedy_assign(cand, self.rounds, free, self.cost_weight, limits)
        value = candidate_values(todo, cand, n, self.assets)
        if self.method == "optimal":
            return optimal_assign(cand, self.rounds, free, value, self.cost_weight, limits)
        if cand.shooter.size == 0:
            return []
        seed = int(np.random.SeedSequence([self.seed, self.solved]).generate_state(1)[0])
        shots, proven = wta_assign(cand, self.rounds, free, value, self.method, seed,
                                   self.cost_weight, limits)  # fmt: skip
        self.solved += 1
        self.unproven += self.method == "exact" and not proven
        return shots

    def _todo(self, t_s: float, pictures, open_: np.ndarray, slack_s: float):
        """Per nation with ready shooters: ``(nation, picture, shooters, threats, allowed)``
        for its open, unengaged threats within reach on a track fit to fire on
        (:meth:`_firm`), less those it leaves alone in open ground and barred ones that none
        of its shooters could kill or that it has already declined (they add nothing to
        :meth:`declined`); ``allowed`` marks the threats rules 1-3 of
        :mod:`~shieldwall.engagement.authority` let it engage. Also the
        items within reach and their ``allowed``, before those cuts (for :meth:`_defend_no`).
        """
        sh = self.shooters
        free = open_.copy()
        if self.in_flight:  # not engaged again until assessed
            free[[s.threat for s in self.in_flight]] = False
        ready = (self.rounds > 0) & (self.busy < sh.channels)
        ready &= sh.from_s <= t_s
        ready &= sh.until_s >= t_s
        todo = []
        ready_at = ready.nonzero()[0]
        by_owner: dict[int, list[int]] = {}
        for s, a in zip(ready_at.tolist(), sh.owner[ready_at].tolist(), strict=True):
            by_owner.setdefault(a, []).append(s)
        self._firm_of = {}  # a twin's view is the same object
        tracked: dict[int, np.ndarray] = {}
        for a in sorted(by_owner):  # in nation order
            pic, ready_a = pictures[a], by_owner[a]
            m = tracked.get(id(pic))
            if m is None:
                m = tracked[id(pic)] = (self._firm(t_s, pic) & free).nonzero()[0]
            if m.size:
                todo.append((a, pic, np.array(ready_a, dtype=np.int64), m))
        todo = within_reach(self.shooters, todo)
        if not todo:  # nothing within reach: no candidates (the caller returns at once)
            return todo, None
        allowed = self.rules.authorised(t_s, todo, self.assets)
        left = self._leave_open_ground(t_s, todo, allowed, slack_s)
        kept = []
        for (a, pic, mine, m), ok, gone in zip(todo, allowed, left, strict=True):
            keep = ok
            if not ok.all():  # barred ones only if new to declined() and killable
                new = (sh.pk[mine] > 0.0).any(axis=0)[pic.cls[m]] & ~self.barred[0, a, m]
                keep = ok | new
            if gone.any():
                keep = keep & ~gone
            if keep.all():
                kept.append((a, pic, mine, m, ok))
            elif keep.any():
                kept.append((a, pic, mine, m[keep], ok[keep]))
        return kept, (todo, allowed)

    def _firm(self, t_s: float, pic) -> np.ndarray:
        """Bool ``(n,)``: the threats on which the per-threat view ``pic`` holds a track fit to
        fire on: seen within ``sim.engage_max_age_s`` (a missile that broke up leaves a track
        that coasts on; the view's ``seen_s``) and with a velocity that is not made up
        (:func:`~shieldwall.engagement.rows.made_up_velocity`). Once per view and cycle."""
        firm = self._firm_of.get(id(pic))
        if firm is None:
            firm = pic.has_track.copy()
            if pic.seen_s is not None:
                firm &= pic.seen_s >= t_s - self.max_age_s
            idx = firm.nonzero()[0]
            firm[idx[made_up_velocity(pic, idx, self.air_speed_limit_m_s)]] = False
            self._firm_of[id(pic)] = firm
        return firm

    def _defend_no(self, t_s: float, n_nations: int, n: int, todo, allowed) -> np.ndarray:
        """``(N, n)``: the threats of ``todo`` items that rules 1-2 let each nation engage
        but the defend rule (``allowed``: rules 1-3) bars (for the candidate records)."""
        defend_no = np.zeros((n_nations, n), dtype=bool)
        for (a, pic, _, m), ok in zip(todo, allowed, strict=True):
            defend_no[a, m] = ~ok & (self.auth.from_s[a] <= t_s) & self.auth.classes[a][pic.cls[m]]
        return defend_no

    def _candidates(self, t_s: float, rows: Rows, pairs: Pairs, window: np.ndarray, space):
        """The cycle's candidate (shooter, threat) pairs: the engagement ``window`` of every
        nation's ``pairs`` (:func:`~shieldwall.engagement.cycle_rows.pair_windows`; changed in
        place), less what its authority (``allowed``), its airspace and hosts' denials (rules
        4-5; ``space``: the airspace of the paths' points), its reserve policy and its
        doctrine's per-threat limit bar. Notes the threats each nation declined; returns the
        candidates, their :class:`~shieldwall.engagement.doctrine.PairLimits`, and the
        (threat, shooter) pairs barred by airspace alone and by the limit alone, sorted by
        threat."""
        s_of, r_of = pairs.shooter, pairs.row
        ok = rows.allowed[r_of]
        had = window.any(axis=1)
        member = None if space is None else (space[0][rows.inverse], space[1][rows.inverse])
        air = self.rules.airspace_ok_rows(rows.nation, t_s, member)
        if air is not None:
            window &= air[r_of]
        window &= ok[:, None]
        no_air = had & ok & ~window.any(axis=1)
        r = r_of[had & ~ok]
        self.barred[0, rows.nation[r], rows.threat[r]] = True
        r = r_of[no_air]
        self.barred[1, rows.nation[r], rows.threat[r]] = True
        air_no = pairs_by_threat([(rows.threat[r], s_of[no_air])])
        # reserve policy: a battery's last `reserve` rounds only for ballistic tracks
        held = (self.rounds[s_of] <= self.reserve[s_of]) & (rows.cls[r_of] != 0)
        window &= ~held[:, None]
        cand, r = pair_candidates(self.shooters, rows, pairs, window)
        c = rows.cls[r]
        slots = pair_slots(self.doctrine, cand.shooter, c, self.fired_at[cand.threat])
        ok = slots > 0
        if not ok.all():
            for k, a in enumerate(rows.item_nation):
                mine = rows.r_item[r] == k
                self._note_limit(t_s, a, select(cand, mine), c[mine], ok[mine])
        limits = PairLimits(slots[ok], cand.shooter[ok] * 3 + c[ok],
                            self.doctrine.rounds_per_cycle.reshape(-1).copy())  # fmt: skip
        limited = pairs_by_threat([(cand.threat[~ok], cand.shooter[~ok])])
        return select(cand, ok), limits, air_no, limited

    def _note_limit(self, t_s, a, cand: Candidates, c: np.ndarray, ok: np.ndarray) -> None:
        """Notes nation ``a``'s first decision to leave a threat alone because every shooter
        it has in reach has fired its doctrine's ``max_shots`` at it."""
        if ok.all():
            return
        done = np.setdiff1d(cand.threat[~ok], cand.threat[ok])
        for j in done.tolist():
            if (a, j) not in self._limited:
                self._limited.add((a, j))
                k = cand.threat == j
                cap = int(self.doctrine.max_shots[cand.shooter[k], c[k]].max())
                why = (f"per-class limit reached: {self.fired_at[j]} interceptors fired at it,"
                       f" max_shots {cap} for a {THREAT_CLASSES[c[k][0]]} threat")  # fmt: skip
                self.left_alone.append((t_s, a, j, why))

    def declined(self) -> dict[str, np.ndarray]:
        """Per nation: the number of distinct threats on which at least one of its shooters
        had an engagement window and a track, but was barred by ``authority`` (letters, class,
        defend) or by ``airspace`` (its authority's airspace, hosts' denials), so far."""
        counts = self.barred.sum(axis=2)
        return {"authority": counts[0], "airspace": counts[1]}

    def _threat_values(self, pictures, shots) -> list[tuple[float, float]]:
        """Per shot: the threat value in the firing nation's picture and the shot's planning
        pk (one :func:`evaluate` call for all of a cycle's shots)."""
        if not shots:
            return []
        sh = self.shooters
        views = [pictures[int(sh.owner[s])] for s, _, _ in shots]
        j = np.array([jj for _, jj, _ in shots])
        x = np.stack([v.x[jj] for v, jj in zip(views, j, strict=True)])
        P = np.stack([v.P[jj] for v, jj in zip(views, j, strict=True)])
        cls = np.array([v.cls[jj] for v, jj in zip(views, j, strict=True)])
        pk = [float(sh.pk[s, c]) for (s, _, _), c in zip(shots, cls, strict=True)]
        if self.assets.value.size == 0:
            return [(0.0, p) for p in pk]
        value = np.zeros(len(shots))
        miss = []
        for k in range(len(shots)):
            v = self._complete.get(x[k].tobytes() + P[k].tobytes()) if cls[k] == 0 else None
            if v is None:
                miss.append(k)
            else:
                value[k] = v
        if miss:
            value[miss] = evaluate(x[miss], P[miss], cls[miss], self.assets).value
        return list(zip(value.tolist(), pk, strict=True))

    def _leave_open_ground(
        self, t_s: float, todo: list, allowed: list, slack_s: float | None = None
    ) -> list[np.ndarray]:
        """Per ``todo`` item, bool over its threats: the ballistic tracks the nation may engage
        (``allowed``) and predicts to land in open ground (threat evaluation,
        :mod:`~shieldwall.engagement.evaluate`; each distinct estimate evaluated once, each
        decision held ``REDECIDE_S``: see :mod:`~shieldwall.engagement.open_ground`); notes
        each nation's first such decision per threat. Keeps this cycle's values of the
        estimates followed to the ground in full (time to go within the decision window) for
        :meth:`_threat_values`, and the ballistic look-ahead paths of ``todo``, integrated in
        the same steps as the fall (:func:`~shieldwall.engagement.rows.fall_with_paths`), for
        :func:`~shieldwall.engagement.cycle_rows.cycle_paths`."""
        slack_s = self.slack_s if slack_s is None else slack_s
        og = decide_open_ground(self.shooters, self.assets, todo, allowed, slack_s, t_s,
                                self._held)  # fmt: skip
        self._complete, self._coasted = og.complete, og.coasted
        for a, j, p in og.decided:
            if (a, j) not in self._left:
                self._left.add((a, j))
                why = f"predicted impact in open ground (largest hit probability {p:.3f})"
                self.left_alone.append((t_s, a, j, why))
        return og.alone

    def _fire(self, t_s, s, j, k, rows: Rows, paths, pictures, true_class) -> Shot:
        sh = self.shooters
        a = int(sh.owner[s])
        row = int(rows.inverse[rows.row_of(a, j)])
        paths, alt = paths
        lat, lon = paths.lat_lon((row, k))
        pk = float(sh.pk[s, true_class[j]])
        shot = Shot(
            engagement_id=len(self.fired),
            shooter=s,
            threat=j,
            nation=a,
            source_nation=int(pictures[a].source[j]),
            t_fire_s=t_s,
            t_intercept_s=t_s + LOOKAHEAD_S[k],
            kill=bool(self.rngs[s].random() < pk),
            pk=pk,
            cost_usd=float(sh.cost_usd[s]),
            lat_deg=float(lat),
            lon_deg=float(lon),
            alt_m=float(alt[row, k]),
        )
        self.rounds[s] -= 1
        self.busy[s] += 1
        self.fired_at[j] += 1
        self.in_flight.append(shot)
        self.fired.append(shot)
        return shot
