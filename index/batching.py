"""Micro-batching: questions that arrive together are answered as one batch.

The first waiting question opens a short window (a few ms); whatever arrives meanwhile,
and whatever arrives while a batch runs, joins the next batch. Embedding 64 questions
together costs little more than embedding one, so throughput grows with load.
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
    worker: asyncio.Task[None] | None = None


class MicroBatcher(Generic[Item, Result]):
    """Up to `in_flight` batches run at once, so one can embed (onnxruntime, which releases
    the GIL) while another is scored in Python: on two cores that keeps both busy."""

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
        if queue.worker is None or queue.worker.done():
            queue.worker = asyncio.create_task(self._drain(queue))
        return await future

    async def _drain(self, queue: _Queue[Item, Result]) -> None:
        if self._max_wait > 0:
            await asyncio.sleep(self._max_wait)
        slots = asyncio.Semaphore(self._in_flight)
        running: set[asyncio.Task[None]] = set()
        while queue.pending:
            await slots.acquire()  # meanwhile more questions queue up and join this batch
            batch = queue.pending[: self._max_batch]
            del queue.pending[: self._max_batch]
            task = asyncio.create_task(self._run(batch, slots))
            running.add(task)
            task.add_done_callback(running.discard)
            await asyncio.sleep(0)  # let the batch start before looking at the queue again
        if running:
            await asyncio.gather(*running)

    async def _run(
        self, batch: list[tuple[Item, asyncio.Future[Result]]], slots: asyncio.Semaphore
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
            return
        finally:
            slots.release()
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
