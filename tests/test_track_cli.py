"""``shieldwall track``: tracks from a detection file, the output contract, --stats, and a clear
one-line error (exit 2, output untouched) for each kind of bad file or option."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shieldwall.cli import app

runner = CliRunner()
OUT_COLUMNS = ["scan", "t_s", "track_id", "x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s",
               "confirmed"]  # fmt: skip
SIGMA_M, DT_S, N_SCANS = 30.0, 2.0, 25
START = np.array([[0.0, 0, 5000], [20e3, 0, 8000], [0, 30e3, 3000]])
VEL = np.array([[200.0, 0, 0], [0, 150, 0], [100, -100, 5]])


def _truth(s: int) -> np.ndarray:
    return START + VEL * DT_S * s


def _detections(seed: int = 7) -> dict:
    """Three separated targets, 30 m noise, every target detected every scan, no clutter."""
    rng = np.random.default_rng(seed)
    z = np.concatenate([_truth(s) + rng.normal(0, SIGMA_M, (3, 3)) for s in range(N_SCANS)])
    scan = np.repeat(np.arange(N_SCANS), 3)
    return {"scan": scan, "t_s": DT_S * scan, "x_m": z[:, 0], "y_m": z[:, 1], "z_m": z[:, 2],
            "sigma_m": np.full(len(scan), SIGMA_M)}  # fmt: skip


def _write(path, cols: dict) -> str:
    pq.write_table(pa.table(cols), path)
    return str(path)


def _track(*args: str):
    return runner.invoke(app, ["track", *args])


def test_tracks_three_targets_with_stats(tmp_path):
    det = _write(tmp_path / "d.parquet", _detections())
    out = tmp_path / "tracks.parquet"
    res = _track(det, "-o", str(out), "--stats")
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout)
    assert set(stats) == {"scans", "detections", "seconds", "s_per_scan"}
    assert (stats["scans"], stats["detections"]) == (N_SCANS, 3 * N_SCANS)
    assert stats["s_per_scan"] == pytest.approx(stats["seconds"] / N_SCANS)
    table = pq.read_table(out)
    assert table.column_names == OUT_COLUMNS
    assert table.schema.field("confirmed").type == pa.bool_()
    rows = table.to_pydict()
    keys = list(zip(rows["scan"], rows["track_id"], strict=True))
    assert len(set(keys)) == len(keys)  # one row per live track per scan
    last = table.filter(pa.compute.equal(table["scan"], N_SCANS - 1))
    assert last.num_rows == 3 and all(last["confirmed"].to_pylist())
    x = np.column_stack([last[c].to_numpy() for c in OUT_COLUMNS[3:9]])
    truth = _truth(N_SCANS - 1)
    for row in x:  # each confirmed track sits on one target: within 3 sigma and 10 m/s
        j = int(np.argmin(np.linalg.norm(truth - row[:3], axis=1)))
        assert np.linalg.norm(row[:3] - truth[j]) < 3 * SIGMA_M * np.sqrt(3)
        assert np.linalg.norm(row[3:] - VEL[j]) < 10.0
    assert sorted(last["track_id"].to_pylist()) == sorted(set(last["track_id"].to_pylist()))


def test_jpda_imm_and_summary_line(tmp_path):
    det = _write(tmp_path / "d.parquet", _detections())
    out = tmp_path / "t.parquet"
    res = _track(det, "-o", str(out), "--tracker", "jpda", "--model", "imm", "--pd", "0.95",
                 "--clutter-density", "1e-12")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "3 confirmed tracks" in res.stdout and str(out) in res.stdout.replace("\n", "")
    assert pq.read_table(out).num_rows >= 3 * (N_SCANS - 2)


def _bad(cols: dict, **change) -> dict:
    cols = dict(cols)
    for name, fn in change.items():
        cols[name] = fn(cols[name])
    return cols


def _set(i, v):
    def f(a):
        a = np.array(a, dtype=np.result_type(a, type(v)))
        a[i] = v
        return a

    return f


def _time_backwards(c):
    c = dict(c)
    c["t_s"] = np.where(c["scan"] == 3, 1.0, c["t_s"])  # scan 3 at 1 s, after scan 2 at 4 s
    return c


BAD_FILES = [
    ("missing column", lambda c: {k: v for k, v in c.items() if k != "sigma_m"},
     "missing column 'sigma_m'"),
    ("NaN", lambda c: _bad(c, y_m=_set(4, np.nan)), "column 'y_m' row 4 is nan"),
    ("inf", lambda c: _bad(c, t_s=_set(0, np.inf)), "column 't_s' row 0 is inf"),
    ("zero sigma", lambda c: _bad(c, sigma_m=_set(5, 0.0)), "'sigma_m' row 5 is 0"),
    ("negative sigma", lambda c: _bad(c, sigma_m=_set(1, -3.0)), "must be positive"),
    ("scan backwards", lambda c: _bad(c, scan=_set(9, 1)), "row 9: scan 1 follows scan 2"),
    ("two times in a scan", lambda c: _bad(c, t_s=_set(1, 0.5)), "share one time"),
    ("time backwards", _time_backwards, "scan 3 at 1 s is not after scan 2 at 4 s"),
    ("float scan", lambda c: _bad(c, scan=lambda a: a.astype(float)), "integer scan numbers"),
    ("text column", lambda c: _bad(c, x_m=lambda a: a.astype(str)), "'x_m' is string"),
    ("empty", lambda c: {k: v[:0] for k, v in c.items()}, "no detections (0 rows)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "make", "needle"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_one_line_exit_2_and_output_untouched(tmp_path, case, make, needle):
    det = _write(tmp_path / "d.parquet", make(_detections()))
    out = tmp_path / "t.parquet"
    out.write_bytes(b"previous tracks")
    res = _track(det, "-o", str(out))
    _assert_one_error(res, needle)
    assert out.read_bytes() == b"previous tracks"


def test_null_is_named(tmp_path):
    cols = _detections()
    cols["z_m"] = pa.array(list(cols["z_m"][:2]) + [None] + list(cols["z_m"][3:]))
    res = _track(_write(tmp_path / "d.parquet", cols), "-o", str(tmp_path / "t.parquet"))
    _assert_one_error(res, "column 'z_m' row 2 is empty (null)")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--tracker", "mht"], "--tracker"),
        (["--model", "ballistic"], "--model"),
        (["--pd", "0"], "--pd"),
        (["--pd", "1.5"], "--pd"),
        (["--clutter-density", "-1"], "--clutter-density"),
        (["--clutter-density", "nan"], "--clutter-density"),
    ],
)
def test_bad_option_is_one_line(tmp_path, args, needle):
    det = _write(tmp_path / "d.parquet", _detections())
    res = _track(det, "-o", str(tmp_path / "t.parquet"), *args)
    _assert_one_error(res, needle)
    assert not (tmp_path / "t.parquet").exists()


def test_unreadable_inputs_and_unwritable_output(tmp_path):
    text = tmp_path / "d.csv"
    text.write_text("scan,t_s,x_m,y_m,z_m,sigma_m\n0,0,1,2,3,30\n")
    _assert_one_error(
        _track(str(text), "-o", str(tmp_path / "t.parquet")), "not a readable Parquet"
    )
    missing = str(tmp_path / "nope.parquet")
    _assert_one_error(_track(missing, "-o", str(tmp_path / "t.parquet")), "no such file")
    det = _write(tmp_path / "d.parquet", _detections())
    _assert_one_error(_track(det, "-o", str(tmp_path / "no" / "t.parquet")), "-o: cannot write")
    _assert_one_error(_track(det, "-o", str(tmp_path)), "is a folder")


def test_failed_write_keeps_the_old_output(tmp_path, monkeypatch):
    """A write that dies half way leaves the previous file and no temporary debris."""
    import shieldwall.io.runfolder as runfolder

    def half_write(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half")
        raise OSError(28, "No space left on device")

    det = _write(tmp_path / "d.parquet", _detections())
    out = tmp_path / "t.parquet"
    out.write_bytes(b"previous tracks")
    monkeypatch.setattr(runfolder.pq, "write_table", half_write)
    _assert_one_error(_track(det, "-o", str(out), "--force"), "No space left on device")
    assert out.read_bytes() == b"previous tracks"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet", "t.parquet"]
    monkeypatch.undo()
    assert _track(det, "-o", str(out), "--force").exit_code == 0
    assert pq.read_table(out).column_names == OUT_COLUMNS  # replaced by a complete file


def _assert_one_error(res, needle: str) -> None:
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit)  # a clean exit, not a traceback
    flat = " ".join(res.output.split())
    assert needle in flat, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1
