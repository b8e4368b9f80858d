"""Stopping around worker processes: workers ignore Ctrl-C (the parent stops them and keeps
the finished results) and exit by themselves when the parent dies (``kill -9``: no one is left
to stop them); the parent holds Ctrl-C and SIGTERM while a worker starts, so that no
half-started worker outlives the study (used by :mod:`shieldwall.studies.executors`)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

DEFERRED = (signal.SIGINT, signal.SIGTERM)
EXIT_ORPHANED = 1


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and keeps finished results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_worker(parent_alive: Connection) -> None:
    """A pool worker's initializer: ignore Ctrl-C, and exit once the parent is gone.

    ``parent_alive`` is the read end of a pipe whose only write end the parent holds: when the
    parent dies, however (``kill -9`` included), the read sees EOF and the worker exits at
    once, even mid-replication, instead of living on re-parented to PID 1. The watching
    thread sleeps in that read (no polling, nothing per replication); a zombie parent not yet
    reaped still counts as gone, which a ``kill(pid, 0)`` check would miss."""
    _ignore_sigint()
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), daemon=True,
                     name="shieldwall-parent-watch").start()  # fmt: skip


def _exit_with_parent(parent_alive: Connection) -> None:
    """Block until the parent closes (or loses) its end of the pipe, then end this process."""
    try:
        while True:
            parent_alive.recv_bytes()  # the parent sends nothing; EOF when it is gone
    except (EOFError, OSError):
        pass
    os._exit(EXIT_ORPHANED)


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
    """Hold a Ctrl-C (or SIGTERM, which the study commands treat alike) that arrives inside
    the block and deliver it on the way out. A KeyboardInterrupt raised while ``submit``
    starts a worker process (between its start and the pool recording it) would leave a
    half-started worker the pool cannot stop, which then prints a traceback once the study has
    gone; deferred, it stops the study just after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: caught.append((signum, frame)))
        for sig in DEFERRED
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            _deliver(previous[caught[0][0]], *caught[0])


def _deliver(handler: Any, signum: int, frame: Any) -> None:
    """Deliver a held signal as it would have been: to ``handler`` (the study's, or Python's
    for Ctrl-C: raises KeyboardInterrupt), or by the default action."""
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:
        signal.raise_signal(signum)
