"""Output of ``shieldwall trajectory``: the figures as a rich table and the samples as CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.table import Table

from shieldwall.io.runfolder import write_atomic
from shieldwall.threats.trajectory import TrajectoryReport

CSV_HEADER = "t_s,lat_deg,lon_deg,alt_m,speed_m_s"


def trajectory_table(
    report: TrajectoryReport, threat: str, profile: str, vacuum: bool, rotation: bool
) -> Table:
    """The six figures of one flight, with the model switches in the title."""
    model = "vacuum" if vacuum else "boost, drag, J2"
    model += ", rotating Earth" if rotation else ", no rotation"
    table = Table(title=f"{threat} {profile}", caption=f"{model}; notional, public-figure model")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    reentry = report.reentry_speed_m_s
    rows = [
        ("ground range", f"{report.ground_range_m / 1e3:,.1f} km"),
        ("flight time", f"{report.flight_time_s:,.1f} s ({report.flight_time_s / 60:.1f} min)"),
        ("apogee", f"{report.apogee_m / 1e3:,.1f} km"),
        ("burnout speed", f"{report.burnout_speed_m_s:,.0f} m/s"),
        ("reentry speed at 100 km", "-" if reentry is None else f"{reentry:,.0f} m/s"),
        ("impact error (solver)", f"{report.impact_error_m:.2f} m"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def write_trajectory_csv(path: Path, report: TrajectoryReport) -> None:
    """Samples every second (and the impact) to ``path``, written under a temporary name and
    renamed, so a reader never sees half a file."""
    cols = np.column_stack(
        [report.t_s, report.lat_deg, report.lon_deg, report.alt_m, report.speed_m_s]
    )
    fmt = ["%.3f", "%.7f", "%.7f", "%.2f", "%.2f"]
    write_atomic(
        Path(path),
        lambda tmp: np.savetxt(tmp, cols, delimiter=",", header=CSV_HEADER, comments="", fmt=fmt),
    )
