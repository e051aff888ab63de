"""Show "typing…" while the bot works on something."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

RENEW_SECONDS = 4.5  # Telegram shows a chat action for about 5 s


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Keep the indicator on until the block ends; it runs beside the work, never delays it."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):  # cosmetic: a failure must not cost the answer
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(RENEW_SECONDS)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
