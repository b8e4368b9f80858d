"""The ``shieldwall`` command line (typer + rich). Thin: it calls the stages' public functions.

Every user error (bad scenario, unusable output folder) prints one line per problem to stderr
and exits with status 2; an interrupt exits with 130 and leaves the run folder marked
incomplete. No traceback reaches the user for either.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from shieldwall.io.runfolder import RunFolderError, default_run_dir
from shieldwall.io.tables import catalog_tables, run_tables, scenario_tables
from shieldwall.scenario import (
    ScenarioError,
    builtin_catalog,
    builtin_scenarios,
    load_scenario,
    scenario_json_schema,
)
from shieldwall.threats.targeting import TargetingError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Coalition air and missile defense network modelling (defensive, notional).",
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
PROGRESS_AFTER_S = 2.0


def _fail(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USER_ERROR)


def _load(source: str):
    try:
        return load_scenario(source)
    except ScenarioError as exc:
        _fail(exc.problems)


class _LazyProgress:
    """A progress bar in simulated time that appears only once a run has taken 2 s.

    It also makes Ctrl-C reliable: Python drops a KeyboardInterrupt raised while it runs a
    finaliser (``__del__``, a weakref callback), so the SIGINT handler records the interrupt
    too and the next progress call, made from the simulation loop, raises it again."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.bar: Progress | None = None
        self.task = None
        self.interrupted = False

    def on_sigint(self, signum, frame) -> None:
        self.interrupted = True
        raise KeyboardInterrupt

    def __call__(self, t_s: float, t_end_s: float) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < PROGRESS_AFTER_S:
                return
            self.bar = Progress(
                TextColumn("simulating"),
                BarColumn(),
                TextColumn("t = {task.completed:,.0f} / {task.total:,.0f} s"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("sim", total=t_end_s)
        self.bar.update(self.task, completed=t_s)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    seed: Annotated[int | None, typer.Option(help="random seed (default: the scenario's)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="run folder (default runs/<name>-<seed>-<time>)")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="write into an existing non-empty --out folder")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Run a scenario once and write its run folder."""
    from shieldwall.api import run as run_scenario

    sc = _load(scenario)
    seed = sc.seed if seed is None else seed
    run_dir = out if out is not None else default_run_dir(Path("runs"), sc.name, seed)
    progress = _LazyProgress(enabled=not quiet)
    signal.signal(signal.SIGINT, progress.on_sigint)
    try:
        result = run_scenario(sc, seed=seed, out=run_dir, force=force, progress=progress)
    except (RunFolderError, TargetingError) as exc:
        _fail([str(exc)])
    except KeyboardInterrupt:
        progress.stop()
        err_console.print(f"interrupted: {run_dir} is marked INCOMPLETE")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        progress.stop()
    if as_json:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
        return
    for table in run_tables(result.summary):
        out_console.print(table)
    declined = _declined_table(result.summary)
    if declined is not None:
        out_console.print(declined)
    acc = result.summary["threats"]
    balanced = result.summary["accounting"]["balanced"]
    mark = "[green]OK[/]" if balanced else "[bold red]NOT BALANCED[/]"
    out_console.print(
        f"Accounting {mark}: launched {acc['launched']} = intercepted {acc['intercepted']}"
        f" + leaked {acc['leaked']} + failed {acc['failed']}"
    )
    out_console.print(f"Run folder: {result.run_dir}")


def _declined_table(summary: dict) -> Table | None:
    """One line per nation that declined engagements for lack of authority or airspace."""
    rows = [(n, c["authority"], c["airspace"]) for n, c in summary.get("declined", {}).items()
            if c["authority"] or c["airspace"]]  # fmt: skip
    if not rows:
        return None
    table = Table(
        title="Engagements declined (distinct threats)",
        caption="a ready shooter had a window and a track;\nauthority: letters, class or whose"
        " assets;\nairspace: own limits or a host's denial",
        min_width=44,
    )
    for col in ("nation", "authority", "airspace"):
        table.add_column(col, justify="left" if col == "nation" else "right")
    for nation, auth, air in rows:
        table.add_row(nation, str(auth), str(air))
    return table


@app.command("list")
def list_() -> None:
    """Show the built-in scenarios and the equipment catalog."""
    for table in catalog_tables(builtin_catalog(), builtin_scenarios()):
        out_console.print(table)


@app.command()
def show(scenario: Annotated[str, typer.Argument(help="built-in name or YAML file")]) -> None:
    """Print a scenario's nations, assets, sensors, batteries, agreements and raid."""
    for table in scenario_tables(_load(scenario)):
        out_console.print(table)


@app.command()
def validate(scenario: Annotated[str, typer.Argument(help="built-in name or YAML file")]) -> None:
    """Check a scenario file; prints one line per problem and exits non-zero if any."""
    sc = _load(scenario)
    out_console.print(
        f"{scenario}: valid scenario '{sc.name}' "
        f"({sum(s.count for s in sc.raid.salvos)} threats, "
        f"{len(sc.nations)} nations)"
    )


@app.command()
def schema() -> None:
    """Print the scenario file's JSON Schema (for editor autocompletion)."""
    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


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
        out_console.print(table)
    if png is not None:
        out_console.print(f"Coverage plot: {png}")


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
) -> None:
    """Fly one ballistic missile: range, flight time, apogee, burnout and reentry speeds."""
    from shieldwall.io.trajectoryout import trajectory_table, write_trajectory_csv
    from shieldwall.threats.trajectory import fly

    catalog = builtin_catalog() if scenario is None else _load(scenario).catalog
    try:
        args = _trajectory_args(catalog, from_, to, threat, profile, apogee_km, flight_time_s)
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
    out_console.print(trajectory_table(report, threat, profile, vacuum, not no_rotation))
    if csv is not None:
        out_console.print(f"Trajectory samples: {csv}")


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
        result = run_tracker(read_detections(detections), config)
        write_tracks(out, result.table)
    except TrackFileError as exc:
        _fail([str(exc)])
    if stats:
        sys.stdout.write(json.dumps(result.stats()) + "\n")
        return
    confirmed = result.table.filter(result.table["confirmed"])["track_id"].unique()
    out_console.print(
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


@app.command()
def explain(
    run_dir: Annotated[Path, typer.Argument(help="a run folder (shieldwall run --out)")],
    threat_id: Annotated[str, typer.Argument(help="a threat id, e.g. bm-isfahan-ghadr-003")],
    as_json: Annotated[bool, typer.Option("--json", help="the story as JSON")] = False,
) -> None:
    """One threat's story: who saw, tracked, shared and shot at it, and why each shooter was
    or was not chosen."""
    from shieldwall.io.explain import ExplainError, story_json, story_tables, threat_events

    try:
        rows = threat_events(run_dir, threat_id)
    except ExplainError as exc:
        _fail([str(exc)])
    if as_json:
        out_console.print_json(json.dumps(story_json(rows)))
        return
    for table in story_tables(rows):
        out_console.print(table)


# the study commands (study, shapley, sweep) register themselves on ``app``
import shieldwall.cli_report  # noqa: E402, F401
from shieldwall import cli_studies  # noqa: E402, F401


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
