"""Layers of the defense in results: each battery's layer is its interceptor type's catalog
``layer`` (upper -> ``upper``, any other -> ``lower``), each patrol's ``air``; changing the
field moves the type's shots between the summary's ``by_layer`` rows and changes nothing else."""

from __future__ import annotations

import pytest

import shieldwall as sw
from shieldwall.engagement.shooters import KIND_PATROL, layers, shooters
from shieldwall.scenario import Catalog, Scenario, builtin_catalog, load_scenario


def _with_layers(catalog: Catalog, **layer_of: str) -> Catalog:
    """``catalog`` with the interceptor types named (``arrow_2`` for ``arrow-2``) in
    ``layer_of`` given that layer."""
    types = dict(catalog.interceptor_types)
    for name, layer in layer_of.items():
        key = name.replace("_", "-")
        types[key] = types[key].model_copy(update={"layer": layer})
    return catalog.model_copy(update={"interceptor_types": types})


def _relayered(sc: Scenario, **layer_of: str) -> Scenario:
    return sc.model_copy(update={"catalog": _with_layers(sc.catalog, **layer_of)})


def test_builtin_upper_types_are_the_catalogs():
    cat = builtin_catalog()
    upper = {k for k, t in cat.interceptor_types.items() if t.layer == "upper"}
    assert upper == {"arrow-3", "arrow-2", "thaad", "sm-3"}


def test_layers_follow_the_catalog_field():
    sc = load_scenario("tutorial")
    sh = shooters(sc)
    got = dict(zip(sh.ids, layers(sh, sc.catalog), strict=True))
    for i, (sid, t) in enumerate(zip(sh.ids, sh.type_ids, strict=True)):
        if sh.kind[i] == KIND_PATROL:
            assert got[sid] == "air"
        else:
            want = "upper" if sc.catalog.interceptor_types[t].layer == "upper" else "lower"
            assert got[sid] == want
    assert "arrow-2" in sh.type_ids and "iron-dome" in sh.type_ids
    # Arrow 2 (catalog: upper) is upper though it engages from 10 km; moving it moves its bucket
    moved = _relayered(sc, arrow_2="middle", iron_dome="upper")
    new = dict(zip(sh.ids, layers(sh, moved.catalog), strict=True))
    for sid, t in zip(sh.ids, sh.type_ids, strict=True):
        if t == "arrow-2":
            assert got[sid] == "upper" and new[sid] == "lower"
        elif t == "iron-dome":
            assert got[sid] == "lower" and new[sid] == "upper"
        else:
            assert new[sid] == got[sid]


@pytest.mark.parametrize("layer", ["middle", "lower", "point"])
def test_every_non_upper_layer_is_lower(layer):
    sc = _relayered(load_scenario("tutorial"), sm_3=layer)
    sh = shooters(sc)
    out = layers(sh, sc.catalog)
    assert all(lay == "lower" for lay, t in zip(out, sh.type_ids, strict=True) if t == "sm-3")


@pytest.fixture(scope="module")
def two_runs():
    """(scenario, summary) of the tutorial, seed 0, as built in and with Arrow 2 middle."""
    base = load_scenario("tutorial")
    moved = _relayered(base, arrow_2="middle")
    return [(sc, sw.run(sc, seed=0).summary) for sc in (base, moved)]


def test_by_layer_sums_to_the_fired_total(two_runs):
    for sc, summary in two_runs:
        inter = summary["interceptors"]
        rows = inter["by_layer"].values()
        assert sum(r["fired"] for r in rows) == inter["fired"]
        assert sum(r["kills"] for r in rows) == inter["kills"]
        assert sum(r["cost_usd"] for r in rows) == pytest.approx(inter["cost_usd"], abs=1e-3)
        types = {t: v for n in inter["by_nation"].values() for t, v in n.items()}
        cat = sc.catalog.interceptor_types
        upper = sum(v["fired"] for t, v in types.items() if t in cat and cat[t].layer == "upper")
        assert inter["by_layer"]["upper"]["fired"] == upper


def test_changing_a_layer_moves_only_by_layer(two_runs):
    """Arrow 2 from upper to middle: its shots, cost and kills move from the upper row to the
    lower row; every other figure of the summary is unchanged."""
    (_, base), (_, moved) = two_runs
    a2 = base["interceptors"]["by_nation"]["ISR"]["arrow-2"]
    assert a2["fired"] > 0
    (up0, lo0, air0), (up1, lo1, air1) = (
        [s["interceptors"]["by_layer"][k] for k in ("upper", "lower", "air")] for s in (base, moved)
    )
    assert up0["fired"] - up1["fired"] == a2["fired"] == lo1["fired"] - lo0["fired"]
    assert up0["cost_usd"] - up1["cost_usd"] == pytest.approx(a2["cost_usd"])
    assert lo1["cost_usd"] - lo0["cost_usd"] == pytest.approx(a2["cost_usd"])
    assert up0["kills"] - up1["kills"] == lo1["kills"] - lo0["kills"]
    assert air0 == air1

    def rest(s):
        return {
            **s,
            "interceptors": {k: v for k, v in s["interceptors"].items() if k != "by_layer"},
        }

    assert rest(base) == rest(moved)
