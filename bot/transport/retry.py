"""Outgoing-request policy: Telegram's flood limits, flood-control waits, transient failures.

AIORateLimiter throttles to Telegram's published limits and retries after RetryAfter (429)
answers. It deliberately leaves other errors alone, so a 5xx or a dropped connection would
lose the reply; this wrapper retries those a few times with backoff. Not retried:
BadRequest (retrying cannot help) and a timeout after the request was sent (it may have
arrived, and a second copy of a message is worse than a late error). A timeout while
connecting, or while waiting for a free pooled connection, is retried: that request never
left.

Before a call that posts or changes a message leaves, the durable inbox is told that the
update's reply starts (bot/transport/tickets.py), after any flood wait: a worker that dies
before this point left nothing for Telegram to show, and one that dies after it is never
made to send the reply again.

Only calls that post or change messages are throttled: chat actions, callback and inline
answers do not count against Telegram's message limits and must stay fast (they still
wait out and retry flood control). The startup calls that bot/transport/startup.py retries in the
background are made once here: that caller waits out a 429 itself, where AIORateLimiter
would hold every other request (answers included) while it waited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import BaseRateLimiter

from bot.transport import tickets

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
_MESSAGE_METHODS = ("send", "edit", "copy", "forward")
_UNTHROTTLED = frozenset({"sendChatAction"})
RETRIED_BY_CALLER = frozenset({"setMyCommands", "setWebhook"})


def may_retry(error: NetworkError) -> bool:
    """Whether sending again is safe: not after a timeout that may hide a delivered request."""
    if isinstance(error, TimedOut):
        return isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
    return True


def is_throttled(endpoint: str) -> bool:
    return endpoint.startswith(_MESSAGE_METHODS) and endpoint not in _UNTHROTTLED


class ResilientRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        throttle: BaseRateLimiter[int],
        *,
        attempts: int = 4,
        first_backoff: float = 0.5,
    ) -> None:
        self._throttle = throttle
        self._attempts = attempts
        self._first_backoff = first_backoff

    async def initialize(self) -> None:
        await self._throttle.initialize()

    async def shutdown(self) -> None:
        await self._throttle.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        if endpoint in RETRIED_BY_CALLER:
            return await callback(*args, **kwargs)
        if is_throttled(endpoint):
            callback = _recorded_as_reply(callback)
        for attempt in range(1, self._attempts + 1):
            try:
                # AIORateLimiter throttles by the chat_id in `data`; without it a request is
                # not delayed but still waits out, and retries after, flood control.
                limited_by = data if is_throttled(endpoint) else {}
                return await self._throttle.process_request(
                    callback, args, kwargs, endpoint, limited_by, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as error:  # TimedOut included
                if attempt == self._attempts or not may_retry(error):
                    raise
                delay = self._first_backoff * 2 ** (attempt - 1)
                logger.warning(
                    "Telegram %s failed (%s); retry %d in %.1f s", endpoint, error, attempt, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _recorded_as_reply(
    send: Callable[..., Coroutine[Any, Any, JSONResult]],
) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
    async def recorded(*args: Any, **kwargs: Any) -> JSONResult:
        await tickets.before_reply()
        result = await send(*args, **kwargs)
        tickets.after_reply()
        return result

    return recorded
