"""Country polygons (admin-0) for the Middle East and point-in-country lookup.

Package data ``data/countries-mideast.json`` is a clipped (lon 20..65, lat 5..45), simplified
(0.01 deg) derivative of Natural Earth 1:50m admin-0 countries (public domain) from the npm
package world-atlas@2.0.2 (ISC); see ``data/DATA_LICENSES.md`` and ``tools/build_borders.py``.
Countries are keyed by ISO 3166-1 alpha-3 code; features without one use user-assigned codes
(``XNC`` N. Cyprus, ``XSL`` Somaliland, ``XKX`` Kosovo). Borders are as drawn by Natural Earth
and carry no political meaning in this notional model.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import MultiPolygon, Polygon

DATA_FILE = "countries-mideast.json"
INTL = "INTL"
"""Code returned for points outside every country polygon (sea, or outside the data box)."""
DATA_BOX_LON_LAT = (20.0, 5.0, 65.0, 45.0)
"""Extent of the package data: lon_min, lat_min, lon_max, lat_max (degrees)."""


@cache
def _load() -> dict:
    text = resources.files("shieldwall.geo").joinpath("data", DATA_FILE).read_text("utf-8")
    return json.loads(text)


@cache
def _countries() -> dict[str, MultiPolygon]:
    out: dict[str, MultiPolygon] = {}
    for code, rec in _load()["countries"].items():
        mp = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in rec["polygons"]])
        shapely.prepare(mp)
        out[code] = mp
    return out


def countries() -> dict[str, MultiPolygon]:
    """Alpha-3 code -> prepared shapely MultiPolygon in (lon, lat) degrees. Cached.

    Returns a new dict each call (the geometries are shared and immutable).
    """
    return dict(_countries())


def country_names() -> dict[str, str]:
    """Alpha-3 code -> Natural Earth short name (e.g. ``"ISR": "Israel"``)."""
    return {code: rec["name"] for code, rec in _load()["countries"].items()}


@cache
def _boxes() -> tuple[tuple[str, ...], tuple[MultiPolygon, ...], np.ndarray]:
    """Codes, geometries and bounding boxes ``(K, 4)`` (xmin, ymin, xmax, ymax) of the
    countries, in the data's order."""
    geoms = _countries()
    return tuple(geoms), tuple(geoms.values()), np.array([g.bounds for g in geoms.values()])


def country_at(lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.str_]:
    """Alpha-3 code of the country containing each point, or ``"INTL"``; shape broadcast.

    Uses ``shapely.intersects_xy`` on prepared polygons, one vectorised call per country
    whose bounding box holds a point, no per-point Python loop. Points exactly on a shared
    border go to the first country in alphabetical order; points outside the data box are
    ``"INTL"``.
    """
    lat, lon = np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    if lat.shape != lon.shape:
        lat, lon = np.broadcast_arrays(lat, lon)
    shape, lat, lon = lat.shape, lat.ravel(), lon.ravel()
    out = np.full(lat.shape, INTL, dtype="<U4")
    if lat.size == 0:  # (the engagement stage asks about its off-grid points: mostly none)
        return out.reshape(shape)
    codes, geoms, box = _boxes()
    inbox = ((lon >= box[:, 0:1]) & (lon <= box[:, 2:3])
             & (lat >= box[:, 1:2]) & (lat <= box[:, 3:4]))  # fmt: skip
    unassigned = np.ones(lat.shape, dtype=bool)
    for k in np.flatnonzero(inbox.any(axis=1)).tolist():
        cand = unassigned & inbox[k]
        if not cand.any():
            continue
        hit = np.zeros(lat.shape, dtype=bool)
        hit[cand] = shapely.intersects_xy(geoms[k], lon[cand], lat[cand])
        out[hit] = codes[k]
        unassigned &= ~hit
    return out.reshape(shape)
