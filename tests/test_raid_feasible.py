"""Ballistic salvos whose launch area and aim points allow a shot the missile type cannot fly
are refused before anything is flown, with the same one-line error for every seed and naming
the salvo at fault (a fuzzed tutorial once ran for one seed and failed for another, and named
the wrong salvo)."""

from __future__ import annotations

import pytest

from shieldwall.scenario import load_scenario
from shieldwall.sim import simulate
from shieldwall.threats.feasible import raid_problems
from shieldwall.threats.targeting import TargetingError

NEAR = {"lat_deg": 31.5, "lon_deg": 37.0, "name": "near"}  # about 190 km from Nevatim


def _tutorial(**salvo_changes):
    """The tutorial with its ballistic salvo (``raid.salvos.2``, Emad) changed."""
    sc = load_scenario("tutorial")
    data = sc.model_dump(mode="json", by_alias=True)
    data["raid"]["salvos"][2].update(salvo_changes)
    return type(sc).model_validate(data)


@pytest.mark.parametrize("name", ["tutorial", "april-2024", "october-2024"])
def test_built_in_raids_are_all_flyable(name):
    assert raid_problems(load_scenario(name)) == []


def test_a_shot_under_the_minimum_range_is_refused_for_every_seed():
    sc = _tutorial(launch=NEAR | {"radius_km": 0.0})
    problems = raid_problems(sc)
    assert len(problems) == 3 and problems[0].startswith("raid.salvos.2.aim.0: shots from the")
    assert "outside the 386-1,870 km a 'emad' can fly with its boost" in problems[0]  # (1.1 x)
    for seed in (0, 1):
        with pytest.raises(TargetingError, match="^raid.salvos.2.aim.0: "):
            simulate(sc, seed)


def test_a_launch_area_straddling_the_reach_is_refused():
    """From (33.3 N, 41.5 E) Nevatim is about 655 km away, inside the Emad's 386-2,210 km; a
    300 km launch disc would put some launch points closer than 386 km (only some seeds would
    draw them), so the salvo is refused whatever the seed; a 200 km disc is fine."""
    centre = {"lat_deg": 33.3, "lon_deg": 41.5}
    assert raid_problems(_tutorial(launch=centre | {"radius_km": 200.0})) == []
    wide = raid_problems(_tutorial(launch=centre | {"radius_km": 300.0}))
    assert [p.split(":")[0] for p in wide] == [
        "raid.salvos.2.aim.0", "raid.salvos.2.aim.1", "raid.salvos.2.aim.2"]  # fmt: skip
    assert "'nevatim' run 353-957 km" in wide[0]


def test_the_error_names_the_salvo_at_fault():
    sc = load_scenario("tutorial")
    data = sc.model_dump(mode="json", by_alias=True)
    short = dict(data["raid"]["salvos"][2], id="short", count=1, launch=NEAR | {"radius_km": 0})
    data["raid"]["salvos"].append(short)
    with pytest.raises(TargetingError, match=r"^raid.salvos.3.aim.0: .*'nevatim'"):
        simulate(type(sc).model_validate(data), 0)


def test_validate_and_run_refuse_an_unflyable_raid_before_writing(tmp_path):
    from typer.testing import CliRunner

    from shieldwall.cli import app
    from shieldwall.scenario import scenario_to_yaml

    path = tmp_path / "near.yaml"
    path.write_text(scenario_to_yaml(_tutorial(launch=NEAR | {"radius_km": 0.0})), "utf-8")
    for args in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2, res.output
        assert f"error: {path}: raid.salvos.2.aim.0: shots from the launch area" in res.output
    assert not (tmp_path / "o").exists()


WRONG_SIDE = [  # (profile, apogee_km, flight_time_s): the tutorial's Emad runs 1,147-1,212 km,
    ("lofted", 200.0, None),  # whose minimum-energy apogee is 271-286 km
    ("depressed", 300.0, None),
    ("lofted", None, 500.0),  # and flight time 576-592 s
    ("depressed", None, 600.0),
]
RIGHT_SIDE = [("lofted", 500.0, None), ("depressed", 150.0, None), ("lofted", None, 900.0),
              ("depressed", None, 450.0)]  # fmt: skip


def _shaped(profile, apogee_km, flight_time_s):
    return _tutorial(profile=profile, apogee_km=apogee_km, flight_time_s=flight_time_s)


@pytest.mark.parametrize("shape", WRONG_SIDE)
def test_a_profile_value_on_the_wrong_side_is_refused_before_flying(shape, monkeypatch):
    """An apogee or flight time on the wrong side of the minimum-energy value is refused by the
    check for every seed; flown anyway (the check switched off), the truth stage's solver
    indeed finds no such trajectory (the independent reference)."""
    sc = _shaped(*shape)
    problems = raid_problems(sc)
    field = "apogee_km" if shape[1] is not None else "flight_time_s"
    side = "above" if shape[0] == "lofted" else "below"
    assert len(problems) == 3 and all(p.startswith(f"raid.salvos.2.{field}: ") for p in problems)
    assert f"is not {side} the minimum-energy" in problems[0] and "'nevatim'" in problems[0]
    import shieldwall.threats.truth as truth

    monkeypatch.setattr(truth, "raid_problems", lambda _: [])
    with pytest.raises(TargetingError, match=f"^raid.salvos.2 .*no {shape[0]} trajectory"):
        simulate(sc, 0)


@pytest.mark.parametrize("shape", RIGHT_SIDE)
def test_a_profile_value_on_the_right_side_passes_and_flies(shape):
    """A value on the right side passes the check, and the raid's truth is flown with the
    salvo's missiles reaching the named apogee or flight time (within 10 km or 2 s)."""
    from shieldwall.rng import stream
    from shieldwall.threats import build_raid, build_truth

    sc = _shaped(*shape)
    assert raid_problems(sc) == []
    threats = build_raid(sc, stream(0, "raid"))
    truth = build_truth(sc, threats)
    rows = (threats.salvo == 2) & ~threats.fails  # (half the tutorial's Emads break up)
    assert rows.any()
    if shape[2] is not None:
        flown = truth.end_t_s[rows] - truth.t0_s[rows]
        assert abs(flown - shape[2]).max() < 2.0
    else:
        r = (truth.pos_ecef_m[rows] ** 2).sum(axis=2) ** 0.5 - 6_371_008.8
        top_km = r.max(axis=1) / 1e3  # mean-sphere height: within ~10 km of the ellipsoid's
        assert abs(top_km - shape[1]).max() < 25.0


def test_validate_names_a_wrong_side_apogee(tmp_path):
    from typer.testing import CliRunner

    from shieldwall.cli import app
    from shieldwall.scenario import scenario_to_yaml

    path = tmp_path / "lofted.yaml"
    path.write_text(scenario_to_yaml(_shaped("lofted", 200.0, None)), "utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2, res.output
    assert f"error: {path}: raid.salvos.2.apogee_km: 200 km is not above the minimum-energy" in (
        res.output)  # fmt: skip


BEYOND_ENERGY = [  # right side of the minimum-energy value but more energy than an Emad has
    ("lofted", 1000.0, None),  # (or no such trajectory at all)
    ("lofted", None, 3600.0),
    ("depressed", 1.0, None),
]


@pytest.mark.parametrize("shape", BEYOND_ENERGY)
def test_a_profile_beyond_the_type_s_energy_is_refused_before_flying(shape, monkeypatch):
    """A lofted apogee of 1,000 km or an hour's flight to 1,150-1,210 km needs more energy than
    an Emad's minimum-energy shot to 1.1 times its 1,700 km range (once flown silently), and a
    1 km depressed apogee no trajectory at all: refused with one line per aim before anything
    flies; flown anyway (check off), the truth stage's solver refuses it too."""
    sc = _shaped(*shape)
    problems = raid_problems(sc)
    field = "apogee_km" if shape[1] is not None else "flight_time_s"
    assert len(problems) == 3 and all(p.startswith(f"raid.salvos.2.{field}: no ") for p in problems)
    assert "salvo 'ballistic' (emad)" in problems[0] and "1,870 km" in problems[0]
    import shieldwall.threats.truth as truth

    monkeypatch.setattr(truth, "raid_problems", lambda _: [])
    with pytest.raises(TargetingError, match="within the missile's energy"):
        simulate(sc, 0)


def test_the_energy_limit_is_the_minimum_energy_shot_at_1p1_times_the_range():
    """targeting.max_energy_m_s against an independent solve: the minimum-energy energy of an
    Emad flown 1.1 x 1,700 km (to 0.5 %: the table interpolates); a lofted shot just within it
    flies, the same shot asking for more energy (a higher apogee) does not."""
    import numpy as np

    from shieldwall.geo.wgs84 import destination_point
    from shieldwall.threats.flight import Vehicle
    from shieldwall.threats.targeting import max_energy_m_s, solve

    emad = load_scenario("tutorial").catalog.threat_types["emad"]
    cols = (np.array([v]) for v in (emad.boost_s, emad.mass_ratio, emad.beta_kg_m2))
    veh = Vehicle(*cols, rotation=False)  # (the tables' Earth does not turn)
    rng = np.array([emad.max_range_m])
    lat, lon = np.array([30.0]), np.array([50.0])
    far = destination_point(lat, lon, np.array([270.0]), 1.098 * rng)  # (mean sphere: 1.1 x
    me = solve(lat, lon, *far, veh, rng)  # on the solver's own ground range)
    assert me.converged[0]
    np.testing.assert_allclose(max_energy_m_s(veh, rng), me.controls.ve_m_s, rtol=5e-3)
    near = destination_point(lat, lon, np.array([270.0]), np.array([1.0e6]))
    ok = solve(lat, lon, *near, veh, rng, "lofted", apogee_m=600e3)
    too_high = solve(lat, lon, *near, veh, rng, "lofted", apogee_m=1500e3)
    assert ok.converged[0] and ok.controls.ve_m_s[0] < max_energy_m_s(veh, rng)[0]
    assert not too_high.converged[0]
