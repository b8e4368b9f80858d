"""Run folders: ``scenario.yaml``, ``summary.json``, ``events.parquet``, ``map.png``.

A folder being written holds a file ``INCOMPLETE``; it is removed only after every file is in
place, so an interrupted run never looks complete. Each file is written to a temporary name in
the same folder and renamed into place (atomic on POSIX), so no half-written file carries a
final name.

Reusing a folder (``--force``) first deletes every file a run or study writes there, so no
file of the earlier one (a nation's picture, a report of another seed) is left beside the
new; the user's own files stay. :func:`check_source_outside` refuses an ``--out`` whose
files would replace the scenario file being run.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shieldwall.io.outfile import same_file

MARKER = "INCOMPLETE"
# every file ``shieldwall run`` writes in its folder (and ``pictures/<nation>.parquet``)
RUN_FILES = ("scenario.yaml", "summary.json", "events.parquet", "pictures.parquet",
             "truth.parquet", "audit.parquet", "map.png", MARKER)  # fmt: skip
PICTURES_DIR = "pictures"
REPORT = "report.html"
# what every report.html shieldwall writes holds (its footer: shieldwall.io.reporthtml), so a
# page of the user's own under that name is told apart from one shieldwall wrote
REPORT_SIGNATURE = b"<footer>Made by <code>shieldwall report</code>"
# every file a study folder of any kind holds (shieldwall.studies.folder.LAYOUTS; io cannot
# import studies, so a test checks the two lists agree)
STUDY_FILES = ("replications.jsonl", "scenario.sha256", "study.parquet", "study.json",
               "coalitions.parquet", "shapley.json", "shapley.png", "sweep.parquet",
               "sweep.json", "sweep.png")  # fmt: skip
# every file shieldwall writes into a run or study folder: ``--force`` deletes these and nothing
# else (with ``pictures/*.parquet``)
WRITTEN = (*RUN_FILES, *STUDY_FILES, "report.html")


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


def open_run_dir(path: Path, force: bool = False, noun: str = "run folder") -> Path:
    """Create ``path`` (or reuse it with ``force``, first deleting every file shieldwall writes
    there, so no file of an earlier run or study is left to mix with the new one) and mark it
    incomplete; errors call it a ``noun`` (a study folder is not a run folder)."""
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"{path}: exists and is not a folder; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise RunFolderError(
            f"{path}: folder exists and is not empty; choose another --out or add --force"
        )
    try:
        if path.is_dir():
            clear_shieldwall_files(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / MARKER).write_text("this run did not finish; its files are not complete\n")
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot write the {noun} ({exc.strerror})") from None
    return path


def clear_shieldwall_files(path: Path) -> None:
    """Delete the files a run or study of any kind writes in folder ``path`` (:data:`WRITTEN`,
    their temporary names too), ``pictures/*.parquet`` (and ``pictures`` if then empty);
    nothing else: a user's own files stay, even one (a folder, say) with such a name, and a
    ``report.html`` without shieldwall's signature. RunFolderError naming the file when one
    cannot be deleted."""
    pictures = path / PICTURES_DIR
    doomed = [path / n for name in WRITTEN for n in (name, f".{name}.tmp")]
    doomed = [p for p in doomed if p.name != REPORT or is_own_report(p)]
    if pictures.is_dir() and not pictures.is_symlink():
        doomed += [*pictures.glob("*.parquet"), *pictures.glob(".*.parquet.tmp")]
    try:
        for item in doomed:
            if item.is_file() or item.is_symlink():
                item.unlink()
        if pictures.is_dir() and not pictures.is_symlink() and not any(pictures.iterdir()):
            pictures.rmdir()
    except OSError as exc:
        raise RunFolderError(
            f"{path}: cannot clear the previous files ({exc.strerror}: {exc.filename})"
        ) from None


def is_own_report(report: Path) -> bool:
    """Whether ``report`` is a page ``shieldwall report`` wrote (:data:`REPORT_SIGNATURE`)."""
    try:
        return report.is_file() and REPORT_SIGNATURE in report.read_bytes()
    except OSError:
        return False


def remove_own_report(path: Path) -> bool:
    """Delete ``path/report.html`` if shieldwall wrote it (:data:`REPORT_SIGNATURE`): a study
    that is continued makes it stale (a page saying "3 of 4" beside a study that finished 4),
    and ``shieldwall report`` writes a new one. A file of the user's own by that name, or
    one that cannot be read, stays. Returns whether it was deleted; RunFolderError when it
    cannot be."""
    report = path / REPORT
    if not is_own_report(report):
        return False
    try:
        report.unlink()
    except OSError as exc:
        raise RunFolderError(f"{report}: cannot remove the stale report ({exc.strerror})") from None
    return True


def check_source_outside(source: object, out: Path) -> None:
    """RunFolderError when the scenario file ``source`` (as typed) is one of the files a run or
    study into folder ``out`` writes or deletes (``out/scenario.yaml``, ...): writing the
    folder would destroy the user's scenario. Built-in names and mappings pass."""
    if not isinstance(source, str | os.PathLike) or not os.fspath(source):
        return
    src = Path(os.fsdecode(source))
    if not src.is_file():
        return
    targets = [Path(out) / n for n in WRITTEN]
    if src.parent.name == PICTURES_DIR:
        targets += [Path(out) / PICTURES_DIR / src.name]
    for target in targets:
        if same_file(src, target):
            raise RunFolderError(
                f"{os.fsdecode(source)}: --out would overwrite the scenario file itself;"
                " choose another --out"
            )


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
