"""Ctrl-C around worker processes: workers ignore it (the parent stops them and keeps the
finished results), and the parent holds it while a worker starts, so that no half-started
worker outlives the study (used by :mod:`shieldwall.studies.executors`)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and keeps finished results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while worker processes start: a process started with SIGINT ignored keeps
    ignoring it (Python installs its KeyboardInterrupt handler only over the default), so the
    terminal's Ctrl-C reaches the parent alone, which stops the workers itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside the block and deliver it on the way out. A
    KeyboardInterrupt raised while ``submit`` starts a worker process (between its start and
    the pool recording it) would leave a half-started worker the pool cannot stop, which then
    prints a traceback once the study has gone; deferred, it stops the study just after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(*caught[0])  # the study's handler, or Python's: raises KeyboardInterrupt
        elif caught and previous != signal.SIG_IGN:
            signal.raise_signal(signal.SIGINT)
