"""Whose airspace a point is in, through a precomputed country raster for fast lookups.

The raster samples ``geo.country_at`` (Natural Earth admin-0 polygons) at cell centres once per
region, so the engagement loop looks up thousands of predicted intercept points with one array
index. Resolution 0.05 deg (~5 km): a point within a cell of a border may be attributed to the
neighbour; the borders themselves are simplified to about that scale.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shieldwall.geo import country_at

CELL_DEG = 0.05


class AirspaceGrid:
    def __init__(self, lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> None:
        self.lat0, self.lon0 = lat_min - 1.0, lon_min - 1.0
        self.n_lat = int(np.ceil((lat_max - lat_min + 2.0) / CELL_DEG))
        self.n_lon = int(np.ceil((lon_max - lon_min + 2.0) / CELL_DEG))
        lat_c = self.lat0 + (np.arange(self.n_lat) + 0.5) * CELL_DEG
        lon_c = self.lon0 + (np.arange(self.n_lon) + 0.5) * CELL_DEG
        la, lo = np.meshgrid(lat_c, lon_c, indexing="ij")
        codes = np.asarray(country_at(la.ravel(), lo.ravel()), dtype=str)
        self.codes, inverse = np.unique(codes, return_inverse=True)
        self.grid = inverse.reshape(self.n_lat, self.n_lon).astype(np.int16)

    def lookup(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Country code index (into ``self.codes``) of each point; outside the grid: 'INTL'."""
        i = np.floor((np.asarray(lat_deg) - self.lat0) / CELL_DEG).astype(np.int64)
        j = np.floor((np.asarray(lon_deg) - self.lon0) / CELL_DEG).astype(np.int64)
        inside = (i >= 0) & (i < self.n_lat) & (j >= 0) & (j < self.n_lon)
        out = np.full(i.shape, self.code_index("INTL"), dtype=np.int64)
        out[inside] = self.grid[i[inside], j[inside]]
        return out

    def code_index(self, code: str) -> int:
        hit = np.flatnonzero(self.codes == code)
        return int(hit[0]) if hit.size else -1

    def allowed_mask(self, codes: frozenset[str]) -> np.ndarray:
        """Bool over ``self.codes`` (plus a trailing False for the missing-code index -1)."""
        return np.r_[np.isin(self.codes, sorted(codes)), False]


@lru_cache(maxsize=8)
def airspace_grid(lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> AirspaceGrid:
    return AirspaceGrid(lat_min, lat_max, lon_min, lon_max)
