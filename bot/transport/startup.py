"""Calls that make the bot nicer to use but must never keep it from starting.

Only getMe (the token check, in `Application.initialize`) has to succeed before the bot
serves. The command menus and, in webhook mode, the webhook registration are made here in
the background: retried with growing pauses, or after exactly the wait Telegram asks for in
a RetryAfter, each failure logged, while questions are answered. Telegram rate-limits
setMyCommands after frequent restarts, and other Bot API servers may not offer it at all.

What retrying cannot cure is not retried: a BadRequest (the request itself is wrong) and an
InvalidToken, which after a good getMe means the server does not know the method (Telegram
answers 404 with it). The caller decides what that means: the menus are given up with a
warning; a refused webhook ends the bot (`bot/transport/running.py`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from telegram.error import BadRequest, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

Call = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Backoff:
    """Pauses between attempts: first, then each `factor` times longer, at most `longest`."""

    first: float = 1.0
    factor: float = 2.0
    longest: float = 300.0

    def pauses(self) -> Iterator[float]:
        pause = self.first
        while True:
            yield pause
            pause = min(pause * self.factor, self.longest)


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds. python-telegram-bot 22 gives an int or a
    timedelta depending on PTB_TIMEDELTA and warns about the int; either is fine here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


async def keep_trying(call: Call, what: str, backoff: Backoff = Backoff()) -> None:
    """Make `call` until it succeeds; raises only what retrying cannot cure.

    `what` names the call in the log ("setting the command menu").
    """
    pauses = backoff.pauses()
    attempt = 1
    while True:
        try:
            await call()
        except (BadRequest, InvalidToken):
            raise
        except RetryAfter as error:
            pause = retry_after_seconds(error)
            logger.warning("%s: Telegram asks to wait %.0f s (flood control)", what, pause)
        except TelegramError as error:  # server errors, timeouts, no connection
            pause = next(pauses)
            logger.warning("%s failed (%s); trying again in %.0f s", what, error, pause)
        else:
            if attempt > 1:
                logger.info("%s: done (attempt %d)", what, attempt)
            return
        await asyncio.sleep(pause)
        attempt += 1


class BackgroundCalls:
    """Tasks started at startup and cancelled when the bot stops (one that still retries
    must not hold up a shutdown)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, job: Callable[[], Awaitable[None]], name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Callable[[], Awaitable[None]], name: str) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in a background job must be seen, not lost in a task
            logger.exception("background job %r failed", name)

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
