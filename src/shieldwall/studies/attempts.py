"""What became of one task of an executor (:mod:`shieldwall.studies.executors`): its value or
its one-line error, after how many tries, and the error of a failed try that was retried, so
that a retry is reported, never hidden in a full count."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

MAX_ERROR_CHARS = 300
# a lost worker, in the words both engines share (the error column is part of the table). The
# local pool cannot tell which of its workers died, so every replication running then gets
# this error ("a" worker), where Dask's KilledWorker charges only the dead worker's task.
WORKER_DIED = "a worker process died (killed, or out of memory) while this replication ran"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of task ``index``: its ``value``, or ``error`` (one line) after
    ``attempts`` tries; ``retried_after`` is the error of the failed try before the last one
    (None when the first try was the last), so a retry is reported, not just survived."""

    index: int
    value: Any = None
    error: str | None = None
    attempts: int = 1
    retried_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


OnDone = Callable[[Outcome], None]


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 300 characters; a lost worker (the local pool
    broken, Dask's KilledWorker) is WORKER_DIED on either engine."""
    if isinstance(exc, BrokenProcessPool) or type(exc).__name__ == "KilledWorker":
        return WORKER_DIED
    text = " ".join(str(exc).split()) or "(no message)"
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."


class _Attempts:
    """Counts tries per task, remembers the error of a failed try (reported with the outcome,
    so a retry is never silent) and decides: run again, or report the failure."""

    def __init__(self, n: int, retries: int, on_done: OnDone) -> None:
        self.count = [0] * n
        self.last_error: list[str | None] = [None] * n
        self.retries = retries
        self.on_done = on_done

    def start(self, index: int) -> None:
        self.count[index] += 1

    def succeeded(self, index: int, value: Any) -> None:
        self.on_done(Outcome(index, value, None, self.count[index], self.last_error[index]))

    def failed(self, index: int, exc: BaseException) -> bool:
        """True when the task should run again; otherwise reports it failed."""
        error = one_line(exc)
        if self.count[index] <= self.retries:
            self.last_error[index] = error
            return True
        self.on_done(Outcome(index, None, error, self.count[index], self.last_error[index]))
        return False
