"""The last line of defence: no exception stops the bot or leaves a person without a reply.

Logs go through the token-redacting record factory (bot.transport.redact), so neither the traceback
nor a Bot API URL in an error message can leak the token.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot import messages

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    where = _describe(update)
    if isinstance(error, Forbidden):
        logger.info("Cannot reach %s: %s", where, error)  # blocked by the user, kicked...
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        logger.warning("Network problem while handling %s: %s", where, error)
    else:
        logger.error("Error while handling %s", where, exc_info=error)
    if isinstance(update, Update):
        await _apologise(update, context)


async def _apologise(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(messages.ERROR)
        elif update.message is not None:  # a handler took it on, so it was meant for the bot
            await update.message.reply_text(messages.ERROR)
    except TelegramError as error:  # Telegram may be what failed; the log above has it
        logger.warning("Could not tell the user about the error: %s", error)


def _describe(update: object) -> str:
    """Which update failed, without its content (people's messages stay out of logs)."""
    if not isinstance(update, Update):
        return "a background task" if update is None else type(update).__name__
    chat = update.effective_chat
    return f"update {update.update_id}" + (f" in chat {chat.id}" if chat else "")
