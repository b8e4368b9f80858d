"""The study journal (``replications.jsonl``): reading it back, and what counts as a record.

A study appends one JSON line per finished replication (:class:`Journal`). A resumed study
keeps only the records written exactly as the writers write them
(:func:`shieldwall.studies.montecarlo._record`, :func:`shieldwall.studies.variants.run_variants`):
anything else (a record edited by hand, a line of garbage, a record with no metrics, a NaN
metric, an ok record without a metric every replication has) would otherwise be counted as a
finished replication, bias the means (a mean over fewer replications than the study claims)
or crash the table. Such a record is skipped, its replication runs again, and the line
numbers are reported (:func:`damage_note`). A torn last line (a study killed mid-write: no
newline at its end) is expected and skipped silently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

JOURNAL = "replications.jsonl"
STATUSES = ("ok", "failed")
SHOWN_LINES = 10


@dataclass(frozen=True, slots=True)
class JournalScan:
    """A journal read back: the ``records`` kept (the last well-formed one of each run, sorted
    by key) and the 1-based line numbers of the ``damaged`` lines skipped."""

    records: list[dict]
    damaged: list[int]


def _index(x: object) -> bool:
    """A replication / variant index or a seed: a non-negative int (JSON has no other)."""
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _metric(x: object) -> bool:
    """A metric value as the writers store it: a finite number (not a bool) or null. The
    writers never store NaN or infinity (a ratio with no denominator is null), though JSON as
    Python reads it accepts both: one would poison every mean it enters."""
    if isinstance(x, float):
        return math.isfinite(x)
    return x is None or (isinstance(x, int) and not isinstance(x, bool))


def well_formed(rec: object, key: Sequence[str], required: Sequence[str] = ()) -> bool:
    """Whether ``rec`` is a record as the writers write it: the ``key`` fields and ``seed``
    non-negative ints, ``status`` ok or failed, ``error`` a string or null, ``metrics`` a dict
    of finite numbers or nulls (empty for a failed run) which, for an ok run, holds every
    ``required`` metric (those every replication has: one deleted would leave that metric's
    mean over fewer replications than the study counts). Extra fields are allowed."""
    if not isinstance(rec, dict) or not all(_index(rec.get(k)) for k in (*key, "seed")):
        return False
    if rec.get("status") not in STATUSES or "error" not in rec:
        return False
    metrics = rec.get("metrics")
    return (
        (rec["error"] is None or isinstance(rec["error"], str))
        and isinstance(metrics, dict)
        and all(_metric(v) for v in metrics.values())
        and (rec["status"] != "ok" or all(m in metrics for m in required))
    )


def _parse(line: bytes) -> object:
    """The JSON value of one journal line (ValueError when it is not UTF-8 JSON)."""
    try:
        return json.loads(line.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def scan_journal(
    path: Path, key: Sequence[str] = ("replication",), required: Sequence[str] = ()
) -> JournalScan:
    """Read the journal at ``path`` (none: no records). Blank lines and a torn last line are
    skipped silently; any other line that is not a well-formed record (:func:`well_formed`,
    ``required`` metrics included) is ``damaged``."""
    if not path.exists():
        return JournalScan([], [])
    lines = path.read_bytes().split(b"\n")  # the last item follows the last newline
    latest: dict[tuple[int, ...], dict] = {}
    damaged: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = _parse(line)
        except ValueError:
            if number < len(lines):  # the last item has no newline: torn, not damaged
                damaged.append(number)
            continue
        if well_formed(rec, key, required):
            latest[tuple(rec[k] for k in key)] = rec
        else:
            damaged.append(number)
    return JournalScan([latest[k] for k in sorted(latest)], damaged)


def read_journal(
    path: Path, key: Sequence[str] = ("replication",), required: Sequence[str] = ()
) -> list[dict]:
    """The journal's well-formed records, the last one of each run (its ``key`` fields)
    winning, sorted by key (see :func:`scan_journal`)."""
    return scan_journal(path, key, required).records


def damage_note(path: Path, damaged: Sequence[int], unit: str = "replications") -> str:
    """One line naming the journal ``path``, how many damaged lines were skipped and which."""
    n = len(damaged)
    s = "" if n == 1 else "s"
    shown = ", ".join(str(k) for k in damaged[:SHOWN_LINES]) + (", ..." if n > SHOWN_LINES else "")
    return (
        f"{path}: skipped {n} damaged record{s} (line{s} {shown}); the {unit} without a good"
        " record run again"
    )


class Journal:
    """Appends one flushed JSON line per finished replication."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def append(self, record: dict) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


__all__ = [
    "JOURNAL",
    "Journal",
    "JournalScan",
    "damage_note",
    "read_journal",
    "scan_journal",
    "well_formed",
]
