"""Tests for shieldwall.sensors.coverage and the ``shieldwall coverage`` command: horizon and
Pd 0.5 range against closed forms and hand calculations, limits against the numerical line of
sight, and the CLI's JSON, PNG and one-line errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from shieldwall.cli import app
from shieldwall.geo import destination_point, geodetic_to_ecef, line_of_sight, radar_horizon_m
from shieldwall.geo.los import EFFECTIVE_EARTH_K
from shieldwall.geo.wgs84 import EARTH_MEAN_RADIUS_M, ecef_to_enu, enu_to_aer
from shieldwall.scenario import builtin_catalog
from shieldwall.sensors.core import apparent_elevation_rad
from shieldwall.sensors.coverage import (
    elevation_limit_ground_m,
    parse_lat_lon,
    pd_range_m,
    radar_coverage,
    slant_to_ground_m,
)
from shieldwall.sensors.detection import radar_pd

runner = CliRunner()
SITE = (31.25, 34.79)


def _numerical_horizon_m(h_sensor_m: float, h_target_m: float) -> float:
    """Largest ground distance with line of sight, by bisection on the great-circle distance."""
    sensor = geodetic_to_ecef(*SITE, h_sensor_m)
    lo, hi = 0.0, 3e6
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lat, lon = destination_point(*SITE, 75.0, mid)
        if line_of_sight(sensor, geodetic_to_ecef(lat, lon, h_target_m)):
            lo = mid
        else:
            hi = mid
    return lo


def test_horizon_rule_of_thumb_10m_antenna_30m_target():
    # Skolnik, Introduction to Radar Systems, 3rd ed., eq. 8.3: d[km] ~ 4.12 (sqrt h1 + sqrt h2)
    d_km = float(radar_horizon_m(10.0, 30.0)) / 1e3
    assert d_km == pytest.approx(4.12 * (np.sqrt(10.0) + np.sqrt(30.0)), rel=0.01)


@pytest.mark.parametrize("h_sensor_m", [5.0, 10.0, 30.0, 9000.0])
@pytest.mark.parametrize("h_target_m", [30.0, 100.0, 1e3, 10e3, 100e3])
def test_analytic_horizon_matches_numerical_line_of_sight(h_sensor_m, h_target_m):
    analytic = float(radar_horizon_m(h_sensor_m, h_target_m))
    assert analytic == pytest.approx(_numerical_horizon_m(h_sensor_m, h_target_m), rel=0.01)


def test_pd50_range_hand_calculation():
    # Pfa 1e-6: SNR_ref = ln(1e-6)/ln(0.9) - 1 = 130.126 (Pd 0.9), SNR_50 = ln(1e-6)/ln(0.5) - 1
    # = 18.932; R = R_ref (130.126 * 0.1 / 18.932)^(1/4) = 0.91053 R_ref for 0.1 m^2.
    snr_ref = np.log(1e-6) / np.log(0.9) - 1.0
    snr_50 = np.log(1e-6) / np.log(0.5) - 1.0
    assert snr_ref == pytest.approx(130.126, abs=1e-3)
    assert snr_50 == pytest.approx(18.932, abs=1e-3)
    r = float(pd_range_m(0.5, 0.1, 120e3, 1e-6))
    assert r == pytest.approx(120e3 * 0.91053, rel=1e-4)
    assert r == pytest.approx(109.26e3, abs=10.0)  # elm-2084 against a Shahed-class 0.1 m^2
    # the reference point itself: Pd 0.9 at R_ref for 1 m^2
    assert float(pd_range_m(0.9, 1.0, 300e3, 1e-6)) == pytest.approx(300e3, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(
    pd=st.floats(0.05, 0.99),
    rcs_m2=st.floats(1e-3, 100.0),
    ref_range_m=st.floats(1e3, 5e6),
    log_pfa=st.floats(-10.0, -3.0),
)
def test_pd_range_inverts_radar_pd(pd, rcs_m2, ref_range_m, log_pfa):
    pfa = 10.0**log_pfa
    r = pd_range_m(pd, rcs_m2, ref_range_m, pfa)
    if r >= 1.0:  # radar_pd clamps ranges below 1 m
        assert float(radar_pd(r, rcs_m2, ref_range_m, pfa)) == pytest.approx(pd, abs=1e-9)


def test_pd50_for_every_catalog_radar_and_threat():
    cat = builtin_catalog()
    rcs = np.array([t.rcs_m2 for t in cat.threat_types.values()])
    radars = [s for s in cat.sensor_types.values() if s.kind != "space_ir"]  # (no radar eq.)
    assert len(radars) == len(cat.sensor_types) - 1
    for s in radars:
        r = pd_range_m(0.5, rcs, s.ref_range_m, s.pfa)
        np.testing.assert_allclose(radar_pd(r, rcs, s.ref_range_m, s.pfa), 0.5, atol=1e-9)


def test_slant_to_ground_against_enu_geometry():
    # place targets at known ground distance and height; the ENU slant range maps back
    d_m = np.array([1e3, 50e3, 300e3, 1200e3])
    h_m = np.array([100.0, 3e3, 20e3, 150e3])
    lat, lon = destination_point(*SITE, 40.0, d_m)
    enu = ecef_to_enu(geodetic_to_ecef(lat, lon, h_m), *SITE, 10.0)
    _, _, slant = enu_to_aer(enu)
    # sphere vs ellipsoid: ~0.3 % in curvature
    np.testing.assert_allclose(slant_to_ground_m(slant, 10.0, h_m), d_m, rtol=0.005)
    assert slant_to_ground_m(500.0, 0.0, 1000.0) == 0.0  # shorter than the height gap


def test_elevation_limit_edge_has_that_elevation():
    """The edge lies at apparent elevation e: the straight ray on the 4/3 effective sphere
    (radius kR, same ground distance and heights; Skolnik sec. 8.2)."""
    h1, h2 = 10.0, np.array([100.0, 1e3, 10e3, 100e3])
    kr = EFFECTIVE_EARTH_K * EARTH_MEAN_RADIUS_M
    for e_deg in (0.5, 2.0, -1.0):
        d = elevation_limit_ground_m(e_deg, h1, h2)
        th = d / kr
        r1, r2 = kr + h1, kr + h2
        el = np.degrees(np.arctan2(r2 * np.cos(th) - r1, r2 * np.sin(th)))
        np.testing.assert_allclose(el, e_deg, atol=1e-9)
        # k = 1: the geometric limit on the mean sphere, always nearer (refraction lifts)
        geo = elevation_limit_ground_m(e_deg, h1, h2, k=1.0)
        th = geo / EARTH_MEAN_RADIUS_M
        r1, r2 = EARTH_MEAN_RADIUS_M + h1, EARTH_MEAN_RADIUS_M + h2
        el = np.degrees(np.arctan2(r2 * np.cos(th) - r1, r2 * np.sin(th)))
        np.testing.assert_allclose(el, e_deg, atol=1e-9)
        assert np.all(d > geo)
    # same height, e = 0: only straight above the sensor
    assert elevation_limit_ground_m(0.0, 10.0, 10.0) == pytest.approx(0.0, abs=1e-3)
    assert elevation_limit_ground_m(1.0, 1000.0, 10.0) == 0.0  # target below, never above 1 deg


def test_elevation_limit_matches_the_simulator_and_the_horizon():
    """The coverage edge is where the scan core's apparent elevation reaches min_elev: a
    target there, placed on the mean sphere and seen in ENU, has apparent elevation e to
    1e-9 rad. At e = -dip = -acos(kR / (kR + h1)) and h2 = 0 the edge is the tangent distance,
    which Skolnik's eq. 8.2 gives to first order in h / kR."""
    h1, h2 = 10.0, np.array([30.0, 1e3, 10e3, 100e3])
    for e_deg in (0.5, 2.0, -0.05):
        th = elevation_limit_ground_m(e_deg, h1, h2) / EARTH_MEAN_RADIUS_M
        r1, r2 = EARTH_MEAN_RADIUS_M + h1, EARTH_MEAN_RADIUS_M + h2
        horiz, up = r2 * np.sin(th), r2 * np.cos(th) - r1
        np.testing.assert_allclose(
            apparent_elevation_rad(horiz, up, h1), np.radians(e_deg), rtol=0, atol=1e-9
        )
    kr = EFFECTIVE_EARTH_K * EARTH_MEAN_RADIUS_M
    for h in (10.0, 100.0, 9000.0):
        dip_deg = -np.degrees(np.arccos(kr / (kr + h)))
        tangent = elevation_limit_ground_m(dip_deg, h, 0.0)
        assert tangent == pytest.approx(radar_horizon_m(h, 0.0), rel=h / kr + 1e-9)


def test_radar_coverage_is_the_minimum_of_its_limits():
    cat = builtin_catalog()
    s = cat.sensor_types["elm-2084"]
    cov = radar_coverage("elm-2084", s, cat.threat_types, 8.0, *SITE)
    assert cov.limits_m.shape == (4, len(cat.threat_types), cov.alt_m.size)
    np.testing.assert_array_equal(cov.detection_m, cov.limits_m.min(axis=0))
    np.testing.assert_allclose(cov.horizon_m, radar_horizon_m(8.0, cov.alt_m))
    assert np.all(np.diff(cov.horizon_m) > 0)
    groups = cov.rcs_groups()
    assert list(groups) == sorted(groups)
    assert sum(len(v) for v in groups.values()) == len(cat.threat_types)


@pytest.mark.parametrize(
    "text", ["31.2", "31.2,34.8,5", "north,east", "91,34", "31,181", "nan,3", "", "31;34"]
)
def test_parse_lat_lon_rejects(text):
    with pytest.raises(ValueError):
        parse_lat_lon(text)


def test_parse_lat_lon_accepts():
    assert parse_lat_lon(" 31.25, -34.5") == (31.25, -34.5)
    assert parse_lat_lon("-90,180") == (-90.0, 180.0)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _json(*args: str) -> dict:
    res = runner.invoke(app, ["coverage", *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_cli_json_keys_and_values():
    out = _json("tpy-2", "--at", "30.9,34.9")
    for key in ("30", "50", "100", "1000", "10000"):
        h2 = float(key)
        assert out["horizon_km"][key] == pytest.approx(radar_horizon_m(10.0, h2) / 1e3, abs=1e-3)
    cat = builtin_catalog()
    assert set(out["pd50_range_km"]) == set(cat.threat_types)
    s = cat.sensor_types["tpy-2"]
    for tid, r_km in out["pd50_range_km"].items():
        pd = radar_pd(r_km * 1e3, cat.threat_types[tid].rcs_m2, s.ref_range_m, s.pfa)
        assert float(pd) == pytest.approx(0.5, abs=1e-6)  # JSON rounds to the metre
        assert out["pd50_capped_by_max_range"][tid] == (r_km > 1500.0)
    assert out["max_range_km"] == 1500.0 and out["antenna_m"] == 10.0
    for key, row in out["detection_range_km"].items():
        for tid, d_km in row.items():
            assert d_km <= out["horizon_km"][key] + 1e-9
            assert d_km <= out["elevation_limit_km"][key] + 1e-9
            assert out["limited_by"][key][tid] in {"horizon", "pd50", "max_range", "min_elevation"}


def test_cli_antenna_override_and_aew_platform_height():
    low = _json("elm-2084", "--at", "31.25,34.79")
    high = _json("elm-2084", "--at", "31.25,34.79", "--antenna-m", "30")
    assert low["antenna_m"] == 8.0 and high["antenna_m"] == 30.0
    assert high["horizon_km"]["30"] > low["horizon_km"]["30"]
    awacs = _json("e-3-awacs", "--at", "31.5,36.5")
    assert awacs["antenna_m"] == 9000.0
    assert awacs["horizon_km"]["30"] == pytest.approx(radar_horizon_m(9000.0, 30.0) / 1e3, abs=1e-3)
    assert awacs["detection_range_km"]["100"]["shahed-136"] == pytest.approx(
        awacs["pd50_range_km"]["shahed-136"], rel=0.01
    )


def test_cli_scenario_catalog():
    out = _json("tpy-2", "--at", "30.9,34.9", "--scenario", "tutorial")
    assert "pd50_range_km" in out


def test_cli_table_and_png(tmp_path):
    png = tmp_path / "cov.png"
    png.write_bytes(b"old")  # an existing file is replaced with --force (refused without)
    res = runner.invoke(
        app,
        ["coverage", "elm-2084", "--at", "31.25,34.79", "--png", str(png), "--force"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert "shahed-136" in res.output and "horizon" in res.output
    blob = png.read_bytes()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n" and len(blob) > 20_000
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def _bad(tmp_path) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, text the one error line must contain)."""
    at = ["--at", "31.25,34.79"]
    return {
        "unknown sensor": (["tpy2", *at], "tpy-2"),
        "space ir": (["sbirs", *at], "radars"),
        "at missing lon": (["tpy-2", "--at", "31.25"], "--at"),
        "at not numbers": (["tpy-2", "--at", "a,b"], "--at"),
        "at out of range": (["tpy-2", "--at", "95,34"], "--at"),
        "negative antenna": (["tpy-2", *at, "--antenna-m", "-3"], "--antenna-m"),
        "png in missing folder": (
            ["tpy-2", *at, "--png", str(tmp_path / "nope" / "c.png")],
            "--png",
        ),
        "png is a folder": (["tpy-2", *at, "--png", str(tmp_path)], "--png"),
    }


def test_cli_bad_input_one_line_exit_2(tmp_path):
    for name, (args, needle) in _bad(tmp_path).items():
        res = runner.invoke(app, ["coverage", *args])
        assert res.exit_code == 2, (name, res.output)
        assert "Traceback" not in res.output, name
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (name, lines)
        assert needle in lines[0], (name, lines)
    assert not list((tmp_path).glob("*.tmp"))
