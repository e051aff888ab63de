"""A broadcast "something changed" used by long polls and test-side waits."""

from __future__ import annotations

import asyncio
from contextlib import suppress


class Signal:
    """Each notify() wakes every current waiter; waiters re-check their condition themselves.

    Check the condition and call wait() without awaiting in between: the event is captured
    synchronously, so no notification can slip through.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return at the next notify() or after timeout seconds, whichever comes first."""
        event = self._event
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))
