"""Synthetic truth for sensor tests: targets at chosen positions (and velocities).

Builds :class:`ThreatSet` from its dataclass fields by name, so the helper keeps working when the
threat model grows fields the sensors never read."""

from __future__ import annotations

import dataclasses

import numpy as np

from shieldwall.threats import ThreatSet, Truth


def static_truth(pos_ecef, rcs_m2, end_s=1e5, class_code=2, vel_ecef=None, boost_end_s=0.0):
    """Truth for n targets in flight over [0, end_s): two samples each, ``end_s`` apart, so a
    target sits still (``vel_ecef`` None) or moves at constant ECEF velocity ``vel_ecef``."""
    p0 = np.asarray(pos_ecef, dtype=float)
    n = len(p0)
    v = np.zeros_like(p0) if vel_ecef is None else np.asarray(vel_ecef, dtype=float)
    pos = np.stack([p0, p0 + v * end_s], axis=1)
    z = np.zeros(n)
    known = {
        "threat_id": np.array([f"t{i}" for i in range(n)]),
        "type_id": np.array(["x"] * n),
        "class_code": np.full(n, class_code, dtype=np.int64),
        "fails": np.zeros(n, dtype=bool),
        "rcs_m2": np.broadcast_to(np.asarray(rcs_m2, dtype=float), (n,)).copy(),
    }
    cols = {}
    for f in dataclasses.fields(ThreatSet):
        if f.name in known:
            cols[f.name] = known[f.name]
        elif f.name in ("salvo", "aim_asset"):
            cols[f.name] = np.zeros(n, dtype=np.int64)
        elif f.name.startswith("fail_"):
            cols[f.name] = z + np.nan
        else:
            cols[f.name] = z.copy()
    return Truth(
        threats=ThreatSet(**cols), t0_s=z.copy(), dt_s=np.full(n, end_s),
        n_samples=np.full(n, 2), pos_ecef_m=pos, end_t_s=np.full(n, end_s),
        boost_end_t_s=np.full(n, boost_end_s),
    )  # fmt: skip
