"""/start, /help and /sources: what the bot knows and how to use it."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import messages
from bot.services import BotServices
from bot.updates import NEW_MESSAGES, seen_in, sender_id
from bot.view.examples import example_questions
from bot.view.keyboards import examples_keyboard
from bot.view.lists import sources_messages
from bot.view.sending import reply_parts


class CommandHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("start", self.on_start, filters=NEW_MESSAGES),
            CommandHandler("help", self.on_help, filters=NEW_MESSAGES),
            CommandHandler("sources", self.on_sources, filters=NEW_MESSAGES),
        ]

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        documents = seen_in(
            await asyncio.to_thread(self._services.engine.documents), message.chat.id
        )
        examples = example_questions(documents, self._services.settings.example_questions)
        text = messages.start(len(documents))
        if examples:
            text += "\n\n" + messages.START_EXAMPLES
        await message.reply_text(text, reply_markup=examples_keyboard(examples))

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(messages.help_text(context.bot.username))

    async def on_sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        documents = seen_in(
            await asyncio.to_thread(self._services.engine.documents), message.chat.id
        )
        with_ids = self._services.access.is_admin(sender_id(update))
        await reply_parts(message, sources_messages(documents, with_ids=with_ids))
