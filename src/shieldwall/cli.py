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
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

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

# options shared by the study commands (study, shapley, sweep)
EngineOption = Annotated[str, typer.Option(help="local (processes) or dask")]
AddressOption = Annotated[
    str | None, typer.Option(help="Dask scheduler address (default: a local cluster)")
]
WorkersOption = Annotated[int | None, typer.Option(help="worker processes (default: all cores)")]
ReuseOption = Annotated[bool, typer.Option(help="reuse an existing non-empty --out")]
QuietOption = Annotated[bool, typer.Option(help="no progress bar")]
BaseSeedOption = Annotated[int | None, typer.Option(help="base seed (default: the scenario's)")]

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_STUDY_FAILURES = 1
STUDY_PRELOAD = "shieldwall.studies.montecarlo"
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
    acc = result.summary["threats"]
    balanced = result.summary["accounting"]["balanced"]
    mark = "[green]OK[/]" if balanced else "[bold red]NOT BALANCED[/]"
    out_console.print(
        f"Accounting {mark}: launched {acc['launched']} = intercepted {acc['intercepted']}"
        f" + leaked {acc['leaked']} + failed {acc['failed']}"
    )
    out_console.print(f"Run folder: {result.run_dir}")


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


class _StudyProgress:
    """Replications finished, with ETA; Ctrl-C is recorded so it is raised again at the next
    finished replication if Python dropped it inside a finaliser (see _LazyProgress)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None
        self.task = None
        self.interrupted = False
        self.finished = 0

    def on_sigint(self, signum, frame) -> None:
        self.interrupted = True
        raise KeyboardInterrupt

    def __call__(self, finished: int, runs: int, record: dict | None) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.finished = finished
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = Progress(
                TextColumn("replications"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("study", total=runs, completed=finished)
        self.bar.update(self.task, completed=finished)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _study_seed(seed: int | None, out: Path | None, resume: bool, default: int) -> int:
    """The base seed: --seed, else (with --resume) the study's own, else the scenario's."""
    from shieldwall.studies.folder import StudyFolderError, stored_meta

    if seed is not None or not resume:
        return default if seed is None else seed
    if out is None:
        _fail(["--resume: give the study folder to continue with --out"])
    try:
        return int(stored_meta(out).get("base_seed", default))
    except StudyFolderError as exc:
        _fail([escape(str(exc))])


@app.command()
def study(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    runs: Annotated[int, typer.Option(help="number of replications")] = 100,
    seed: Annotated[
        int | None,
        typer.Option(help="base seed (default: the scenario's; with --resume, the study's)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="study folder (default studies/<name>-<seed>-<time>)")
    ] = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    resume: Annotated[bool, typer.Option(help="continue the study in --out")] = False,
    force: Annotated[
        bool, typer.Option(help="start over in an existing non-empty --out folder")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print study.json as JSON")] = False,
) -> None:
    """Monte Carlo: run replications with independent seeds; means with 95% CIs."""
    from shieldwall.studies import EngineError, make_executor, run_study

    sc = _load(scenario)
    if runs < 1:
        _fail([f"--runs: must be at least 1, got {runs}"])
    if resume and force:
        _fail(["--resume and --force: choose one (continue the study, or start it over)"])
    base = _study_seed(seed, out, resume, sc.seed)
    folder = out if out is not None else default_run_dir(Path("studies"), sc.name, base)
    progress = _StudyProgress(enabled=not quiet and err_console.is_terminal)
    previous = signal.signal(signal.SIGINT, progress.on_sigint)
    try:
        executor = make_executor(engine, workers, address, preload=[STUDY_PRELOAD])
        result = run_study(
            sc, runs, folder, executor, base, resume=resume, force=force, progress=progress
        )
    except (RunFolderError, EngineError, ValueError) as exc:
        progress.stop()
        _fail([escape(str(exc))])  # escape: 'shieldwall[cluster]' is not rich markup
    except KeyboardInterrupt:
        progress.stop()
        err_console.print(
            f"interrupted: {progress.finished} of {runs} replications kept in {folder};"
            f" continue with --resume --out {folder}",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        progress.stop()
        signal.signal(signal.SIGINT, previous)
    _study_report(result.summary, folder, as_json)


def _study_report(summary: dict, folder: Path, as_json: bool) -> None:
    """Print the study (tables or JSON); exit 1 when some replications failed."""
    from shieldwall.io.studytables import study_heading, study_tables

    if as_json:
        sys.stdout.write(json.dumps(summary | {"folder": str(folder)}, indent=2) + "\n")
    else:
        out_console.print(study_heading(summary), soft_wrap=True, highlight=False)
        for table in study_tables(summary):
            out_console.print(table)
        wall = summary["wall_s"]
        ran = summary["replications_this_session"]
        rate = f" ({60 * ran / wall:,.1f} per minute)" if wall > 0 and ran else ""
        out_console.print(
            f"{ran} replications run in {wall:,.1f} s{rate} on {summary['workers']}"
            f" {summary['engine']} workers; study folder: {folder}",
            soft_wrap=True,
        )
    if summary["failed"]:
        for index, error in list(summary["errors"].items())[:5]:
            err_console.print(
                f"replication {index} failed (after a retry): {error}",
                highlight=False,
                soft_wrap=True,
            )
        err_console.print(
            f"[bold red]{summary['failed']} of {summary['runs']} replications failed[/];"
            f" their rows in {folder / 'study.parquet'} say why;"
            f" --resume --out {folder} retries them",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_STUDY_FAILURES)


VARIANT_PRELOAD = "shieldwall.studies.variants"


def _run_variant_study(start, progress_enabled: bool, folder: Path, table: str):
    """Run ``start(progress)`` (a Shapley or sweep study) with a progress bar and the study
    command's handling of user errors (exit 2) and Ctrl-C (exit 130)."""
    from shieldwall.studies import EngineError

    progress = _StudyProgress(enabled=progress_enabled)
    previous = signal.signal(signal.SIGINT, progress.on_sigint)
    try:
        return start(progress)
    except (RunFolderError, EngineError, ValueError) as exc:
        progress.stop()
        _fail([escape(str(exc))])
    except KeyboardInterrupt:
        progress.stop()
        err_console.print(
            f"interrupted: {progress.finished} runs finished, kept in {folder / table};"
            " the folder stays marked INCOMPLETE",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        progress.stop()
        signal.signal(signal.SIGINT, previous)


def _variant_failures(summary: dict, folder: Path, table: str) -> None:
    """Name the failed tasks (after a retry each) and exit 1 when there are any."""
    if not summary["failed"]:
        return
    for name, error in list(summary["errors"].items())[:5]:
        err_console.print(f"{name} failed (after a retry): {error}", highlight=False,
                          soft_wrap=True)  # fmt: skip
    err_console.print(
        f"[bold red]{summary['failed']} of {summary['tasks']} runs failed[/]; their rows in"
        f" {folder / table} say why",
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_STUDY_FAILURES)


@app.command()
def shapley(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    runs: Annotated[int, typer.Option(help="replications of every coalition")] = 20,
    seed: BaseSeedOption = None,
    agreements: Annotated[
        bool, typer.Option("--agreements", help="also each sharing agreement's value alone")
    ] = False,
    permutations: Annotated[
        int | None,
        typer.Option(
            help="sample this many orderings per replication (default: exact up to 8"
            " nations, else 20)"
        ),
    ] = None,  # fmt: skip
    payoff: Annotated[
        str,
        typer.Option(
            help="worth of a coalition: defended (asset value left standing), hits"
            " (minus value x hits) or leakers (minus leakers)"
        ),
    ] = "defended",  # fmt: skip
    out: Annotated[
        Path | None, typer.Option(help="folder (default runs/<name>-shapley-<seed>-<time>)")
    ] = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    force: ReuseOption = False,
    quiet: QuietOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print shapley.json as JSON")] = False,
) -> None:
    """Each nation's Shapley value (asset value defended), with 95% CIs; common random numbers."""
    from shieldwall.io.valuetables import shapley_heading, shapley_tables
    from shieldwall.studies import make_executor
    from shieldwall.studies.coalitionvalue import TABLE, shapley_study

    sc = _load(scenario)
    base = sc.seed if seed is None else seed
    folder = out if out is not None else default_run_dir(Path("runs"), f"{sc.name}-shapley", base)

    def start(progress):
        executor = make_executor(engine, workers, address, preload=[VARIANT_PRELOAD])
        return shapley_study(sc, runs, folder, executor, base, agreements, permutations,
                             payoff, force, progress)  # fmt: skip

    result = _run_variant_study(start, not quiet and err_console.is_terminal, folder, TABLE)
    if as_json:
        sys.stdout.write(json.dumps(result.summary | {"folder": str(folder)}, indent=2) + "\n")
    else:
        out_console.print(shapley_heading(result.summary), soft_wrap=True, highlight=False)
        for table in shapley_tables(result.summary):
            out_console.print(table)
        out_console.print(f"folder: {folder} (shapley.png, shapley.json, {TABLE})",
                          soft_wrap=True)  # fmt: skip
    _variant_failures(result.summary, folder, TABLE)


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    param: Annotated[
        str,
        typer.Option(help="PATH=START:STOP:STEP, e.g. batteries.0.magazine=0:20:5 (STOP included)"),
    ],
    runs: Annotated[int, typer.Option(help="replications at every point")] = 20,
    seed: BaseSeedOption = None,
    out: Annotated[
        Path | None, typer.Option(help="folder (default runs/<name>-sweep-<seed>-<time>)")
    ] = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    force: ReuseOption = False,
    quiet: QuietOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print sweep.json as JSON")] = False,
) -> None:
    """Sweep one numeric scenario field; leakers and asset value hit with 95% CIs per point."""
    from shieldwall.io.valuetables import sweep_heading, sweep_table
    from shieldwall.studies import make_executor
    from shieldwall.studies.sweep import TABLE, parse_param, sweep_study

    sc = _load(scenario)
    try:
        path, values = parse_param(param)  # sweep_study checks every point before any folder
    except ValueError as exc:
        _fail([escape(str(exc))])
    base = sc.seed if seed is None else seed
    folder = out if out is not None else default_run_dir(Path("runs"), f"{sc.name}-sweep", base)

    def start(progress):
        executor = make_executor(engine, workers, address, preload=[VARIANT_PRELOAD])
        return sweep_study(sc, path, values, runs, folder, executor, base, force, progress)

    result = _run_variant_study(start, not quiet and err_console.is_terminal, folder, TABLE)
    if as_json:
        sys.stdout.write(json.dumps(result.summary | {"folder": str(folder)}, indent=2) + "\n")
    else:
        out_console.print(sweep_heading(result.summary), soft_wrap=True, highlight=False)
        out_console.print(sweep_table(result.summary))
        out_console.print(f"folder: {folder} (sweep.png, sweep.json, {TABLE})", soft_wrap=True)
    _variant_failures(result.summary, folder, TABLE)


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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
