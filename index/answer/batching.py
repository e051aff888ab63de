"""Micro-batching: questions that arrive together are answered as one batch.

The first waiting question opens a short window (a few ms); whatever arrives meanwhile
joins its batch, and whatever arrives while every batch slot is busy joins the next one.
In a batch a question costs about half as much to embed (3.7 vs 7.7 ms here), and the
vector index is searched once for all, so throughput grows with load.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Queue(Generic[Item, Result]):
    """Per event loop: futures belong to the loop that created them."""

    pending: list[tuple[Item, asyncio.Future[Result]]] = field(default_factory=list)
    running: set[asyncio.Task[None]] = field(default_factory=set)
    window_open: bool = False


class MicroBatcher(Generic[Item, Result]):
    """Up to `in_flight` batches run at once, so one can embed (onnxruntime releases the
    GIL) while another is scored in Python: on two cores that keeps both busy."""

    def __init__(
        self,
        run_batch: Callable[[list[Item]], list[Result]],
        executor: Executor,
        max_wait: float = 0.002,
        max_batch: int = 64,
        in_flight: int = 2,
    ) -> None:
        self._run_batch = run_batch
        self._executor = executor
        self._max_wait = max_wait
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[Item, Result]]
        self._queues = weakref.WeakKeyDictionary()

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, _Queue())
        future: asyncio.Future[Result] = loop.create_future()
        queue.pending.append((item, future))
        if not queue.window_open:
            queue.window_open = True
            loop.call_later(self._max_wait, self._close_window, queue)
        return await future

    def _close_window(self, queue: _Queue[Item, Result]) -> None:
        queue.window_open = False
        self._start_batches(queue)

    def _start_batches(self, queue: _Queue[Item, Result]) -> None:
        """Start waiting questions in as many batches as there are free slots."""
        while queue.pending and len(queue.running) < self._in_flight:
            batch = queue.pending[: self._max_batch]
            del queue.pending[: self._max_batch]
            task = asyncio.get_running_loop().create_task(self._run(queue, batch))
            queue.running.add(task)

    async def _run(
        self, queue: _Queue[Item, Result], batch: list[tuple[Item, asyncio.Future[Result]]]
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(
                self._executor, self._run_batch, [item for item, _ in batch]
            )
        except Exception as exc:  # every caller of the failed batch gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            queue.running.discard(asyncio.current_task())
            if not queue.window_open:  # those who waited for a slot have waited enough
                self._start_batches(queue)
