"""Study folders: what survives an interruption, and how a study is continued.

A study folder (``shieldwall study``, ``shapley`` or ``sweep``: see :data:`LAYOUTS`) holds:

- ``scenario.yaml``: the fully resolved scenario (``--resume`` refuses a different one);
- ``replications.jsonl``: the journal, one JSON line per finished replication (of each
  variant, in a Shapley study or sweep), appended and flushed as each one ends, so a Ctrl-C, a
  killed worker or a killed study process loses only the replications then running (a torn
  last line is ignored on resume);
- the table (``study.parquet``, ...): one row per replication, written from the journal
  (atomically);
- the JSON (``study.json``, ...): the configuration (checked on resume) and, once written at
  the end, the results;
- ``INCOMPLETE`` while replications are missing (the run-folder convention of
  :mod:`shieldwall.io.runfolder`, whose helpers this module reuses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shieldwall.io.runfolder import (
    MARKER,
    RunFolderError,
    open_run_dir,
    write_json,
    write_text,
)

JOURNAL = "replications.jsonl"
SCENARIO = "scenario.yaml"


@dataclass(frozen=True, slots=True)
class Layout:
    """The files of one kind of study folder: made by ``shieldwall <command>`` (called a
    ``noun`` in messages), its ``table`` and ``meta`` JSON, ``extra`` outputs (plots), and the
    record fields that name one journaled run (``key``)."""

    command: str
    noun: str
    table: str
    meta: str
    extra: tuple[str, ...] = ()
    key: tuple[str, ...] = ("replication",)

    @property
    def files(self) -> tuple[str, ...]:
        return (JOURNAL, self.table, self.meta, SCENARIO, *self.extra)


STUDY = Layout("study", "study", "study.parquet", "study.json")
SHAPLEY = Layout("shapley", "Shapley study", "coalitions.parquet", "shapley.json",
                 ("shapley.png",), ("variant", "replication"))  # fmt: skip
SWEEP = Layout("sweep", "sweep", "sweep.parquet", "sweep.json", ("sweep.png",),
               ("variant", "replication"))  # fmt: skip
LAYOUTS = (STUDY, SHAPLEY, SWEEP)
TABLE = STUDY.table
META = STUDY.meta


@dataclass(frozen=True, slots=True)
class Setting:
    """A setting a resumed study must share with its folder: the stored JSON's ``keys`` hold
    ``value`` (one item per key); ``show(*value)`` writes it as typed (``--runs 3``)."""

    keys: tuple[str, ...]
    value: tuple
    show: Callable[..., str]


class StudyFolderError(RunFolderError):
    """A study folder that cannot be used as asked (exists, is not a study, differs...)."""


def read_journal(path: Path, key: Sequence[str] = STUDY.key) -> list[dict]:
    """The journal's records, the last one of each run (its ``key`` fields) winning, sorted
    by key; torn or foreign lines (a study killed mid-write) are skipped."""
    latest: dict[tuple[int, ...], dict] = {}
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            latest[tuple(int(rec[k]) for k in key)] = rec
        except (ValueError, KeyError, TypeError):
            continue
    return [latest[k] for k in sorted(latest)]


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


def new_study(
    path: Path, scenario_yaml: str, meta: dict, force: bool, layout: Layout = STUDY
) -> None:
    """Create the study folder for ``layout`` (refusing a non-empty one unless ``force``,
    which clears a previous study's files, of any kind, and nothing else)."""
    check_new(path, force)
    open_run_dir(path, force=force)
    for name in {name for kind in LAYOUTS for name in kind.files}:
        (path / name).unlink(missing_ok=True)
    mark_incomplete(path)
    write_text(path / SCENARIO, scenario_yaml)
    write_json(path / layout.meta, meta)
    write_text(path / JOURNAL, "")


def mark_incomplete(path: Path) -> None:
    (path / MARKER).write_text("this study did not finish; continue it with --resume\n")


def stored_meta(path: Path, layout: Layout = STUDY) -> dict:
    """The JSON of an existing ``layout`` study folder (StudyFolderError when there is none,
    naming the command that made the folder when it is another kind of study)."""
    try:
        return json.loads((path / layout.meta).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    for other in LAYOUTS:
        if other != layout and (path / other.meta).is_file():
            raise StudyFolderError(
                f"{path}: this folder holds a {other.noun} (shieldwall {other.command}), not a"
                f" {layout.noun}; resume it with shieldwall {other.command}, or choose"
                " another --out"
            )
    raise StudyFolderError(
        f"{path}: not a {layout.noun} folder (no readable {layout.meta}); drop --resume to"
        " start one"
    )


def check_setting(path: Path, old: dict, setting: Setting, noun: str) -> None:
    """StudyFolderError unless the stored JSON ``old`` holds ``setting``'s value."""
    stored = tuple(old.get(k) for k in setting.keys)
    if list(stored) != json.loads(json.dumps(list(setting.value))):
        was, now = setting.show(*stored), setting.show(*setting.value)
        raise StudyFolderError(
            f"{path}: this {noun} ran with {was}, not {now}; resume it with {was}, or"
            " choose another --out"
        )


def resume_records(
    path: Path,
    scenario_yaml: str,
    base_seed: int,
    seeds: list[int],
    layout: Layout = STUDY,
    settings: Sequence[Setting] = (),
) -> list[dict]:
    """The finished records of the ``layout`` study in ``path`` (those matching ``seeds``),
    after checking it ran the same scenario from the same base seed with the same
    ``settings``. Writes nothing."""
    old = stored_meta(path, layout)
    noun = layout.noun
    try:
        same = (path / SCENARIO).read_text(encoding="utf-8") == scenario_yaml
    except OSError:
        same = False
    if not same:
        raise StudyFolderError(
            f"{path}: this {noun} ran a different scenario ({old.get('scenario')}); resume it"
            " with the same scenario, or choose another --out"
        )
    if old.get("base_seed") != base_seed:
        raise StudyFolderError(
            f"{path}: this {noun}'s base seed is {old.get('base_seed')}, not"
            f" {base_seed}; drop --seed to resume it"
        )
    if not (path / JOURNAL).is_file():
        raise StudyFolderError(
            f"{path}: this {noun} has no journal ({JOURNAL}; made by an older shieldwall?) and"
            " cannot be continued; choose another --out, or --force to start over"
        )
    for setting in settings:
        check_setting(path, old, setting, noun)
    return [
        r
        for r in read_journal(path / JOURNAL, layout.key)
        if r["replication"] >= len(seeds) or r.get("seed") == seeds[r["replication"]]
    ]


def reopen_study(path: Path, records: list[dict], meta: dict, layout: Layout = STUDY) -> None:
    """Mark a resumed study incomplete and rewrite its journal clean (no torn last line)."""
    mark_incomplete(path)
    write_text(path / JOURNAL, "".join(json.dumps(r) + "\n" for r in records))
    write_json(path / layout.meta, meta)


__all__ = [
    "JOURNAL",
    "LAYOUTS",
    "META",
    "SCENARIO",
    "SHAPLEY",
    "STUDY",
    "SWEEP",
    "TABLE",
    "Journal",
    "Layout",
    "Setting",
    "StudyFolderError",
    "check_new",
    "check_setting",
    "mark_incomplete",
    "new_study",
    "read_journal",
    "reopen_study",
    "resume_records",
    "stored_meta",
]
