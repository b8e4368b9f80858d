"""``shieldwall track``: read a detection file, run the tracker over it, write the tracks.

Input (Parquet, one row per detection): ``scan`` (integer; rows of a scan are consecutive and
scan numbers never go backwards), ``t_s`` (the scan's time, one per scan, increasing with the
scan), ``x_m``, ``y_m``, ``z_m`` (Cartesian position in one local frame, m) and ``sigma_m``
(position noise standard deviation per axis, m, positive). Other columns are ignored. A scan
with no detections has no rows, so the tracker does not see it (it coasts over the gap).

Output (Parquet, one row per live track per scan): ``scan``, ``t_s``, ``track_id``, ``x_m``,
``y_m``, ``z_m``, ``vx_m_s``, ``vy_m_s``, ``vz_m_s``, ``confirmed``; written under a temporary
name and renamed into place (:func:`shieldwall.io.runfolder.write_atomic`), so an existing
output is replaced only by a complete new file (the command refuses an existing output unless
``--force``, and always refuses to write over the detection file it reads).

Every problem with a file or option is a :class:`TrackFileError` whose message names the
column, row (counted from 0) or option and says how to fix it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shieldwall.io.runfolder import write_parquet

COLUMNS = ("scan", "t_s", "x_m", "y_m", "z_m", "sigma_m")
OUTPUT_SCHEMA = pa.schema(
    [("scan", pa.int64()), ("t_s", pa.float64()), ("track_id", pa.int64())]
    + [(name, pa.float64()) for name in ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")]
    + [("confirmed", pa.bool_())]
)
TRACKERS, MODELS = ("gnn", "jpda"), ("cv", "imm")


class TrackFileError(Exception):
    """A detection file, output path or option that cannot be used; one line, with the fix."""


@dataclass(frozen=True, slots=True)
class Detections:
    """Checked detections: ``scan`` ``(m,)`` int64 non-decreasing, ``t_s`` ``(m,)``, ``z_m``
    ``(m, 3)``, ``sigma_m`` ``(m,)`` > 0."""

    scan: np.ndarray
    t_s: np.ndarray
    z_m: np.ndarray
    sigma_m: np.ndarray

    def scan_bounds(self) -> np.ndarray:
        """Row offsets ``(s + 1,)``: scan ``i`` is rows ``bounds[i]:bounds[i + 1]``."""
        cuts = np.flatnonzero(np.diff(self.scan)) + 1
        return np.concatenate([[0], cuts, [len(self.scan)]])


@dataclass(frozen=True, slots=True)
class TrackRun:
    """The tracks as a table and the time spent in ``Tracker.step`` alone."""

    table: pa.Table
    scans: int
    detections: int
    seconds: float

    def stats(self) -> dict:
        per_scan = self.seconds / self.scans if self.scans else 0.0
        return {
            "scans": self.scans,
            "detections": self.detections,
            "seconds": self.seconds,
            "s_per_scan": per_scan,
        }


def tracker_config(tracker: str, model: str, pd: float, clutter_density_m3: float):
    """The :class:`~shieldwall.tracking.TrackerConfig` of the command's options, checked."""
    from shieldwall.tracking import TrackerConfig

    if tracker not in TRACKERS:
        raise TrackFileError(f"--tracker: '{tracker}' is unknown; use gnn or jpda")
    if model not in MODELS:
        raise TrackFileError(f"--model: '{model}' is unknown; use cv or imm")
    if not 0.0 < pd <= 1.0:
        raise TrackFileError(f"--pd: detection probability must be in (0, 1], got {pd:g}")
    if not (np.isfinite(clutter_density_m3) and clutter_density_m3 > 0.0):
        raise TrackFileError(
            f"--clutter-density: must be a positive number of false detections per m^3,"
            f" got {clutter_density_m3:g}"
        )
    return TrackerConfig(
        associator=tracker, model=model, pd=pd, clutter_density_m3=clutter_density_m3
    )


def _read_table(path: Path) -> pa.Table:
    if path.is_dir():  # pyarrow would read a folder as a dataset, with a confusing error
        raise TrackFileError(f"{path}: is a directory; give a .parquet detection file")
    try:
        return pq.read_table(path)
    except FileNotFoundError:
        raise TrackFileError(f"{path}: no such file; give the path of a detection file") from None
    except IsADirectoryError:
        raise TrackFileError(f"{path}: is a folder; give a detection file") from None
    except OSError as exc:
        raise TrackFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except pa.ArrowException as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrackFileError(
            f"{path}: not a readable Parquet file ({first}); write the detections with"
            " pyarrow.parquet.write_table or pandas.DataFrame.to_parquet"
        ) from None


def _column(table: pa.Table, path: Path, name: str) -> np.ndarray:
    """One required column as a numpy array, checked for type, nulls and non-finite values."""
    if name not in table.column_names:
        raise TrackFileError(
            f"{path}: missing column '{name}'; a detection file needs columns {', '.join(COLUMNS)}"
        )
    col = table.column(name)
    kind = pa.types.is_integer if name == "scan" else _is_number
    if not kind(col.type):
        need = "integer scan numbers" if name == "scan" else "numbers"
        raise TrackFileError(f"{path}: column '{name}' is {col.type}; it must hold {need}")
    if col.null_count:
        row = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise TrackFileError(f"{path}: column '{name}' row {row} is empty (null); {_FILL}")
    values = col.to_numpy()
    if name != "scan":
        values = values.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            row = int(bad[0])
            raise TrackFileError(f"{path}: column '{name}' row {row} is {values[row]}; {_FILL}")
    return values.astype(np.int64) if name == "scan" else values


_FILL = "every detection needs finite values: drop or fix that row"


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_floating(t) or pa.types.is_integer(t)


def _check_order(path: Path, scan: np.ndarray, t_s: np.ndarray) -> None:
    """Scans never go backwards; one time per scan; scan times increase with the scan."""
    back = np.flatnonzero(np.diff(scan) < 0)
    if back.size:
        r = int(back[0]) + 1
        raise TrackFileError(
            f"{path}: column 'scan' row {r}: scan {scan[r]} follows scan {scan[r - 1]};"
            " scans must not go backwards: sort the rows by scan"
        )
    same = np.flatnonzero((np.diff(scan) == 0) & (np.diff(t_s) != 0))
    if same.size:
        r = int(same[0]) + 1
        raise TrackFileError(
            f"{path}: column 't_s' row {r}: scan {scan[r]} has times {t_s[r - 1]:g} s and"
            f" {t_s[r]:g} s; all detections of a scan share one time"
        )
    late = np.flatnonzero((np.diff(scan) > 0) & (np.diff(t_s) <= 0))
    if late.size:
        r = int(late[0]) + 1
        raise TrackFileError(
            f"{path}: column 't_s' row {r}: scan {scan[r]} at {t_s[r]:g} s is not after scan"
            f" {scan[r - 1]} at {t_s[r - 1]:g} s; scan times must increase with the scan"
        )


def read_detections(path: Path) -> Detections:
    """Read and check a detection file (see the module docstring for the columns)."""
    path = Path(path)
    table = _read_table(path)
    cols = {name: _column(table, path, name) for name in COLUMNS}
    if table.num_rows == 0:
        raise TrackFileError(f"{path}: no detections (0 rows); give a file with detections")
    bad = np.flatnonzero(cols["sigma_m"] <= 0)
    if bad.size:
        r = int(bad[0])
        raise TrackFileError(
            f"{path}: column 'sigma_m' row {r} is {cols['sigma_m'][r]:g}; the position noise"
            " standard deviation must be positive (m)"
        )
    _check_order(path, cols["scan"], cols["t_s"])
    z = np.column_stack([cols["x_m"], cols["y_m"], cols["z_m"]])
    return Detections(cols["scan"], cols["t_s"], z, cols["sigma_m"])


def run_tracker(dets: Detections, config) -> TrackRun:
    """Feed each scan to one :class:`~shieldwall.tracking.Tracker`; ``R = sigma^2 I`` per
    detection. Only the ``step`` calls are timed."""
    from shieldwall.tracking import Tracker

    trk = Tracker(config)
    R = (dets.sigma_m**2)[:, None, None] * np.eye(3)[None]
    bounds = dets.scan_bounds()
    parts, seconds = [], 0.0
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        t_s = float(dets.t_s[a])
        start = time.perf_counter()
        st = trk.step(t_s, dets.z_m[a:b], R[a:b])
        seconds += time.perf_counter() - start
        k = len(st.track_id)
        parts.append((np.full(k, dets.scan[a]), np.full(k, t_s), st.track_id, st.x, st.confirmed))
    table = _tracks_table(parts)
    return TrackRun(table, len(bounds) - 1, len(dets.scan), seconds)


def _tracks_table(parts) -> pa.Table:
    scan, t_s, track_id, x, confirmed = (np.concatenate(p) for p in zip(*parts, strict=True))
    x = x.reshape(-1, 6)
    arrays = [scan.astype(np.int64), t_s, track_id.astype(np.int64)]
    arrays += [x[:, i] for i in range(6)] + [confirmed.astype(bool)]
    return pa.Table.from_arrays(arrays, schema=OUTPUT_SCHEMA)


def write_tracks(path: Path, table: pa.Table) -> None:
    """Write the tracks atomically; an unusable path is a :class:`TrackFileError`."""
    path = Path(path)
    if path.is_dir():
        raise TrackFileError(f"-o: {path} is a folder; give a file name such as tracks.parquet")
    try:
        write_parquet(path, table)
    except OSError as exc:
        raise TrackFileError(
            f"-o: cannot write {path} ({exc.strerror or exc}); choose a writable path"
        ) from None
