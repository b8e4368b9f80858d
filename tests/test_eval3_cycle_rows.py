"""The one-pass cycle helpers of :mod:`shieldwall.engagement.cycle_rows` against the per-nation
reference code they replace, bit for bit: engagement windows and candidates
(:func:`feasible_windows`, :func:`candidates_from_windows`), predicted paths
(:func:`predict_paths`), ballistic window steps (:func:`window_steps`) and airspace rules
(:meth:`Rules.airspace_ok`), on random threats around the april-2024 shooters."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from shieldwall.engagement.assign import astuple, candidates_from_windows
from shieldwall.engagement.authority import Rules
from shieldwall.engagement.coast import length
from shieldwall.engagement.cycle_rows import (
    Bounds,
    Pairs,
    Rows,
    cycle_paths,
    pair_candidates,
    pair_windows,
    squared_lengths,
)
from shieldwall.engagement.feasibility import (
    LOOKAHEAD_S,
    STEP_S,
    PredictedPaths,
    feasible_windows,
    predict_paths,
    window_bounds,
    window_steps,
)
from shieldwall.engagement.shooters import shooters
from shieldwall.geo import geodetic_to_ecef
from shieldwall.scenario import load_scenario

SLACK_S = 5.0 + 2 * STEP_S


@pytest.fixture(scope="module")
def april():
    sc = load_scenario("april-2024")
    return sc, shooters(sc)


def _picture(rng, sh, n: int):
    """``n`` threats within a few hundred km of random shooters: drones, cruise missiles and
    ballistic ones (high, fast, descending)."""
    at = rng.integers(0, sh.n, n)
    cls = rng.integers(0, 3, n)
    alt = np.where(cls == 0, rng.uniform(20e3, 200e3, n), rng.uniform(50.0, 3e3, n))
    pos = geodetic_to_ecef(sh.lat_deg[at] + rng.uniform(-2, 2, n),
                           sh.lon_deg[at] + rng.uniform(-2, 2, n), alt)  # fmt: skip
    up = pos / np.linalg.norm(pos, axis=1, keepdims=True)
    speed = np.where(cls == 0, 2000.0, np.where(cls == 1, 250.0, 50.0))
    v = rng.normal(size=(n, 3))
    v -= (v * up).sum(axis=1, keepdims=True) * up  # level
    v *= (speed / np.linalg.norm(v, axis=1))[:, None]
    v -= np.where(cls == 0, 1500.0, 0.0)[:, None] * up  # ballistic: descending
    return SimpleNamespace(x=np.concatenate([pos, v], axis=1), cls=cls)


def _todo(rng, sc, sh):
    """Items ``(nation, picture, shooters, threats, allowed)``; twins share a picture."""
    shared = _picture(rng, sh, 12)
    todo = []
    for a in range(len(sc.nations)):
        mine = np.flatnonzero(sh.owner == a)
        mine = mine[rng.random(mine.size) < 0.8]
        if mine.size == 0 or rng.random() < 0.2:
            continue
        pic = shared if rng.random() < 0.5 else _picture(rng, sh, 12)
        m = np.flatnonzero(rng.random(12) < 0.6)
        if m.size:
            todo.append((a, pic, mine, m, rng.random(m.size) < 0.8))
    return todo


@pytest.mark.parametrize("seed", range(8))
def test_pairs_equal_the_per_nation_windows_and_candidates(april, seed):
    sc, sh = april
    rng = np.random.default_rng(seed)
    todo = _todo(rng, sc, sh)
    if not todo:
        return
    bounds = Bounds.of(sh, SLACK_S)
    rows = Rows.of(todo)
    paths = cycle_paths(rows, bounds)
    p2 = np.einsum("mlk,mlk->ml", paths.pos_ecef_m, paths.pos_ecef_m)
    pairs = Pairs.of(sh, rows)
    window, alt = pair_windows(sh, pairs, paths, bounds, p2)
    cand, r = pair_candidates(sh, rows, pairs, window)
    mine_all = np.concatenate([s for _, _, s, _, _ in todo])
    assert bounds.window_steps(mine_all) == window_steps(sh, mine_all, 0, SLACK_S)
    ref_bounds = window_bounds(sh, SLACK_S)
    # the reference: every distinct estimate predicted together (ballistic ones stop together)
    every = predict_paths(rows.x, rows.ballistic, window_steps(sh, mine_all, 0, SLACK_S))
    parts, start = [], 0
    for _, pic, mine, m, _ in todo:
        est = rows.inverse[start : start + m.size]
        start += m.size
        ref = PredictedPaths(*(getattr(every, f)[est] for f in PredictedPaths.__slots__))
        w = feasible_windows(sh, mine, ref, pic.cls[m], SLACK_S, ref_bounds)
        # the cycle's paths: the same positions; heights and latitudes where they are known
        assert np.array_equal(paths.pos_ecef_m[est], ref.pos_ecef_m)
        if alt is not None:
            known = ~np.isnan(alt[est])
            assert np.array_equal(alt[est][known], ref.alt_m[known])
        lat, lon = paths.lat_lon(est)
        assert np.array_equal(lat, ref.lat_deg) and np.array_equal(lon, ref.lon_deg)
        # this item's pairs, in its (s, m) order
        sel = rows.r_item[pairs.row] == len(parts)
        full = np.zeros((mine.size, m.size, LOOKAHEAD_S.size), dtype=bool)
        s_pos = np.searchsorted(mine, pairs.shooter[sel])
        full[s_pos, pairs.row[sel] - (start - m.size)] = window[sel]
        assert np.array_equal(full, w)
        parts.append(candidates_from_windows(mine, m, w, sh.pk[mine][:, pic.cls[m]],
                                             sh.cost_usd[mine]))  # fmt: skip
    ref_cand = [np.concatenate(c) for c in zip(*(astuple(p) for p in parts), strict=True)]
    for got, want in zip(astuple(cand), ref_cand, strict=True):
        assert np.array_equal(got, want)
    assert np.array_equal(rows.threat[r], cand.threat)


def test_airspace_rows_equal_each_nations_rules(april):
    sc, _ = april
    rules = Rules(sc)
    if rules.grid is None:
        pytest.skip("no airspace restriction in april-2024")
    rng = np.random.default_rng(3)
    r = sc.region
    lat = rng.uniform(r.lat_min - 1, r.lat_max + 1, (9, LOOKAHEAD_S.size))
    lon = rng.uniform(r.lon_min - 1, r.lon_max + 1, (9, LOOKAHEAD_S.size))
    member = rules.membership(lat, lon)
    nation = rng.integers(0, len(sc.nations), 9)
    for t_s in (0.0, 3000.0, 20000.0):
        got = rules.airspace_ok_rows(nation, t_s, member)
        for k, a in enumerate(nation.tolist()):
            one = (member[0][k : k + 1], member[1][k : k + 1])
            assert np.array_equal(got[k], rules.airspace_ok(a, t_s, one)[0])


def test_length_of_three_components_equals_the_reduction():
    """``length`` sums three squares in two adds; ``np.linalg.norm`` (``add.reduce``) sums
    them in the same order: equal bits, on any scale and shape."""
    rng = np.random.default_rng(5)
    for _ in range(300):
        shape = (int(rng.integers(1, 30)), int(rng.integers(1, 130)), 3)
        a = rng.normal(size=shape) * 10 ** rng.uniform(-3, 7)
        assert np.array_equal(length(a), np.linalg.norm(a, axis=-1))
        assert np.array_equal(length(a[:, 0]), np.linalg.norm(a[:, 0], axis=-1))


def test_squared_lengths_and_pair_dot_products_round_as_einsum():
    """The explicit sums of :func:`squared_lengths` and :func:`pair_windows` equal
    ``np.einsum`` (which ``feasible_windows`` uses) bit for bit, whatever the shapes."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        n, L, s = int(rng.integers(1, 12)), int(rng.choice([1, 2, 5, 120])), int(rng.integers(1, 9))
        p = rng.normal(size=(n, L, 3)) * 6.4e6
        q = rng.normal(size=(s, 3)) * 6.4e6
        assert np.array_equal(squared_lengths(p), np.einsum("mlk,mlk->ml", p, p))
        pq = p[None] * q[:, None, None]
        dot = pq[..., 0] + pq[..., 2]
        dot += pq[..., 1]
        assert np.array_equal(dot, np.einsum("mlk,sk->sml", p, q))
