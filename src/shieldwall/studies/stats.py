"""A study's table and its statistics: one row per replication, mean and 95% CI per metric.

Rows come from the study journal (``records``: dicts with ``replication``, ``seed``,
``status``, ``error``, ``metrics``). Metric names are the summary's own key paths
(``threats.by_class.drone.leaked``, ``siap.ISR.completeness``...), read generically: a key a
later simulator adds simply becomes a new column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
from scipy.stats import t as student_t

BASE_COLUMNS = ("replication", "seed", "status", "error")
GROUPS = ("threats.", "assets.", "interceptors.", "cost_exchange_ratio", "siap.")
# a nation / interceptor type absent from a run's summary fired nothing in that run
ZERO_WHEN_ABSENT = ("interceptors.by_nation.",)


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of the finite ``values``.

    ``mean +- t_{(1+level)/2, n-1} * s / sqrt(n)`` with ``s`` the sample standard deviation
    (ddof 1). Returns ``(mean, low, high, n)``; NaN bounds when n < 2, NaN mean when n = 0."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(student_t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def _group_rank(name: str) -> int:
    return next((k for k, g in enumerate(GROUPS) if name.startswith(g)), len(GROUPS))


def metric_columns(records: Sequence[dict]) -> list[str]:
    """Every metric name, grouped as in GROUPS, each group in order of first appearance
    (records in replication order), so the order never depends on completion order."""
    seen: dict[str, int] = {}
    for rec in records:
        for name in rec.get("metrics") or {}:
            seen.setdefault(name, len(seen))
    return sorted(seen, key=lambda c: (_group_rank(c), seen[c]))


def _cell(rec: dict, name: str) -> float | int | None:
    metrics = rec.get("metrics") or {}
    if name in metrics:
        return metrics[name]
    ok = rec["status"] == "ok"
    return 0 if ok and name.startswith(ZERO_WHEN_ABSENT) else None


def _arrow_type(values: list) -> pa.DataType:
    """int64 when every value present is an int (not a bool), else float64."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    return pa.float64()


def study_table(records: Sequence[dict]) -> pa.Table:
    """One row per replication, sorted by replication index."""
    rows = sorted(records, key=lambda r: r["replication"])
    cols: dict[str, pa.Array] = {
        "replication": pa.array([r["replication"] for r in rows], pa.int64()),
        "seed": pa.array([r["seed"] for r in rows], pa.int64()),
        "status": pa.array([r["status"] for r in rows], pa.string()),
        "error": pa.array([r.get("error") for r in rows], pa.string()),
    }
    for name in metric_columns(rows):
        values = [_cell(r, name) for r in rows]
        cols[name] = pa.array(
            [float(v) if v is not None else None for v in values]
            if _arrow_type(values) == pa.float64()
            else values,
            _arrow_type(values),
        )
    return pa.table(cols)


def _json_number(x: float) -> float | None:
    return None if not math.isfinite(x) else x


def table_stats(table: pa.Table, level: float = 0.95) -> dict:
    """``means``, ``ci95`` ([low, high]) and ``n`` per metric over the replications that
    finished; NaN becomes null so the result is strict JSON."""
    ok = np.asarray(table.column("status").to_pylist()) == "ok" if table.num_rows else []
    means, ci, count = {}, {}, {}
    for name in table.column_names:
        if name in BASE_COLUMNS:
            continue
        values = [v for v, keep in zip(table.column(name).to_pylist(), ok, strict=True) if keep]
        mean, low, high, n = mean_ci(values, level)
        means[name] = _json_number(mean)
        ci[name] = None if n < 2 else [_json_number(low), _json_number(high)]
        count[name] = n
    return {"means": means, "ci95": ci, "n": count}


__all__ = ["BASE_COLUMNS", "GROUPS", "mean_ci", "metric_columns", "study_table", "table_stats"]
