"""The ``shieldwall`` study commands: ``study`` (Monte Carlo), ``shapley`` (each nation's
worth), ``sweep`` (one scenario field over a range) and ``compare`` (a what-if). They register
on the one typer ``app`` of :mod:`shieldwall.cli` (same error and interrupt conventions)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from shieldwall.cli import (
    EXIT_INTERRUPTED,
    _fail,
    _load,
    app,
    err_console,
    out_console,
)
from shieldwall.io.runfolder import RunFolderError, default_run_dir

# options shared by the study commands (study, shapley, sweep)
EngineOption = Annotated[str, typer.Option(help="local (processes) or dask")]
AddressOption = Annotated[
    str | None, typer.Option(help="Dask scheduler address (default: a local cluster)")
]
WorkersOption = Annotated[int | None, typer.Option(help="worker processes (default: all cores)")]
ReuseOption = Annotated[bool, typer.Option(help="reuse an existing non-empty --out")]
QuietOption = Annotated[bool, typer.Option(help="no progress bar")]
BaseSeedOption = Annotated[int | None, typer.Option(help="base seed (default: the scenario's)")]

EXIT_STUDY_FAILURES = 1
STUDY_PRELOAD = "shieldwall.studies.montecarlo"


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


def _run_variant_study(start, progress_enabled: bool, folder: Path | None, table: str = ""):
    """Run ``start(progress)`` (a Shapley, sweep or compare study) with a progress bar and the
    study command's handling of user errors (exit 2) and Ctrl-C (exit 130); ``folder`` None
    for a study that writes none (compare)."""
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
        kept = (
            "nothing kept (no folder)"
            if folder is None
            else f"kept in {folder / table}; the folder stays marked INCOMPLETE"
        )
        err_console.print(f"interrupted: {progress.finished} runs finished, {kept}", soft_wrap=True)
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
def compare(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    without_sharing: Annotated[
        list[str] | None,
        typer.Option(metavar="NATION", help="NATION releases nothing: agreements from it go"),
    ] = None,
    without_nation: Annotated[
        list[str] | None,
        typer.Option(metavar="NATION", help="NATION leaves: units, agreements, authority go"),
    ] = None,
    without_agreement: Annotated[
        list[str] | None, typer.Option(metavar="ID", help="drop the agreement with this id")
    ] = None,
    without_authority: Annotated[
        list[str] | None,
        typer.Option(metavar="ID", help="drop this authority (its id: the nation's by default)"),
    ] = None,
    runs: Annotated[int, typer.Option(help="replications of base and variant")] = 20,
    seed: BaseSeedOption = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
) -> None:
    """What-if: the scenario against a variant without what the --without-* options name
    (repeatable; all apply to one variant), replication i of both on the same seed; the paired
    difference per metric with a 95% CI."""
    from shieldwall.io.comparetable import compare_footer, compare_heading, compare_table
    from shieldwall.studies import make_executor
    from shieldwall.studies.compare import Removal, compare_study

    sc = _load(scenario)
    asked = (without_sharing, without_nation, without_agreement, without_authority)
    removal = Removal(*(tuple(ids or ()) for ids in asked))  # checked before any run starts
    base = sc.seed if seed is None else seed

    def start(progress):
        executor = make_executor(engine, workers, address, preload=[VARIANT_PRELOAD])
        return compare_study(sc, removal, runs, executor, base, progress)

    summary = _run_variant_study(start, not quiet and err_console.is_terminal, None).summary
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        out_console.print(compare_heading(summary), soft_wrap=True, highlight=False)
        out_console.print(compare_table(summary))
        out_console.print(compare_footer(summary), soft_wrap=True, highlight=False)
    for name, error in list(summary["errors"].items())[:5]:
        err_console.print(f"{name} failed (after a retry): {error}", highlight=False,
                          soft_wrap=True)  # fmt: skip
    if summary["failed"]:
        err_console.print(
            f"[bold red]{summary['failed']} of {2 * runs} runs failed[/]; the statistics use"
            f" the {summary['pairs']} seed pairs where both finished",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_STUDY_FAILURES)
