"""Rich tables of a study: each metric's mean and 95% confidence interval, one table per group.

Rows are built from the ``study.json`` dict (``means``, ``ci95``, ``n``) generically: a metric
the simulator adds shows up in its group (or under "Other") without a change here.
"""

from __future__ import annotations

from rich.table import Table

from shieldwall.io.tables import _table, _usd

TITLES = {
    "threats.": ("Leakers", "class"),
    "assets.": ("Defended asset hits", "asset"),
    "interceptors.": ("Interceptors fired", "nation / type"),
    "cost_exchange_ratio": ("Cost exchange", "measure"),
    "siap.": ("Picture completeness (SIAP)", "nation"),
}
LABELS = {
    "threats.leaked": "total",
    "interceptors.fired": "total",
    "interceptors.cost_usd": "cost (all interceptors)",
    "cost_exchange_ratio": "cost-exchange ratio (defense / attack)",
}


def _label(name: str, prefix: str) -> str:
    """A row label: the key path without its group prefix and the repeated leaf."""
    if name in LABELS:
        return LABELS[name]
    rest = name[len(prefix) :]
    for head, tail in (("by_class.", ".leaked"), ("by_nation.", ".fired")):
        if rest.startswith(head) and rest.endswith(tail):
            rest = rest[len(head) : -len(tail)]
    for tail in (".hits", ".completeness"):
        rest = rest.removesuffix(tail)
    return rest.replace(".", " ")


def _fmt(name: str, x: float | None) -> str:
    if x is None:
        return "n/a"
    if name.endswith("cost_usd"):
        return _usd(x)
    if name.endswith("completeness"):
        return f"{x:.3f}"
    return f"{x:,.2f}"


def _group(name: str) -> str:
    return next((g for g in TITLES if name.startswith(g)), "")


def study_heading(summary: dict) -> str:
    """The line above the tables: what ran."""
    return (
        f"Study {summary['scenario']}: {summary['completed']} of {summary['runs']} replications"
        f" (base seed {summary['base_seed']}), means with 95% confidence intervals (Student t);"
        " notional, public-figure model"
    )


def study_tables(summary: dict) -> list[Table]:
    """One table per metric group: label, mean, 95% CI (Student t), n."""
    means, ci, count = summary["means"], summary["ci95"], summary["n"]
    tables: dict[str, Table] = {}
    for name, mean in means.items():
        group = _group(name)
        if group not in tables:
            title, first = TITLES.get(group, ("Other", "metric"))
            tables[group] = _table(title, (first, "mean", "95% CI", "n"), left=(first,))
        bounds = ci.get(name)
        interval = (
            "n/a" if bounds is None else f"{_fmt(name, bounds[0])} .. {_fmt(name, bounds[1])}"
        )
        tables[group].add_row(
            _label(name, group), _fmt(name, mean), interval, str(count.get(name, 0))
        )
    return list(tables.values())


__all__ = ["study_heading", "study_tables"]
