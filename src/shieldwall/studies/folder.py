"""Study folders: what survives an interruption, and how a study is continued.

A study folder (``shieldwall study``, ``shapley`` or ``sweep``: see :data:`LAYOUTS`) holds:

- ``scenario.yaml``: the fully resolved scenario (``--resume`` refuses a different one);
- ``scenario.sha256``: its SHA-256 as written at the start (``sha256sum -c`` format), so a
  ``scenario.yaml`` edited in the folder later is refused on resume instead of silently
  mixing two scenarios in one table (a folder from before this file is checked against its
  ``scenario.yaml`` alone, and gets the file when resumed);
- ``replications.jsonl``: the journal, one JSON line per finished replication (of each
  variant, in a Shapley study or sweep), appended and flushed as each one ends, so a Ctrl-C, a
  killed worker or a killed study process loses only the replications then running (a torn
  last line is ignored on resume; any other damaged record is skipped with a warning and its
  replication runs again: :mod:`shieldwall.studies.journal`);
- the table (``study.parquet``, ...): one row per replication, written from the journal
  (atomically);
- the JSON (``study.json``, ...): the configuration (checked on resume) and, once written at
  the end, the results;
- ``INCOMPLETE`` while replications are missing (the run-folder convention of
  :mod:`shieldwall.io.runfolder`, whose helpers this module reuses).

``--resume`` continues the study with the same scenario, base seed and settings, and never
fewer replications than it ran (that would rewrite its table without the rest). A resumed
study's plots and a ``report.html`` shieldwall wrote are deleted when it is reopened: they
describe the study as it was (``shieldwall report`` writes a new page).

``--force`` clears every file shieldwall writes into a run or study folder
(:data:`~shieldwall.io.runfolder.WRITTEN`) and nothing else, so a new study never sits beside
an old run's report.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shieldwall.io.runfolder import (
    MARKER,
    RunFolderError,
    clear_shieldwall_files,
    open_run_dir,
    remove_own_report,
    write_json,
    write_text,
)
from shieldwall.studies.folderscenario import (
    DIGEST,
    SCENARIO,
    StudyFolderError,
    check_scenario,
    sha256_text,
    stored_digest,
)
from shieldwall.studies.journal import JOURNAL, Journal, damage_note, read_journal, scan_journal

PICTURES = "pictures"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Layout:
    """The files of one kind of study folder: made by ``shieldwall <command>`` (called a
    ``noun`` in messages), its ``table`` and ``meta`` JSON, ``extra`` outputs (plots), the
    record fields that name one journaled run (``key``), and the metrics every finished run's
    record holds (``required``: a record without one is damaged, and its run runs again,
    rather than leaving that metric's mean over fewer runs than the study counts)."""

    command: str
    noun: str
    table: str
    meta: str
    extra: tuple[str, ...] = ()
    key: tuple[str, ...] = ("replication",)
    required: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        return (JOURNAL, self.table, self.meta, SCENARIO, DIGEST, *self.extra)

    @property
    def unit(self) -> str:
        """What one journal record is, in messages."""
        return "replications" if self.key == ("replication",) else "runs"


# the metrics of a replication every summary holds, whatever the scenario
# (shieldwall.sim.summary.summarize, kept by shieldwall.studies.montecarlo.study_metrics);
# per-nation and per-type counts legitimately vary from one replication to the next
STUDY_REQUIRED = ("threats.leaked", "interceptors.fired", "interceptors.cost_usd")
# what the variant studies' statistics rest on (shieldwall.studies.variants.variant_metrics):
# a sweep's headline leakers and asset value hit, a Shapley game's three payoffs
SWEEP_REQUIRED = ("threats.leaked", "assets.value_hit")
SHAPLEY_REQUIRED = ("threats.leaked", "assets.value_hit", "assets.value_defended",
                    "assets.value_hits")  # fmt: skip
STUDY = Layout("study", "study", "study.parquet", "study.json", required=STUDY_REQUIRED)
SHAPLEY = Layout("shapley", "Shapley study", "coalitions.parquet", "shapley.json",
                 ("shapley.png",), ("variant", "replication"), SHAPLEY_REQUIRED)  # fmt: skip
SWEEP = Layout("sweep", "sweep", "sweep.parquet", "sweep.json", ("sweep.png",),
               ("variant", "replication"), SWEEP_REQUIRED)  # fmt: skip
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


def check_new(path: Path, force: bool) -> None:
    """Refuse a file, or a non-empty folder unless ``force`` (nothing is written)."""
    if path.exists() and not path.is_dir():
        raise StudyFolderError(f"{path}: exists and is not a folder; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise StudyFolderError(
            f"{path}: folder exists and is not empty; choose another --out, add --resume to"
            " continue its study, or --force to start over"
        )


def clear_written(path: Path) -> None:
    """Delete every file shieldwall writes into a run or study folder, and nothing else
    (:func:`~shieldwall.io.runfolder.clear_shieldwall_files`, one list for both)."""
    try:
        clear_shieldwall_files(path)
    except RunFolderError as exc:
        raise StudyFolderError(str(exc)) from None


def new_study(
    path: Path, scenario_yaml: str, meta: dict, force: bool, layout: Layout = STUDY
) -> None:
    """Create the study folder for ``layout`` (refusing a non-empty one unless ``force``,
    which clears whatever shieldwall wrote there before, a run or a study of any kind, and
    nothing else)."""
    check_new(path, force)
    clear_written(path)
    open_run_dir(path, force=force, noun="study folder")
    mark_incomplete(path)
    write_text(path / SCENARIO, scenario_yaml)
    write_text(path / DIGEST, f"{sha256_text(scenario_yaml)}  {SCENARIO}\n")
    write_json(path / layout.meta, meta)
    write_text(path / JOURNAL, "")


def mark_incomplete(path: Path) -> None:
    (path / MARKER).write_text("this study did not finish; continue it with --resume\n")


def _finished(path: Path, layout: Layout) -> int:
    """How many finished (ok) runs the journal in ``path`` holds (0 when it cannot be read)."""
    try:
        records = read_journal(path / JOURNAL, layout.key, layout.required)
    except OSError:
        return 0
    return sum(r["status"] == "ok" for r in records)


def _damaged_meta(path: Path, layout: Layout, problem: str) -> StudyFolderError:
    """The error for a meta JSON that is damaged or missing (``problem``): says what the
    journal holds, which ``--force`` would delete, so following the advice never loses
    finished runs unawares."""
    n = _finished(path, layout)
    if not n:
        return StudyFolderError(
            f"{path}: {layout.meta} {problem}; restore it, or --force to start over"
        )
    return StudyFolderError(
        f"{path}: {layout.meta} {problem}; its journal holds {n} finished {layout.unit}:"
        f" restore {layout.meta}, or --force to start over (which deletes them)"
    )


def stored_meta(path: Path, layout: Layout = STUDY) -> dict:
    """The JSON of an existing ``layout`` study folder (StudyFolderError when there is none,
    naming the command that made the folder when it is another kind of study, and what the
    journal holds when the JSON is damaged)."""
    meta = path / layout.meta
    try:
        old = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except OSError as exc:
        if path.is_dir():
            reason = exc.strerror or type(exc).__name__
            raise _damaged_meta(path, layout, f"is damaged ({reason})") from None
    except ValueError as exc:
        raise _damaged_meta(path, layout, f"is damaged ({exc})") from None
    else:
        if isinstance(old, dict):
            return old
        raise _damaged_meta(path, layout, "is damaged (not a JSON object)")
    for other in LAYOUTS:
        if other != layout and (path / other.meta).is_file():
            raise StudyFolderError(
                f"{path}: this folder holds a {other.noun} (shieldwall {other.command}), not a"
                f" {layout.noun}; resume it with shieldwall {other.command}, or choose"
                " another --out"
            )
    if path.is_dir() and _finished(path, layout):
        raise _damaged_meta(path, layout, "is missing")
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


def _log_warning(note: str) -> None:
    log.warning("warning: %s", note)


def _check_not_fewer(path: Path, old: dict, records: list[dict], runs: int, noun: str) -> None:
    """StudyFolderError when ``runs`` (``--runs``) is fewer than the study in ``path`` ran (its
    stored ``runs``; the journal's records when that is unreadable): resuming would rewrite
    its table without the replications beyond ``runs``. More runs extend the study."""
    stored = old.get("runs")
    if isinstance(stored, int) and not isinstance(stored, bool) and stored > 0:
        ran = stored
    else:
        ran = max((r["replication"] + 1 for r in records), default=0)
    if runs < ran:
        raise StudyFolderError(
            f"{path}: this {noun} ran --runs {ran}; resume it with --runs {ran} or more, or"
            " choose another --out"
        )


def resume_records(
    path: Path,
    scenario_yaml: str,
    base_seed: int,
    seeds: list[int],
    layout: Layout = STUDY,
    settings: Sequence[Setting] = (),
    warn: Callable[[str], None] | None = None,
) -> list[dict]:
    """The finished records of the ``layout`` study in ``path`` (those matching ``seeds``),
    after checking it ran the same scenario from the same base seed with the same
    ``settings``, and no more replications than ``seeds`` holds (a smaller ``--runs`` would
    shrink it). Damaged journal records are left out (their runs are run again) and named
    in one line passed to ``warn`` (default: logged as a warning, which Python prints on
    stderr when nothing configured logging). Writes nothing."""
    old = stored_meta(path, layout)
    noun = layout.noun
    check_scenario(path, scenario_yaml, old, noun)
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
    try:
        scan = scan_journal(path / JOURNAL, layout.key, layout.required)
    except OSError as exc:
        raise StudyFolderError(
            f"{path / JOURNAL}: cannot read the journal ({exc.strerror})"
        ) from None
    _check_not_fewer(path, old, scan.records, len(seeds), noun)
    if scan.damaged:
        (warn or _log_warning)(damage_note(path / JOURNAL, scan.damaged, layout.unit))
    return [
        r
        for r in scan.records
        if r["replication"] >= len(seeds) or r["seed"] == seeds[r["replication"]]
    ]


def _remove_stale(path: Path, layout: Layout) -> None:
    """Delete the outputs of a study being continued that would describe it as it was: a
    ``report.html`` shieldwall wrote and the ``layout``'s plots (StudyFolderError, one line,
    when one cannot be deleted)."""
    try:
        if remove_own_report(path):
            _log_warning(
                f"{path / 'report.html'}: removed, as it described the {layout.noun} before"
                f" --resume; shieldwall report {path} writes a new one"
            )
        for name in layout.extra:
            if (path / name).is_file():
                (path / name).unlink()
    except RunFolderError as exc:
        raise StudyFolderError(str(exc)) from None
    except OSError as exc:
        raise StudyFolderError(
            f"{exc.filename}: cannot remove the stale plot ({exc.strerror})"
        ) from None


def reopen_study(path: Path, records: list[dict], meta: dict, layout: Layout = STUDY) -> None:
    """Mark a resumed study incomplete and rewrite its journal clean (no torn last line, no
    damaged record); record the scenario's digest if the folder predates it (its
    ``scenario.yaml`` was just checked to be the scenario resumed). Outputs that describe the
    study as it was are deleted, so no file in the folder contradicts it: a ``report.html``
    shieldwall wrote (``shieldwall report`` writes a new one; a page of the user's own by that
    name stays) and the plots written when a study finishes (``layout.extra``: written again
    when this one does)."""
    mark_incomplete(path)
    _remove_stale(path, layout)
    write_text(path / JOURNAL, "".join(json.dumps(r) + "\n" for r in records))
    write_json(path / layout.meta, meta)
    if stored_digest(path) is None:
        text = (path / SCENARIO).read_text(encoding="utf-8")
        write_text(path / DIGEST, f"{sha256_text(text)}  {SCENARIO}\n")


__all__ = [
    "DIGEST",
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
    "check_scenario",
    "check_setting",
    "clear_written",
    "mark_incomplete",
    "new_study",
    "read_journal",
    "reopen_study",
    "resume_records",
    "sha256_text",
    "stored_digest",
    "stored_meta",
]
