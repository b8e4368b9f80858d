"""An independent releasability and anonymity checker for a run folder's sharing files.

It reads only the scenario, ``audit.parquet`` and ``pictures/<nation>.parquet``, and
re-derives every rule from the scenario's own fields (it imports nothing from
``shieldwall.sharing``): who may receive what, when, how late, where, and who may be named to
whom. It returns the violations it finds, one line each; an empty list means none.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq

KINDS = {"track": "tracks", "launch_warning": "launch_warnings"}
LOW32 = (1 << 32) - 1
PSEUDONYM_LIMIT = 1 << 31


def _members(sc, audience: str) -> set[str]:
    if audience == "coalition":
        return {n.id for n in sc.nations}
    return set(sc.groups.get(audience, [audience]))


def _anonymous(sc, ag) -> bool:
    if ag.anonymous is not None:
        return ag.anonymous
    return next(n.anonymous for n in sc.nations if n.id == ag.from_nation)


def check_audit(sc, rows: list[dict]) -> list[str]:
    """Every crossing allowed by its agreement: source, audience, time, kind, class, region,
    latency, anonymity flag, and pseudonymous ids when anonymous."""
    bad = []
    agreements = {a.id: a for a in sc.agreements}
    pseudonym_of: dict[tuple, int] = {}
    for i, r in enumerate(rows):
        ag = agreements.get(r["agreement_id"])
        where = f"audit row {i} ({r['from_nation']}->{r['to_nation']}, {r['agreement_id']})"
        if ag is None:
            bad.append(f"{where}: no such agreement")
            continue
        receivers = set().union(*(_members(sc, a) for a in ag.to)) - {ag.from_nation}
        lo = -math.inf if ag.from_s is None else ag.from_s
        hi = math.inf if ag.until_s is None else ag.until_s
        checks = {
            "wrong source": r["from_nation"] != ag.from_nation,
            "receiver not in the audience": r["to_nation"] not in receivers,
            "outside the validity": not lo <= r["t_s"] <= hi,
            "item kind not released": KINDS[r["item_kind"]] not in ag.items,
            "class not released": r["item_class"] not in ag.classes,
            "earlier than the latency": r["t_s"] - r["item_t_s"] < ag.latency_s - 1e-9,
            "anonymity flag wrong": bool(r["anonymous"]) != _anonymous(sc, ag),
        }
        if ag.region is not None:
            g = ag.region
            inside = (
                g.lat_min <= r["lat_deg"] <= g.lat_max and g.lon_min <= r["lon_deg"] <= g.lon_max
            )
            checks["outside the region"] = not inside
        if r["anonymous"]:
            key = (r["from_nation"], r["item_kind"], r["item_id"])
            d = r["delivered_id"]
            checks["anonymous id not a pseudonym"] = (
                d == r["item_id"] or not 0 <= d < PSEUDONYM_LIMIT
            )
            checks["pseudonym not stable"] = pseudonym_of.setdefault(key, d) != d
        else:
            checks["named id altered"] = r["delivered_id"] != r["item_id"]
        bad += [f"{where}: {what}" for what, failed in checks.items() if failed]
    return bad


def check_pictures(sc, rows: list[dict], folder: Path) -> list[str]:
    """Each audience's picture: provenance backed by crossings to it, no anonymous partner
    named anywhere, track numbers traceable to what it received, rows in number order."""
    bad = []
    ids = [n.id for n in sc.nations]
    names = {n.id: n.name for n in sc.nations}
    for x in ids:
        path = folder / "pictures" / f"{x}.parquet"
        if not path.exists():
            bad.append(f"pictures/{x}.parquet missing")
            continue
        table = pq.read_table(path)
        to_x = [r for r in rows if r["to_nation"] == x]
        named_first = {}
        anon_first = math.inf
        named_ids: dict[tuple[int, int], float] = {}
        anon_ids: dict[int, float] = {}
        for r in to_x:
            if r["item_kind"] != "track":
                continue
            if r["anonymous"]:
                anon_first = min(anon_first, r["t_s"])
                anon_ids[r["delivered_id"]] = min(
                    anon_ids.get(r["delivered_id"], math.inf), r["t_s"]
                )
            else:
                n = ids.index(r["from_nation"])
                named_first[r["from_nation"]] = min(named_first.get(r["from_nation"], math.inf),
                                                    r["t_s"])  # fmt: skip
                key = (n, r["delivered_id"])
                named_ids[key] = min(named_ids.get(key, math.inf), r["t_s"])
        hidden = {r["from_nation"] for r in to_x if r["anonymous"]} - set(named_first) - {x}
        secrets = hidden | {names[h] for h in hidden}
        meta = table.schema.metadata or {}
        blob = b" ".join(list(meta.keys()) + list(meta.values())).decode("utf-8", "replace")
        bad += [f"pictures/{x}: schema metadata names {s}" for s in secrets if s in blob]
        data = table.to_pylist()
        last = (-math.inf, -math.inf)
        for i, row in enumerate(data):
            where = f"pictures/{x} row {i} (t={row['t_s']})"
            terms = list(row.get("release_terms") or [])
            words = {w.strip(",;:") for t in terms for w in t.split()}
            cells = [v for v in row.values() if isinstance(v, str)] + list(row["provenance"])
            bad += [f"{where}: names anonymous partner {s}" for s in secrets
                    if s in cells or s in words]  # fmt: skip
            for t in terms:
                who = t.split(": ", 1)[0]
                if who == "partner" and anon_first > row["t_s"]:
                    bad.append(f"{where}: terms of a 'partner' without an anonymous crossing")
                elif who != "partner" and named_first.get(who, math.inf) > row["t_s"]:
                    bad.append(f"{where}: terms from {who} without a crossing {who}->{x}")
            for p in row["provenance"]:
                if p == x:
                    continue
                if p == "partner":
                    if anon_first > row["t_s"]:
                        bad.append(f"{where}: 'partner' without an anonymous crossing to {x}")
                elif named_first.get(p, math.inf) > row["t_s"]:
                    bad.append(f"{where}: provenance {p} without a crossing {p}->{x}")
            number = row["track_number"]
            block, low = (number >> 32) - 1, number & LOW32
            if block == -1:
                if low < PSEUDONYM_LIMIT and anon_ids.get(low, math.inf) > row["t_s"]:
                    bad.append(f"{where}: number {number} is no pseudonym {x} received")
            elif not 0 <= block < len(ids):
                bad.append(f"{where}: number {number} in no nation's block")
            elif ids[block] != x and named_ids.get((block, low), math.inf) > row["t_s"]:
                bad.append(f"{where}: number {number} from {ids[block]} never released to {x}")
            if (row["t_s"], number) < last:
                bad.append(f"{where}: rows not in (time, number) order")
            last = (row["t_s"], number)
    return bad


def check_folder(sc, folder: Path) -> list[str]:
    """All violations in ``folder`` (its ``audit.parquet`` and ``pictures/``)."""
    rows = pq.read_table(Path(folder) / "audit.parquet").to_pylist()
    return check_audit(sc, rows) + check_pictures(sc, rows, Path(folder))
