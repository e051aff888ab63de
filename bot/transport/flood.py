"""Flood control shared by every worker: one budget for the whole bot, not one per process.

Telegram limits what one bot sends (about 30 messages a second overall, 20 a minute to one
group) however many processes send for it; python-telegram-bot's AIORateLimiter counts
what its own process sends, so N workers would together send N times too much and draw
429s for the whole bot. `SharedFloodControl` books every message's moment in a store all
workers share (`bot.state.protocols.FloodSlots`: PostgreSQL), at most `limit` in any
window per scope, and waits until it. A 429 all the same (another client of the token, a
limit Telegram tightened) pauses every worker for the wait Telegram asks, then the request
is tried again, as AIORateLimiter does. While the store cannot be reached, each worker
counts its own messages with AIORateLimiter (few are sent then: answers need the store too).

Requests without a chat (callback and inline answers, webhook calls) are not limited, as
in AIORateLimiter; bot/transport/retry.py decides which calls are throttled at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.settings import FloodConfig
from bot.state.protocols import FloodSlots, StateUnavailable, StoreCalls
from bot.transport.startup import retry_after_seconds

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
BOT_SCOPE = "bot"  # every message of the bot
GROUP_WINDOW = 60.0


class SharedFloodControl(BaseRateLimiter[int]):
    def __init__(
        self, slots: FloodSlots, calls: StoreCalls, settings: FloodConfig, max_retries: int
    ) -> None:
        self._slots = slots
        self._calls = calls
        self._settings = settings
        self._max_retries = max_retries
        self._alone = AIORateLimiter(
            overall_max_rate=settings.messages_per_second,
            group_max_rate=settings.group_messages_per_minute,
            max_retries=max_retries,
        )
        self._counting_alone = False

    async def initialize(self) -> None:
        await self._alone.initialize()

    async def shutdown(self) -> None:
        await self._alone.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        scopes = self.scopes(data.get("chat_id"))
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            if scopes:
                try:
                    await self._book(scopes)
                except StateUnavailable:
                    self._alone_for_now(True)
                    return await self._alone.process_request(
                        callback, args, kwargs, endpoint, data, rate_limit_args
                    )
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                await self._pause_everyone(retry_after_seconds(error), booked=bool(scopes))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _book(self, scopes: list[tuple[str, int, float]]) -> None:
        wait = await self._calls.run(self._slots.reserve, scopes)
        self._alone_for_now(False)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _pause_everyone(self, pause: float, *, booked: bool) -> None:
        """A booked request waits for the pause when it books again."""
        logger.warning("Telegram asks to wait %.0f s (flood control): all workers wait", pause)
        try:
            await self._calls.run(self._slots.pause, pause)
        except StateUnavailable:
            booked = False  # then the next booking fails too, and this worker waits alone
        if not booked:
            await asyncio.sleep(pause)

    def _alone_for_now(self, alone: bool) -> None:
        if alone != self._counting_alone:
            self._counting_alone = alone
            if alone:
                logger.warning("Flood control store unreachable: this worker counts alone")
            else:
                logger.info("Flood control is shared by the workers again")

    def scopes(self, chat_id: object) -> list[tuple[str, int, float]]:
        """What a message to `chat_id` counts against: the bot's budget, and a group's."""
        if chat_id is None:
            return []
        scopes = [(BOT_SCOPE, self._settings.messages_per_second, 1.0)]
        try:
            group = int(str(chat_id)) < 0
        except ValueError:  # "@channelusername"
            group = True
        if group:
            per_minute = self._settings.group_messages_per_minute
            scopes.append((f"chat:{chat_id}", per_minute, GROUP_WINDOW))
        return scopes
