"""Seeds of a study's replications, and how every random stream of a study is laid out.

Stream layout (nothing else draws random numbers):

1. A study has one base seed ``S`` (``--seed``; the scenario's ``seed`` by default).
2. Replication ``i`` gets child ``i`` of ``numpy.random.SeedSequence(S).spawn(n)``, which is
   ``SeedSequence(S, spawn_key=(i,))``: children are independent of each other by
   construction, and child ``i`` does not depend on ``n``, so growing a study from 100 to
   1,000 replications keeps the first 100 exactly.
3. The child is turned into a plain integer run seed (:func:`run_seed`, 63 bits), recorded in
   each row of ``study.parquet``; ``shieldwall run SCENARIO --seed <that int>`` reproduces the
   replication exactly.
4. Inside a run, :func:`shieldwall.rng.stream` spawns one stream per purpose and unit from the
   run seed (``raid``, ``sensor/<id>``, ``shooter/<id>``), keyed by the unit's name.
5. Variants of one study (sweep points, what-ifs, Shapley coalitions) use the *same* run seed
   for replication ``i``: common random numbers. Every unit the variants share draws the same
   numbers, so differences between variants come from the change, not from the dice, and
   their confidence intervals are tight.
"""

from __future__ import annotations

import numpy as np

RUN_SEED_BITS = 63
# A million replications take days on one machine (about a second each); a larger count is a
# typo, and spawning its seeds alone would take minutes and gigabytes before any run starts.
MAX_RUNS = 1_000_000


class StudyInputError(ValueError):
    """A study argument out of range (``--runs``, ``--seed``, ``--param``, ``--permutations``,
    ...): the message is one line naming the option and what it accepts. A ValueError, so
    callers of the study functions may catch either; the command line reports exactly these
    (and the folder, engine and scenario errors) as user errors, never any ValueError."""


def check_runs(runs: int, option: str = "--runs") -> int:
    """``runs`` when it is a whole number 1 .. MAX_RUNS; StudyInputError otherwise."""
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer):
        raise StudyInputError(f"{option}: must be a whole number, got {runs!r}")
    if runs < 1:
        raise StudyInputError(f"{option}: must be at least 1, got {runs}")
    if runs > MAX_RUNS:
        raise StudyInputError(f"{option}: at most {MAX_RUNS:,}, got {runs}")
    return int(runs)


def check_seed(seed: int, option: str = "--seed") -> int:
    """``seed`` when it is a whole number >= 0 (any size: SeedSequence takes big ints);
    StudyInputError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise StudyInputError(f"{option}: must be a whole number >= 0, got {seed}")
    return int(seed)


def replication_children(base_seed: int, runs: int) -> list[np.random.SeedSequence]:
    """The ``runs`` children of ``SeedSequence(base_seed)``; child ``i`` is replication ``i``.
    StudyInputError for a negative seed or more than MAX_RUNS children (runs 0 gives none)."""
    if runs != 0:
        check_runs(runs)
    return np.random.SeedSequence(check_seed(base_seed)).spawn(runs)


def run_seed(child: np.random.SeedSequence) -> int:
    """A plain non-negative int run seed (< 2**63, so it fits int64 columns) drawn from the
    child's entropy pool: deterministic, and distinct children give distinct seeds with
    probability 1 - n**2 / 2**64."""
    word = int(child.generate_state(1, dtype=np.uint64)[0])
    return word >> (64 - RUN_SEED_BITS)


def replication_seeds(base_seed: int, runs: int) -> list[int]:
    """Run seed of each replication ``0 .. runs-1`` (see the module docstring)."""
    return [run_seed(c) for c in replication_children(base_seed, runs)]


__all__ = [
    "MAX_RUNS",
    "RUN_SEED_BITS",
    "StudyInputError",
    "check_runs",
    "check_seed",
    "replication_children",
    "replication_seeds",
    "run_seed",
]
