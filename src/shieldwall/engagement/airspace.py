"""Whose airspace a point is in, exactly, at raster speed: its country (or international
airspace) and the bit mask of the scenario's zones that contain it.

A 0.05-degree raster samples ``geo.country_at`` (Natural Earth admin-0 polygons) and the zones
at cell centres once per region. A cell that no country border and no zone edge passes through
lies wholly in one country and in a fixed set of zones, so its centre answers for every point
in it: one array index. A point in a cell that a border or zone edge touches is looked up
exactly, by ``shapely.intersects_xy`` against only the countries whose border touches the cell
or whose polygon holds its centre (vectorised, a few calls per lookup, no per-point loop), and
against every zone; a point off the raster goes through ``country_at`` itself. Lookups
therefore equal ``country_at`` everywhere, including within a cell of a border.

Which cells a border touches is decided on the border densified to half a cell: each piece
then spans at most two cells per axis, and every cell of the piece's bounding box is marked
(a superset of the cells the piece enters, padded by 1e-9 deg against rounding).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from shieldwall.geo import INTL, countries, country_at

CELL_DEG = 0.05
SEGMENT_DEG = CELL_DEG / 2  # densify borders so a piece spans at most two cells per axis
PAD_DEG = 1e-9
Zone = tuple[str, tuple[tuple[float, float], ...]]  # id, corners as (lon, lat)


class AirspaceGrid:
    """Raster of country indices (into ``codes``: the borders data's codes in its order, then
    ``INTL``) and zone bits over the region plus a 1-degree margin, with exact fallback."""

    def __init__(
        self,
        lat_min: float,
        lat_max: float,
        lon_min: float,
        lon_max: float,
        zones: tuple[Zone, ...] = (),
    ) -> None:
        geoms = countries()
        self._geoms = list(geoms.values())
        self.codes = np.array([*geoms, INTL])
        self.intl = len(self._geoms)
        self.zone_ids = tuple(z for z, _ in zones)
        self._zones = [shapely.Polygon(corners) for _, corners in zones]
        for z in self._zones:
            shapely.prepare(z)
        self.lat0, self.lon0 = lat_min - 1.0, lon_min - 1.0
        self.n_lat = int(np.ceil((lat_max - lat_min + 2.0) / CELL_DEG))
        self.n_lon = int(np.ceil((lon_max - lon_min + 2.0) / CELL_DEG))
        lat_c = self.lat0 + (np.arange(self.n_lat) + 0.5) * CELL_DEG
        lon_c = self.lon0 + (np.arange(self.n_lon) + 0.5) * CELL_DEG
        la, lo = (a.ravel() for a in np.meshgrid(lat_c, lon_c, indexing="ij"))
        self.grid = self._code_index(country_at(la, lo)).reshape(self.n_lat, self.n_lon)
        self.zone_grid = self._zone_bits_exact(la, lo).reshape(self.n_lat, self.n_lon)
        cell, owner = self._touched(self._geoms)
        self.border = np.zeros(self.n_lat * self.n_lon, dtype=bool)
        self.border[cell] = True
        self._pairs = self._candidates(cell, owner, la, lo)
        self.zone_edge = np.zeros(self.n_lat * self.n_lon, dtype=bool)
        self.zone_edge[self._touched(self._zones)[0]] = True

    # -- lookups ------------------------------------------------------------------------------

    def lookup(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Country index (into ``codes``) of each point, equal to ``country_at``."""
        return self.membership(lat_deg, lon_deg, zones=False)[0]

    def membership(
        self, lat_deg: np.ndarray, lon_deg: np.ndarray, zones: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per point (any shape): country index (into ``codes``) and zone bits (``uint64``,
        bit ``k`` set when zone ``zone_ids[k]`` contains the point; zeros if ``zones`` is
        false or there are none)."""
        lat = np.asarray(lat_deg, dtype=float)
        lon = np.asarray(lon_deg, dtype=float)
        shape, lat, lon = lat.shape, lat.ravel(), lon.ravel()
        cell, inside = self._cells(lat, lon)
        country = np.full(lat.size, self.intl, dtype=np.int64)
        country[inside] = self.grid.ravel()[cell[inside]]
        edge = np.flatnonzero(inside)[self.border[cell[inside]]]
        if edge.size:
            country[edge] = self._exact_country(cell[edge], lat[edge], lon[edge])
        off = np.flatnonzero(~inside)
        if off.size:
            country[off] = self._code_index(country_at(lat[off], lon[off]))
        bits = np.zeros(lat.size, dtype=np.uint64)
        if zones and self._zones:
            bits[inside] = self.zone_grid.ravel()[cell[inside]]
            exact = np.flatnonzero(~inside | self.zone_edge[cell])
            bits[exact] = self._zone_bits_exact(lat[exact], lon[exact])
        return country.reshape(shape), bits.reshape(shape)

    def code_index(self, code: str) -> int:
        hit = np.flatnonzero(self.codes == code)
        return int(hit[0]) if hit.size else -1

    def allowed_mask(self, codes: frozenset[str]) -> np.ndarray:
        """Bool over ``self.codes`` (plus a trailing False for the missing-code index -1)."""
        return np.r_[np.isin(self.codes, sorted(codes)), False]

    def zone_mask(self, ids: frozenset[str]) -> np.uint64:
        """Bits of the zones among ``ids``."""
        bits = [1 << k for k, z in enumerate(self.zone_ids) if z in ids]
        return np.uint64(sum(bits))

    # -- building blocks ----------------------------------------------------------------------

    def _cells(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat cell index (0 where off the raster) and whether each point is on it."""
        i = np.floor((lat - self.lat0) / CELL_DEG)
        j = np.floor((lon - self.lon0) / CELL_DEG)
        inside = (i >= 0) & (i < self.n_lat) & (j >= 0) & (j < self.n_lon)
        cell = np.where(inside, i * self.n_lon + j, 0.0).astype(np.int64)
        return cell, inside

    def _code_index(self, codes: np.ndarray) -> np.ndarray:
        order = np.argsort(self.codes)
        return order[np.searchsorted(self.codes, codes, sorter=order)].astype(np.int64)

    def _touched(self, geoms: list) -> tuple[np.ndarray, np.ndarray]:
        """(flat cell, geometry index) of every raster cell each geometry's boundary may
        touch (see the module docstring); unique pairs, sorted by cell then geometry."""
        if not geoms:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lines = shapely.segmentize(shapely.boundary(np.asarray(geoms, dtype=object)), SEGMENT_DEG)
        parts, owner = shapely.get_parts(lines, return_index=True)
        xy, part = shapely.get_coordinates(parts, return_index=True)
        same = part[1:] == part[:-1]
        a, b, g = xy[:-1][same], xy[1:][same], owner[part[:-1][same]]
        lo, hi = np.minimum(a, b) - PAD_DEG, np.maximum(a, b) + PAD_DEG  # (lon, lat) columns
        i = np.floor((np.stack([lo[:, 1], hi[:, 1]]) - self.lat0) / CELL_DEG)
        j = np.floor((np.stack([lo[:, 0], hi[:, 0]]) - self.lon0) / CELL_DEG)
        ii = np.concatenate([i[0], i[0], i[1], i[1]]).astype(np.int64)
        jj = np.concatenate([j[0], j[1], j[0], j[1]]).astype(np.int64)
        gg = np.tile(g, 4)
        ok = (ii >= 0) & (ii < self.n_lat) & (jj >= 0) & (jj < self.n_lon)
        key = np.unique((ii * self.n_lon + jj)[ok] * len(geoms) + gg[ok])
        return key // len(geoms), key % len(geoms)  # fmt: skip

    def _candidates(self, cell, owner, la, lo) -> tuple[np.ndarray, np.ndarray]:
        """Countries that may hold a point of each border cell: those whose border touches it
        and those that hold its centre (one that holds the whole cell holds the centre).
        (cell, country) pairs sorted by cell then country order."""
        edge = np.unique(cell)
        extra_cell, extra_country = [], []
        for k, geom in enumerate(self._geoms):
            hit = edge[shapely.intersects_xy(geom, lo[edge], la[edge])]
            extra_cell.append(hit)
            extra_country.append(np.full(hit.size, k))
        n = len(self._geoms)
        key = np.unique(np.concatenate([cell * n + owner,
                                        np.concatenate(extra_cell) * n
                                        + np.concatenate(extra_country)]))  # fmt: skip
        return key // n, key % n

    def _exact_country(self, cell: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """``country_at`` for points in border cells, testing each point only against its
        cell's candidate countries; ties (a point on a shared border) go to the first country
        in the borders data's order, as in ``country_at``."""
        pair_cell, pair_country = self._pairs
        lo = np.searchsorted(pair_cell, cell, side="left")
        count = np.searchsorted(pair_cell, cell, side="right") - lo
        point = np.repeat(np.arange(cell.size), count)
        pair = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        cand = pair_country[pair + np.repeat(lo, count)]
        hit = np.zeros(cand.size, dtype=bool)
        for k in np.unique(cand).tolist():
            sel = np.flatnonzero(cand == k)
            hit[sel] = shapely.intersects_xy(self._geoms[k], lon[point[sel]], lat[point[sel]])
        out = np.full(cell.size, self.intl, dtype=np.int64)
        np.minimum.at(out, point[hit], cand[hit])
        return out

    def _zone_bits_exact(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        bits = np.zeros(lat.size, dtype=np.uint64)
        for k, zone in enumerate(self._zones):
            bits[shapely.intersects_xy(zone, lon, lat)] |= np.uint64(1 << k)
        return bits


@lru_cache(maxsize=8)
def airspace_grid(
    lat_min: float, lat_max: float, lon_min: float, lon_max: float, zones: tuple[Zone, ...] = ()
) -> AirspaceGrid:
    return AirspaceGrid(lat_min, lat_max, lon_min, lon_max, zones)
