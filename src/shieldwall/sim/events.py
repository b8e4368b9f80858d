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


class EventLog:
    """Collects events; ``threat`` is the index into the threat arrays (or -1)."""

    def __init__(self) -> None:
        self._rows: dict[str, list] = {f.name: [] for f in SCHEMA}
        self._threat: list[int] = []

    def add(self, t_s: float, event: str, threat: int, **cols) -> None:
        self._threat.append(threat)
        self._rows["t_s"].append(float(t_s))
        self._rows["event"].append(event)
        for name in SCHEMA.names[2:]:
            default = np.nan if name in ("lat_deg", "lon_deg", "alt_m", "pk", "cost_usd",
                                         "value_gain") else None  # fmt: skip
            self._rows[name].append(cols.pop(name, default))
        if cols:
            raise TypeError(f"unknown event columns: {sorted(cols)}")

    def kills(self) -> list[int]:
        """Engagement ids of the shots that destroyed their threat."""
        rows = zip(self._rows["event"], self._rows["engagement_id"], strict=True)
        return [eid for ev, eid in rows if ev == "intercept"]

    def __len__(self) -> int:
        return len(self._threat)

    def table(self, threat_ids: np.ndarray, threat_class: np.ndarray, locate) -> pa.Table:
        """Sorted table; ``locate(threat_idx, t_s) -> (lat, lon, alt)`` fills missing positions."""
        rows = {k: list(v) for k, v in self._rows.items()}
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
