"""The ``report.html`` of a study folder: a Monte Carlo study (``study.json``,
``study.parquet``), a sweep (``sweep.json``) or a Shapley game (``shapley.json``), whichever
the folder holds.

Tables are the terminal's own (:mod:`shieldwall.io.studytables`,
:mod:`shieldwall.io.valuetables`) rendered as HTML; the sweep and Shapley plots are the PNGs of
:mod:`shieldwall.io.studyplots`, drawn again from the folder's JSON (so a report never depends
on a PNG that was moved or edited); the distributions across replications are histograms of
``study.parquet``.
"""

from __future__ import annotations

import tempfile
from html import escape
from pathlib import Path

import numpy as np
import pyarrow as pa

from shieldwall.io.jsonshape import (
    SHAPLEY_SHAPE,
    STUDY_SHAPE,
    SWEEP_SHAPE,
    shapley_problem,
    study_problem,
    sweep_problem,
)
from shieldwall.io.reporthtml import (
    ReportError,
    figure,
    img,
    page,
    png_data,
    read_json,
    read_parquet,
    read_yaml,
    rich_table,
    section,
)
from shieldwall.io.reportplots import CLASSES, histograms_svg

# metric -> (histogram title, divisor)
HISTOGRAMS = {
    "threats.leaked": ("leakers, all classes", 1.0),
    **{f"threats.by_class.{c}.leaked": (f"{c} leakers", 1.0) for c in CLASSES},
    "interceptors.fired": ("interceptors fired", 1.0),
    "interceptors.cost_usd": ("interceptor cost, US$ million", 1e6),
    "cost_exchange_ratio": ("cost-exchange ratio (defense / attack)", 1.0),
}
# a study's JSON -> (its shape, its cross-check), see io.jsonshape
CHECKS = {
    "study.json": (STUDY_SHAPE, study_problem),
    "sweep.json": (SWEEP_SHAPE, sweep_problem),
    "shapley.json": (SHAPLEY_SHAPE, shapley_problem),
}


def _meta(folder: Path, name: str) -> dict:
    """A study's JSON, checked against the shape shieldwall writes and against itself."""
    return read_json(folder / name, *CHECKS[name])


def _studyplot(draw, summary: dict, alt: str) -> str:
    """A :mod:`shieldwall.io.studyplots` PNG drawn from ``summary`` into a temporary folder
    (never into the study folder), as an ``<img>``."""
    with tempfile.TemporaryDirectory(prefix="shieldwall-report-") as tmp:
        path = Path(tmp) / "plot.png"
        draw(path, summary)
        data = png_data(path)
    if data is None:  # pragma: no cover - studyplots always writes a PNG
        raise ReportError(f"{alt}: no plot drawn")
    return img(data, alt)


def _histogram_columns(path: Path, rows: pa.Table, ok: np.ndarray) -> dict[str, np.ndarray]:
    """The HISTOGRAMS metrics ``study.parquet`` (at ``path``) has, over the replications that
    finished, in display units (NaN where a value is missing); ReportError for a column of
    something other than numbers."""
    columns: dict[str, np.ndarray] = {}
    for name, (_, divisor) in HISTOGRAMS.items():
        if name not in rows.column_names:
            continue
        column = rows.column(name)
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            raise ReportError(
                f"{path}: column {name} holds {column.type}, not numbers; not as shieldwall"
                " writes it (run it again)"
            )
        values = [np.nan if v is None else v for v in column.to_pylist()]
        columns[name] = np.array(values, dtype=float)[ok] / divisor
    return columns


def _study_rows(folder: Path, summary: dict) -> tuple[pa.Table, np.ndarray]:
    """``study.parquet`` and which of its rows finished; ReportError when their count is not
    study.json's ``completed`` (the page would show one and plot the other)."""
    path = folder / "study.parquet"
    rows = read_parquet(path, ("replication", "status"))
    ok = np.array([s == "ok" for s in rows.column("status").to_pylist()], dtype=bool)
    if int(ok.sum()) != summary["completed"]:
        raise ReportError(
            f"{path}: {int(ok.sum())} finished replications (status ok), but study.json says"
            f" completed {summary['completed']}; the two files are not from one study"
            " (run it again)"
        )
    return rows, ok


def _scaled_ci(ci: list | None, divisor: float) -> list[float] | None:
    return None if ci is None or None in ci else [v / divisor for v in ci]


def montecarlo_sections(folder: Path) -> list[tuple[str, str, str]]:
    """Distributions across replications (histograms) and every measure's mean and 95% CI."""
    from shieldwall.io.studytables import study_heading, study_tables

    summary = _meta(folder, "study.json")
    rows, ok = _study_rows(folder, summary)
    columns = _histogram_columns(folder / "study.parquet", rows, ok)
    labels = {name: title for name, (title, _) in HISTOGRAMS.items()}
    ci95 = {n: _scaled_ci(summary["ci95"].get(n), HISTOGRAMS[n][1]) for n in columns}
    caption = (
        f"Across the {int(ok.sum())} replications that finished (study.parquet): each"
        " measure's histogram, its mean as the red line and the mean's 95% CI as the band."
    )
    plots = figure(histograms_svg(columns, labels, ci95), caption) if columns else ""
    heading = f'<p class="caption">{escape(study_heading(summary))}</p>'
    tables = "\n".join(rich_table(t) for t in study_tables(summary))
    return [
        section("distributions", "Distributions across replications", heading, plots),
        section("means", "Means and 95% confidence intervals", tables),
    ]


def sweep_sections(folder: Path) -> list[tuple[str, str, str]]:
    """The sweep plot (leakers and asset value hit against the parameter) and its table."""
    from shieldwall.io.studyplots import sweep_png
    from shieldwall.io.valuetables import sweep_heading, sweep_table

    summary = _meta(folder, "sweep.json")
    plot = _studyplot(sweep_png, summary, f"sweep of {summary['param']}")
    return [
        section(
            "sweep",
            f"Sweep of {summary['param']}",
            f'<p class="caption">{escape(sweep_heading(summary))}</p>',
            figure(plot, "Means per run with 95% CI bars; every point on the same seeds."),
            rich_table(sweep_table(summary)),
        ),
    ]


def shapley_sections(folder: Path) -> list[tuple[str, str, str]]:
    """Each nation's Shapley value (bar chart and ranked table), and each agreement's."""
    from shieldwall.io.studyplots import shapley_png
    from shieldwall.io.valuetables import shapley_heading, shapley_tables

    summary = _meta(folder, "shapley.json")
    plot = _studyplot(shapley_png, summary, "Shapley value of each nation")
    tables = "\n".join(rich_table(t) for t in shapley_tables(summary))
    return [
        section(
            "shapley",
            "Coalition value (Shapley)",
            f'<p class="caption">{escape(shapley_heading(summary))}</p>',
            figure(
                plot,
                "Each nation's Shapley value with its 95% CI (Student t over"
                " replications); with --agreements, each agreement's value alone.",
            ),
            tables,
        ),
    ]


def study_page(folder: Path) -> str:
    """The page of a study folder: every kind of study it holds, in the order Monte Carlo,
    sweep, Shapley."""
    sections, kinds, name = [], [], folder.name
    for meta, title, make in (
        ("study.json", "Monte Carlo study", montecarlo_sections),
        ("sweep.json", "sweep", sweep_sections),
        ("shapley.json", "Shapley study", shapley_sections),
    ):
        if (folder / meta).is_file():
            sections += make(folder)
            kinds.append(title)
            name = read_json(folder / meta).get("scenario", name)
    scenario = read_yaml(folder / "scenario.yaml")
    meta = f"{' and '.join(kinds)} report: folder {folder.name}"
    return page(
        f"{name}: {kinds[0]} report" if len(kinds) == 1 else f"{name}: study report",
        meta,
        str(scenario.get("description") or ""),
        sections,
    )


__all__ = ["montecarlo_sections", "shapley_sections", "study_page", "sweep_sections"]
