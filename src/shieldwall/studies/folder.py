"""Study folders: what survives an interruption, and how a study is continued.

A study folder holds:

- ``scenario.yaml``: the fully resolved scenario (``--resume`` refuses a different one);
- ``replications.jsonl``: the journal, one JSON line per finished replication, appended and
  flushed as each one ends, so a Ctrl-C, a killed worker or a killed study process loses only
  the replications then running (a torn last line is ignored on resume);
- ``study.parquet``: one row per replication, written from the journal (atomically);
- ``study.json``: the configuration and, once written at the end, means and 95% CIs;
- ``INCOMPLETE`` while replications are missing (the run-folder convention of
  :mod:`shieldwall.io.runfolder`, whose helpers this module reuses).
"""

from __future__ import annotations

import json
from pathlib import Path

from shieldwall.io.runfolder import (
    MARKER,
    RunFolderError,
    open_run_dir,
    write_json,
    write_text,
)

JOURNAL = "replications.jsonl"
TABLE = "study.parquet"
META = "study.json"
SCENARIO = "scenario.yaml"
STUDY_FILES = (JOURNAL, TABLE, META, SCENARIO, MARKER)


class StudyFolderError(RunFolderError):
    """A study folder that cannot be used as asked (exists, is not a study, differs...)."""


def read_journal(path: Path) -> list[dict]:
    """The journal's records, the last one of each replication winning; torn or foreign lines
    (a study killed mid-write) are skipped."""
    latest: dict[int, dict] = {}
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            latest[int(rec["replication"])] = rec
        except (ValueError, KeyError, TypeError):
            continue
    return [latest[i] for i in sorted(latest)]


class Journal:
    """Appends one flushed JSON line per finished replication."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def append(self, record: dict) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def check_new(path: Path, force: bool) -> None:
    """Refuse a file, or a non-empty folder unless ``force`` (nothing is written)."""
    if path.exists() and not path.is_dir():
        raise StudyFolderError(f"{path}: exists and is not a folder; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise StudyFolderError(
            f"{path}: folder exists and is not empty; choose another --out, add --resume to"
            " continue its study, or --force to start over"
        )


def new_study(path: Path, scenario_yaml: str, meta: dict, force: bool) -> None:
    """Create the study folder (refusing a non-empty one unless ``force``, which clears the
    previous study's files and nothing else)."""
    check_new(path, force)
    open_run_dir(path, force=force)
    for name in STUDY_FILES:
        if name != MARKER:
            (path / name).unlink(missing_ok=True)
    mark_incomplete(path)
    write_text(path / SCENARIO, scenario_yaml)
    write_json(path / META, meta)
    write_text(path / JOURNAL, "")


def mark_incomplete(path: Path) -> None:
    (path / MARKER).write_text("this study did not finish; continue it with --resume\n")


def stored_meta(path: Path) -> dict:
    """The ``study.json`` of an existing study folder (StudyFolderError when there is none)."""
    try:
        return json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise StudyFolderError(
            f"{path}: not a study folder (no readable {META}); drop --resume to start one"
        ) from None


def resume_records(path: Path, scenario_yaml: str, base_seed: int, seeds: list[int]) -> list[dict]:
    """The finished records of the study in ``path`` (those matching ``seeds``), after
    checking it ran the same scenario from the same base seed. Writes nothing."""
    old = stored_meta(path)
    try:
        same = (path / SCENARIO).read_text(encoding="utf-8") == scenario_yaml
    except OSError:
        same = False
    if not same:
        raise StudyFolderError(
            f"{path}: this study ran a different scenario ({old.get('scenario')}); resume it"
            " with the same scenario, or choose another --out"
        )
    if old.get("base_seed") != base_seed:
        raise StudyFolderError(
            f"{path}: this study's base seed is {old.get('base_seed')}, not"
            f" {base_seed}; drop --seed to resume it"
        )
    return [
        r
        for r in read_journal(path / JOURNAL)
        if r["replication"] >= len(seeds) or r.get("seed") == seeds[r["replication"]]
    ]


def reopen_study(path: Path, records: list[dict], meta: dict) -> None:
    """Mark a resumed study incomplete and rewrite its journal clean (no torn last line)."""
    mark_incomplete(path)
    write_text(path / JOURNAL, "".join(json.dumps(r) + "\n" for r in records))
    write_json(path / META, meta)


__all__ = [
    "JOURNAL",
    "META",
    "SCENARIO",
    "TABLE",
    "Journal",
    "mark_incomplete",
    "StudyFolderError",
    "new_study",
    "read_journal",
    "check_new",
    "reopen_study",
    "resume_records",
    "stored_meta",
]
