"""The plots of ``report.html``, each returned as inline SVG text (no file, no network).

Matplotlib's object-oriented API on the Agg canvas (no pyplot, no display), saved as SVG with
the glyphs drawn as paths (so the page needs no font) and without a date (so the same folder
gives the same report, byte for byte). Each figure's element ids are salted with its own name,
so several figures share one HTML document without an id clash.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from shieldwall.io.figsave import save_figure
from shieldwall.io.mapplot import NATION_PALETTE, TRACK_COLORS

CLASSES = ("ballistic", "cruise", "drone")
TIMELINE = (
    ("launch", "launches"),
    ("detect", "detections (a sensor's first report)"),
    ("release", "releases to partners"),
    ("engage", "shots fired"),
    ("intercept", "intercepts"),
    ("leak", "leakers"),
)
NOTE = "notional, public-figure model"


@dataclass(frozen=True, slots=True)
class Magazine:
    """One shooter: its rounds at the start and the times of its shots (s, sorted)."""

    unit_id: str
    nation: str
    type: str
    rounds: int
    shots_t_s: np.ndarray
    patrol: bool = False


def svg_text(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), ids salted with ``name``."""
    buf = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        save_figure(fig, buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def time_scale(t_end_s: float) -> tuple[float, str]:
    """Divisor and axis label: minutes up to three hours, hours beyond."""
    return (
        (60.0, "minutes from scenario start")
        if t_end_s <= 3 * 3600
        else (3600.0, "hours from scenario start")
    )


def _cumulative(ax: Axes, t: np.ndarray, color: str, t_end: float) -> None:
    """A step curve of the running count of the times ``t`` (already scaled), from 0."""
    t = np.sort(t)
    x = np.concatenate([[0.0], t, [t_end]])
    y = np.concatenate([[0], np.arange(1, t.size + 1), [t.size]])
    ax.step(x, y, where="post", color=color, lw=1.4)


def timeline_svg(t_s: np.ndarray, event: np.ndarray, threat_class: np.ndarray) -> str:
    """Running counts over time of launches, detections, releases, shots, intercepts and
    leakers, one panel per kind and one step curve per threat class. Arrays ``(n,)``."""
    t_end = float(t_s.max()) if t_s.size else 1.0
    scale, xlabel = time_scale(t_end)
    fig = _figure(10.0, 5.8)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    for ax, (kind, title) in zip(axes, TIMELINE, strict=True):
        here = event == kind
        counts = []
        for cls in CLASSES:
            t = t_s[here & (threat_class == cls)] / scale
            counts.append(f"{cls[0].upper()} {t.size}")
            if t.size:
                _cumulative(ax, t, TRACK_COLORS[cls], t_end / scale)
        if not here.any():
            ax.text(0.5, 0.5, "none", transform=ax.transAxes, ha="center", color="0.5")
        ax.set_title(f"{title}\n{int(here.sum())}: {', '.join(counts)}", fontsize=9)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0, 1.02 * t_end / scale)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[3:]:
        ax.set_xlabel(xlabel)
    for ax in axes[::3]:
        ax.set_ylabel("running count")
    handles = [Line2D([], [], color=TRACK_COLORS[c], lw=1.6) for c in CLASSES]
    labels = [f"{c} ({c[0].upper()})" for c in CLASSES]
    fig.legend(handles, labels, loc="upper center", ncols=3, fontsize=8, frameon=False)
    fig.text(0.01, 0.005, NOTE, fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.02, 1, 0.95))
    return svg_text(fig, "timeline")


def _stacked_barh(ax: Axes, rows: dict[str, dict[str, float]], title: str, xlabel: str) -> None:
    """Horizontal bars, one per row (first on top), stacked by the inner keys."""
    labels = list(rows)
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    parts = sorted({k for row in rows.values() for k in row})
    for j, part in enumerate(parts):
        x = np.array([rows[r].get(part, 0.0) for r in labels], dtype=float)
        ax.barh(y, x, left=left, label=part, color=_palette(j), edgecolor="white", lw=0.5)
        left += x
    for yi, total in zip(y, left, strict=True):
        ax.annotate(
            f"{total:,.4g}",
            (total, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ax.set_yticks(y, labels)
    ax.set_xlim(0, max(1.0, float(left.max(initial=0.0))) * 1.15)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def _palette(j: int) -> str:
    return NATION_PALETTE[j % len(NATION_PALETTE)]


def expenditure_svg(by_nation: dict, by_layer: dict) -> str:
    """Interceptors fired and their cost by nation (stacked by type) and by layer.
    ``by_nation``: nation -> type -> {fired, cost_usd}; ``by_layer``: layer -> {fired,
    cost_usd, kills} (summary.json's ``interceptors`` dicts)."""
    fig = _figure(10.0, 2.2 + 0.32 * (len(by_nation) + len(by_layer)))
    grid = fig.add_gridspec(2, 2, height_ratios=[max(1, len(by_nation)), max(1, len(by_layer))])
    fired = {n: {t: float(v["fired"]) for t, v in types.items()} for n, types in by_nation.items()}
    cost = {n: {t: v["cost_usd"] / 1e6 for t, v in types.items()} for n, types in by_nation.items()}
    _stacked_barh(fig.add_subplot(grid[0, 0]), fired, "fired, by nation and type", "shots")
    ax = fig.add_subplot(grid[0, 1])
    _stacked_barh(ax, cost, "cost, by nation and type", "US$ million")
    if fired:
        ax.legend(
            fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="type", title_fontsize=7
        )
    layer_fired = {k: {"fired": float(v["fired"])} for k, v in by_layer.items()}
    layer_cost = {k: {"fired": v["cost_usd"] / 1e6} for k, v in by_layer.items()}
    _stacked_barh(fig.add_subplot(grid[1, 0]), layer_fired, "fired, by layer", "shots")
    _stacked_barh(fig.add_subplot(grid[1, 1]), layer_cost, "cost, by layer", "US$ million")
    fig.text(0.01, 0.005, NOTE, fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return svg_text(fig, "expenditure")


def _magazine_panel(ax: Axes, u: Magazine, t_end_s: float, scale: float, color: str) -> None:
    """Rounds left of one shooter as a step curve from its full magazine."""
    t = np.concatenate([[0.0], np.sort(u.shots_t_s), [t_end_s]]) / scale
    left = u.rounds - np.arange(u.shots_t_s.size + 1)
    left = np.concatenate([left, left[-1:]])
    ax.step(t, left, where="post", color=color, lw=1.5, ls="--" if u.patrol else "-")
    ax.set_ylim(0, max(1, u.rounds) * 1.08)
    ax.set_xlim(0, 1.02 * t_end_s / scale)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.set_title(f"{u.unit_id}\n{u.nation} {u.type}: {left[-1]} of {u.rounds} left", fontsize=7.5)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def magazines_svg(units: Sequence[Magazine], t_end_s: float) -> str:
    """Rounds left over time, one small panel per battery and fighter patrol (patrols:
    aircraft x shots per sortie), coloured by nation. Fixed margins rather than a tight
    layout: with dozens of panels it halves the drawing time."""
    scale, xlabel = time_scale(t_end_s)
    cols = min(5, max(1, len(units)))
    rows = max(1, math.ceil(len(units) / cols))
    height_in = 0.75 + 1.7 * rows
    fig = _figure(10.0, height_in)
    fig.subplots_adjust(
        left=0.06,
        right=0.99,
        bottom=0.55 / height_in,
        top=1 - 0.35 / height_in,
        wspace=0.28,
        hspace=0.62,
    )
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    nations = list(dict.fromkeys(u.nation for u in units))
    for ax, u in zip(axes, units, strict=False):
        _magazine_panel(ax, u, t_end_s, scale, _palette(nations.index(u.nation)))
    for ax in axes[len(units) :]:
        ax.set_visible(False)
    for ax in axes[max(0, len(units) - cols) : len(units)]:
        ax.set_xlabel(xlabel, fontsize=7)
    for ax in axes[::cols]:
        ax.set_ylabel("rounds left", fontsize=7)
    fig.text(0.01, 0.005, NOTE + "; dashed: fighter patrols", fontsize=7, color="0.4")
    return svg_text(fig, "magazines")


def spend_svg(
    defense: tuple[np.ndarray, np.ndarray], attack: tuple[np.ndarray, np.ndarray], t_end_s: float
) -> str:
    """Running cost of the defense's shots and of the threats launched, each given as
    ``(t_s, cost_usd)`` arrays ``(n,)``."""
    scale, xlabel = time_scale(t_end_s)
    fig = _figure(10.0, 3.2)
    ax = fig.add_subplot()
    for (t, cost), label, color in (
        (defense, "defense (interceptors fired)", "#1f77b4"),
        (attack, "attack (threats launched)", "#c0392b"),
    ):
        order = np.argsort(t, kind="stable")
        x = np.concatenate([[0.0], t[order], [t_end_s]]) / scale
        y = np.concatenate([[0.0], np.cumsum(cost[order]), [cost.sum()]]) / 1e6
        ax.step(x, y, where="post", color=color, lw=1.6, label=f"{label}: ${y[-1]:,.1f}M")
    ax.set_xlim(0, 1.02 * t_end_s / scale)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("US$ million, running total")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.005, NOTE, fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return svg_text(fig, "spend")


def histograms_svg(
    columns: dict[str, np.ndarray], labels: dict[str, str], ci95: dict[str, list | None]
) -> str:
    """One histogram per metric across replications (``columns``: name -> values ``(n,)``,
    NaN for a replication without it), with the mean as a line and its 95% CI
    (``ci95``: name -> [low, high] in the same units, or None) as a band; whole-number
    metrics get one bin per value."""
    names = list(columns)
    cols = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    fig = _figure(10.0, 0.5 + 2.4 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        x = columns[name][np.isfinite(columns[name])]
        whole = bool(x.size) and bool(np.all(x == np.round(x))) and x.max() - x.min() <= 60
        bins = np.arange(x.min() - 0.5, x.max() + 1.5) if whole else min(30, max(5, x.size // 3))
        ax.hist(x, bins=bins, color="#4c72b0", edgecolor="white")
        ci = ci95.get(name)
        if ci is not None and None not in ci:
            ax.axvspan(ci[0], ci[1], color="#c0392b", alpha=0.12, lw=0, label="95% CI of mean")
        if x.size:
            ax.axvline(float(x.mean()), color="#c0392b", lw=1.2, label=f"mean {x.mean():,.3g}")
            ax.legend(fontsize=7)
        if whole:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{labels.get(name, name)} (n = {x.size})", fontsize=9)
        ax.set_ylabel("replications", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.text(0.01, 0.005, NOTE, fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return svg_text(fig, "histograms")


__all__ = [
    "Magazine",
    "expenditure_svg",
    "histograms_svg",
    "magazines_svg",
    "spend_svg",
    "svg_text",
    "timeline_svg",
]
