"""Micro-batching: concurrent generation requests are queued and run together in one worker thread.

The model is used from a single thread (torch already spreads one batch over the cores), so the
event loop never blocks and requests that arrive together share one padded forward pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Pending(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result]


class BatchingWorker(Generic[Item, Result]):
    # Requests fired together reach the queue tens to hundreds of milliseconds apart, each after
    # its own preprocessing in another thread; a quarter second gathers them into one batch and
    # costs little next to the seconds a generation takes.
    def __init__(
        self,
        run_batch: Callable[[Sequence[Item]], list[Result]],
        *,
        max_batch: int = 8,
        max_wait: float = 0.25,
        max_queue: int = 64,
        name: str = "model",
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._max_queue = max_queue
        self._queue: asyncio.Queue[_Pending[Item, Result]] = asyncio.Queue(maxsize=max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    async def submit(self, item: Item) -> Result:
        """The item's result. A full queue makes the caller wait for room (back-pressure on digest
        jobs); users are turned away before that, by the bot's waiting line for /summarize."""
        self._ensure_started()
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(item, future))
        return await future

    def _ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A queue belongs to the loop that first used it: once that loop is closed (one
            # `asyncio.run` after another), serve this one with a new queue rather than hang.
            if self._loop is not None and not self._loop.is_closed():
                raise RuntimeError("this model is already serving another event loop")
            self._loop = loop
            self._queue = asyncio.Queue(maxsize=self._max_queue)
            self._task = None
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._serve())

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self._max_wait
            while len(batch) < self._max_batch:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            live = [pending for pending in batch if not pending.future.cancelled()]
            if not live:
                continue
            try:
                results = await loop.run_in_executor(
                    self._executor, self._run_batch, [pending.item for pending in live]
                )
            except Exception as exc:  # the callers get the error; the worker keeps serving
                for pending in live:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            for pending, result in zip(live, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True, cancel_futures=True)
