"""The one place where data leaves one nation's node for another's: :func:`cross`.

Everything a partner receives, tracks and launch warnings alike, passes through :func:`cross`,
which applies the agreement's terms in a fixed order and writes one audit row per item and
receiver (the analyst's view, naming everyone):

1. **what**: only the item kinds the agreement lists, of its threat classes (as the *source*
   classifies its tracks; launch warnings are of ballistic missiles), inside its region (the
   item's position as the source holds it);
2. **how coarse**: positions rounded to a grid of ``grid_m`` per ECEF axis and/or Gaussian
   noise of ``noise_m`` per axis added, the covariance inflated by ``grid_m**2 / 12`` (the
   variance of a uniform rounding error, e.g. Widrow & Kollar, *Quantization Noise*, 2008,
   ch. 4) and ``noise_m**2``. One degraded product per agreement and time, the same for every
   receiver (a broadcast);
3. **by whom**: under an anonymous agreement the item's id becomes a pseudonym, a keyed
   bijection of (source, id) onto 31-bit numbers (:class:`Pseudonyms`), so that neither the id
   nor its order reveals the source's per-node counter; the receiver keys the input by the
   agreement's index, never by a nation;
4. **for whom**: with ``condition: threatens_receiver``, only items predicted to reach the
   receiver's territory (:func:`threatened`).

The delay (``latency_s``) is the caller's: it hands in the source's snapshot as it was
``latency_s`` earlier (``item_t_s``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from shieldwall.geo import ecef_to_geodetic, geodetic_to_ecef
from shieldwall.geo.wgs84 import ecef_delta_to_enu, enu_delta_to_ecef, geodetic_lat_lon_deg
from shieldwall.sharing.agreements import LAUNCH_WARNINGS, TRACKS, ReleaseTerms
from shieldwall.sharing.picture import released_tracks, take_tracks
from shieldwall.tracking.node import LocalTracks

G_M_S2 = 9.80665
AIR_HORIZON_S = 600.0  # air-breathers: "threatens" = straight path of the next 10 min enters
WARNING_REACH_M = 2_000_000.0  # launch warnings: bearing line this long (MRBM reach)
R_EARTH_M = 6_371_008.8
KIND_TRACK, KIND_WARNING = 0, 1
ITEM_KINDS = ("track", "launch_warning")
PSEUDONYM_BITS = 31
BALLISTIC = 0  # class code of launch warnings


@dataclass(frozen=True, slots=True)
class Warnings:
    """Launch warnings as a node holds them: ``warning_id`` (index among the run's warnings),
    issue time ``t_s``, launch point ``lat_deg``/``lon_deg``, bearing ``azimuth_deg``, and the
    true threat ``label`` (analyst only)."""

    warning_id: np.ndarray
    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    azimuth_deg: np.ndarray
    label: np.ndarray

    def select(self, keep: np.ndarray) -> Warnings:
        return Warnings(*(getattr(self, f)[keep] for f in self.__slots__))

    @staticmethod
    def empty() -> Warnings:
        i, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return Warnings(i, f, f, f, f, i)


NO_WARNINGS = Warnings.empty()  # shared empty products (arrays never written)
NO_TRACKS = LocalTracks.empty()
_NO_FLOAT = np.zeros(0)
_NO_INT = np.zeros(0, dtype=np.int64)
_EYE3 = np.eye(3)


class Pseudonyms:
    """Keyed bijection of ``(source nation, item id, kind)`` onto ``[0, 2**31)``.

    Four rounds of an affine map with an odd multiplier modulo 2**31 followed by a xorshift,
    both bijections of 31-bit words, so distinct inputs never share a pseudonym; the keys come
    from the run's seed and are never released. The pseudonym of an item is the same for every
    receiver (the same broadcast), and ids and their order look random to the receiver."""

    def __init__(self, rng: np.random.Generator) -> None:
        mask = (1 << PSEUDONYM_BITS) - 1
        self._mask = np.uint64(mask)
        self._a = (rng.integers(0, 1 << 30, size=(2, 4), dtype=np.uint64) * 2 + 1) & self._mask
        self._b = rng.integers(0, 1 << 31, size=(2, 4), dtype=np.uint64)

    def __call__(self, source: int, item_id: np.ndarray, kind: int = KIND_TRACK) -> np.ndarray:
        ids = np.asarray(item_id, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= 1 << 24 or not 0 <= source < 1 << 7):
            raise ValueError("pseudonyms need item ids below 2**24 and at most 128 nations")
        x = (np.uint64(source) << np.uint64(24)) | ids.astype(np.uint64)
        for a, b in zip(self._a[kind], self._b[kind], strict=True):
            x = (x * a + b) & self._mask
            x ^= x >> np.uint64(15)
        return x.astype(np.int64)


class AuditLog:
    """One row per item that crossed from one nation to another (per crossing its scalar
    columns once and its item arrays, expanded and concatenated at the end): see
    :meth:`columns`."""

    FIELDS = ("t_s", "from_nation", "to_nation", "agreement", "kind", "item_id",
              "delivered_id", "item_t_s", "item_class", "threat", "lat_deg", "lon_deg")  # fmt: skip
    _DTYPES = (float, np.int64, np.int64, np.int64, np.int64, np.int64, np.int64, float,
               np.int64, np.int64, float, float)  # fmt: skip

    def __init__(self) -> None:
        self._heads: list[tuple[float, int, int, int, int]] = []  # t_s, source, receiver, k, kind
        self._sizes: list[int] = []
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._columns: dict[str, np.ndarray] | None = None  # columns() since the last add

    def add(self, t_s, source, receiver, k, kind, item_id, delivered, item_t_s, cls, label,
            lat, lon) -> None:  # fmt: skip
        n = item_id.size
        if n == 0:
            return
        self._heads.append((t_s, source, receiver, k, kind))
        self._sizes.append(n)
        self._chunks.append((item_id, delivered, item_t_s, cls, label, lat, lon))
        self._columns = None

    def __len__(self) -> int:
        return sum(self._sizes)

    def columns(self) -> dict[str, np.ndarray]:
        """``t_s``, ``from_nation``/``to_nation``/``agreement`` (indices), ``kind`` (0 track,
        1 launch warning), ``item_id`` (the source's own id), ``delivered_id`` (the id the
        receiver got: the same, or a pseudonym), ``item_t_s`` (time of the source's snapshot),
        ``item_class`` (0 ballistic, 1 cruise, 2 drone), ``threat`` (true object, -1 none),
        ``lat_deg``/``lon_deg`` (position as the source held it, before degradation).

        Computed once until the next :meth:`add` (the summary and the audit file both ask;
        the arrays are read-only)."""
        if self._columns is None:
            self._columns = self._build_columns()
        return dict(self._columns)

    def _build_columns(self) -> dict[str, np.ndarray]:
        if not self._chunks:
            return {f: np.zeros(0, dtype=d) for f, d in zip(self.FIELDS, self._DTYPES, strict=True)}
        sizes = np.asarray(self._sizes)
        heads = [np.repeat(np.asarray(c), sizes) for c in zip(*self._heads, strict=True)]
        items = list(zip(*self._chunks, strict=True))
        # item times: one per crossing (a snapshot's time, repeated) or one per item (warnings',
        # written over their rows)
        times = items[2]
        per_item = [i for i, t in enumerate(times) if isinstance(t, np.ndarray)]
        one = [float("nan") if isinstance(t, np.ndarray) else t for t in times]
        item_t = np.repeat(np.asarray(one, dtype=float), sizes)
        if per_item:
            ends = np.cumsum(sizes).tolist()
            for i in per_item:
                item_t[ends[i] - self._sizes[i] : ends[i]] = times[i]
        cols = heads + [np.concatenate(c) for c in items[:2]] + [item_t]
        cols += [np.concatenate(c) for c in items[3:]]
        out = {f: c.astype(d, copy=False) for f, c, d in zip(self.FIELDS, cols, self._DTYPES,
                                                            strict=True)}  # fmt: skip
        for c in out.values():
            c.flags.writeable = False
        return out


Territory = Callable[[int, np.ndarray, np.ndarray], np.ndarray]
"""``territory(nation, lat_deg, lon_deg)`` -> bool per point: inside that nation's territory."""


def cross(
    t_s: float,
    k: int,
    term: ReleaseTerms,
    item_t_s: float,
    tracks: LocalTracks,
    warnings: Warnings,
    *,
    pseudonyms: Pseudonyms,
    rng: np.random.Generator,
    territory: Territory,
    audit: AuditLog,
    receivers: Sequence[int] | None = None,
    geodetic: dict | None = None,
) -> list[tuple[int, LocalTracks, Warnings]]:
    """Release, at ``t_s``, agreement ``k``'s items from its source's snapshot taken at
    ``item_t_s`` (confirmed ``tracks``) and the launch ``warnings`` that came due (each
    stamped with its issue time in the audit) to each of ``receivers``
    (default: all of the agreement's). Returns ``(receiver, tracks, warnings)`` as delivered
    (tracks' ``seen_s`` moved by the transport delay ``t_s - item_t_s``: see
    :func:`_delivered_seen`) and writes every crossing to ``audit``. ``geodetic``: a cache of
    track positions as lat/lon by the identity of the state array (which it holds), for the
    crossings of one cycle."""
    if tracks.track_id.size == 0 and warnings.warning_id.size == 0:  # nothing to cross
        return [(r, NO_TRACKS, NO_WARNINGS) for r in (term.receivers if receivers is None
                                                      else receivers)]  # fmt: skip
    tracks = released_tracks(tracks, term) if TRACKS in term.items else NO_TRACKS
    if LAUNCH_WARNINGS not in term.items or warnings.warning_id.size == 0:
        warnings = NO_WARNINGS
    else:
        warnings = _what_warnings(term, warnings)
    rs = term.receivers if receivers is None else receivers
    if tracks.track_id.size == 0 and warnings.warning_id.size == 0:  # nothing crosses
        return [(r, NO_TRACKS, NO_WARNINGS) for r in rs]
    t_lat, t_lon = _NO_FLOAT, _NO_FLOAT
    if tracks.track_id.size:
        known = None if geodetic is None else geodetic.get(id(tracks.x))
        if known is None:
            t_lat, t_lon = geodetic_lat_lon_deg(tracks.x[:, :3], iterations=1)  # region, audit
            if geodetic is not None:  # (holding the array: its id is not reused meanwhile)
                geodetic[id(tracks.x)] = (tracks.x, t_lat, t_lon)
        else:
            _, t_lat, t_lon = known
        if term.region is not None:
            inside = _in_region(term, t_lat, t_lon)
            tracks, t_lat, t_lon = take_tracks(tracks, inside), t_lat[inside], t_lon[inside]
    sent_t = _delivered_seen(_degrade_tracks(term, tracks, rng), t_s - item_t_s)
    sent_w = _degrade_warnings(term, warnings, rng)
    t_ids, w_ids = tracks.track_id, warnings.warning_id
    if term.anonymous:  # pseudonyms, in pseudonym order (the source's order would tell)
        t_ids = pseudonyms(term.source, t_ids, KIND_TRACK)
        w_ids = pseudonyms(term.source, w_ids, KIND_WARNING)
        ot, ow = np.argsort(t_ids), np.argsort(w_ids)
        tracks, sent_t = take_tracks(tracks, ot), take_tracks(sent_t, ot)
        t_ids, t_lat, t_lon = t_ids[ot], t_lat[ot], t_lon[ot]
        warnings, sent_w, w_ids = warnings.select(ow), sent_w.select(ow), w_ids[ow]
        sent_t = replace(sent_t, track_id=t_ids)
        sent_w = replace(sent_w, warning_id=w_ids)
    if term.condition != "threatens_receiver":  # every receiver gets the same
        w_cls = (
            np.full(warnings.warning_id.size, BALLISTIC) if warnings.warning_id.size else _NO_INT
        )
        for r in rs:
            audit.add(t_s, term.source, r, k, KIND_TRACK, tracks.track_id, t_ids, item_t_s,
                      tracks.cls, tracks.label, t_lat, t_lon)  # fmt: skip
            audit.add(t_s, term.source, r, k, KIND_WARNING, warnings.warning_id, w_ids,
                      warnings.t_s, w_cls, warnings.label, warnings.lat_deg,
                      warnings.lon_deg)  # fmt: skip
        return [(r, sent_t, sent_w) for r in rs]
    t_pts = track_ground_points(tracks.x, tracks.cls)
    w_pts = warning_ground_points(warnings)
    out = []
    for r in rs:
        keep_t, keep_w = threatened(territory, r, t_pts), threatened(territory, r, w_pts)
        audit.add(t_s, term.source, r, k, KIND_TRACK, tracks.track_id[keep_t], t_ids[keep_t],
                  item_t_s, tracks.cls[keep_t], tracks.label[keep_t], t_lat[keep_t],
                  t_lon[keep_t])  # fmt: skip
        audit.add(t_s, term.source, r, k, KIND_WARNING, warnings.warning_id[keep_w],
                  w_ids[keep_w], warnings.t_s[keep_w], np.full(keep_w.sum(), BALLISTIC),
                  warnings.label[keep_w], warnings.lat_deg[keep_w],
                  warnings.lon_deg[keep_w])  # fmt: skip
        out.append((r, take_tracks(sent_t, keep_t), sent_w.select(keep_w)))
    return out


def _in_region(term: ReleaseTerms, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    if term.region is None:
        return np.ones(lat.shape, dtype=bool)
    la0, la1, lo0, lo1 = term.region
    return (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)


def _what_warnings(term: ReleaseTerms, warnings: Warnings) -> Warnings:
    if not term.class_mask[BALLISTIC]:
        return NO_WARNINGS
    if term.region is None:
        return warnings
    return warnings.select(_in_region(term, warnings.lat_deg, warnings.lon_deg))


def _delivered_seen(tracks: LocalTracks, delay_s: float) -> LocalTracks:
    """``tracks`` with their latest detection times ``seen_s`` moved ``delay_s`` (the
    transport delay) later: a receiver reckons a released track's age as the time its source
    had not seen it, not the time the release took to arrive (its prediction's covariance
    carries that). Otherwise a latency or a decision cycle near ``sim.engage_max_age_s``
    would make every released track unfit to fire on."""
    if tracks.seen_s is None or delay_s <= 0.0 or tracks.track_id.size == 0:
        return tracks
    return replace(tracks, seen_s=tracks.seen_s + delay_s)


def _degrade_tracks(term: ReleaseTerms, tracks: LocalTracks, rng) -> LocalTracks:
    """Positions rounded to the grid and/or noised; position covariance inflated to match."""
    if not (term.grid_m or term.noise_m) or tracks.track_id.size == 0:
        return tracks
    x, P = tracks.x.copy(), tracks.P.copy()
    var = 0.0
    if term.grid_m:
        x[:, :3] = np.round(x[:, :3] / term.grid_m) * term.grid_m
        var += term.grid_m**2 / 12.0
    if term.noise_m:
        x[:, :3] += rng.normal(0.0, term.noise_m, size=(x.shape[0], 3))
        var += term.noise_m**2
    P[:, :3, :3] += var * _EYE3
    return replace(tracks, x=x, P=P)


def _degrade_warnings(term: ReleaseTerms, warnings: Warnings, rng) -> Warnings:
    """Launch points coarsened the same way, on a local east/north metre grid at the point."""
    if not (term.grid_m or term.noise_m) or warnings.warning_id.size == 0:
        return warnings
    m_per_deg_lat = np.pi * R_EARTH_M / 180.0
    m_per_deg_lon = m_per_deg_lat * np.cos(np.radians(warnings.lat_deg))
    north, east = warnings.lat_deg * m_per_deg_lat, warnings.lon_deg * m_per_deg_lon
    if term.grid_m:
        north = np.round(north / term.grid_m) * term.grid_m
        east = np.round(east / term.grid_m) * term.grid_m
    if term.noise_m:
        d = rng.normal(0.0, term.noise_m, size=(north.size, 2))
        north, east = north + d[:, 0], east + d[:, 1]
    return replace(warnings, lat_deg=north / m_per_deg_lat, lon_deg=east / m_per_deg_lon)


def track_ground_points(x: np.ndarray, cls: np.ndarray, n: int = 11) -> np.ndarray:
    """Where each track is predicted to go, ``(k, n, 2)`` lat/lon degrees: a ballistic track's
    impact point (flat-Earth vacuum fall from its position: ``t = (v_u + sqrt(v_u^2 +
    2 g h)) / g``, a coarse rule, enough to say whose territory it falls in) repeated; an
    air-breather's straight ground path over the next ``AIR_HORIZON_S``."""
    if x.shape[0] == 0:
        return np.zeros((0, n, 2))
    lat, lon, alt = ecef_to_geodetic(x[:, :3], iterations=1)
    v = ecef_delta_to_enu(x[:, 3:], lat, lon)
    h = np.maximum(alt, 0.0)
    t_fall = (v[:, 2] + np.sqrt(v[:, 2] ** 2 + 2.0 * G_M_S2 * h)) / G_M_S2
    frac = np.linspace(0.0, 1.0, n)
    t = np.where(cls[:, None] == BALLISTIC, t_fall[:, None], AIR_HORIZON_S * frac[None, :])
    enu = np.zeros((x.shape[0], n, 3))
    enu[..., 0], enu[..., 1] = v[:, None, 0] * t, v[:, None, 1] * t
    enu[..., 2] = -alt[:, None]
    ground = geodetic_to_ecef(lat, lon, alt)[:, None, :] + enu_delta_to_ecef(
        enu, lat[:, None], lon[:, None]
    )
    g_lat, g_lon, _ = ecef_to_geodetic(ground, iterations=1)
    return np.stack([g_lat, g_lon], axis=-1)


def warning_ground_points(w: Warnings, n: int = 21) -> np.ndarray:
    """Points along each warning's bearing line out to ``WARNING_REACH_M`` (great circle from
    the launch point: the spherical destination formula), ``(k, n, 2)``."""
    d = np.linspace(0.0, WARNING_REACH_M, n)[None, :] / R_EARTH_M
    la, lo = np.radians(w.lat_deg)[:, None], np.radians(w.lon_deg)[:, None]
    az = np.radians(w.azimuth_deg)[:, None]
    lat2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(az))
    lon2 = lo + np.arctan2(np.sin(az) * np.sin(d) * np.cos(la),
                           np.cos(d) - np.sin(la) * np.sin(lat2))  # fmt: skip
    return np.stack([np.degrees(lat2), np.degrees(lon2)], axis=-1)


def threatened(territory: Territory, nation: int, points: np.ndarray) -> np.ndarray:
    """Per item: does any of its predicted points lie in ``nation``'s territory?"""
    if points.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    inside = territory(nation, points[..., 0].ravel(), points[..., 1].ravel())
    return inside.reshape(points.shape[:2]).any(axis=1)
