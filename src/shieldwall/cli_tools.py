"""The analyst's single-purpose tools: sensor coverage, one missile's trajectory, tracking a
detection file and solving a static weapon-target assignment (registered on ``shieldwall.cli``'s
``app``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from shieldwall.cli import _fail, _load, _say, app
from shieldwall.io.outfile import OutputFileError, check_output_file
from shieldwall.scenario import builtin_catalog
from shieldwall.threats.targeting import TargetingError


@app.command()
def coverage(
    sensor_type: Annotated[str, typer.Argument(help="catalog sensor type id, e.g. tpy-2")],
    at: Annotated[str, typer.Option(help="site as LAT,LON in degrees, e.g. 31.0,34.9")],
    antenna_m: Annotated[
        float | None, typer.Option(help="antenna (or AEW platform) height, m; default: catalog")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option(help="use this scenario's catalog (name or YAML file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the ranges as JSON")] = False,
    png: Annotated[Path | None, typer.Option(help="also plot the coverage to this PNG")] = None,
    force: Annotated[bool, typer.Option(help="replace an existing --png file")] = False,
) -> None:
    """Detection range against target altitude: radar horizon and Pd 0.5 range per threat."""
    from shieldwall.io.coverageplot import RING_ALTITUDES_M, coverage_tables, render_coverage
    from shieldwall.sensors.coverage import (
        PLOT_ALTITUDES_M,
        coverage_json,
        coverage_request,
        radar_coverage,
    )

    catalog = builtin_catalog() if scenario is None else _load(scenario).catalog
    try:
        site = coverage_request(catalog, sensor_type, at, antenna_m)
        if png is not None:
            check_output_file(png, "--png", force, _scenario_input(scenario))
    except ValueError as exc:
        _fail([str(exc)])
    sensor, lat, lon, height = site
    args = (sensor_type, sensor, catalog.threat_types, height, lat, lon)
    cov = radar_coverage(*args)
    if png is not None:
        try:
            rings = radar_coverage(*args, alt_m=RING_ALTITUDES_M)
            render_coverage(png, radar_coverage(*args, alt_m=PLOT_ALTITUDES_M), rings)
        except OSError as exc:
            reason = exc.strerror or exc
            _fail([f"--png: cannot write {png} ({reason}); choose a writable file path"])
    if as_json:
        sys.stdout.write(json.dumps(coverage_json(cov), indent=2) + "\n")
        return
    for table in coverage_tables(cov):
        _say(table)
    if png is not None:
        _say(f"Coverage plot: {png}")


@app.command()
def trajectory(
    from_: Annotated[str, typer.Option("--from", help="launch point LAT,LON (deg)")],
    to: Annotated[str, typer.Option(help="aim point LAT,LON (deg)")],
    threat: Annotated[str, typer.Option(help="catalog ballistic threat type")] = "shahab-3",
    profile: Annotated[str, typer.Option(help="min-energy, lofted or depressed")] = "min-energy",
    apogee_km: Annotated[float | None, typer.Option(help="lofted/depressed: apogee")] = None,
    flight_time_s: Annotated[
        float | None, typer.Option(help="lofted/depressed: launch-to-impact time")
    ] = None,
    vacuum: Annotated[bool, typer.Option(help="no air, no J2, no boost phase")] = False,
    no_rotation: Annotated[bool, typer.Option("--no-rotation", help="non-rotating Earth")] = False,
    scenario: Annotated[str | None, typer.Option(help="use this scenario's catalog")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
    csv: Annotated[
        Path | None, typer.Option(help="write t_s,lat_deg,lon_deg,alt_m,speed_m_s")
    ] = None,
    force: Annotated[bool, typer.Option(help="replace an existing --csv file")] = False,
) -> None:
    """Fly one ballistic missile: range, flight time, apogee, burnout and reentry speeds."""
    from shieldwall.io.trajectoryout import trajectory_table, write_trajectory_csv
    from shieldwall.threats.trajectory import fly

    catalog = builtin_catalog() if scenario is None else _load(scenario).catalog
    try:
        args = _trajectory_args(catalog, from_, to, threat, profile, apogee_km, flight_time_s)
        if csv is not None:
            check_output_file(csv, "--csv", force, _scenario_input(scenario))
        report = fly(*args, vacuum=vacuum, rotation=not no_rotation)
    except (ValueError, TargetingError) as exc:
        _fail([str(exc)])
    if csv is not None:
        try:
            write_trajectory_csv(csv, report)
        except OSError as exc:
            _fail([f"--csv: cannot write {csv} ({exc.strerror or exc}); choose a writable path"])
    if as_json:
        sys.stdout.write(json.dumps(report.summary(), indent=2) + "\n")
        return
    _say(trajectory_table(report, threat, profile, vacuum, not no_rotation))
    if csv is not None:
        _say(f"Trajectory samples: {csv}")


def _scenario_input(scenario: str | None) -> list[tuple[Path, str]]:
    """The ``--scenario`` file as an input no output may replace (none for a built-in)."""
    if scenario and Path(scenario).is_file():
        return [(Path(scenario), "the --scenario file")]
    return []


def _trajectory_args(catalog, from_, to, threat, profile, apogee_km, flight_time_s):
    """Checked inputs of ``trajectory``; ValueError names the option and the fix."""
    from shieldwall.sensors.coverage import parse_lat_lon

    points = []
    for name, text in (("--from", from_), ("--to", to)):
        try:
            points.append(parse_lat_lon(text))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    ballistic = sorted(k for k, t in catalog.threat_types.items() if t.threat_class == "ballistic")
    if threat not in ballistic:
        raise ValueError(
            f"--threat: '{threat}' is not a ballistic threat type (known: {', '.join(ballistic)})"
        )
    if profile not in ("min-energy", "lofted", "depressed"):
        raise ValueError(f"--profile: '{profile}' is unknown; use min-energy, lofted or depressed")
    given = (apogee_km is not None) + (flight_time_s is not None)
    if profile == "min-energy" and given:
        raise ValueError(
            "--apogee-km / --flight-time-s shape lofted or depressed shots;"
            " add --profile lofted or --profile depressed"
        )
    if profile != "min-energy" and given != 1:
        raise ValueError(f"--profile {profile}: give exactly one of --apogee-km or --flight-time-s")
    if apogee_km is not None and not (0 < apogee_km <= 5000):
        raise ValueError(f"--apogee-km: must be in (0, 5000], got {apogee_km:g}")
    if flight_time_s is not None and not (0 < flight_time_s <= 3600):
        raise ValueError(f"--flight-time-s: must be in (0, 3600], got {flight_time_s:g}")
    apogee_m = None if apogee_km is None else apogee_km * 1e3
    return points[0], points[1], catalog.threat_types[threat], profile, apogee_m, flight_time_s


@app.command()
def track(
    detections: Annotated[Path, typer.Argument(help="Parquet: scan, t_s, x_m, y_m, z_m, sigma_m")],
    out: Annotated[Path, typer.Option("-o", "--out", help="tracks Parquet to write")],
    tracker: Annotated[str, typer.Option(help="association: gnn or jpda")] = "gnn",
    model: Annotated[str, typer.Option(help="motion model: cv or imm")] = "cv",
    pd: Annotated[float, typer.Option(help="detection probability")] = 0.9,
    clutter_density: Annotated[
        float, typer.Option(help="false detections per m^3 per scan")
    ] = 1e-13,
    stats: Annotated[bool, typer.Option(help="print scans, detections and timing as JSON")] = False,
    force: Annotated[bool, typer.Option(help="replace an existing -o file")] = False,
) -> None:
    """Track any detection file: one row per live track per scan (see io.trackfile)."""
    from shieldwall.io.trackfile import (
        TrackFileError,
        read_detections,
        run_tracker,
        tracker_config,
        write_tracks,
    )

    try:
        config = tracker_config(tracker, model, pd, clutter_density)
        dets = read_detections(detections)  # its errors first: reading writes nothing
        check_output_file(out, "-o", force, [(detections, "the input")])
        result = run_tracker(dets, config)
        write_tracks(out, result.table)
    except (TrackFileError, OutputFileError) as exc:
        _fail([str(exc)])
    if stats:
        sys.stdout.write(json.dumps(result.stats()) + "\n")
        return
    confirmed = result.table.filter(result.table["confirmed"])["track_id"].unique()
    _say(
        f"{result.scans} scans, {result.detections} detections -> {len(confirmed)} confirmed"
        f" tracks; tracks written to {out}"
    )


@app.command()
def wta(
    instance: Annotated[Path, typer.Argument(help="JSON (values, pk, counts) or .txt/.txt.gz")],
    method: Annotated[str, typer.Option(help="heuristic, exact or greedy")] = "heuristic",
    time_limit: Annotated[
        float | None, typer.Option(help="seconds (default: heuristic 0.1, exact 60)")
    ] = None,
    units: Annotated[int | None, typer.Option(help="units of every weapon (overrides)")] = None,
) -> None:
    """Solve a static weapon-target assignment; prints JSON (see io.wtafile)."""
    from shieldwall.io.wtafile import WtaFileError, read_instance, report, solve_instance

    try:
        inst = read_instance(instance, units)
        result = solve_instance(inst, method, time_limit)
    except WtaFileError as exc:
        _fail([str(exc)])
    sys.stdout.write(json.dumps(report(result, inst.per_unit)) + "\n")
