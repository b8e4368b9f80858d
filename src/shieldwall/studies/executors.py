"""Executors: run one function over many independent tasks, on local processes or on Dask.

One role, :class:`Executor`: ``map(fn, tasks, on_done)`` calls ``fn(task)`` for every task
somewhere and ``on_done(outcome)`` in the caller's thread as each one finishes, in completion
order. A task whose call raises (or whose worker process dies) is run once more; if it fails
again its :class:`Outcome` carries the one-line error instead of a value. Nothing is dropped:
``on_done`` is called exactly once per task unless ``map`` itself is interrupted, and nothing
is hidden: an outcome that needed a retry says so (``attempts``, ``retried_after``) on either
engine. Local workers exit by themselves when the process that started them dies.

Executors hold no random state; every task carries its own seed, so results depend only on the
tasks, never on the engine, the number of workers or the order of completion.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any, Protocol

from shieldwall.studies.attempts import (  # (re-exported: the executors' vocabulary)
    WORKER_DIED,
    OnDone,
    Outcome,
    _Attempts,
    one_line,
)
from shieldwall.studies.interrupts import _sigint_deferred, _sigint_ignored, _start_worker

CLUSTER_HINT = 'the dask engine needs Dask: pip install "shieldwall[cluster]"'
WORKERS_PER_CORE = 4


class EngineError(Exception):
    """An engine that cannot start (Dask missing, scheduler unreachable, bad worker count)."""


class Executor(Protocol):
    """Runs ``fn`` over ``tasks``; a context manager that owns its workers."""

    name: str
    workers: int

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_done: OnDone) -> None: ...


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now (running tasks are abandoned)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    for proc in list((pool._processes or {}).values()):
        proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def max_workers() -> int:
    """The most worker processes a machine gets: four per core. Replications are CPU-bound,
    so more only add memory (each worker holds the simulator) and switching."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def worker_count(workers: int | None, tasks: int | None = None) -> int:
    """Processes to start for ``--workers`` (None: one per core), at most :func:`max_workers`
    and at most ``tasks`` (when given, at least 1): the count the study reports.
    EngineError for fewer than 1."""
    if workers is not None and workers < 1:
        raise EngineError(f"--workers: must be at least 1, got {workers}")
    count = min(workers or os.cpu_count() or 1, max_workers())
    return count if tasks is None else max(1, min(count, tasks))


class LocalExecutor:
    """Local processes (stdlib ``concurrent.futures``), all cores by default.

    Workers start from a fork server that has imported ``preload`` once, so each worker starts
    warm and no worker inherits the parent's threads. At most ``workers`` tasks are in flight:
    when a worker dies, only the tasks then running are charged an attempt. Each worker holds
    the read end of a pipe only ``map`` writes to, and exits when it closes: a study process
    killed outright (``kill -9``) leaves no worker behind, and then no fork server or resource
    tracker either (they exit once the last process using them has gone)."""

    name = "local"

    def __init__(
        self,
        workers: int | None = None,
        retries: int = 1,
        preload: Sequence[str] = (),
        tasks: int | None = None,
    ) -> None:
        self.workers = worker_count(workers, tasks)
        self.retries = retries
        self.preload = list(preload)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _pool(self, parent_alive: Connection) -> ProcessPoolExecutor:
        """A pool whose workers ignore Ctrl-C and exit when ``parent_alive`` closes."""
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":
            if self.preload:
                ctx.set_forkserver_preload(self.preload)
            # The fork server ignores Ctrl-C only once its preload is imported (a second or
            # two); started with SIGINT ignored it never sees one, so an early Ctrl-C prints
            # no traceback from the middle of its imports. Its workers inherit the same.
            with _sigint_ignored():
                multiprocessing.forkserver.ensure_running()
        return ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=_start_worker, initargs=(parent_alive,)
        )

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_done: OnDone) -> None:
        parent_alive, alive = multiprocessing.Pipe(duplex=False)  # workers get the read end
        try:
            self._map(fn, tasks, on_done, parent_alive)
        finally:
            alive.close()
            parent_alive.close()

    def _map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_done: OnDone,
             parent_alive: Connection) -> None:  # fmt: skip
        """``map`` with the pipe whose closing tells the workers to exit."""
        queue = deque(range(len(tasks)))
        tries = _Attempts(len(tasks), self.retries, on_done)
        running: dict[Future, int] = {}
        pool = self._pool(parent_alive)
        try:
            while queue or running:
                while queue and len(running) < self.workers:
                    i = queue.popleft()
                    tries.start(i)
                    with _sigint_deferred():  # submit may start a worker process
                        running[pool.submit(fn, tasks[i])] = i
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    done, _ = wait(running)  # a dead worker breaks every running task
                for fut in sorted(done, key=running.__getitem__):
                    i = running.pop(fut)
                    if fut.exception() is None:
                        tries.succeeded(i, fut.result())
                    elif tries.failed(i, fut.exception()):
                        queue.appendleft(i)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    pool.shutdown(wait=True)
                    pool = self._pool(parent_alive)
        except BaseException:
            _terminate(pool)
            raise
        pool.shutdown(wait=True)


# A local cluster's workers, started with this Dask configuration, spend their core on the
# replications: no statistical profiler sampling the running task's stack every 10 ms (it cost
# about 9% of a replication's time), the event loop's tick and system monitor (20 ms and
# 500 ms by default) woken less often (nothing reads them: the dashboard is off), and glibc's
# malloc left to its own trim and mmap thresholds (Dask sets MALLOC_TRIM_THRESHOLD_=65536 to
# hand freed memory back sooner, which fixes the thresholds and made the many short-lived
# numpy arrays of a replication cost about 15% more time).
QUIET_WORKERS = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
# A local cluster's scheduler reruns no task itself: by default it silently runs a task whose
# worker died on up to 3 more workers, so a killed worker was never reported. With no failures
# allowed it reports KilledWorker at once, and DaskExecutor.map retries it and says so, as the
# local pool does. (A remote scheduler keeps its own setting: its reruns stay unseen here.)
OWN_RETRIES = {"distributed.scheduler.allowed-failures": 0}


class DaskExecutor:
    """A Dask distributed cluster: a ``LocalCluster`` of ``workers`` single-threaded worker
    processes when ``address`` is None, else the scheduler at ``address`` (for example one
    started by dask-jobqueue). Dask is imported only here (``shieldwall[cluster]``). The
    workers present when the study starts import ``preload`` first, so no replication's time
    includes the imports (as with :class:`LocalExecutor`'s fork server)."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        retries: int = 1,
        preload: Sequence[str] = (),
        tasks: int | None = None,
    ) -> None:
        workers = worker_count(workers, tasks)
        if importlib.util.find_spec("distributed") is None:
            raise EngineError(CLUSTER_HINT)
        self.address = address
        self.workers = workers
        self.retries = retries
        self.preload = list(preload)
        self.client = None
        self.cluster = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise EngineError(CLUSTER_HINT) from None
        try:
            if self.address is None:
                import dask

                with _sigint_ignored(), dask.config.set(QUIET_WORKERS | OWN_RETRIES):
                    self.cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        dashboard_address=":0",  # any free port: never "8787 in use"
                        silence_logs=logging.ERROR,
                    )
                self.client = Client(self.cluster)
            else:
                self.client = _connect(Client, self.address)
                self.workers = max(1, sum(self.client.nthreads().values()))
            if self.preload:  # as the local pool's fork server: imported before any task
                self.client.run(_import_modules, self.preload)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            where = self.address or "a local cluster"
            raise EngineError(f"--address: cannot reach {where} ({one_line(exc)})") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_done: OnDone) -> None:
        from distributed import as_completed

        if self.client is None:
            raise EngineError("DaskExecutor.map outside 'with': no cluster")
        tries = _Attempts(len(tasks), self.retries, on_done)
        queue = deque(range(len(tasks)))
        live: dict[str, tuple[int, Any]] = {}
        pending = as_completed()
        # a local cluster gets one task per worker at a time, as the local pool: the scheduler
        # charges a dead worker's queued tasks too, which would then be retried for nothing. A
        # remote cluster may grow after we connect (dask-jobqueue), so it gets them all at once
        limit = self.workers if self.cluster is not None else len(tasks)

        def submit() -> None:
            while queue and len(live) < limit:
                i = queue.popleft()
                tries.start(i)
                fut = self.client.submit(fn, tasks[i], pure=False)
                live[fut.key] = (i, fut)
                pending.add(fut)

        try:
            submit()
            for fut in pending:
                i, _ = live.pop(fut.key)
                if fut.status == "finished":
                    tries.succeeded(i, fut.result())
                elif tries.failed(i, _task_error(fut)):
                    queue.appendleft(i)
                fut.release()
                submit()
        except BaseException:
            self.client.cancel([f for _, f in live.values()])
            raise


def _connect(client: Callable[..., Any], address: str) -> Any:
    """A Dask ``client`` of the scheduler at ``address``; EngineError naming --address for an
    address Dask cannot parse (no port, unknown scheme: a ValueError from Dask)."""
    try:
        return client(address, timeout="10s")
    except ValueError:
        raise EngineError(
            f"--address: '{address}' is not a scheduler address; use tcp://HOST:PORT"
        ) from None


def _import_modules(names: Sequence[str]) -> None:
    """Import ``names`` in a Dask worker (run on every worker when a study starts)."""
    for name in names:
        importlib.import_module(name)


def _task_error(fut: Any) -> BaseException:
    """The exception of a Dask future that did not finish (errored, cancelled or lost)."""
    if fut.status == "error":
        return fut.exception()
    return RuntimeError(f"the Dask task was {fut.status}")


ENGINES: dict[str, type] = {"local": LocalExecutor, "dask": DaskExecutor}


def make_executor(
    engine: str,
    workers: int | None = None,
    address: str | None = None,
    preload: Sequence[str] = (),
    tasks: int | None = None,
) -> Executor:
    """The executor named ``engine`` (``local`` or ``dask``) with at most ``tasks`` workers
    (the study's task count, when known: more would only start idle processes);
    EngineError names the fix."""
    if engine not in ENGINES:
        raise EngineError(f"--engine: '{engine}' is unknown; use {' or '.join(ENGINES)}")
    if address is not None and engine != "dask":
        raise EngineError("--address: needs --engine dask")
    if engine == "dask":
        return DaskExecutor(address, workers, preload=preload, tasks=tasks)
    return LocalExecutor(workers, preload=preload, tasks=tasks)


__all__ = [
    "CLUSTER_HINT",
    "ENGINES",
    "DaskExecutor",
    "EngineError",
    "Executor",
    "LocalExecutor",
    "OnDone",
    "Outcome",
    "WORKER_DIED",
    "make_executor",
    "max_workers",
    "one_line",
    "worker_count",
]
