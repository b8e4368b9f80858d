"""``shieldwall explain RUN_DIR THREAT_ID``: one threat's story from a run folder.

Everything comes from ``events.parquet``: the threat's launch, the sensors that saw it, the
nations that tracked it, the releases that carried it to partners, each nation's decision to
leave it alone, every shot at it with the candidates considered (each shooter's status: chosen,
feasible, or the first rule that excluded it) and the expected value gain, and its fate. Under
each shot's candidates, how many shooters the engagement rules barred: by authority (letters,
threat class, whose assets it may defend) or by airspace (its authority's airspace, a host's
denial), and how many the fire doctrine held back (a per-class limit: ``max_shots`` at the
threat, or the shooter's ``rounds_per_cycle``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

STATUS_ORDER = {"chosen": 0, "fires in the same salvo": 1, "lower score": 2,
                "fires at another threat": 3}  # fmt: skip
DOCTRINE = "per-class limit"  # statuses of shooters the fire doctrine held back
# the events.parquet columns a story reads (candidates and value_gain may be absent)
COLUMNS = ("t_s", "event", "threat_id", "threat_class", "nation", "unit_id", "to_nation",
           "agreement_id", "source_nation", "engagement_id", "pk", "cost_usd",
           "detail")  # fmt: skip


class ExplainError(Exception):
    """A run folder or threat id that cannot be explained (one line for the user)."""


def threat_events(run_dir: Path, threat_id: str) -> list[dict]:
    """The threat's events in time order (dicts of the ``events.parquet`` columns)."""
    path = Path(run_dir) / "events.parquet"
    if not path.is_file():
        raise ExplainError(f"{run_dir}: no events.parquet here; give a run folder (shieldwall run)")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ExplainError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise ExplainError(f"{path}: no column {', '.join(missing)}; not a shieldwall run folder?")
    rows = [r for r in table.to_pylist() if r["threat_id"] == threat_id]
    if not rows:
        known = sorted({t for t in table.column("threat_id").to_pylist() if t})
        hint = f"e.g. {known[0]} ... {known[-1]}" if known else "the run has no threats"
        raise ExplainError(f"threat {threat_id!r} is not in this run ({hint})")
    return rows


def story_tables(rows: list[dict]) -> list[Table]:
    """A timeline table, then one candidates table per shot."""
    first = rows[0]
    timeline = Table(title=f"{first['threat_id']} ({first['threat_class']})", title_style="bold")
    for col in ("t (s)", "event", "nation", "unit", "what"):
        timeline.add_column(col, justify="right" if col == "t (s)" else "left")
    shots = []
    for r in rows:
        timeline.add_row(f"{r['t_s']:.0f}", r["event"], r["nation"] or "", r["unit_id"] or "",
                         _what(r))  # fmt: skip
        if r["event"] == "engage" and r.get("candidates"):
            shots.append(r)
    return [timeline, *(_candidates_table(r) for r in shots)]


def story_json(rows: list[dict]) -> dict:
    """The same story for scripts: the events, candidates parsed."""
    out = []
    for r in rows:
        r = dict(r)
        if r.get("candidates"):
            r["candidates"] = json.loads(r["candidates"])
        out.append({k: v for k, v in r.items() if v is not None and v == v})
    return {"threat_id": rows[0]["threat_id"], "events": out}


def _what(r: dict) -> str:
    e = r["event"]
    if e == "engage":
        gain = r.get("value_gain")
        extra = f", expected value gain {gain:.2f}" if gain is not None and gain == gain else ""
        return (f"pk {r['pk']:.2f}, ${r['cost_usd'] / 1e6:.2f}M, on {r['source_nation']}'s "
                f"track{extra}; {r['detail']}")  # fmt: skip
    if e == "release":
        return f"to {r['to_nation']} ({r['agreement_id']})" + (
            f", {r['detail']}" if r["detail"] else "")  # fmt: skip
    if e in ("intercept", "miss"):
        return f"engagement {r['engagement_id']}" + (f": {r['detail']}" if r["detail"] else "")
    return r["detail"] or ""


def _candidates_table(r: dict) -> Table:
    rows = json.loads(r["candidates"])
    rows.sort(key=lambda c: (STATUS_ORDER.get(c["status"], 9), c["status"], c["unit"]))
    table = Table(title=f"engagement {r['engagement_id']} at t = {r['t_s']:.0f} s: candidates")
    for col in ("unit", "nation", "pk", "status"):
        table.add_column(col, justify="right" if col == "pk" else "left")
    for c in rows:
        table.add_row(c["unit"], c["nation"], f"{c['pk']:.2f}", c["status"])
    table.caption = _barred(rows)
    return table


def _barred(rows: list[dict]) -> str | None:
    """'barred by authority: 2 (GBR 1, JOR 1); by airspace: 1 (USA 1); held by doctrine: 1
    (ISR 1)', or None."""
    parts = []
    for label, start in (("by authority", "no authority"), ("by airspace", "no airspace"),
                         ("held by doctrine", DOCTRINE)):  # fmt: skip
        nations = [c["nation"] for c in rows if c["status"].startswith(start)]
        if nations:
            each = ", ".join(f"{n} {nations.count(n)}" for n in sorted(set(nations)))
            parts.append(f"{label}: {len(nations)} ({each})")
    if not parts:
        return None
    text = "; ".join(parts)
    return "barred " + text if text.startswith("by ") else text
