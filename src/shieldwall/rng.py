"""Named random streams: one ``numpy.random.Generator`` per purpose and unit.

Each stream is ``SeedSequence(seed, spawn_key=(crc32(purpose), crc32(name)))``. Keying by the
unit's *name* (not its position in a list) means adding, removing or reordering a sensor or a
battery never changes the draws of any other unit: what-if variants share common random numbers
wherever they share units. Purposes used by the simulator: ``raid`` (launch times, launch points,
aim errors, failures), ``sensor/<id>`` (detection and noise draws), ``shooter/<id>`` (kill draws).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, purpose: str, name: str = "") -> np.random.Generator:
    key = (zlib.crc32(purpose.encode()), zlib.crc32(name.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
