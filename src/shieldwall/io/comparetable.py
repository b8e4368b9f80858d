"""The rich table of a what-if (``shieldwall compare``): base, variant and their paired
difference per metric, with its 95% interval and whether that interval excludes zero."""

from __future__ import annotations

from rich.table import Table

from shieldwall.io.tables import _table

# metric name -> (label, scale, digits): shown as value / scale with that many digits
LABELS = {
    "threats.by_class.ballistic.leaked": ("ballistic leakers", 1.0, 2),
    "threats.by_class.cruise.leaked": ("cruise leakers", 1.0, 2),
    "threats.by_class.drone.leaked": ("drone leakers", 1.0, 2),
    "threats.leaked": ("all leakers", 1.0, 2),
    "assets.hits": ("asset hits", 1.0, 2),
    "assets.value_hits": ("asset value x hits", 1.0, 1),
    "interceptors.fired": ("interceptors fired", 1.0, 2),
    "interceptors.cost_usd": ("interceptor cost $M", 1e6, 2),
}
COMPLETENESS_DIGITS = 3
WANTS = {
    "without_sharing": "sharing from",
    "without_nation": "nation",
    "without_agreement": "agreement",
    "without_authority": "authority",
}


def _label(name: str) -> tuple[str, float, int]:
    if name in LABELS:
        return LABELS[name]
    if name.startswith("siap.") and name.endswith(".completeness"):
        audience = name.removeprefix("siap.").removesuffix(".completeness")
        return f"completeness {audience}", 1.0, COMPLETENESS_DIGITS
    return name, 1.0, 2


def _num(x: float | None, scale: float, digits: int, sign: bool = False) -> str:
    """``x / scale`` with ``digits`` decimals (a leading + when ``sign``); exactly zero as
    ``0.00``; a value too small for ``digits`` with one significant digit (``-8e-06``), so a
    difference whose interval excludes 0 never reads 0.00."""
    if x is None:
        return "n/a"
    v = x / scale
    if v == 0:
        return f"{0.0:.{digits}f}"
    if round(v, digits) == 0:
        return f"{v:+.1g}" if sign else f"{v:.1g}"
    return f"{v:+,.{digits}f}" if sign else f"{v:,.{digits}f}"


def excludes_zero(ci: list | None) -> bool:
    """True when the interval lies wholly above or wholly below zero."""
    return ci is not None and None not in ci and (ci[0] > 0 or ci[1] < 0)


def compare_heading(summary: dict) -> str:
    """The line above the table: what was removed, and over how many seed pairs."""
    v = summary["variant"]
    wants = "; ".join(f"{WANTS[k]} {', '.join(ids)}" for k, ids in v.items() if k in WANTS and ids)
    gone = "; ".join(f"{k}: {', '.join(ids)}" for k, ids in v["dropped"].items() if ids)
    return (
        f"What-if {summary['scenario']}: without {wants} (dropped {gone or 'nothing'});"
        f" {summary['pairs']} of {summary['runs']} seed pairs (base seed"
        f" {summary['base_seed']}, common random numbers); notional, public-figure model"
    )


def compare_table(summary: dict) -> Table:
    """One row per metric: base mean, variant mean, mean difference (variant - base), the
    half-width of its 95% paired t interval (symmetric about the difference), and ``yes``
    when that interval excludes zero."""
    head = ("metric", "base", "variant", "diff", "95% CI", "excludes 0")
    table = _table("Variant - base, paired by seed", head, left=("metric", "excludes 0"))
    for name, row in summary["metrics"].items():
        label, scale, digits = _label(name)
        ci = row["ci95"]
        half = "n/a" if ci is None or None in ci else "±" + _num((ci[1] - ci[0]) / 2, scale, digits)
        table.add_row(
            label,
            _num(row["base"], scale, digits),
            _num(row["variant"], scale, digits),
            _num(row["diff"], scale, digits, sign=True),
            half,
            "yes" if excludes_zero(ci) else "",
        )
    return table


def compare_footer(summary: dict) -> str:
    """How the interval is computed, and what ran where."""
    return (
        "diff: the mean over seeds of d = variant - base; 95% CI: diff ± t(0.975, n-1)"
        " · sd(d) / sqrt(n) over the n seed pairs (paired t interval); one that excludes 0"
        " marks a change the dice alone do not explain; --json gives its bounds."
        f" {2 * summary['runs']} runs in {summary['wall_s']:,.1f} s on {summary['workers']}"
        f" {summary['engine']} workers."
    )


__all__ = ["compare_footer", "compare_heading", "compare_table", "excludes_zero"]
