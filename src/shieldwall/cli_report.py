"""The ``shieldwall report`` command: a self-contained ``report.html`` in a run or study
folder. It registers on the one typer ``app`` of :mod:`shieldwall.cli` (same error
conventions: a folder no report can be made of is one line on stderr and exit status 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shieldwall.cli import _fail, _say, app


@app.command()
def report(
    folder: Annotated[
        Path,
        typer.Argument(
            help="a run folder (shieldwall run) or study folder (study, sweep, shapley)"
        ),
    ],
) -> None:
    """Write report.html into a run or study folder: one self-contained page (works offline,
    loads nothing) with the outcome, raid timeline, map, interceptor expenditure, magazines and
    cost exchange of a run, or the distributions, sweep and Shapley plots of a study."""
    from shieldwall.io.report import ReportError, write_report

    try:
        path = write_report(folder)
    except ReportError as exc:
        _fail([str(exc)])
    size_kb = path.stat().st_size / 1024
    _say(f"report: {path} ({size_kb:,.0f} KB)")
