"""The sharing stage's shortcuts give the same bits as the plain computations they replace:
the audit's columns (built once, item times repeated), latitude and longitude without the
height, and a nation's confirmed tracks kept while its node snapshot is the same object."""

from __future__ import annotations

import numpy as np

from shieldwall.geo import ecef_to_geodetic, geodetic_to_ecef
from shieldwall.geo.wgs84 import geodetic_lat_lon_deg
from shieldwall.scenario import load_scenario
from shieldwall.sharing import AuditLog, SharingStage
from shieldwall.tracking.frame import Q_BY_CLASS
from shieldwall.tracking.node import LocalTracks


def _plain_columns(audit: AuditLog) -> dict[str, np.ndarray]:
    """The audit's columns as first written: every item time broadcast, all concatenated."""
    sizes = np.asarray(audit._sizes)
    heads = [np.repeat(np.asarray(c), sizes) for c in zip(*audit._heads, strict=True)]
    items = list(zip(*audit._chunks, strict=True))
    items[2] = [np.broadcast_to(t, (n,)) for t, n in zip(items[2], audit._sizes, strict=True)]
    cols = heads + [np.concatenate(c) for c in items]
    return {f: c.astype(d) for f, c, d in zip(audit.FIELDS, cols, audit._DTYPES, strict=True)}


def _add(audit: AuditLog, rng: np.random.Generator, t_s: float, warnings: bool) -> None:
    n = int(rng.integers(0, 5))
    ids = rng.integers(0, 100, n)
    item_t = rng.uniform(0, t_s, n) if warnings else t_s - 2.0
    audit.add(t_s, 1, 2, 0, int(warnings), ids, ids + 1, item_t, rng.integers(0, 3, n),
              rng.integers(-1, 9, n), rng.uniform(20, 40, n), rng.uniform(30, 50, n))  # fmt: skip


def test_audit_columns_match_the_plain_concatenation_and_follow_adds():
    rng = np.random.default_rng(3)
    audit = AuditLog()
    assert all(c.size == 0 for c in audit.columns().values())
    for step in range(200):
        _add(audit, rng, 5.0 * step, warnings=step % 7 == 0)
        if step in (0, 50, 199):
            got, want = audit.columns(), _plain_columns(audit)
            for f in AuditLog.FIELDS:
                assert got[f].dtype == want[f].dtype
                assert got[f].tobytes() == want[f].tobytes(), f
            assert not got["t_s"].flags.writeable  # shared by every caller: read-only
    assert audit.columns()["item_id"].size == len(audit)


def test_lat_lon_without_height_are_the_same_bits():
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(-89, 89, 500), rng.uniform(-180, 180, 500)
    xyz = geodetic_to_ecef(lat, lon, rng.uniform(-500.0, 2e6, 500))
    for iterations in (1, 2, None):
        la, lo, _ = ecef_to_geodetic(xyz, iterations=iterations)
        la2, lo2 = geodetic_lat_lon_deg(xyz, iterations=iterations)
        assert la.tobytes() == la2.tobytes() and lo.tobytes() == lo2.tobytes()


def _tracks(rng: np.random.Generator, n: int, frozen: bool) -> LocalTracks:
    x = np.zeros((n, 6))
    x[:, :3] = geodetic_to_ecef(rng.uniform(30, 33, n), rng.uniform(34, 36, n), 5000.0)
    cls = rng.integers(0, 3, n)
    tr = LocalTracks(np.arange(n), x, np.broadcast_to(np.eye(6), (n, 6, 6)).copy(),
                     np.zeros(n), rng.random(n) < 0.6, np.arange(n), cls, Q_BY_CLASS[cls],
                     cls == 0, np.zeros(n))  # fmt: skip
    if frozen:
        for f in LocalTracks.__slots__:
            getattr(tr, f).flags.writeable = False
    return tr


def test_confirmed_selection_is_kept_only_for_an_unchanged_read_only_snapshot():
    sc = load_scenario("tutorial")
    stage = SharingStage(sc, 0, [True] * len(sc.nations))
    rng = np.random.default_rng(9)
    snap = [_tracks(rng, 8, frozen=True) for _ in sc.nations]
    first = stage._confirmed_tracks(snap)
    again = stage._confirmed_tracks(snap)
    assert all(a is b for a, b in zip(first, again, strict=True))
    for tr, conf in zip(snap, again, strict=True):
        assert np.array_equal(conf.track_id, tr.track_id[tr.confirmed])
    # a writable snapshot may change in place between cycles: selected afresh each time
    loose = [_tracks(rng, 8, frozen=False) for _ in sc.nations]
    loose[0].confirmed[:4] = False
    before = stage._confirmed_tracks(loose)
    loose[0].confirmed[:] = True
    after = stage._confirmed_tracks(loose)
    assert before[0].track_id.size < 8 and after[0] is loose[0]  # all confirmed now


def _picture(rng: np.random.Generator, t_s: float, k: int):
    from shieldwall.sharing import Picture

    A = rng.normal(size=(k, 6, 6))
    i64 = np.int64
    return Picture(t_s, rng.permutation(k * 3)[:k].astype(i64) + (1 << 32), rng.normal(size=(k, 6)),
                   A @ A.transpose(0, 2, 1), rng.integers(0, 3, k), rng.integers(-1, 5, k),
                   rng.integers(0, 3, k), rng.integers(0, 8, k), rng.integers(0, 8, k),
                   rng.integers(0, 4, k))  # fmt: skip


def test_audience_rows_sort_each_sample_by_number_as_one_argsort_per_sample_did():
    from shieldwall.sharing import AudienceLog, ReleaseTerms

    rng = np.random.default_rng(11)
    terms = [
        ReleaseTerms("a", 0, (1, 2), np.ones(3, bool), 2.0, k == 1, -np.inf, np.inf)
        for k in range(2)
    ]
    log = AudienceLog(3, 30.0, terms)
    want: list[list] = [[], [], []]
    for step in range(12):
        t_s = 30.0 * step
        pics = [_picture(rng, t_s, int(rng.integers(0, 7))) for _ in range(2)]
        pics.append(pics[1])  # a twin: the same picture object
        log.sample(t_s, pics)
        for a, pic in enumerate(pics):  # the reference: sorted and reduced sample by sample
            order = np.argsort(pic.number, kind="stable")
            Pf = pic.P.reshape(-1, 36)
            want[a].append((np.full(order.size, t_s), pic.number[order], pic.x[order],
                            np.sqrt((Pf[:, 0] + Pf[:, 7] + Pf[:, 14])[order] / 3.0),
                            np.sqrt((Pf[:, 21] + Pf[:, 28] + Pf[:, 35])[order] / 3.0),
                            pic.cls[order]))  # fmt: skip
    names = ["A", "B", "C"]
    for a in range(3):
        rows = log.rows(a, names)
        t, num, x, ps, vs, cls = (np.concatenate(c) for c in zip(*want[a], strict=True))
        got_x = np.stack([rows[k] for k in ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")],
                         axis=1)  # fmt: skip
        assert rows["t_s"].tobytes() == t.tobytes()
        assert rows["track_number"].tobytes() == num.tobytes()
        assert got_x.tobytes() == x.tobytes()
        assert rows["pos_sigma_m"].tobytes() == ps.tobytes()
        assert rows["vel_sigma_m_s"].tobytes() == vs.tobytes()
        assert rows["class"] == np.asarray(["ballistic", "cruise", "drone"])[cls].tolist()


def test_distinct_masks_are_numpys_unique_columns():
    from shieldwall.sharing.stage import _distinct_masks

    rng = np.random.default_rng(2)
    for hi in (1, 2, 64, 1 << 20, 1 << 40):  # the last does not pack: numpy's own way
        cols = [rng.integers(0, hi, 300) for _ in range(3)]
        want_m, want_i = np.unique(np.stack(cols), axis=1, return_inverse=True)
        got_m, got_i = _distinct_masks(*cols)
        assert got_m.dtype == want_m.dtype and np.array_equal(got_m, want_m)
        assert np.array_equal(got_i, np.ravel(want_i))
    empty = np.zeros(0, dtype=np.int64)
    got_m, got_i = _distinct_masks(empty, empty, empty)
    assert got_m.shape == (3, 0) and got_i.size == 0
