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
from rich.text import Text

from shieldwall import interrupted_while_starting
from shieldwall.io.runfolder import (
    RunFolderError,
    check_source_outside,
    default_run_dir,
)
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
# no emoji codes (':100:' in a path stays as typed); text from users and files is printed as
# rich Text or with markup=False, so '[...]' in a message or path is never taken for markup
out_console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
PROGRESS_AFTER_S = 2.0


def _fail(lines: list[str]) -> None:
    """Print each problem as ``error: <line>`` on stderr (the line as plain text: no markup,
    no emoji) and exit with status 2."""
    for line in lines:
        err_console.print(
            Text.assemble(("error:", "bold red"), " ", str(line)), highlight=False, soft_wrap=True
        )
    raise typer.Exit(EXIT_USER_ERROR)


def _say(text: object) -> None:
    """Print a line (or rich table) holding user text (paths, names) on stdout as typed."""
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _load(source: str):
    """The scenario ``source``, or a one-line error per problem: its fields, ballistic shots
    its raid could draw that the missile type cannot fly, flights past the longest run and
    more clutter than a run can hold (the same for every seed)."""
    from shieldwall.sensors import sensor_array
    from shieldwall.sensors.falsealarm import clutter_problems
    from shieldwall.threats.feasible import raid_problems, run_end_bound_s

    try:
        sc = load_scenario(source)
    except ScenarioError as exc:
        _fail(exc.problems)
    problems = raid_problems(sc) or clutter_problems(sensor_array(sc), run_end_bound_s(sc))
    if problems:
        _fail([f"{source}: {p}" for p in problems])
    return sc


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

    if seed is not None and seed < 0:
        _fail([f"--seed: must be a whole number >= 0, got {seed}"])
    if out is not None:
        try:
            check_source_outside(scenario, out)
        except RunFolderError as exc:
            _fail([str(exc)])
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
        err_console.print(
            f"interrupted: {run_dir} is marked INCOMPLETE", markup=False, highlight=False
        )
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
        + (f" + in flight at the end {acc['in_flight']}" if acc.get("in_flight") else "")
    )
    _say(f"Run folder: {result.run_dir}")


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
    _say(
        f"{scenario}: valid scenario '{sc.name}' "
        f"({sum(s.count for s in sc.raid.salvos)} threats, "
        f"{len(sc.nations)} nations)"
    )


@app.command()
def schema() -> None:
    """Print the scenario file's JSON Schema (for editor autocompletion)."""
    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


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


# the analyst's tools (coverage, trajectory, track, wta), the report and the study commands
# (study, shapley, sweep) register themselves on ``app``
import shieldwall.cli_report  # noqa: E402, F401
import shieldwall.cli_tools  # noqa: E402, F401
from shieldwall import cli_studies  # noqa: E402, F401

if signal.getsignal(signal.SIGINT) is interrupted_while_starting:
    # imports done: from here main() turns Ctrl-C into 'interrupted' and status 130
    signal.signal(signal.SIGINT, signal.default_int_handler)


def main() -> None:
    """The ``shieldwall`` console script ([project.scripts]) and ``python -m shieldwall``. A
    usage error (a missing argument, an unknown option, a value of the wrong type) prints one
    line, as every other user error does, instead of click's usage block."""
    usage_errors = _click_exceptions()
    if "" in sys.argv[1:]:  # '--out ""' would be read as '.', the current folder
        at = sys.argv.index("", 1)
        after = f" after {sys.argv[at - 1]}" if at > 1 else ""
        err_console.print(Text.assemble(("error:", "bold red"),
                          f" an empty argument{after}; name the file, folder or value"),
                          highlight=False, soft_wrap=True)  # fmt: skip
        sys.exit(EXIT_USER_ERROR)
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False, highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    except usage_errors as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # the help is printed already
            sys.exit(e.exit_code)
        if type(e).__name__ == "Abort":
            err_console.print("interrupted", markup=False, highlight=False)
            sys.exit(EXIT_INTERRUPTED)
        ctx = getattr(e, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        message = " ".join(e.format_message().split())
        err_console.print(Text.assemble(("error:", "bold red"), f" {message}{hint}"),
                          highlight=False, soft_wrap=True)  # fmt: skip
        sys.exit(e.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """The usage-error and abort classes of the click under typer (typer 0.2x carries its own
    copy of click; earlier releases use click itself)."""
    import importlib

    kinds: list[type[BaseException]] = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        kinds += [getattr(module, k) for k in ("ClickException", "Abort") if hasattr(module, k)]
    return (*kinds, typer.Abort)


if __name__ == "__main__":
    main()
