"""The raid as drawn: one row per threat with every random choice made up front.

All randomness comes from the ``numpy.random.Generator`` passed in, drawn salvo by salvo in a
fixed order (launch jitter, launch disc, aim error, failure, failure time), so that a what-if
that changes one salvo's count leaves other salvos' draws untouched only if it comes later in
the list; pass a dedicated child stream (``SeedSequence.spawn``) for the raid.

Launch times are stratified: a salvo of ``c`` threats over ``[start, end]`` puts threat ``k``
uniformly at random in slot ``[start + k w, start + (k + 1) w]``, ``w = (end - start) / c``,
i.e. evenly spread with a jitter of up to one slot.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from shieldwall.scenario.models import Scenario
from shieldwall.threats.airbreathing import destination_point

CLASS_CODES = {"ballistic": 0, "cruise": 1, "drone": 2}
CLASS_NAMES = np.array(["ballistic", "cruise", "drone"])
# CEP = sqrt(2 ln 2) sigma for a circular normal miss (Rayleigh median; e.g. Driels, "Weaponeering",
# 2nd ed., AIAA 2013, ch. 6)
CEP_PER_SIGMA = float(np.sqrt(2.0 * np.log(2.0)))  # 1.1774
FAIL_WINDOW = 0.9  # failures happen uniformly over the first 90 % of the nominal flight


@dataclass(frozen=True, slots=True, eq=False)
class ThreatSet:
    """Every threat of a raid, one row each, ordered by (launch time, salvo, index in salvo).

    Arrays are read-only, all of length ``n``. Positions in degrees (geodetic), times in
    seconds from scenario start. ``fail_frac`` is the fraction of its flight time at which a
    failing threat breaks up (nan for threats that do not fail); truth turns it into a time.
    """

    threat_id: np.ndarray
    salvo: np.ndarray
    type_id: np.ndarray
    class_code: np.ndarray
    launch_t_s: np.ndarray
    launch_lat_deg: np.ndarray
    launch_lon_deg: np.ndarray
    aim_asset: np.ndarray
    impact_lat_deg: np.ndarray
    impact_lon_deg: np.ndarray
    fails: np.ndarray
    fail_frac: np.ndarray
    rcs_m2: np.ndarray
    cost_usd: np.ndarray

    @property
    def n(self) -> int:
        return int(self.threat_id.shape[0])

    def threat_class(self) -> np.ndarray:
        """(n,) class names ("ballistic", "cruise", "drone")."""
        return CLASS_NAMES[self.class_code]

    def equals(self, other: ThreatSet) -> bool:
        """True when every column is identical (nan equal to nan)."""
        same = [
            np.array_equal(getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
            if f.name != "fail_frac"
        ]
        return all(same) and np.array_equal(self.fail_frac, other.fail_frac, equal_nan=True)


def _launch_times(
    window_s: tuple[float, float], count: int, rng: np.random.Generator
) -> np.ndarray:
    """Stratified times: ``start + (k + U[0,1)) (end - start) / count``."""
    start, end = window_s
    return start + (np.arange(count) + rng.random(count)) * (end - start) / count


def _disc_points(
    lat_deg: float, lon_deg: float, radius_m: float, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in a spherical cap: distance ``r sqrt(U)``, bearing ``2 pi U``."""
    dist = radius_m * np.sqrt(rng.random(count))
    bearing = 2.0 * np.pi * rng.random(count)
    return destination_point(np.full(count, lat_deg), np.full(count, lon_deg), bearing, dist)


def _aim_points(
    lat_deg: np.ndarray, lon_deg: np.ndarray, cep_m: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Circular normal miss: east and north offsets ~ N(0, sigma^2), ``sigma = CEP / 1.1774``."""
    east_north = rng.normal(0.0, cep_m / CEP_PER_SIGMA, size=(2, lat_deg.size))
    dist = np.hypot(east_north[0], east_north[1])
    return destination_point(lat_deg, lon_deg, np.arctan2(east_north[0], east_north[1]), dist)


def _draw_salvo(scenario: Scenario, j: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """All columns of salvo ``j``, in salvo index order."""
    salvo = scenario.raid.salvos[j]
    ttype = scenario.catalog.threat_types[salvo.threat]
    c = salvo.count
    asset_index = {a.id: i for i, a in enumerate(scenario.assets)}
    launch_t = _launch_times(salvo.window_s, c, rng)
    la = salvo.launch
    launch_lat, launch_lon = _disc_points(la.lat_deg, la.lon_deg, la.radius_km * 1e3, c, rng)
    aim = np.array([asset_index[salvo.aim[k % len(salvo.aim)]] for k in range(c)], dtype=np.int64)
    assets = scenario.assets
    aim_lat = np.array([assets[i].lat_deg for i in aim], dtype=float)
    aim_lon = np.array([assets[i].lon_deg for i in aim], dtype=float)
    impact_lat, impact_lon = _aim_points(aim_lat, aim_lon, ttype.cep_m, rng)
    reliability = salvo.reliability if salvo.reliability is not None else ttype.reliability
    fails = rng.random(c) < 1.0 - reliability
    fail_frac = rng.random(c)  # drawn for every threat so later draws do not shift
    width = max(3, len(str(c - 1)))
    return {
        "threat_id": np.array([f"{salvo.id}-{k:0{width}d}" for k in range(c)]),
        "salvo": np.full(c, j, dtype=np.int64),
        "type_id": np.full(c, salvo.threat),
        "class_code": np.full(c, CLASS_CODES[ttype.threat_class], dtype=np.int8),
        "launch_t_s": launch_t,
        "launch_lat_deg": launch_lat,
        "launch_lon_deg": launch_lon,
        "aim_asset": aim,
        "impact_lat_deg": impact_lat,
        "impact_lon_deg": impact_lon,
        "fails": fails,
        "fail_frac": np.where(fails, fail_frac * FAIL_WINDOW, np.nan),
        "rcs_m2": np.full(c, ttype.rcs_m2),
        "cost_usd": np.full(c, ttype.cost_usd),
        "_index": np.arange(c),
    }


def build_raid(scenario: Scenario, rng: np.random.Generator) -> ThreatSet:
    """Draw every threat of ``scenario.raid`` (launch point and time, aim point, failure).

    Rows are sorted by (launch time, salvo order, index in salvo); ids are
    ``"<salvo id>-<index>"`` with the index zero-padded to at least 3 digits.
    """
    parts = [_draw_salvo(scenario, j, rng) for j in range(len(scenario.raid.salvos))]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols.pop("_index"), cols["salvo"], cols["launch_t_s"]))
    out = {}
    for k, v in cols.items():
        v = np.ascontiguousarray(v[order])
        v.flags.writeable = False
        out[k] = v
    return ThreatSet(**out)
