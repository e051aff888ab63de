"""A short helpful reply to what is not a question: stickers, photos, voice, unknown commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import messages
from bot.addressing import is_addressed, is_private
from bot.handlers.questions import prompt_for_question
from bot.services import BotServices
from bot.updates import NEW_MESSAGES, rate_key


class UnsupportedHandlers:
    """Registered last, so it sees only the messages no other handler took."""

    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [MessageHandler(NEW_MESSAGES & ~filters.StatusUpdate.ALL, self.on_other_message)]

    async def on_other_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        bot = context.bot
        if message is None or not is_addressed(message, bot.username, bot.id):
            return
        if message.text is not None and message.text.startswith("/"):
            if is_private(message):  # in groups the command may be for another bot
                await message.reply_text(messages.UNKNOWN_COMMAND)
            return
        services = self._services
        decision = await services.calls.run(services.limiters.questions.check, rate_key(update))
        if decision.allowed:
            # Text reaching this handler is empty: real questions went to QuestionHandlers.
            if message.text is not None:
                await prompt_for_question(self._services, message)
            else:
                await message.reply_text(messages.UNSUPPORTED)
        elif decision.first_refusal:
            await message.reply_text(messages.slow_down(decision.retry_after))
