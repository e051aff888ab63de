"""Each update is handled once, even when Telegram delivers it twice.

In webhook mode Telegram sends an update again when it thinks the delivery failed (our
200 was lost on the way back, say), and python-telegram-bot passes the copy on: the
person would get two answers. Polling never repeats an update (getUpdates' offset
confirms them), so there this costs one lookup per update. With several workers the copy
may reach another worker: the ids seen are then kept in the shared database
(`bot.state.postgres.PostgresSeenUpdates`), else in RAM (`bot.state.memory.MemorySeenUpdates`).
With the durable inbox (webhook mode on PostgreSQL) the inbox itself keeps each update once
(`bot/transport/inbox.py`) and this filter is not installed.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, TypeHandler

from bot.state.protocols import SeenUpdates, StoreCalls

logger = logging.getLogger(__name__)

REPEAT_GROUP = -2  # before the gatekeeper: a repeat is not even refused twice


class RepeatFilter:
    """The first handler of every update: a repeat goes no further."""

    def __init__(self, seen: SeenUpdates, calls: StoreCalls) -> None:
        self._seen = seen
        self._calls = calls

    def handler(self) -> BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]:
        return TypeHandler(Update, self.check)

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self._calls.run(self._seen.is_repeat, update.update_id):
            logger.info("Update %d was delivered again; handled once already", update.update_id)
            raise ApplicationHandlerStop
