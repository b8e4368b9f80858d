"""Shots: assignment each decision cycle, interceptors in flight, kill draws.

The kill draw of a shot is made when it is fired, from the shooter's own random stream, and is
revealed at the intercept time (the simulator then records an intercept or a miss). Drawing at
fire time in fire order keeps every shooter's draws independent of the others' (common random
numbers across variants).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np

from shieldwall.engagement.assign import (
    MIN_PK,
    Candidates,
    candidates_from_windows,
    greedy_assign,
    optimal_assign,
)
from shieldwall.engagement.authority import Rules
from shieldwall.engagement.evaluate import LETHALITY, OPEN_GROUND_TTG_S, Assets, evaluate
from shieldwall.engagement.feasibility import (
    LOOKAHEAD_S,
    STEP_S,
    PredictedPaths,
    feasible_windows,
    predict_paths,
)
from shieldwall.engagement.shooters import shooters
from shieldwall.rng import stream
from shieldwall.scenario import Scenario

PATH_FIELDS = ("pos_ecef_m", "lat_deg", "lon_deg", "alt_m", "airborne")
VALUE_FLOOR = 1.0  # optimal assignment: the least value of a threat, times its lethality
# a shot's candidate statuses, in the order the rules are tried (the last one: none applied)
RULES = np.array([
    "chosen", "pk below doctrine minimum", "fires at another threat", "lower score",
    "cannot kill this class", "not on station", "magazine empty", "all channels busy",
    "no authority yet (letters)", "no track", "no authority for this class",
    "no authority to defend this asset's owner", "left alone (open ground)",
    "rounds kept in reserve for ballistic missiles",
    "no airspace (its only windows lie where it may not fire)",
    "no engagement window (range, altitude or timing)",
])  # fmt: skip
G_M_S2, R_EQUATOR_M = 9.81, 6_378_137.0  # for a lower bound of a fall time: height understated


@dataclass(frozen=True, slots=True)
class Shot:
    engagement_id: int
    shooter: int
    threat: int
    nation: int
    source_nation: int
    t_fire_s: float
    t_intercept_s: float
    kill: bool
    pk: float
    cost_usd: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    value_gain: float = float("nan")  # pk x the threat value in the firing nation's picture
    candidates: str = "[]"  # JSON: every shooter, and why it was or was not chosen


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
        # reserve policy, per shooter (batteries first, then patrols: see shooters())
        self.reserve = np.array([b.reserve for b in scenario.batteries]
                                + [0] * len(scenario.patrols), dtype=np.int64)  # fmt: skip
        # (t_s, nation, threat, detail) of each nation's first decision to leave a threat alone
        self.left_alone: list[tuple[float, int, int, str]] = []
        self._left: set[tuple[int, int]] = set()
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
        todo, defend_no = self._todo(t_s, pictures, open_)
        parts, paths_by_nation, air_no = [], {}, []
        for item, (paths, member) in zip(todo, self._paths(todo), strict=True):
            a, pic, _, m, _ = item
            part, no_air = self._nation_candidates(t_s, item, paths, member, slack_s)
            parts.append(part)
            air_no.append(no_air)
            paths_by_nation[a] = (m, paths, pic.source)
        sh = self.shooters
        cand = Candidates.concat(parts)
        if self.method == "optimal":
            value = self._candidate_values(todo, cand, open_.size)
            shots = optimal_assign(
                cand, self.rounds, sh.channels - self.busy, value, self.cost_weight
            )
        else:
            shots = greedy_assign(cand, self.rounds, sh.channels - self.busy, self.cost_weight)
        ctx = (t_s, pictures, _Indexed.of(cand), self.rounds.copy(), self.busy.copy(), shots,
               _pairs_by_threat(air_no), defend_no)  # fmt: skip
        values = self._threat_values(pictures, shots)
        stories = [self._story(ctx, s, j) for s, j, _ in shots]
        fired = [self._fire(t_s, s, j, k, paths_by_nation, true_class) for s, j, k in shots]
        return [
            replace(f, value_gain=v * pk, candidates=c)
            for f, (v, pk), c in zip(fired, values, stories, strict=True)
        ]

    def _todo(self, t_s: float, pictures, open_: np.ndarray):
        """Per nation with ready shooters: ``(nation, picture, shooters, threats, allowed)``
        for its tracked, open, unengaged threats within reach, less those it leaves alone in
        open ground and barred ones that none of its shooters could kill or that it has
        already declined (they add nothing to :meth:`declined`); ``allowed`` marks the
        threats rules 1-3 of :mod:`~shieldwall.engagement.authority` let it engage. Also
        ``defend_no`` ``(N, n)``: threats barred by the defend rule alone (for the candidate
        records)."""
        sh = self.shooters
        engaged = np.zeros(open_.size, dtype=bool)
        engaged[[s.threat for s in self.in_flight]] = True
        ready = (
            (self.rounds > 0) & (self.busy < sh.channels) & (sh.from_s <= t_s) & (t_s <= sh.until_s)
        )
        todo = []
        for a, pic in enumerate(pictures):
            mine = np.flatnonzero(ready & (sh.owner == a))
            m = np.flatnonzero(pic.has_track & open_ & ~engaged)
            m = m[self._within_reach(mine, pic.x[m])]
            if mine.size and m.size:
                todo.append((a, pic, mine, m))
        allowed = self.rules.authorised(t_s, todo, self.assets)
        defend_no = np.zeros((len(pictures), open_.size), dtype=bool)
        for (a, pic, _, m), ok in zip(todo, allowed, strict=True):
            defend_no[a, m] = ~ok & (self.auth.from_s[a] <= t_s) & self.auth.classes[a][pic.cls[m]]
        left = self._leave_open_ground(t_s, todo, allowed)
        kept = []
        for (a, pic, mine, m), ok, gone in zip(todo, allowed, left, strict=True):
            new = (sh.pk[mine][:, pic.cls[m]] > 0.0).any(axis=0) & ~self.barred[0, a, m]
            keep = ~gone & (ok | new)
            if keep.any():
                kept.append((a, pic, mine, m[keep], ok[keep]))
        return kept, defend_no

    def _nation_candidates(self, t_s, item, paths, member, slack_s):
        """One nation's candidate (shooter, threat) pairs: engagement windows, less what its
        authority (``allowed``), its airspace and hosts' denials (rules 4-5) and its reserve
        policy bar. Notes the threats it declined; returns the candidates and the (threat,
        shooter) pairs barred by airspace alone."""
        a, pic, mine, m, ok = item
        sh = self.shooters
        cls = pic.cls[m]
        window = feasible_windows(sh, mine, paths, cls, slack_s)
        had = window.any(axis=2)
        air = self.rules.airspace_ok(a, t_s, member)
        if air is not None:
            window &= air[None]
        window &= ok[None, :, None]
        no_air = had & ok[None] & ~window.any(axis=2)
        self.barred[0, a, m[(had & ~ok[None]).any(axis=0)]] = True
        self.barred[1, a, m[no_air.any(axis=0)]] = True
        s_no, j_no = np.nonzero(no_air)
        # reserve policy: a battery's last `reserve` rounds only for ballistic tracks
        held = (self.rounds[mine] <= self.reserve[mine])[:, None] & (cls != 0)[None]
        window &= ~held[:, :, None]
        cand = candidates_from_windows(mine, m, window, sh.pk[mine][:, cls], sh.cost_usd[mine])
        return cand, (m[j_no], mine[s_no])

    def declined(self) -> dict[str, np.ndarray]:
        """Per nation: the number of distinct threats on which at least one of its shooters
        had an engagement window and a track, but was barred by ``authority`` (letters, class,
        defend) or by ``airspace`` (its authority's airspace, hosts' denials), so far."""
        counts = self.barred.sum(axis=2)
        return {"authority": counts[0], "airspace": counts[1]}

    def _candidate_values(self, todo, cand: Candidates, n: int) -> np.ndarray:
        """Per threat index: its value in the picture of the first nation that may shoot at
        it, at least ``VALUE_FLOOR`` x its class lethality (a threat whose straight course
        misses every asset still flies; drones turn at waypoints)."""
        value = np.zeros(n)
        done = np.zeros(n, dtype=bool)
        for _, pic, _, m, ok in todo:
            m = m[ok]
            j = np.intersect1d(m[~done[m]], cand.threat)
            if j.size == 0:
                continue
            floor = VALUE_FLOOR * LETHALITY[pic.cls[j]]
            if self.assets.value.size:
                ev = evaluate(pic.x[j], pic.P[j], pic.cls[j], self.assets)
                value[j] = np.maximum(ev.value, floor)
            else:
                value[j] = floor
            done[j] = True
        return value

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
        value = evaluate(x, P, cls, self.assets).value
        return list(zip(value.tolist(), pk, strict=True))

    def _story(self, ctx, chosen: int, j: int) -> str:
        """Why shooter ``chosen`` fires at threat ``j``: every shooter's status (chosen,
        feasible, or the first rule that excluded it, in the order of :data:`RULES`), as JSON.
        Vectorised over shooters."""
        t_s, pictures, cand, rounds, busy, shots, no_airspace, defend_no = ctx
        sh = self.shooters
        lo, hi = np.searchsorted(cand.threat[cand.by_threat], [j, j + 1])
        rows_j = cand.by_threat[lo:hi]
        feasible = np.zeros(sh.n, dtype=bool)
        feasible[cand.shooter[rows_j]] = True
        pk_feasible = np.zeros(sh.n)
        pk_feasible[cand.shooter[rows_j]] = cand.pk[rows_j]
        taken = np.zeros(sh.n, dtype=bool)
        taken[[s for s, jj, _ in shots if jj != j]] = True
        owner = sh.owner
        has = np.array([p.has_track[j] for p in pictures])[owner]
        cls_n = np.array([p.cls[j] for p in pictures])[owner]
        cls_j = pictures[int(owner[chosen])].cls[j]  # as the firing nation classifies it
        left = np.array([(a, j) in self._left for a in range(len(pictures))])[owner]
        barred = np.zeros(sh.n, dtype=bool)
        air_j, air_s = no_airspace
        lo_a, hi_a = np.searchsorted(air_j, [j, j + 1])
        barred[air_s[lo_a:hi_a]] = True
        idx = np.arange(sh.n)
        conditions = [
            idx == chosen,
            feasible & (pk_feasible < MIN_PK),
            feasible & taken,
            feasible,
            sh.pk[:, cls_j] <= 0.0,
            ~((sh.from_s <= t_s) & (t_s <= sh.until_s)),
            rounds <= 0,
            busy >= sh.channels,
            self.auth.from_s[owner] > t_s,
            ~has,
            ~self.auth.classes[owner, cls_n],
            defend_no[owner, j],
            left,
            (rounds <= self.reserve) & (cls_n != 0),
            barred,
        ]
        status = np.select(conditions, RULES[: len(conditions)], RULES[-1])
        pk = np.round(sh.pk[:, cls_j], 3)
        names = [self.nation_ids[a] for a in owner.tolist()]
        rows = zip(sh.ids, names, status.tolist(), pk.tolist(), strict=True)
        return json.dumps([{"unit": u, "nation": a, "status": st, "pk": p} for u, a, st, p in rows])

    def _leave_open_ground(self, t_s: float, todo: list, allowed: list) -> list[np.ndarray]:
        """Per ``todo`` item, bool over its threats: the ballistic tracks the nation may engage
        (``allowed``) and predicts to land in open ground (threat evaluation,
        :mod:`~shieldwall.engagement.evaluate`; each distinct estimate evaluated once); notes
        each nation's first such decision per threat."""
        out = [np.zeros(m.size, dtype=bool) for *_, m in todo]
        rows = [(k, np.flatnonzero(allowed[k] & (pic.cls[m] == 0) & _may_land_soon(pic.x[m])))
                for k, (_, pic, _, m) in enumerate(todo)]  # fmt: skip
        rows = [(k, r) for k, r in rows if r.size]
        if not rows or self.assets.value.size == 0:
            return out
        x = np.concatenate([todo[k][1].x[todo[k][3][r]] for k, r in rows])
        P = np.concatenate([todo[k][1].P[todo[k][3][r]] for k, r in rows])
        _, first, inverse = np.unique(x, axis=0, return_index=True, return_inverse=True)
        ev = evaluate(x[first], P[first], np.zeros(first.size, dtype=np.int64), self.assets)
        alone = ev.open_ground[inverse.reshape(-1)]
        best = ev.p_hit.max(axis=1, initial=0.0)[inverse.reshape(-1)]
        start = 0
        for k, r in rows:
            a, _, _, m = todo[k]
            mask = alone[start : start + r.size]
            for j, p in zip(m[r[mask]].tolist(), best[start : start + r.size][mask].tolist(),
                            strict=True):  # fmt: skip
                if (a, j) not in self._left:
                    self._left.add((a, j))
                    why = f"predicted impact in open ground (largest hit probability {p:.3f})"
                    self.left_alone.append((t_s, a, j, why))
            start += r.size
            out[k][r[mask]] = True
        return out

    def _within_reach(self, mine: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Threats (states ``x``) that could enter some shooter's range within the look-ahead:
        a cheap bound that spares the full window computation for far-away threats."""
        sh = self.shooters
        d = np.linalg.norm(x[None, :, :3] - sh.pos_ecef_m[mine][:, None], axis=-1)
        travel = np.linalg.norm(x[:, 3:], axis=-1) * LOOKAHEAD_S[-1]
        return (d <= sh.max_range_m[mine][:, None] + travel[None] + 10e3).any(axis=0)

    def _paths(self, todo) -> list[tuple[PredictedPaths, tuple | None]]:
        """Predicted paths for every nation's candidate threats and the airspace of each
        predicted point (None when nothing restricts airspace), each distinct estimate
        predicted and looked up once: partners that hold the same fused estimate of a threat
        share its path."""
        if not todo:
            return []
        x = np.concatenate([pic.x[m] for _, pic, _, m, _ in todo])
        ballistic = np.concatenate([pic.cls[m] == 0 for _, pic, _, m, _ in todo])
        rows = np.concatenate([x, ballistic[:, None]], axis=1)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        paths = predict_paths(x[first], ballistic[first])
        member = self.rules.membership(paths.lat_deg, paths.lon_deg)
        inverse = inverse.reshape(-1)
        out, start = [], 0
        for _, _, _, m, _ in todo:
            idx = inverse[start : start + m.size]
            start += m.size
            out.append((PredictedPaths(*(getattr(paths, f)[idx] for f in PATH_FIELDS)),
                        None if member is None else (member[0][idx], member[1][idx])))  # fmt: skip
        return out

    def _fire(self, t_s, s, j, k, paths_by_nation, true_class) -> Shot:
        sh = self.shooters
        a = int(sh.owner[s])
        m, paths, source = paths_by_nation[a]
        row = int(np.flatnonzero(m == j)[0])
        pk = float(sh.pk[s, true_class[j]])
        shot = Shot(
            engagement_id=len(self.fired),
            shooter=s,
            threat=j,
            nation=a,
            source_nation=int(source[j]),
            t_fire_s=t_s,
            t_intercept_s=t_s + LOOKAHEAD_S[k],
            kill=bool(self.rngs[s].random() < pk),
            pk=pk,
            cost_usd=float(sh.cost_usd[s]),
            lat_deg=float(paths.lat_deg[row, k]),
            lon_deg=float(paths.lon_deg[row, k]),
            alt_m=float(paths.alt_m[row, k]),
        )
        self.rounds[s] -= 1
        self.busy[s] += 1
        self.in_flight.append(shot)
        self.fired.append(shot)
        return shot


def _pairs_by_threat(pairs: list[tuple[np.ndarray, np.ndarray]]):
    """(threat, shooter) pairs of all nations, concatenated and sorted by threat."""
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    j, s = (np.concatenate(c) for c in zip(*pairs, strict=True))
    order = np.argsort(j, kind="stable")
    return j[order], s[order]


def _may_land_soon(x: np.ndarray) -> np.ndarray:
    """Tracks that may come down within the open-ground decision window: descending, with the
    vacuum fall time from their height at their sink rate under 9.81 m/s^2 (a lower bound on
    the real one: gravity is weaker aloft and drag slows the fall) inside it."""
    r = np.linalg.norm(x[:, :3], axis=1)
    sink = -np.einsum("ij,ij->i", x[:, :3], x[:, 3:]) / r
    h = np.maximum(r - R_EQUATOR_M, 0.0)
    t_min = (-sink + np.sqrt(sink * sink + 2.0 * G_M_S2 * h)) / G_M_S2
    return (sink > 0.0) & (t_min <= OPEN_GROUND_TTG_S[1])


@dataclass(frozen=True, slots=True)
class _Indexed:
    """A cycle's candidates with the order that groups them by threat (for the stories)."""

    shooter: np.ndarray
    threat: np.ndarray
    pk: np.ndarray
    by_threat: np.ndarray

    @staticmethod
    def of(cand: Candidates) -> _Indexed:
        order = np.argsort(cand.threat, kind="stable")
        return _Indexed(cand.shooter, cand.threat, cand.pk, order)
