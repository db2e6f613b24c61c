"""Worker processes for CPU-bound parsing: HTML extraction, feed parsing, language detection.

Native parsers (lxml under trafilatura and feedparser) can crash the process they run in, and lxml
parsers must not be shared between threads. In worker processes a crash kills one worker: pebble
fails only the job that worker was running and starts a replacement. That job is tried once more
(a crash can come from the worker's state rather than the input) and then reported as
ParserCrashed; a job that runs past its time limit is stopped and reported as ParserTimeout.
pebble can also lose a job without an answer (a worker killed while it held the pool's channel):
a job without an answer long after its limit is given up, the pool replaced, and the job tried
once more, then reported as ParserLost.
Work also leaves the event loop's process, so it never holds the loop's GIL.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import ParamSpec, Self, TypeVar

from pebble import ProcessExpired, ProcessPool

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Jobs handed to the workers at once, per worker: one running and one ready, so a worker never
# waits for the event loop between jobs. More callers wait their turn without piling up payloads.
JOBS_PER_WORKER = 2
# Tries of a job whose worker died under it, or that the pool lost.
TRIES = 2
# Seconds a new worker may take to start (forkserver, preloaded modules) on a busy machine.
WORKER_START = 30.0
# Seconds close() waits for the workers to stop; a broken pool may never report that it has.
STOP_WAIT = 10.0
# Seconds jobs wait for a pool to start before they fail (ParserLost).
POOL_START = 600.0


class ParseFailed(Exception):
    """A job ended without a result of its own; str(exc) is a short reason, e.g. "crashed the parser (SIGSEGV)"."""


class ParserCrashed(ParseFailed):
    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"crashed the parser ({_how_it_ended(exitcode)})")
        self.exitcode = exitcode


class ParserLost(ParseFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"got no answer from the parser within {seconds:g} s")


class ParserTimeout(ParseFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s to parse")


def available_cores() -> int:
    return len(os.sched_getaffinity(0))


class ParsePool:
    """One per process: `await pool.run(function, *args)` runs a picklable, module-level function in a worker.

    Workers start on first use with forkserver (safe in a process with threads and an event loop),
    and are replaced when they die. The fork server imports the `preload` modules once, before it
    forks any worker: what they load is shared by every worker, and a replacement starts with it.
    (A process has one fork server: the first pool to start it decides what it preloads.)
    `initializer` runs in every worker as it starts.
    """

    def __init__(
        self, workers: int | None = None, *, timeout: float = 60.0, preload: Sequence[str] = (),
        initializer: Callable[[], object] | None = None,
    ) -> None:
        self.workers = workers or available_cores()
        self.queue_bound = JOBS_PER_WORKER * self.workers
        self.timeout = timeout
        self._initializer = initializer
        self._preload = list(preload)
        self._slots = asyncio.Semaphore(self.queue_bound)
        self._pool: ProcessPool | None = None
        self._in_flight = 0
        self._starting = asyncio.Lock()
        self._closed = False

    async def run(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """The function's result, or the exception it raised; ParseFailed when its worker died, it ran
        too long, or the pool lost it."""
        failure: ParseFailed | None = None
        for _ in range(TRIES):
            async with self._slots:
                pool = await self._running_pool()
                future = pool.schedule(function, args, kwargs, timeout=self.timeout)
                self._in_flight += 1
                try:
                    # pebble enforces the job's own limit once it runs; this bounds the wait for an
                    # answer, which never comes when pebble loses the job (a worker killed while it
                    # held the pool's channel): without it the caller would wait forever.
                    async with asyncio.timeout(self.answer_deadline) as deadline:
                        return await asyncio.wrap_future(future)
                except (ProcessExpired, BrokenProcessPool) as exc:
                    # BrokenProcessPool: pebble gives up on the whole pool when it cannot tell which
                    # job a dead worker had; the next job starts a new one.
                    failure = ParserCrashed(_exitcode(exc))
                except TimeoutError:
                    if not deadline.expired():
                        raise ParserTimeout(self.timeout) from None
                    failure = ParserLost(self.answer_deadline)
                    self._discard(pool)
                finally:
                    self._in_flight -= 1
            name = getattr(function, "__name__", function)
            if isinstance(failure, ParserLost):
                log.warning("parse job %s %s; it runs again in new workers", name, failure)
            else:
                log.warning("a parse worker died (%s) running %s", _how_it_ended(failure.exitcode), name)
        assert failure is not None
        raise failure

    @property
    def answer_deadline(self) -> float:
        """Seconds a job may wait for its answer: the jobs ahead of it on a worker and its own run, each
        within the time limit, and time to start a worker."""
        return JOBS_PER_WORKER * self.timeout + WORKER_START

    @property
    def in_flight(self) -> int:
        """Jobs handed to the workers and not yet done: at most `queue_bound`."""
        return self._in_flight

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the workers; jobs still waiting are not run."""
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(_in_daemon_thread(partial(_stop, pool)), STOP_WAIT)
            except TimeoutError:
                log.warning("the parse workers did not stop within %g s", STOP_WAIT)

    def _discard(self, pool: ProcessPool) -> None:
        """Replace `pool` with a new one on the next job; stopping it may hang, so nothing waits for that."""
        if self._pool is pool:
            self._pool = None
            _stop_in_background(pool)

    async def _running_pool(self) -> ProcessPool:
        if self._closed:
            raise RuntimeError("the parse pool is closed")
        async with self._starting:
            if self._pool is not None and not self._pool.active:
                self._discard(self._pool)
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["__main__", *self._preload])
                pool = ProcessPool(self.workers, initializer=self._initializer, context=context)
                self._pool = await _started(pool)
            return self._pool


async def _started(pool: ProcessPool) -> ProcessPool:
    """`pool` with its workers running, or ParserLost past POOL_START.

    Starting forks the fork server the first time (it imports the preloaded modules: a minute or
    more on a busy machine), then the workers. Off the event loop, in a daemon thread: a start that
    never ends must keep neither the loop's shutdown nor the process's exit waiting. A start given
    up (or whose caller was cancelled) stops the pool once it is done."""
    abandoned = threading.Event()

    def start() -> None:
        pool.active  # the property starts the pool
        if abandoned.is_set():
            _stop(pool)

    try:
        await asyncio.wait_for(_in_daemon_thread(start), POOL_START)
    except TimeoutError:
        abandoned.set()
        raise ParserLost(POOL_START) from None
    except asyncio.CancelledError:
        abandoned.set()
        raise
    return pool


async def _in_daemon_thread(function: Callable[[], T]) -> T:
    """`function()` in a thread of its own that the process does not wait for at exit (asyncio.to_thread's are)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if not future.done():
            future.set_exception(error) if error is not None else future.set_result(result)

    def run() -> None:
        try:
            result, error = function(), None
        except BaseException as exc:
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop has closed meanwhile
            pass

    threading.Thread(target=run, name="parse-pool", daemon=True).start()
    return await future


def _stop_in_background(pool: ProcessPool) -> None:
    # A daemon thread: one stuck on a broken pool must not keep the process from exiting.
    threading.Thread(target=_stop, args=(pool,), name="parse-pool-stop", daemon=True).start()


def _stop(pool: ProcessPool) -> None:
    pool.stop()
    pool.join()


def _exitcode(crash: ProcessExpired | BrokenProcessPool) -> int | None:
    return crash.exitcode if isinstance(crash, ProcessExpired) else None


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "worker lost"
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"
