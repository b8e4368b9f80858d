"""The sharing stage's files in a run folder: ``audit.parquet`` and ``pictures/<nation>.parquet``.

``audit.parquet`` is the analyst's record of every item that crossed from one nation to
another (it names everyone, anonymous partners included). ``pictures/<nation>.parquet`` is
that nation's picture as *it* sees it, sampled every 30 s: its own track numbers, position,
velocity, covariance summary, estimated class and the provenance it may see (anonymous
contributors appear as ``partner``) with the terms each release came under; no truth and
nothing another nation withheld.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from shieldwall.geo import ecef_to_geodetic
from shieldwall.io.runfolder import PICTURES_DIR, write_parquet
from shieldwall.scenario import THREAT_CLASSES, Scenario
from shieldwall.sharing import AudienceLog, AuditLog, resolve_agreements
from shieldwall.sharing.crossing import ITEM_KINDS


def _dictionary(values: np.ndarray, index: np.ndarray) -> pa.DictionaryArray:
    """A column of few distinct strings (nation ids, agreement ids, terms), stored once."""
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()), pa.array(values))


def audit_table(scenario: Scenario, audit: AuditLog, threat_ids: Sequence[str]) -> pa.Table:
    """Every crossing: ``t_s``, ``from_nation``, ``to_nation``, ``agreement_id``, ``terms``,
    ``anonymous``, ``item_kind`` (track / launch_warning), ``item_id`` (the source's id),
    ``delivered_id`` (what the receiver got: the same id or a pseudonym), ``item_t_s`` (time
    of the source's data), ``item_class`` (as the source classified it), ``threat_id`` (the
    true object, null for clutter), ``lat_deg``/``lon_deg`` (as the source held it)."""
    c = audit.columns()
    terms = resolve_agreements(scenario)
    nations = np.array([n.id for n in scenario.nations])
    ids = np.asarray([*threat_ids, None], dtype=object)
    return pa.table({
        "t_s": c["t_s"],
        "from_nation": _dictionary(nations, c["from_nation"]),
        "to_nation": _dictionary(nations, c["to_nation"]),
        "agreement_id": _dictionary(np.array([t.agreement_id for t in terms]), c["agreement"]),
        "terms": _dictionary(np.array([t.describe() for t in terms]), c["agreement"]),
        "anonymous": np.array([t.anonymous for t in terms], dtype=bool)[c["agreement"]],
        "item_kind": _dictionary(np.array(ITEM_KINDS), c["kind"]),
        "item_id": c["item_id"],
        "delivered_id": c["delivered_id"],
        "item_t_s": c["item_t_s"],
        "item_class": _dictionary(np.array(THREAT_CLASSES), c["item_class"]),
        "threat_id": ids[c["threat"]].tolist(),
        "lat_deg": c["lat_deg"],
        "lon_deg": c["lon_deg"],
    })  # fmt: skip


def audience_table(scenario: Scenario, views: AudienceLog, nation: int) -> pa.Table:
    """Nation ``nation``'s picture as it sees it (see the module docstring), plus
    ``lat_deg``/``lon_deg``/``alt_m``."""
    names = [n.id for n in scenario.nations]
    rows = views.rows(nation, names)
    xyz = np.stack([rows["x_m"], rows["y_m"], rows["z_m"]], axis=-1)
    lat, lon, alt = ecef_to_geodetic(xyz)
    order = ["t_s", "track_number"]
    cols = {k: rows[k] for k in order}
    cols |= {"lat_deg": lat, "lon_deg": lon, "alt_m": alt}
    cols |= {k: v for k, v in rows.items() if k not in order}
    cols["provenance"] = pa.array(rows["provenance"], pa.list_(pa.string()))
    cols["release_terms"] = pa.array(rows["release_terms"], pa.list_(pa.string()))
    return pa.table(cols)


def write_sharing_files(
    run_dir: Path,
    scenario: Scenario,
    audit: AuditLog,
    views: AudienceLog,
    threat_ids: Sequence[str],
) -> None:
    """``audit.parquet`` and one ``pictures/<nation>.parquet`` per nation."""
    write_parquet(run_dir / "audit.parquet", audit_table(scenario, audit, threat_ids))
    folder = run_dir / PICTURES_DIR
    folder.mkdir(exist_ok=True)
    for a, n in enumerate(scenario.nations):
        write_parquet(folder / f"{n.id}.parquet", audience_table(scenario, views, a))
