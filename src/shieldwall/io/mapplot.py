"""Static situation map (``map.png``) of a run: borders, launch areas, tracks, defences.

Matplotlib object-oriented API on the Agg canvas (no pyplot, no global figure state, works
headless, nothing to close). Plate carree (equirectangular) projection with the axes aspect
set to 1 / cos(mid-latitude) so distances look right at the centre of the map. Borders come
from :func:`shieldwall.geo.borders.countries` (Natural Earth, public domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Polygon
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FuncFormatter
from shapely.geometry import box
from shapely.geometry.polygon import orient

from shieldwall.geo.borders import countries
from shieldwall.geo.wgs84 import destination_point
from shieldwall.io.figsave import save_figure
from shieldwall.io.runfolder import write_atomic

FIGSIZE_IN = (11.0, 8.5)
"""Figure size in inches; the PNG is ``round(11 * dpi) x round(8.5 * dpi)`` pixels."""
NOTE = "Notional, public-figure model. Borders: Natural Earth (public domain)"

SEA_COLOR = "#dce9f2"
LAND_COLOR = "#f4f1ea"
BORDER_COLOR = "#8c8c8c"
TRACK_COLORS = {"ballistic": "#c0392b", "cruise": "#d68910", "drone": "#7d3c98"}
TRACK_ZORDER = {"drone": 4.0, "cruise": 4.1, "ballistic": 4.2}  # fewest, fastest on top
OTHER_TRACK_COLOR = "#555555"
NATION_PALETTE = (
    "#1f77b4",
    "#2ca02c",
    "#17becf",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#ff7f0e",
    "#d62728",
)
HALO = (withStroke(linewidth=2.0, foreground="white", alpha=0.8),)
MARKERS = {
    "sensors": ("^", 70, "sensor"),
    "batteries": ("s", 55, "battery"),
    "patrols": ("D", 45, "fighter patrol"),
}


@dataclass(frozen=True, slots=True)
class MapLayers:
    """What to draw. Angles in degrees (lat, lon), radii in km; every layer is optional."""

    region: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
    title: str = ""
    launch_areas: tuple[tuple[float, float, float, str], ...] = ()  # (lat, lon, radius_km, label)
    tracks: tuple[tuple[np.ndarray, np.ndarray, str], ...] = ()  # (lat_deg, lon_deg, class)
    sensors: tuple[tuple[float, float, str, str], ...] = ()  # (lat, lon, label, nation)
    batteries: tuple[tuple[float, float, str, str], ...] = ()  # (lat, lon, label, nation)
    patrols: tuple[tuple[float, float, str, str], ...] = ()  # (lat, lon, label, nation)
    assets: tuple[tuple[float, float, str], ...] = ()  # (lat, lon, label)
    intercepts: tuple[np.ndarray, np.ndarray] | None = None  # lat, lon arrays
    impacts: tuple[np.ndarray, np.ndarray] | None = None  # lat, lon arrays


def _polygon_path(poly: shapely.Polygon) -> MplPath:
    """Compound path (exterior CCW, holes CW) so the nonzero fill rule leaves holes empty."""
    poly = orient(poly, 1.0)
    rings = [np.asarray(poly.exterior.coords), *(np.asarray(r.coords) for r in poly.interiors)]
    verts = np.concatenate(rings)
    codes = np.full(len(verts), MplPath.LINETO, dtype=MplPath.code_type)
    starts = np.cumsum([0] + [len(r) for r in rings[:-1]])
    codes[starts] = MplPath.MOVETO
    codes[np.cumsum([len(r) for r in rings]) - 1] = MplPath.CLOSEPOLY
    return MplPath(verts, codes)


def draw_countries(ax, lat_min, lat_max, lon_min, lon_max) -> None:
    margin = 1.0
    clip = box(lon_min - margin, lat_min - margin, lon_max + margin, lat_max + margin)
    patches = []
    for geom in countries().values():
        if not geom.intersects(clip):
            continue
        for part in shapely.get_parts(shapely.intersection(geom, clip)):
            if part.geom_type == "Polygon" and not part.is_empty:
                patches.append(PathPatch(_polygon_path(part)))
    ax.add_collection(
        PatchCollection(
            patches, facecolor=LAND_COLOR, edgecolor=BORDER_COLOR, linewidth=0.6, zorder=1
        )
    )


def _draw_launch_areas(ax, layers: MapLayers) -> list:
    if not layers.launch_areas:
        return []
    bearings = np.linspace(0.0, 360.0, 73)
    for lat, lon, radius_km, label in layers.launch_areas:
        clat, clon = destination_point(lat, lon, bearings, radius_km * 1e3)
        ax.add_patch(
            Polygon(
                np.column_stack([clon, clat]),
                closed=True,
                facecolor="#e74c3c22",
                edgecolor="#922b21",
                hatch="////",
                linewidth=1.0,
                zorder=3,
            )
        )
        ax.annotate(
            label,
            (lon, lat),
            xytext=(0, -4),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            color="#641e16",
            zorder=9,
            path_effects=HALO,
        )
    proxy = Polygon([[0, 0]], facecolor="#e74c3c22", edgecolor="#922b21", hatch="////")
    return [(proxy, "launch area")]


def _draw_tracks(ax, layers: MapLayers) -> list:
    by_class: dict[str, list[np.ndarray]] = {}
    for lat, lon, cls in layers.tracks:
        seg = np.column_stack([np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel()])
        if len(seg) >= 2:
            by_class.setdefault(cls, []).append(seg)
    handles = []
    for cls in sorted(by_class, key=lambda c: (c not in TRACK_COLORS, c)):
        color = TRACK_COLORS.get(cls, OTHER_TRACK_COLOR)
        lines = by_class[cls]
        alpha = float(np.clip(6.0 / np.sqrt(len(lines)), 0.15, 0.8))
        ax.add_collection(
            LineCollection(
                lines, colors=color, linewidths=0.7, alpha=alpha, zorder=TRACK_ZORDER.get(cls, 3.9)
            )
        )
        handles.append((Line2D([], [], color=color, lw=1.5), f"{cls} track ({len(lines)})"))
    return handles


def _nation_colors(layers: MapLayers) -> dict[str, str]:
    nations = sorted(
        {n for group in (layers.sensors, layers.batteries, layers.patrols) for *_, n in group}
    )
    return {n: NATION_PALETTE[i % len(NATION_PALETTE)] for i, n in enumerate(nations)}


def _draw_units(ax, layers: MapLayers, colors: dict[str, str]) -> list:
    handles = []
    for attr, (marker, size, name) in MARKERS.items():
        units = getattr(layers, attr)
        if not units:
            continue
        lat = np.array([u[0] for u in units])
        lon = np.array([u[1] for u in units])
        c = [colors[u[3]] for u in units]
        ax.scatter(
            lon, lat, marker=marker, s=size, c=c, edgecolors="black", linewidths=0.6, zorder=7
        )
        for la, lo, label, _ in units:
            ax.annotate(
                label,
                (lo, la),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=6,
                color="#222222",
                zorder=9,
                path_effects=HALO,
            )
        handles.append((Line2D([], [], ls="none", marker=marker, mfc="white", mec="black"), name))
    return handles


def _draw_points(ax, layers: MapLayers) -> list:
    handles = []
    if layers.assets:
        lat = np.array([a[0] for a in layers.assets])
        lon = np.array([a[1] for a in layers.assets])
        ax.scatter(
            lon, lat, marker="*", s=140, c="#f1c40f", edgecolors="black", linewidths=0.7, zorder=8
        )
        for la, lo, label in layers.assets:
            ax.annotate(
                label,
                (lo, la),
                xytext=(5, -7),
                textcoords="offset points",
                fontsize=7,
                fontweight="bold",
                color="#1b2631",
                zorder=9,
                path_effects=HALO,
            )
        handles.append(
            (
                Line2D([], [], ls="none", marker="*", ms=11, mfc="#f1c40f", mec="black"),
                "defended asset",
            )
        )
    if layers.intercepts is not None and np.size(layers.intercepts[0]):
        ax.scatter(
            np.ravel(layers.intercepts[1]),
            np.ravel(layers.intercepts[0]),
            marker="x",
            s=16,
            c="#1a5276",
            linewidths=0.8,
            alpha=0.8,
            zorder=6,
        )
        handles.append((Line2D([], [], ls="none", marker="x", mec="#1a5276"), "intercept"))
    if layers.impacts is not None and np.size(layers.impacts[0]):
        ax.scatter(
            np.ravel(layers.impacts[1]),
            np.ravel(layers.impacts[0]),
            marker="o",
            s=10,
            c="#000000",
            alpha=0.75,
            linewidths=0,
            zorder=6,
        )
        handles.append(
            (Line2D([], [], ls="none", marker="o", ms=4, mfc="black", mec="black"), "impact")
        )
    return handles


def format_axes(ax, lat_min, lat_max, lon_min, lon_max) -> None:
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    ax.set_aspect(1.0 / np.cos(np.radians(0.5 * (lat_min + lat_max))))
    ax.set_facecolor(SEA_COLOR)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):g}°{'E' if v >= 0 else 'W'}"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):g}°{'N' if v >= 0 else 'S'}"))
    ax.tick_params(labelsize=8)
    ax.grid(color="white", linewidth=0.5, alpha=0.7, zorder=0)
    ax.set_axisbelow(True)


def render_map(path: str | Path, layers: MapLayers, dpi: int = 130) -> None:
    """Draw ``layers`` to a PNG at ``path`` (``FIGSIZE_IN`` x dpi pixels), written atomically.

    Renders to ``<path>.tmp`` in the same folder, then ``os.replace``s it onto ``path``, so a
    reader never sees a partial file. Tracks are one LineCollection per threat class, so
    thousands of tracks render in well under a second.
    """
    path = Path(path)
    lat_min, lat_max, lon_min, lon_max = layers.region
    if not (lat_min < lat_max and lon_min < lon_max):
        raise ValueError(
            f"region must be (lat_min, lat_max, lon_min, lon_max), got {layers.region}"
        )
    fig = Figure(figsize=FIGSIZE_IN, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.06, 0.06, 0.76, 0.88))  # right margin holds the legend
    format_axes(ax, lat_min, lat_max, lon_min, lon_max)
    draw_countries(ax, lat_min, lat_max, lon_min, lon_max)
    colors = _nation_colors(layers)
    handles = _draw_launch_areas(ax, layers)
    handles += _draw_tracks(ax, layers)
    handles += _draw_units(ax, layers, colors)
    handles += _draw_points(ax, layers)
    handles += [
        (Line2D([], [], ls="none", marker="o", mfc=c, mec="black"), nation)
        for nation, c in colors.items()
    ]
    if handles:
        ax.apply_aspect()  # shrink the axes box to the map so the legend sits beside it
        pos = ax.get_position()
        fig.legend(
            *zip(*handles, strict=True),
            loc="upper left",
            bbox_to_anchor=(pos.x1 + 0.01, pos.y1),
            fontsize=7,
            frameon=False,
            title="Legend",
            title_fontsize=8,
            alignment="left",
        )
    if layers.title:
        ax.set_title(layers.title, fontsize=12)
    fig.text(0.99, 0.01, NOTE, ha="right", va="bottom", fontsize=7, color="#555555")
    write_atomic(path, lambda tmp: save_figure(fig, tmp, format="png", dpi=dpi))
