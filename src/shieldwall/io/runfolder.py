"""Run folders: ``scenario.yaml``, ``summary.json``, ``events.parquet``, ``map.png``.

A folder being written holds a file ``INCOMPLETE``; it is removed only after every file is in
place, so an interrupted run never looks complete. Each file is written to a temporary name in
the same folder and renamed into place (atomic on POSIX), so no half-written file carries a
final name.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MARKER = "INCOMPLETE"


class RunFolderError(Exception):
    """A run folder that cannot be used (exists and is not empty, not writable...)."""


def default_run_dir(base: Path, scenario: str, seed: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = base / f"{scenario}-{seed}-{stamp}"
    k = 1
    while path.exists():
        k += 1
        path = base / f"{scenario}-{seed}-{stamp}-{k}"
    return path


def open_run_dir(path: Path, force: bool = False) -> Path:
    """Create ``path`` (or reuse it with ``force``) and mark it incomplete."""
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"{path}: exists and is not a folder; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise RunFolderError(
            f"{path}: folder exists and is not empty; choose another --out or add --force"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / MARKER).write_text("this run did not finish; its files are not complete\n")
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot write the run folder ({exc.strerror})") from None
    return path


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename it into place, so a
    reader never sees half a file and a failed write leaves no debris (and no old file lost)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_parquet(path: Path, table: pa.Table) -> None:
    """Deterministic Parquet (no creation timestamp varies; fixed compression)."""
    write_atomic(
        path,
        lambda p: pq.write_table(
            table, p, compression="zstd", store_schema=True, write_statistics=True
        ),
    )


def close_run_dir(path: Path) -> None:
    (path / MARKER).unlink(missing_ok=True)
