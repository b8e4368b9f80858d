"""Rich tables of variant studies: nations ranked by Shapley value, agreements, sweep points."""

from __future__ import annotations

from rich.table import Table

from shieldwall.io.tables import _table


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _ci(ci: list | None, digits: int = 1) -> str:
    return "n/a" if ci is None or None in ci else f"{ci[0]:,.{digits}f} .. {ci[1]:,.{digits}f}"


def shapley_heading(summary: dict) -> str:
    """The line above the tables: what ran and how the values were estimated."""
    how = (
        f"exact over all {summary['coalitions']} coalitions"
        if summary["method"] == "exact"
        else f"{summary['permutations']} random orderings per replication"
        f" (Castro et al. 2009; {summary['coalitions']} coalitions run)"
    )
    return (
        f"Coalition value {summary['scenario']}: {summary['replications_used']} of"
        f" {summary['runs']} replications (base seed {summary['base_seed']}, common random"
        f" numbers), {how}; payoff = {summary['payoff_definition']}; notional, public-figure model"
    )


def shapley_tables(summary: dict) -> list[Table]:
    """Nations ranked by Shapley value (with the grand and empty coalitions' worth below),
    then, when run, each agreement's value on its own."""
    nations = _table(f"Shapley value (payoff: {summary['payoff']})",
                     ("rank", "nation", "value", "95% CI", "share"), left=("nation",))  # fmt: skip
    span = (summary["grand"] or 0.0) - (summary["empty"] or 0.0)
    for k, nat in enumerate(summary["ranking"], start=1):
        value = summary["values"][nat]
        share = "n/a" if value is None or span == 0 else f"{100 * value / span:.0f}%"
        nations.add_row(str(k), nat, _num(value), _ci(summary["ci95"][nat]), share)
    nations.add_row("", "all nations v(N)", _num(summary["grand"]), _ci(summary["grand_ci95"]), "")
    nations.add_row("", "nobody v({})", _num(summary["empty"]), _ci(summary["empty_ci95"]), "")
    tables = [nations]
    agreements = summary.get("agreements") or {}
    if agreements:
        ag = _table("Each sharing agreement on its own: v(N) - v(N without it)",
                    ("agreement", "value", "95% CI", "n"), left=("agreement",))  # fmt: skip
        for name in sorted(agreements, key=lambda a: -(agreements[a]["mean"] or 0.0)):
            row = agreements[name]
            ag.add_row(name, _num(row["mean"]), _ci(row["ci95"]), str(row["n"]))
        tables.append(ag)
    return tables


def sweep_heading(summary: dict) -> str:
    """The line above the sweep table."""
    return (
        f"Sweep {summary['scenario']}: {summary['param']} over {len(summary['values'])} points,"
        f" {summary['runs']} replications each (base seed {summary['base_seed']}, the same seeds"
        " at every point); means with 95% CIs (Student t); notional, public-figure model"
    )


def _cell(row: dict | None, digits: int = 1) -> str:
    """``mean +- half-width`` of one metric at one point (the Student t interval is
    symmetric)."""
    if row is None or row["mean"] is None:
        return "n/a"
    ci = row["ci95"]
    half = "" if ci is None else f" ± {(ci[1] - ci[0]) / 2:,.{digits}f}"
    return f"{row['mean']:,.{digits}f}{half}"


def sweep_table(summary: dict) -> Table:
    """One row per point: leakers by class, asset value hit, and the change in value hit from
    the first point (paired over the same seeds, hence its tighter interval)."""
    from shieldwall.scenario import THREAT_CLASSES

    head = ("value", "leaked", *THREAT_CLASSES, "value hit", "vs first")
    table = _table(
        f"Per run vs {summary['param']}: mean ± 95% CI half-width", head, left=("value",)
    )
    for x, point in zip(summary["values"], summary["points"], strict=True):
        m, d = point["metrics"], point["diff_vs_first"]
        by_class = [_cell(m.get(f"threats.by_class.{c}.leaked")) for c in THREAT_CLASSES]
        hit = [_cell(m.get("assets.value_hit"), 0), _cell(d.get("assets.value_hit"), 0)]
        # (the value as typed: 1000000, not 1e+06; swept values are rounded to 12 digits)
        table.add_row(f"{x:.12g}", _cell(m.get("threats.leaked")), *by_class, *hit)
    return table


__all__ = ["shapley_heading", "shapley_tables", "sweep_heading", "sweep_table"]
