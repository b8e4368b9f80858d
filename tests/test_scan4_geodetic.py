"""The settled geodetic conversion (`ecef_to_geodetic_settled`: Bowring stopped per point once
it settles; the line-of-sight tests use it) against :func:`shieldwall.geo.wgs84.ecef_to_geodetic`:
the same bits, for points from below the ellipsoid to far beyond it, at every latitude."""

import numpy as np

from shieldwall.geo import geodetic_to_ecef
from shieldwall.geo.los import geodetic_up_and_height
from shieldwall.geo.wgs84 import ecef_to_geodetic, ecef_to_geodetic_settled


def _points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    alt = np.concatenate([rng.uniform(-1e3, 2e5, n // 2), rng.uniform(2e5, 2e7, n - n // 2)])
    xyz = geodetic_to_ecef(lat, lon, alt)
    # and some raw ECEF points, with a few exact repeats and a pole
    raw = rng.normal(0.0, 7e6, (n // 4, 3))
    return np.concatenate([xyz, raw, xyz[:16], [[0.0, 0.0, 6.4e6]]])


def test_settled_conversion_gives_the_same_bits_as_ecef_to_geodetic() -> None:
    for seed in range(3):
        xyz = _points(20_000, seed)
        ours, ref = ecef_to_geodetic_settled(xyz), ecef_to_geodetic(xyz)
        for a, b in zip(ours, ref, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a.view(np.int64), b.view(np.int64))


def test_small_and_single_points_take_the_plain_form() -> None:
    xyz = _points(40, 5)
    for pts in (xyz[:10], xyz[0]):
        for a, b in zip(ecef_to_geodetic_settled(pts), ecef_to_geodetic(pts), strict=True):
            assert np.array_equal(a, b)
    up, h = geodetic_up_and_height(xyz[0])
    assert up.shape == (3,) and np.ndim(h) == 0
