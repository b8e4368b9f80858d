"""Tests for shieldwall.io.mapplot: headless, atomic, right size, all layers, fast."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest

from shieldwall.geo import great_circle_interpolate
from shieldwall.io.mapplot import FIGSIZE_IN, MapLayers, render_map

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk (PNG spec, sec. 11.2.2)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def demo_layers(n_tracks: int = 300, seed: int = 1) -> MapLayers:
    """A notional raid picture over the Levant and Iraq (public places, invented numbers)."""
    rng = np.random.default_rng(seed)
    launch = [
        (34.52, 45.58, 60.0, "Qasr-e Shirin"),
        (34.31, 47.07, 60.0, "Kermanshah"),
        (16.94, 43.76, 50.0, "Saada"),
    ]
    aims = np.array([[32.08, 34.78], [31.21, 35.01], [29.56, 34.95], [32.79, 34.99]])
    classes = np.array(["ballistic", "cruise", "drone"])
    frac = np.linspace(0.0, 1.0, 40)
    tracks = []
    for i in range(n_tracks):
        la, lo, _, _ = launch[i % len(launch)]
        aim = aims[rng.integers(len(aims))]
        lat, lon = great_circle_interpolate(
            la + rng.normal(0, 0.3), lo + rng.normal(0, 0.3), aim[0], aim[1], frac
        )
        tracks.append((lat, lon, str(classes[rng.integers(3)])))
    ix = rng.normal([31.6, 35.8], 0.6, (80, 2))
    imp = rng.normal([31.2, 34.9], 0.15, (12, 2))
    return MapLayers(
        region=(14.0, 38.0, 30.0, 52.0),
        title="Notional raid: ground tracks, defences and outcomes",
        launch_areas=tuple(launch),
        tracks=tuple(tracks),
        sensors=(
            (30.6, 34.8, "EL/M-2080 (notional)", "ISR"),
            (30.3, 35.1, "AN/TPY-2", "USA"),
            (32.2, 36.5, "radar J", "JOR"),
        ),
        batteries=(
            (31.8, 34.9, "Arrow-3", "ISR"),
            (32.8, 35.2, "David's Sling", "ISR"),
            (31.9, 36.1, "Patriot J", "JOR"),
        ),
        patrols=((32.2, 38.5, "CAP east", "GBR"), (31.0, 37.5, "CAP south", "USA")),
        assets=(
            (32.08, 34.78, "Tel Aviv"),
            (31.21, 35.01, "Nevatim AB"),
            (29.56, 34.95, "Eilat"),
            (32.79, 34.99, "Haifa"),
        ),
        intercepts=(ix[:, 0], ix[:, 1]),
        impacts=(imp[:, 0], imp[:, 1]),
    )


def test_render_map_all_layers(tmp_path: Path):
    out = tmp_path / "map.png"
    t0 = time.perf_counter()
    render_map(out, demo_layers(), dpi=100)
    elapsed = time.perf_counter() - t0
    assert out.stat().st_size > 50_000  # a real picture, not an empty canvas
    assert _png_size(out) == (round(FIGSIZE_IN[0] * 100), round(FIGSIZE_IN[1] * 100))
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]  # no temp file left behind
    assert elapsed < 5.0


def test_render_map_minimal_and_overwrite(tmp_path: Path):
    out = tmp_path / "m.png"
    out.write_bytes(b"old")
    render_map(str(out), MapLayers(region=(28.0, 34.0, 33.0, 37.0)), dpi=50)
    assert _png_size(out) == (round(FIGSIZE_IN[0] * 50), round(FIGSIZE_IN[1] * 50))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png"]


def test_render_map_empty_arrays_and_bad_region(tmp_path: Path):
    empty = (np.array([]), np.array([]))
    render_map(
        tmp_path / "e.png",
        MapLayers(region=(5, 45, 20, 65), intercepts=empty, impacts=empty),
        dpi=40,
    )
    assert (tmp_path / "e.png").stat().st_size > 0
    with pytest.raises(ValueError):
        render_map(tmp_path / "bad.png", MapLayers(region=(34.0, 28.0, 33.0, 37.0)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.png"]


def test_names_beyond_the_font_draw_without_warnings(tmp_path: Path):
    """An asset named with an emoji (the bundled DejaVu fonts lack it) draws as a box, with no
    'Glyph ... missing from font' warning on the user's stderr (warnings are errors here)."""
    layers = MapLayers(
        region=(28.0, 34.0, 33.0, 37.0), assets=((31.2, 35.0, "Nevatim \U0001f680"),)
    )
    render_map(tmp_path / "g.png", layers, dpi=40)
    assert (tmp_path / "g.png").stat().st_size > 0
