"""The event recorder: an append-only list of rows that becomes a pyarrow Table.

Rows are ordered by (time, sequence number) so that ties break the same way on every run (the
SimPy rule). Positions left as NaN are filled at the end in one vectorised pass from truth.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

EVENT_KINDS = (
    "launch",
    "detect",
    "track_start",
    "track_end",
    "release",
    "leave",
    "engage",
    "intercept",
    "miss",
    "leak",
    "impact",
    "fail",
)

SCHEMA = pa.schema(
    [
        pa.field("t_s", pa.float64(), metadata={"unit": "s", "doc": "seconds from scenario start"}),
        pa.field("event", pa.string()),
        pa.field("threat_id", pa.string()),
        pa.field("threat_class", pa.string()),
        pa.field("nation", pa.string(), metadata={"doc": "acting nation, or null"}),
        pa.field("unit_id", pa.string(), metadata={"doc": "sensor or shooter, or null"}),
        pa.field("lat_deg", pa.float64()),
        pa.field("lon_deg", pa.float64()),
        pa.field("alt_m", pa.float64()),
        pa.field("to_nation", pa.string(), metadata={"doc": "receiver of a release"}),
        pa.field("agreement_id", pa.string()),
        pa.field("source_nation", pa.string(), metadata={"doc": "whose track a shot was fired on"}),
        pa.field("engagement_id", pa.int64()),
        pa.field("pk", pa.float64()),
        pa.field("cost_usd", pa.float64()),
        pa.field("detail", pa.string()),
        pa.field("value_gain", pa.float64(), metadata={"doc": "engage: pk x threat value"}),
        pa.field("candidates", pa.string(), metadata={"doc": "engage: JSON, every shooter"}),
    ]
)


_FLOAT_COLUMNS = ("lat_deg", "lon_deg", "alt_m", "pk", "cost_usd", "value_gain")
# the optional columns (after t_s and event) with the value of a row that does not give one
_OPTIONAL = tuple((n, np.nan if n in _FLOAT_COLUMNS else None) for n in SCHEMA.names[2:])
_KNOWN = frozenset(SCHEMA.names[2:])


class EventLog:
    """Collects events; ``threat`` is the index into the threat arrays (or -1). A row is kept
    as given (time, kind, the columns it names) and laid out in columns when read, so that
    adding one costs a few appends: the simulator adds thousands."""

    def __init__(self) -> None:
        self._events: list[tuple[float, str, dict]] = []
        self._threat: list[int] = []

    def add(self, t_s: float, event: str, threat: int, **cols) -> None:
        if not _KNOWN.issuperset(cols):
            raise TypeError(f"unknown event columns: {sorted(set(cols) - _KNOWN)}")
        self._threat.append(threat)
        self._events.append((float(t_s), event, cols))

    @property
    def _rows(self) -> dict[str, list]:
        """The rows as columns, every column of :data:`SCHEMA` (defaults where not given)."""
        rows: dict[str, list] = {
            "t_s": [e[0] for e in self._events],
            "event": [e[1] for e in self._events],
        }
        for name, default in _OPTIONAL:
            rows[name] = [e[2].get(name, default) for e in self._events]
        return rows

    def kills(self) -> list[int]:
        """Engagement ids of the shots that destroyed their threat."""
        return [e[2].get("engagement_id") for e in self._events if e[1] == "intercept"]

    def __len__(self) -> int:
        return len(self._threat)

    def table(self, threat_ids: np.ndarray, threat_class: np.ndarray, locate) -> pa.Table:
        """Sorted table; ``locate(threat_idx, t_s) -> (lat, lon, alt)`` fills missing positions."""
        rows = self._rows
        thr = np.asarray(self._threat, dtype=np.int64)
        t = np.asarray(rows["t_s"], dtype=float)
        lat = np.asarray(rows["lat_deg"], dtype=float)
        lon = np.asarray(rows["lon_deg"], dtype=float)
        alt = np.asarray(rows["alt_m"], dtype=float)
        fill = np.isnan(lat) & (thr >= 0)
        if fill.any():
            lat[fill], lon[fill], alt[fill] = locate(thr[fill], t[fill])
        rows["lat_deg"], rows["lon_deg"], rows["alt_m"] = lat, lon, alt
        has = thr >= 0
        rows["threat_id"] = np.where(has, threat_ids[np.maximum(thr, 0)], None).tolist()
        rows["threat_class"] = np.where(has, threat_class[np.maximum(thr, 0)], None).tolist()
        order = np.argsort(t, kind="stable")
        cols = {
            name: pa.array(
                [rows[name][i] for i in order]
                if not isinstance(rows[name], np.ndarray)
                else rows[name][order],
                type=SCHEMA.field(name).type,
            )
            for name in SCHEMA.names
        }
        return pa.table(cols, schema=SCHEMA)
