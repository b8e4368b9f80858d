"""``shieldwall wta``: read a static weapon-target assignment instance, solve it, report JSON.

Two input formats:

- JSON: ``{"values": [v_0, ..., v_{T-1}], "pk": [[p_00, ...], ...] (W rows of T),
  "counts": [c_0, ...] (optional, units of each weapon, default 1)}``.
- The text format of the public benchmark of Andersen, Pavlikov & Toffolo (Annals of Operations
  Research 2022; ``.txt`` or ``.txt.gz``): first line ``W T mu``; then T lines, the value of each
  target; then lines ``weapon target p`` (0-based; a pair not listed has p = 0). Every weapon has
  ``mu`` units.

``units`` (``--units N``) overrides the units of every weapon. The report (:func:`report`) has
``method``, ``assignment`` (per weapon the target index or null; with counts or more than one
unit per weapon, the ascending list of its units' targets), ``objective``, ``seconds`` (solve time
only), ``bound`` (proven lower bound, or null), ``proven``. Every problem is a
:class:`WtaFileError` whose one-line message names the file part or field and the fix.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shieldwall.engagement.wta import WtaResult, check_instance, solve_wta


class WtaFileError(Exception):
    """An instance file or option that cannot be used; one line, with the fix."""


@dataclass(frozen=True, slots=True)
class WtaInstance:
    """Checked instance: ``values`` ``(T,)``, ``pk`` ``(W, T)``, ``counts`` ``(W,)`` int64, and
    whether the assignment is reported as per-unit lists."""

    values: np.ndarray
    pk: np.ndarray
    counts: np.ndarray
    per_unit: bool


def read_instance(path: Path, units: int | None = None) -> WtaInstance:
    """The instance in ``path`` (JSON, ``.txt`` or ``.txt.gz``), ``units`` per weapon if given."""
    path = Path(path)
    if units is not None and units < 1:
        raise WtaFileError(f"--units: must be a whole number >= 1, got {units}")
    if not path.is_file():
        raise WtaFileError(f"{path}: no such file; give a .json, .txt or .txt.gz instance")
    name = path.name.lower()
    if name.endswith((".txt", ".txt.gz")):
        values, pk, counts = _read_text(path)
        per_unit = int(counts[0]) > 1
    else:
        values, pk, counts = _read_json(path)
        per_unit = counts is not None
    try:
        v, p, c = check_instance(values, pk, counts)
    except ValueError as exc:
        raise WtaFileError(f"{path}: {exc}") from None
    if units is not None:
        c, per_unit = np.full(p.shape[0], units, dtype=np.int64), per_unit or units > 1
    return WtaInstance(v, p, c, per_unit)


def _read_json(path: Path):
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WtaFileError(f"{path}: not readable JSON ({exc}); give a JSON object") from None
    if not isinstance(data, dict):
        raise WtaFileError(f"{path}: top level must be an object with 'values' and 'pk'")
    for key in ("values", "pk"):
        if key not in data:
            raise WtaFileError(f"{path}: missing field '{key}'; add it (see shieldwall wta --help)")
    unknown = sorted(set(data) - {"values", "pk", "counts"})
    if unknown:
        raise WtaFileError(f"{path}: unknown field '{unknown[0]}'; use values, pk and counts")
    return data["values"], data["pk"], data.get("counts")


def _read_text(path: Path):
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt") as fh:
            lines = [ln.split() for ln in fh if ln.strip()]
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise WtaFileError(f"{path}: cannot read ({exc}); give a text or gzip text file") from None
    W, T, mu = _header(path, lines[0] if lines else [])
    if len(lines) < 1 + T:
        raise WtaFileError(f"{path}: {len(lines) - 1} value lines for {T} targets; give T values")
    values = _numbers(path, lines[1 : 1 + T], 1, 2, "value line")[:, 0]
    pairs = _numbers(path, lines[1 + T :], 3, 2 + T, "pair line 'weapon target p'")
    pk = np.zeros((W, T))
    if pairs.size:
        i, j = pairs[:, 0], pairs[:, 1]
        bad = (i != np.round(i)) | (j != np.round(j)) | (i < 0) | (i >= W) | (j < 0) | (j >= T)
        if bad.any():
            k = int(np.argmax(bad))
            raise WtaFileError(
                f"{path}: line {k + 2 + T}: weapon/target index out of range 0..{W - 1}/0..{T - 1}"
            )
        pk[i.astype(int), j.astype(int)] = pairs[:, 2]
    return values, pk, np.full(W, mu, dtype=np.int64)


def _header(path: Path, tokens: list[str]) -> tuple[int, int, int]:
    try:
        W, T, mu = (int(s) for s in tokens)
    except ValueError:
        W = T = mu = 0
    if min(W, T, mu) < 1:
        raise WtaFileError(
            f"{path}: line 1: bad header {' '.join(tokens)!r}; expected 'W T mu', three whole"
            " numbers >= 1 (weapons, targets, units per weapon)"
        )
    return W, T, mu


def _numbers(path: Path, lines: list[list[str]], width: int, first: int, what: str) -> np.ndarray:
    """Rows of ``width`` numbers; ``first`` is the 1-based file line of ``lines[0]``."""
    for k, tokens in enumerate(lines):
        if len(tokens) != width or not _floats(tokens):
            got = " ".join(tokens)
            raise WtaFileError(
                f"{path}: line {first + k}: expected a {what} ({width} numbers), got {got!r}"
            )
    return np.array(lines, dtype=float).reshape(-1, width)


def _floats(tokens: list[str]) -> bool:
    try:
        [float(s) for s in tokens]
    except ValueError:
        return False
    return True


def solve_instance(
    inst: WtaInstance, method: str, time_limit_s: float | None, seed: int = 0
) -> WtaResult:
    """:func:`shieldwall.engagement.solve_wta` on a read instance; bad options -> WtaFileError."""
    if time_limit_s is not None and not time_limit_s > 0:
        raise WtaFileError(f"--time-limit: must be > 0 seconds, got {time_limit_s:g}")
    try:
        return solve_wta(inst.values, inst.pk, inst.counts, method, time_limit_s, seed)
    except ValueError as exc:
        msg = str(exc)
        raise WtaFileError("--" + msg if msg.startswith("method:") else msg) from None


def report(result: WtaResult, per_unit: bool) -> dict:
    """The JSON report of one solve (module docstring)."""
    targets = [result.targets_of(i) for i in range(result.assignment.shape[0])]
    assignment = targets if per_unit else [t[0] if t else None for t in targets]
    return {
        "method": result.method,
        "assignment": assignment,
        "objective": result.objective,
        "seconds": result.seconds,
        "bound": result.bound,
        "proven": result.proven,
    }
