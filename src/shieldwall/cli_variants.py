"""The variant study commands: ``shapley`` (each nation's worth), ``sweep`` (one scenario field
over a range) and ``compare`` (a what-if). They register on the one typer ``app`` of
:mod:`shieldwall.cli` and share the ``study`` command's options, progress bar, error and
interrupt conventions (:mod:`shieldwall.cli_studies`); ``shapley`` and ``sweep`` continue an
interrupted folder with ``--resume``, as ``study`` does."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shieldwall.cli import EXIT_INTERRUPTED, _fail, _load, app, err_console, out_console
from shieldwall.cli_studies import (
    EXIT_STUDY_FAILURES,
    AddressOption,
    BaseSeedOption,
    EngineOption,
    QuietOption,
    ReuseOption,
    WorkersOption,
    _checked,
    _failures,
    _outside,
    _retried_note,
    _stop_signals,
    _study_seed,
    _StudyProgress,
    _user_error_lines,
    _user_errors,
)
from shieldwall.io.runfolder import default_run_dir

if TYPE_CHECKING:
    from shieldwall.scenario import Scenario
    from shieldwall.studies.compare import Removal
    from shieldwall.studies.folder import Layout

ResumeOption = Annotated[
    bool, typer.Option(help="continue the study in --out (give the options it was started with)")
]
VariantSeedOption = Annotated[
    int | None, typer.Option(help="base seed (default: the scenario's; with --resume, the study's)")
]


def _check_runs_seed(runs: int, seed: int | None) -> None:
    """--runs (1 .. 1,000,000) and --seed (>= 0), checked before anything is read or written;
    one-line errors, exit 2."""
    from shieldwall.studies.seeds import check_runs, check_seed

    _checked(check_runs, runs)
    if seed is not None:
        _checked(check_seed, seed)


def _variant_folder(source: str, sc: Scenario, layout: Layout, seed: int | None,
                    out: Path | None, resume: bool, force: bool) -> tuple[Path, int]:  # fmt: skip
    """The folder and base seed of a Shapley study or sweep (scenario ``sc`` loaded from
    ``source``), after the ``study`` command's checks of --resume (with --out, without
    --force) and of an --out that would overwrite ``source``; one-line errors, exit 2."""
    _outside(source, out, resume)
    if resume and force:
        _fail(["--resume and --force: choose one (continue the study, or start it over)"])
    if resume and out is None:
        _fail(["--resume: give the study folder to continue with --out"])
    base = _study_seed(seed, out, resume, sc.seed, layout)
    name = f"{sc.name}-{layout.command}"
    return (out if out is not None else default_run_dir(Path("runs"), name, base)), base


VARIANT_PRELOAD = "shieldwall.studies.variants"


def _run_variant_study(start, progress_enabled: bool, folder: Path | None, table: str = ""):
    """Run ``start(progress)`` (a Shapley, sweep or compare study) with a progress bar and the
    study command's handling of user errors (exit 2) and Ctrl-C (exit 130); ``folder`` None
    for a study that writes none (compare)."""
    progress = _StudyProgress(enabled=progress_enabled)
    try:
        with _stop_signals(progress):  # Ctrl-C and SIGTERM alike
            return start(progress)
    except _user_errors() as exc:
        progress.stop()
        _fail(_user_error_lines(exc))
    except KeyboardInterrupt:
        progress.stop()
        kept = (
            "nothing kept (no folder)"
            if folder is None
            else f"kept in {folder / table} (the folder stays marked INCOMPLETE); continue with"
            f" the same command and --resume --out {folder}"
        )
        err_console.print(f"interrupted: {progress.finished} runs finished, {kept}", soft_wrap=True,
                          markup=False)  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        progress.stop()


def _variant_failures(summary: dict, folder: Path, table: str) -> None:
    """Name the failed tasks (after a retry each) and exit 1 when there are any."""
    if not summary["failed"]:
        return
    _failures(
        summary["errors"],
        f"{summary['failed']} of {summary['tasks']} runs failed",
        f"; their rows in {folder / table} say why; the same command with --resume --out"
        f" {folder} retries them",
    )


def _variant_report(
    summary: dict,
    folder: Path,
    layout: Layout,
    as_json: bool,
    heading: Callable[[dict], str],
    tables: Callable[[dict], list],
) -> None:
    """Print a finished Shapley study or sweep (its ``heading`` and ``tables``, or with
    ``--json`` its JSON) and the folder; exit 1 when some runs failed."""
    if as_json:
        sys.stdout.write(json.dumps(summary | {"folder": str(folder)}, indent=2) + "\n")
    else:
        out_console.print(heading(summary), soft_wrap=True, highlight=False)
        for table in tables(summary):
            out_console.print(table)
        files = ", ".join((*layout.extra, layout.meta, layout.table))
        out_console.print(f"folder: {folder} ({files})", soft_wrap=True, markup=False)
    _retried_note(summary.get("retried", {}), "run")
    _variant_failures(summary, folder, layout.table)


@app.command()
def shapley(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    runs: Annotated[int, typer.Option(help="replications of every coalition")] = 20,
    seed: VariantSeedOption = None,
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
    resume: ResumeOption = False,
    force: ReuseOption = False,
    quiet: QuietOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print shapley.json as JSON")] = False,
) -> None:
    """Each nation's Shapley value (asset value defended), with 95% CIs; common random numbers."""
    from shieldwall.io.valuetables import shapley_heading, shapley_tables
    from shieldwall.studies import make_executor
    from shieldwall.studies.coalitionvalue import TABLE, check_game, shapley_study
    from shieldwall.studies.folder import SHAPLEY

    sc = _load(scenario)
    _check_runs_seed(runs, seed)
    tasks = _checked(check_game, sc, runs, agreements, permutations, payoff)
    folder, base = _variant_folder(scenario, sc, SHAPLEY, seed, out, resume, force)

    def start(progress):
        executor = make_executor(engine, workers, address, [VARIANT_PRELOAD], tasks=tasks)
        return shapley_study(sc, runs, folder, executor, base, agreements, permutations,
                             payoff, resume, force, progress)  # fmt: skip

    result = _run_variant_study(start, not quiet and err_console.is_terminal, folder, TABLE)
    _variant_report(result.summary, folder, SHAPLEY, as_json, shapley_heading, shapley_tables)


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    param: Annotated[
        list[str],
        typer.Option(
            metavar="TEXT",
            help="PATH=START:STOP:STEP, e.g. batteries.0.magazine=0:20:5 (STOP included: it"
            " must be START + k*STEP); one field per sweep",
        ),
    ],
    runs: Annotated[int, typer.Option(help="replications at every point")] = 20,
    seed: VariantSeedOption = None,
    out: Annotated[
        Path | None, typer.Option(help="folder (default runs/<name>-sweep-<seed>-<time>)")
    ] = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    resume: ResumeOption = False,
    force: ReuseOption = False,
    quiet: QuietOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print sweep.json as JSON")] = False,
) -> None:
    """Sweep one numeric scenario field; leakers and asset value hit with 95% CIs per point."""
    from shieldwall.io.valuetables import sweep_heading, sweep_table
    from shieldwall.studies import make_executor
    from shieldwall.studies.folder import SWEEP
    from shieldwall.studies.sweep import TABLE, parse_param, sweep_study
    from shieldwall.studies.variants import check_tasks

    sc = _load(scenario)
    _check_runs_seed(runs, seed)
    path, values = _checked(parse_param, _one_param(param))  # sweep_study checks every point
    _checked(check_tasks, runs, len(values), "points")
    folder, base = _variant_folder(scenario, sc, SWEEP, seed, out, resume, force)

    def start(progress):
        executor = make_executor(engine, workers, address, [VARIANT_PRELOAD],
                                 tasks=runs * len(values))  # fmt: skip
        return sweep_study(sc, path, values, runs, folder, executor, base, resume, force,
                           progress)  # fmt: skip

    result = _run_variant_study(start, not quiet and err_console.is_terminal, folder, TABLE)
    _variant_report(result.summary, folder, SWEEP, as_json, sweep_heading,
                    lambda summary: [sweep_table(summary)])  # fmt: skip


def _one_param(params: list[str]) -> str:
    """The one ``--param`` of a sweep: given twice, typer would keep the last and sweep it
    alone, so a sweep of two fields is refused instead (one line, exit 2)."""
    if len(params) != 1:
        _fail([f"--param: give one field per sweep (got {len(params)})"])
    return params[0]


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name or a YAML file")],
    without_sharing: Annotated[
        list[str] | None,
        typer.Option(metavar="NATION", help="NATION releases nothing: agreements from it go"),
    ] = None,
    without_nation: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NATION",
            help="NATION leaves: units, agreements, authority go; it receives nothing",
        ),
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
    from shieldwall.studies.variants import check_tasks

    sc = _load(scenario)
    _check_runs_seed(runs, seed)
    _checked(check_tasks, runs, 2, "variants (the scenario and its what-if)")
    asked = (without_sharing, without_nation, without_agreement, without_authority)
    removal = Removal(*(tuple(ids or ()) for ids in asked))
    _check_removal(sc, removal)
    base = sc.seed if seed is None else seed

    def start(progress):
        executor = make_executor(engine, workers, address, [VARIANT_PRELOAD], tasks=2 * runs)
        return compare_study(sc, removal, runs, executor, base, progress)

    summary = _run_variant_study(start, not quiet and err_console.is_terminal, None).summary
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        out_console.print(compare_heading(summary), soft_wrap=True, highlight=False)
        out_console.print(compare_table(summary))
        out_console.print(compare_footer(summary), soft_wrap=True, highlight=False)
    _retried_note(summary["retried"], "run")
    for name, error in list(summary["errors"].items())[:5]:
        err_console.print(f"{name} failed (after a retry): {error}", highlight=False,
                          soft_wrap=True, markup=False)  # fmt: skip
    if summary["failed"]:
        err_console.print(
            f"[bold red]{summary['failed']} of {2 * runs} runs failed[/]; the statistics use"
            f" the {summary['pairs']} seed pairs where both finished",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_STUDY_FAILURES)


def _check_removal(sc: Scenario, removal: Removal) -> None:
    """The what-if variant built once before any run starts: an unknown id, an empty removal
    or a variant the loader rejects is a one-line error (exit 2). compare.py raises these as
    plain ValueErrors, so only this call's ValueError is taken as the user's."""
    from shieldwall.studies.compare import variant_scenario

    try:
        variant_scenario(sc, removal)
    except ValueError as exc:
        _fail([str(exc)])
