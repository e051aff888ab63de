"""Micro-batching: questions that arrive together share a batch; batches overlap."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from index.answer.batching import MicroBatcher


async def test_questions_arriving_together_are_answered_in_one_batch() -> None:
    batches: list[list[int]] = []

    def run(items: list[int]) -> list[int]:
        batches.append(items)
        return [item * 10 for item in items]

    with ThreadPoolExecutor(max_workers=2) as executor:
        batcher = MicroBatcher(run, executor, max_wait=0.02)
        results = await asyncio.gather(*(batcher.submit(n) for n in range(12)))
    assert results == [n * 10 for n in range(12)]
    assert batches == [list(range(12))]


async def test_a_batch_starts_while_the_one_before_is_still_running() -> None:
    """Two batches in flight: one can embed while the other is scored."""
    first_started, second_started = threading.Event(), threading.Event()
    overlapped: list[bool] = []

    def run(items: list[str]) -> list[str]:
        if items == ["first"]:
            first_started.set()
            overlapped.append(second_started.wait(timeout=5))  # blocks until batch two runs
        else:
            second_started.set()
        return items

    with ThreadPoolExecutor(max_workers=2) as executor:
        batcher = MicroBatcher(run, executor, max_wait=0.0)
        first = asyncio.ensure_future(batcher.submit("first"))
        await asyncio.get_running_loop().run_in_executor(None, first_started.wait, 5)
        second = await batcher.submit("second")
        assert await first == "first"
    assert second == "second"
    assert overlapped == [True]


async def test_a_failed_batch_fails_its_own_callers_only() -> None:
    def run(items: list[str]) -> list[str]:
        if "bad" in items:
            raise RuntimeError("embedding failed")
        return items

    with ThreadPoolExecutor(max_workers=2) as executor:
        batcher = MicroBatcher(run, executor, max_wait=0.0, max_batch=1)
        results = await asyncio.gather(
            batcher.submit("bad"), batcher.submit("good"), return_exceptions=True
        )
    assert isinstance(results[0], RuntimeError)
    assert results[1] == "good"
