"""How handlers call the stores: where they stand, or on threads of their own.

The in-memory and SQLite stores answer in microseconds, so their calls are made inline, as
they always were. A database call waits on the network: on the event loop one slow call
would hold every other update of the worker (and the webhook's replies to Telegram), so
with PostgreSQL each call runs on a thread of `ThreadCalls` and the loop stays free. The
composition (qabot/serve.py) chooses; handlers write `await services.calls.run(store.f, ...)`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class InlineCalls:
    """`bot.state.protocols.StoreCalls` for stores in RAM or a local file: call at once."""

    async def run(self, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return call(*args, **kwargs)

    def close(self) -> None:
        """Nothing to release."""


class ThreadCalls:
    """`bot.state.protocols.StoreCalls` for a database: each call on one of `threads`
    threads (as many as the pool has connections: more would only wait for one)."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="qabot-state")

    async def run(self, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        context = contextvars.copy_context()  # as asyncio.to_thread: the caller's context
        job = partial(context.run, call, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
