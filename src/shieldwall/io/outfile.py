"""Checks on a single output file a command is asked to write (``--png``, ``--csv``, ``-o``):
an existing file is replaced only when the user adds ``--force``, and never when it is one of
the command's own inputs (the detections being tracked, the ``--scenario`` file)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


class OutputFileError(ValueError):
    """An output file the command must not write (one line for the user, with the fix)."""


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (same resolved path, or hard/symbolic links)."""
    try:
        return Path(a).resolve() == Path(b).resolve() or (
            Path(a).exists() and Path(b).exists() and os.path.samefile(a, b)
        )
    except OSError:
        return False


def check_output_file(
    path: Path, option: str, force: bool, inputs: Sequence[tuple[Path, str]] = ()
) -> None:
    """OutputFileError when writing ``path`` (given with ``option``) would replace one of
    ``inputs`` (pairs of a path and what it is, e.g. ``"the input"``), whatever ``force``, or
    an existing file without ``force``. A folder or a missing parent is left to the writer,
    whose OSError names it."""
    path = Path(path)
    for source, what in inputs:
        if source is not None and same_file(path, Path(source)):
            raise OutputFileError(f"{option}: {path} exists (it is {what}); choose a new file name")
    if path.is_dir():
        return
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputFileError(f"{option}: {path} exists; choose a new file name or add --force")


__all__ = ["OutputFileError", "check_output_file", "same_file"]
