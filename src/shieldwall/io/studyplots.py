"""PNG plots of variant studies: Shapley values and sweeps, each with 95% CI error bars.

Matplotlib's object-oriented API on the Agg canvas (no pyplot, no display), written
atomically like every file of a run folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from shieldwall.io.figsave import save_figure
from shieldwall.io.runfolder import write_atomic

DPI = 110
NOTE = "notional, public-figure model; bars: 95% CI (Student t over replications)"


def _errors(means: Sequence[float | None], cis: Sequence[list | None]) -> np.ndarray:
    """Asymmetric error bar lengths ``(2, k)`` from means and ``[low, high]`` (0 when none)."""
    err = np.zeros((2, len(means)))
    for j, (m, ci) in enumerate(zip(means, cis, strict=True)):
        if m is not None and ci is not None and None not in ci:
            err[:, j] = (m - ci[0], ci[1] - m)
    return err


def _bars(ax: Axes, labels: list[str], means: list, cis: list, title: str, xlabel: str) -> None:
    """Horizontal bars, the first label on top, with CI whiskers."""
    y = np.arange(len(labels))[::-1]
    values = [0.0 if m is None else m for m in means]
    ax.barh(y, values, xerr=_errors(values, cis), color="#4c72b0", capsize=4,
            error_kw={"elinewidth": 1.2})  # fmt: skip
    ax.set_yticks(y, labels)
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def _save(fig: Figure, path: Path) -> None:
    write_atomic(Path(path), lambda tmp: save_figure(fig, tmp, format="png", dpi=DPI))


def shapley_png(path: Path, summary: dict) -> None:
    """Each nation's Shapley value, ranked, and with ``agreements`` each agreement's value."""
    agreements = summary.get("agreements") or {}
    fig = Figure(figsize=(8.0, 4.5 if not agreements else 7.5), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 if agreements else 1, 1, squeeze=False)[:, 0]
    ranked = summary["ranking"]
    _bars(
        axes[0],
        ranked,
        [summary["values"][n] for n in ranked],
        [summary["ci95"][n] for n in ranked],
        f"{summary['scenario']}: Shapley value of each nation ({summary['method']},"
        f" {summary['replications_used']} replications)",
        f"Shapley value of: {summary.get('payoff_definition', 'asset value left standing')}",
    )
    if agreements:
        ids = sorted(agreements, key=lambda a: -(agreements[a]["mean"] or 0.0))
        _bars(axes[1], ids, [agreements[a]["mean"] for a in ids],
              [agreements[a]["ci95"] for a in ids], "value of each sharing agreement alone",
              "payoff with all agreements minus payoff without this one")  # fmt: skip
    fig.text(0.01, 0.005, NOTE, fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _save(fig, path)


def _line(ax: Axes, x: list[float], point_stats: list[dict], name: str, label: str) -> None:
    """One metric's means against the parameter, with 95% CI error bars."""
    rows = [p["metrics"].get(name) for p in point_stats]
    means = [None if r is None else r["mean"] for r in rows]
    cis = [None if r is None else r["ci95"] for r in rows]
    y = np.array([np.nan if m is None else m for m in means])
    ax.errorbar(x, y, yerr=_errors([0.0 if m is None else m for m in means], cis),
                marker="o", capsize=3, label=label)  # fmt: skip


def sweep_png(path: Path, summary: dict) -> None:
    """Leakers (total and by class) and asset value hit against the swept parameter."""
    from shieldwall.studies.sweep import LEAKED
    from shieldwall.studies.variants import VALUE_HIT

    fig = Figure(figsize=(8.0, 7.5), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    x, points = summary["values"], summary["points"]
    for name in LEAKED:
        label = name.removeprefix("threats.by_class.").removesuffix(".leaked")
        _line(top, x, points, name, "total" if name == "threats.leaked" else label)
    top.set_ylabel("leakers per run")
    top.set_title(f"{summary['scenario']}: sweep of {summary['param']} ({summary['runs']}"
                  " replications per point, common random numbers)", fontsize=11)  # fmt: skip
    top.legend(fontsize=8)
    _line(bottom, x, points, VALUE_HIT, "asset value hit")
    bottom.set_ylabel("asset value hit per run")
    bottom.set_xlabel(summary["param"])
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.text(0.01, 0.005, NOTE, fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _save(fig, path)


__all__ = ["shapley_png", "sweep_png"]
