"""The ``shieldwall`` study commands: ``study`` (Monte Carlo) here, and the options, progress
bar and conventions it shares with the variant studies of :mod:`shieldwall.cli_variants`
(``shapley``, ``sweep``, ``compare``). They register on the one typer ``app`` of
:mod:`shieldwall.cli` (same error and interrupt conventions)."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from shieldwall.cli import (
    EXIT_INTERRUPTED,
    _fail,
    _load,
    app,
    err_console,
    out_console,
)
from shieldwall.io.runfolder import RunFolderError, check_source_outside, default_run_dir

if TYPE_CHECKING:
    from shieldwall.studies.folder import Layout

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
# the signals that stop a study as Ctrl-C does (SIGTERM: kill, a batch scheduler's stop)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SHOWN_RETRIES = 5
T = TypeVar("T")


def _checked(check: Callable[..., T], *args: object) -> T:
    """``check(*args)`` (a study argument check, run before anything is written), with its
    StudyInputError printed as the one-line error (exit 2)."""
    from shieldwall.studies.seeds import StudyInputError

    try:
        return check(*args)
    except StudyInputError as exc:
        _fail([str(exc)])
        raise  # unreachable: _fail exits


def _user_errors() -> tuple[type[Exception], ...]:
    """The exceptions a study command reports as one-line user errors (exit 2): its folder
    (RunFolderError, StudyFolderError), engine (EngineError), arguments (StudyInputError, the
    sweep's ParamError) and a study variant the scenario loader rejects (ScenarioError). Any
    other exception is a bug and keeps its traceback."""
    from shieldwall.scenario import ScenarioError
    from shieldwall.studies.executors import EngineError
    from shieldwall.studies.seeds import StudyInputError

    return (RunFolderError, EngineError, StudyInputError, ScenarioError)


def _outside(source: str, out: Path | None, resume: bool) -> None:
    """Refuse an ``--out`` whose writing would overwrite the scenario file ``source`` itself
    (a resume only reads the folder's copy); one line, exit 2."""
    if out is None or resume:
        return
    try:
        check_source_outside(source, out)
    except RunFolderError as exc:
        _fail([str(exc)])


def _user_error_lines(exc: Exception) -> list[str]:
    """The one-line error(s) of a user error or a ScenarioError (a study variant the scenario
    loader rejects), as plain text (``_fail`` prints them without markup)."""
    from shieldwall.scenario import ScenarioError

    problems = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
    return [str(line) for line in problems]


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
        """Stop the study (Ctrl-C or SIGTERM): KeyboardInterrupt, now and at the next
        finished replication."""
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


@contextmanager
def _stop_signals(progress: _StudyProgress) -> Iterator[None]:
    """Inside the block, Ctrl-C and SIGTERM both interrupt the study through ``progress``:
    the finished replications are written and the resume hint printed, where SIGTERM used
    to end the process (exit 143) before study.parquet was written. The previous handlers
    are restored after."""
    previous = {sig: signal.signal(sig, progress.on_sigint) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _study_seed(
    seed: int | None, out: Path | None, resume: bool, default: int, layout: Layout | None = None
) -> int:
    """The base seed: --seed, else (with --resume) the study's own (in the folder ``out`` of
    ``layout``, by default a Monte Carlo study's), else the scenario's."""
    from shieldwall.studies.folder import STUDY, StudyFolderError, stored_meta

    if seed is not None or not resume:
        return default if seed is None else seed
    if out is None:
        _fail(["--resume: give the study folder to continue with --out"])
    layout = layout or STUDY
    try:
        stored = stored_meta(out, layout).get("base_seed", default)
    except StudyFolderError as exc:
        _fail([str(exc)])
    if isinstance(stored, bool) or not isinstance(stored, int) or stored < 0:
        _fail([(f"{out}: {layout.meta} holds no usable base_seed ({stored!r}); give"
                      " the study's --seed, or choose another --out")])  # fmt: skip
    return stored


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
    from shieldwall.studies import make_executor, run_study
    from shieldwall.studies.seeds import check_runs, check_seed

    sc = _load(scenario)
    _outside(scenario, out, resume)
    _checked(check_runs, runs)
    if seed is not None:
        _checked(check_seed, seed)
    if resume and force:
        _fail(["--resume and --force: choose one (continue the study, or start it over)"])
    base = _study_seed(seed, out, resume, sc.seed)
    folder = out if out is not None else default_run_dir(Path("studies"), sc.name, base)
    progress = _StudyProgress(enabled=not quiet and err_console.is_terminal)
    try:
        with _stop_signals(progress):
            executor = make_executor(engine, workers, address, [STUDY_PRELOAD], tasks=runs)
            result = run_study(
                sc, runs, folder, executor, base, resume=resume, force=force, progress=progress
            )
    except _user_errors() as exc:
        progress.stop()
        _fail(_user_error_lines(exc))
    except KeyboardInterrupt:
        progress.stop()
        err_console.print(
            f"interrupted: {progress.finished} of {runs} replications kept in {folder};"
            f" continue with --resume --out {folder}",
            soft_wrap=True,
            markup=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        progress.stop()
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
            markup=False,
        )
    _retried_note(summary["retried"], "replication")
    if summary["failed"]:
        _failures(
            {f"replication {k}": e for k, e in summary["errors"].items()},
            f"{summary['failed']} of {summary['runs']} replications failed",
            f"; their rows in {folder / 'study.parquet'} say why; --resume --out {folder} retries"
            " them",
        )


def _retried_note(retried: dict[str, str], unit: str) -> None:
    """One line naming the runs (``retried``: name -> the error of the failed try) that
    succeeded only when retried, so a retry is reported, not hidden in a full count; nothing
    when there are none. Up to five are named."""
    if not retried:
        return
    n = len(retried)
    shown = ", ".join(f"{name} ({error})" for name, error in list(retried.items())[:SHOWN_RETRIES])
    more = ", ..." if n > SHOWN_RETRIES else ""
    was = f"{unit} was" if n == 1 else f"{unit}s were"
    err_console.print(f"{n} {was} retried after a failure and then succeeded: {shown}{more}",
                      highlight=False, soft_wrap=True, markup=False)  # fmt: skip


def _failures(errors: dict[str, str], headline: str, rest: str) -> None:
    """Name up to five failed runs (``errors``: what -> why, after a retry each), then the
    ``headline`` (bold) and ``rest`` of the count line; exit 1. User text prints as typed."""
    for name, error in list(errors.items())[:5]:
        err_console.print(f"{name} failed (after a retry): {error}", highlight=False,
                          soft_wrap=True, markup=False)  # fmt: skip
    err_console.print(Text.assemble((headline, "bold red"), rest), soft_wrap=True)
    raise typer.Exit(EXIT_STUDY_FAILURES)


# the variant studies (shapley, sweep, compare) register themselves on ``app``
from shieldwall import cli_variants  # noqa: E402, F401
