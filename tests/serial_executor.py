"""An executor that runs every task in this process, one after another: the executor role
without worker processes, for fast tests of variant studies (Shapley, sweeps)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shieldwall.studies.executors import Outcome


class SerialExecutor:
    """The :class:`~shieldwall.studies.executors.Executor` role in this process."""

    name = "serial"
    workers = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Callable, tasks: Sequence[Any], on_done: Callable) -> None:
        for i, task in enumerate(tasks):
            on_done(Outcome(i, fn(task)))
