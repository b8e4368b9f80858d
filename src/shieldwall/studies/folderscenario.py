"""A study folder's scenario: the resolved ``scenario.yaml`` and its digest, and the check
that a resumed study runs the scenario it started with (see :mod:`shieldwall.studies.folder`,
which re-exports these names)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from shieldwall.io.runfolder import RunFolderError

SCENARIO = "scenario.yaml"
DIGEST = "scenario.sha256"
SHOWN = 60  # characters of a scenario line shown in a message


class StudyFolderError(RunFolderError):
    """A study folder that cannot be used as asked (exists, is not a study, differs...)."""


def sha256_text(text: str) -> str:
    """The hex SHA-256 of ``text`` as written to disk (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_digest(path: Path) -> str | None:
    """The scenario's SHA-256 recorded at the start (None: a folder from before
    ``scenario.sha256``, or the file is unreadable)."""
    try:
        digest = (path / DIGEST).read_text(encoding="utf-8").split(maxsplit=1)[0].lower()
    except (OSError, ValueError, IndexError):
        return None
    ok = len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    return digest if ok else None


def check_scenario(path: Path, scenario_yaml: str, old: dict, noun: str) -> None:
    """StudyFolderError unless the folder's study ran ``scenario_yaml``: its ``scenario.yaml``
    must still hash to the digest recorded at the start (when recorded) and equal it."""
    try:
        text: str | None = (path / SCENARIO).read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    except OSError as exc:
        raise StudyFolderError(f"{path / SCENARIO}: cannot read it ({exc.strerror})") from None
    except ValueError:  # not UTF-8 any more: edited
        text = ""
    digest = stored_digest(path)
    if text is None:
        where = "" if digest is None else f" (its sha256 is in {DIGEST})"
        raise StudyFolderError(
            f"{path}: {SCENARIO} is missing; put it back{where}, or --force to start over"
        )
    if digest is not None and sha256_text(text) != digest:
        raise StudyFolderError(
            f"{path}: {SCENARIO} changed after this {noun} started; put the original back to"
            f" resume it (its sha256 is in {DIGEST}), or --force to start over"
        )
    if text != scenario_yaml:
        raise StudyFolderError(_scenario_differs(path, text, scenario_yaml, old, noun))


def _scenario_differs(path: Path, was: str, now: str, old: dict, noun: str) -> str:
    """The message for a resume with another scenario than the folder's (``was``, as
    resolved, against ``now``): another name says so; the same name (a scenario file edited
    since) names the first line of the resolved scenario that differs, so the user sees
    which edit is in the way instead of being told of a different scenario of the same
    name."""
    was_lines, now_lines = was.splitlines(), now.splitlines()
    if _name_line(was_lines) != _name_line(now_lines):
        return (
            f"{path}: this {noun} ran a different scenario ({old.get('scenario')}); resume it"
            " with the same scenario, or choose another --out"
        )
    number, before, after = _first_difference(was_lines, now_lines)
    return (
        f"{path}: the scenario {old.get('scenario')} changed since this {noun} ran it"
        f" ({SCENARIO} line {number}: {before} -> {after}); resume it with the scenario as it"
        " ran, or choose another --out"
    )


def _name_line(lines: list[str]) -> str | None:
    """The resolved scenario's top-level ``name:`` line (None when it has none)."""
    return next((line for line in lines if line.startswith("name:")), None)


def _first_difference(was: list[str], now: list[str]) -> tuple[int, str, str]:
    """The 1-based number of the first line that differs and its two versions, stripped and
    shortened (``(end of file)`` past the end of the shorter)."""
    number = next(
        (k for k, (a, b) in enumerate(zip(was, now, strict=False)) if a != b),
        min(len(was), len(now)),
    )

    def line(lines: list[str]) -> str:
        if number >= len(lines):
            return "(end of file)"
        text = lines[number].strip()
        return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."

    return number + 1, line(was), line(now)
