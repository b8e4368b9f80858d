"""The run summary: what leaked, what it cost, who fired what (the ``summary.json`` contents)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np

from shieldwall._version import __version__
from shieldwall.engagement.shooters import layers
from shieldwall.scenario import THREAT_CLASSES
from shieldwall.sim.engine import SimResult
from shieldwall.sim.outcome import ALIVE, FAILED, INTERCEPTED, LEAKED
from shieldwall.sim.pictures import COALITION, picture_commonality, picture_siap

FATES = (("intercepted", INTERCEPTED), ("leaked", LEAKED), ("failed", FAILED))


def _fates(state: np.ndarray) -> dict[str, int]:
    """Counts of the launched threats ``state`` by fate; ``in_flight``: still up when the run
    stopped (only a run cut short by ``sim.end_s``)."""
    out = {"launched": int(state.size)}
    out.update({name: int(np.sum(state == code)) for name, code in FATES})
    out["in_flight"] = int(np.sum(state == ALIVE))
    return out


def launched(result: SimResult) -> np.ndarray:
    """Bool per threat: launched by the end of the run (a ``sim.end_s`` before a salvo's
    window leaves its later threats on the ground: they are neither counted nor costed)."""
    end = result.scenario.sim.end_s
    t0 = result.truth.t0_s
    return np.ones(t0.size, dtype=bool) if end is None else t0 <= end


def summarize(result: SimResult) -> dict:
    """A JSON-ready summary. No wall-clock time or file path goes in, so the same scenario and
    seed give a byte-identical file."""
    sc, th = result.scenario, result.truth.threats
    up = launched(result)
    state = result.outcome.state[up]
    threats = _fates(state)
    threats["by_class"] = {
        c: _fates(state[th.class_code[up] == k]) for k, c in enumerate(THREAT_CLASSES)
    }
    accounted = sum(threats[k] for k in ("intercepted", "leaked", "failed", "in_flight"))
    hits = np.bincount(
        result.outcome.hit_asset[result.outcome.hit_asset >= 0], minlength=len(sc.assets)
    )
    assets = {
        a.id: {
            "hits": int(hits[i]),
            "owner": a.owner,
            "value": a.value,
            "value_hit": float(hits[i] > 0) * a.value,
        }
        for i, a in enumerate(sc.assets)
    }
    attack_cost = float(np.sum(th.cost_usd[up]))
    inter = _interceptors(result)
    return {
        "scenario": sc.name,
        "seed": result.seed,
        "shieldwall_version": __version__,
        "notional": True,
        "threats": threats,
        "accounting": {
            "balanced": accounted == threats["launched"],
            "rule": "launched = intercepted + leaked + failed + in_flight",
        },
        "assets": assets,
        "interceptors": inter,
        "declined": _declined(result),
        "sharing": _sharing(result),
        "attack": {"cost_usd": attack_cost},
        "sensors": {"false_alarms": dict(sorted(result.false_alarms.items()))},
        "siap": _siap(result),
        "commonality": _commonality(result),
        "cost_exchange_ratio": inter["cost_usd"] / attack_cost if attack_cost > 0 else None,
    }


def _sharing(result: SimResult) -> dict:
    """Per agreement: items that crossed (one per item, receiver and decision cycle: the
    ``audit.parquet`` rows), by kind, and the distinct objects its tracks carried."""
    c = result.audit.columns()
    out = {}
    for k, ag in enumerate(result.scenario.agreements):
        m = c["agreement"] == k
        tracks = m & (c["kind"] == 0)
        objects = np.unique(c["threat"][tracks & (c["threat"] >= 0)])
        out[ag.id] = {
            "crossings": int(m.sum()),
            "track_crossings": int(tracks.sum()),
            "launch_warnings": int((m & (c["kind"] == 1)).sum()),
            "threats_carried": int(objects.size),
        }
    return out


def _interceptors(result: SimResult) -> dict:
    sc, eng = result.scenario, result.engagements
    by = defaultdict(lambda: defaultdict(lambda: {"fired": 0, "cost_usd": 0.0}))
    layer = layers(eng.shooters, sc.catalog)
    by_layer = {k: {"fired": 0, "cost_usd": 0.0, "kills": 0} for k in ("upper", "lower", "air")}
    killed = set(result.events.kills())
    remote = 0
    for shot in eng.fired:
        row = by[sc.nations[shot.nation].id][eng.shooters.type_ids[shot.shooter]]
        row["fired"] += 1
        row["cost_usd"] += shot.cost_usd
        lay = by_layer[layer[shot.shooter]]
        lay["fired"] += 1
        lay["cost_usd"] += shot.cost_usd
        lay["kills"] += shot.engagement_id in killed
        remote += shot.source_nation != shot.nation
    kills = int(np.sum(result.outcome.state == INTERCEPTED))
    return {
        "fired": len(eng.fired),
        "cost_usd": float(sum(s.cost_usd for s in eng.fired)),
        "kills": kills,
        "launch_on_remote": int(remote),
        "by_nation": {
            n: {t: dict(v) for t, v in sorted(types.items())} for n, types in sorted(by.items())
        },
        "by_layer": by_layer,
    }


def _declined(result: SimResult) -> dict:
    """Per nation: the distinct threats on which at least one of its shooters (ready: rounds,
    a free channel, on station) had an engagement window and a track but was barred by
    ``authority`` (letters, threat class, whose assets it may defend) or by ``airspace`` (its
    authority's airspace or a host's denial at the intercept point); see
    :meth:`~shieldwall.engagement.Engagements.declined`."""
    counts = result.engagements.declined()
    return {
        n.id: {k: int(counts[k][i]) for k in ("authority", "airspace")}
        for i, n in enumerate(result.scenario.nations)
    }


def _siap(result: SimResult) -> dict:
    """The SIAP measures of each nation's picture and of the coalition's (everything every node
    holds, fused without delay: the analyst's view) (:mod:`shieldwall.sim.pictures`),
    JSON-ready."""
    names = [n.id for n in result.scenario.nations] + [COALITION]
    res = picture_siap(result.pictures.arrays(), len(names))
    return {
        name: {
            k: (int(v) if isinstance(v, int | np.integer) else float(v))
            for k, v in dataclasses.asdict(r).items()
        }  # fmt: skip
        for name, r in zip(names, res, strict=True)
    }


def _commonality(result: SimResult) -> dict:
    """Commonality of every pair of nations' pictures, keyed ``"A|B"``."""
    names = [n.id for n in result.scenario.nations]
    pairs = picture_commonality(result.pictures.arrays(), len(names))
    return {f"{names[a]}|{names[b]}": float(v) for (a, b), v in pairs.items()}
