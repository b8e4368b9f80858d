"""Display of a radar's coverage (:class:`shieldwall.sensors.coverage.Coverage`): rich tables
for the terminal and a PNG (matplotlib object-oriented API on the Agg canvas, no pyplot).

Left panel: detection range (km, ground distance) against target altitude (log axis) with the
radar horizon, the minimum-elevation edge, the instrumented range and one curve per distinct
threat RCS. Right panel: rings around the site on the shipped Natural Earth borders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from rich.table import Table

from shieldwall.geo.wgs84 import destination_point
from shieldwall.io.figsave import save_figure
from shieldwall.io.mapplot import draw_countries, format_axes
from shieldwall.io.runfolder import write_atomic
from shieldwall.sensors.coverage import LIMITS, Coverage

NOTE = "Notional, public-figure model (not operational data). Borders: Natural Earth"
LIMIT_MARKS = {"horizon": " h", "pd50": "", "max_range": " r", "min_elevation": " e"}
RING_ALTITUDES_M = (100.0, 10e3)
RCS_CMAP = "viridis"


def _group_label(cov: Coverage, rcs_m2: float, idx: list[int]) -> str:
    names = ", ".join(cov.threat_types[j] for j in idx)
    return f"{rcs_m2:g} m² ({names})"


def coverage_tables(cov: Coverage) -> list[Table]:
    """Pd 0.5 range per threat type, and detection range per altitude per distinct RCS."""
    title = f"{cov.sensor_type}: Pd 0.5 range (slant), antenna {cov.antenna_m:g} m"
    types = Table(title=title, caption=f"instrumented range {cov.max_range_m / 1e3:g} km")
    for col in ("threat type", "class", "RCS m²", "Pd 0.5 km", "capped"):
        types.add_column(col, justify="left" if col in ("threat type", "class") else "right")
    for j, t in enumerate(cov.threat_types):
        capped = "max range" if cov.pd50_m[j] > cov.max_range_m else ""
        types.add_row(
            t, cov.threat_classes[j], f"{cov.rcs_m2[j]:g}", f"{cov.pd50_m[j] / 1e3:,.0f}", capped
        )
    groups = cov.rcs_groups()
    ranges = Table(
        title=f"{cov.sensor_type}: detection range (km, ground) by target altitude",
        caption="limited by h: horizon, e: min elevation, r: instrumented range, else Pd 0.5",
    )
    ranges.add_column("alt m", justify="right")
    ranges.add_column("horizon", justify="right")
    ranges.add_column(f"elev ≥ {cov.min_elev_deg:g}°", justify="right")
    for rcs in groups:
        ranges.add_column(f"{rcs:g} m²", justify="right")
    for i, alt in enumerate(cov.alt_m):
        cells = []
        for idx in groups.values():
            j = idx[0]
            mark = LIMIT_MARKS[LIMITS[cov.limited_by[j, i]]]
            cells.append(f"{cov.detection_m[j, i] / 1e3:,.0f}{mark}")
        ranges.add_row(
            f"{alt:,.0f}",
            f"{cov.horizon_m[i] / 1e3:,.0f}",
            f"{cov.elevation_limit_m[i] / 1e3:,.0f}",
            *cells,
        )
    return [types, ranges]


def _draw_curves(ax, cov: Coverage) -> None:
    alt = cov.alt_m
    ax.plot(
        cov.horizon_m / 1e3,
        alt,
        color="black",
        lw=1.6,
        ls="--",
        label="radar horizon (4/3 Earth)",
        zorder=3,
    )
    ax.plot(
        cov.elevation_limit_m / 1e3,
        alt,
        color="#333333",
        lw=1.4,
        ls=":",
        label=f"elevation ≥ {cov.min_elev_deg:g}° (apparent, 4/3 Earth)",
        zorder=3,
    )
    ax.axvline(cov.max_range_m / 1e3, color="#c0392b", lw=1.0, ls="-.", label="instrumented range")
    groups = cov.rcs_groups()
    colors = _rcs_colors(len(groups))
    for (rcs, idx), color in zip(groups.items(), colors, strict=True):
        ax.plot(
            cov.detection_m[idx[0]] / 1e3,
            alt,
            color=color,
            lw=2.6,
            zorder=2,
            label=_group_label(cov, rcs, idx),
        )
    ax.set_yscale("log")
    ax.set_ylim(alt.min(), alt.max())
    x_max_m = max(cov.max_range_m, float(cov.detection_m.max()), float(cov.horizon_m.min()))
    ax.set_xlim(0.0, 1.05 * x_max_m / 1e3)
    ax.set_xlabel("ground range (km)")
    ax.set_ylabel("target altitude (m)")
    ax.grid(which="both", color="#dddddd", lw=0.5)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=2,
        fontsize=7,
        frameon=False,
        title="limits, and detection range (Pd 0.5) by threat RCS",
        title_fontsize=8,
    )


def _rcs_colors(n: int) -> list:
    from matplotlib import colormaps

    return [colormaps[RCS_CMAP](x) for x in np.linspace(0.1, 0.85, n)]


def _ring(lat: float, lon: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    return destination_point(lat, lon, np.linspace(0.0, 360.0, 145), radius_m)


def _draw_map(ax, cov: Coverage, ring_cov: Coverage) -> None:
    reach_m = max(float(ring_cov.detection_m.max()), float(ring_cov.horizon_m.max()))
    half_lat = np.degrees(1.1 * reach_m / 6371e3) + 0.5
    half_lon = half_lat / max(np.cos(np.radians(cov.lat_deg)), 0.2)
    box = (
        cov.lat_deg - half_lat,
        cov.lat_deg + half_lat,
        cov.lon_deg - half_lon,
        cov.lon_deg + half_lon,
    )
    box = (max(box[0], -89.0), min(box[1], 89.0), box[2], box[3])
    format_axes(ax, *box)
    draw_countries(ax, *box)
    smallest = int(np.argmin(ring_cov.rcs_m2))
    for i, (alt, ls) in enumerate(zip(ring_cov.alt_m, ("--", "-"), strict=True)):
        lat, lon = _ring(cov.lat_deg, cov.lon_deg, ring_cov.horizon_m[i])
        ax.plot(
            lon,
            lat,
            color="black",
            lw=1.0,
            ls=ls,
            zorder=5,
            label=f"horizon, target at {alt:,.0f} m",
        )
        lat, lon = _ring(cov.lat_deg, cov.lon_deg, ring_cov.detection_m[smallest, i])
        label = f"detection, {ring_cov.rcs_m2[smallest]:g} m² at {alt:,.0f} m"
        ax.plot(lon, lat, color="#1f77b4", lw=1.6, ls=ls, zorder=5, label=label)
    ax.scatter(
        [cov.lon_deg], [cov.lat_deg], marker="^", s=70, c="#1f77b4", edgecolors="black", zorder=7
    )
    ax.legend(loc="lower left", fontsize=7, framealpha=0.9)
    ax.set_title("cover around the site (full circle; sector not shown)", fontsize=9)


def render_coverage(path: str | Path, cov: Coverage, ring_cov: Coverage, dpi: int = 120) -> None:
    """Write the coverage PNG to ``path`` atomically (``<path>.tmp`` then ``os.replace``).

    ``cov`` gives the curves (a fine altitude grid); ``ring_cov`` the map rings, one per altitude
    in :data:`RING_ALTITUDES_M`. Raises OSError if ``path`` cannot be written.
    """
    path = Path(path)
    fig = Figure(figsize=(13.0, 7.0), dpi=dpi)
    FigureCanvasAgg(fig)
    curves = fig.add_axes((0.06, 0.3, 0.5, 0.6))
    _draw_curves(curves, cov)
    _draw_map(fig.add_axes((0.6, 0.08, 0.38, 0.82)), cov, ring_cov)
    fig.suptitle(
        f"{cov.sensor_type} coverage at {cov.lat_deg:.3f}°, {cov.lon_deg:.3f}°, "
        f"{'platform' if cov.kind == 'aew' else 'antenna'} {cov.antenna_m:,.0f} m (notional)",
        fontsize=12,
    )
    fig.text(0.99, 0.01, NOTE, ha="right", va="bottom", fontsize=7, color="#555555")
    write_atomic(path, lambda tmp: save_figure(fig, tmp, format="png", dpi=dpi))
