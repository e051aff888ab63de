"""Answering questions: plain messages (mentions in groups) and /ask."""

from __future__ import annotations

import time

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import messages
from bot.addressing import command_argument, is_addressed, question_of
from bot.keyboards import answer_keyboard
from bot.render import answer_messages, clean_text
from bot.sending import reply_parts
from bot.services import BotServices
from bot.typing_indicator import typing
from index.api import Turn

NEW_MESSAGES = filters.UpdateType.MESSAGE  # edits of old questions are not re-answered


class QuestionHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("ask", self.on_ask, filters=NEW_MESSAGES),
            MessageHandler(NEW_MESSAGES & filters.TEXT & ~filters.COMMAND, self.on_text),
        ]

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        bot = context.bot
        if message is None or not is_addressed(message, bot.username, bot.id):
            return
        await self.respond(bot, message, question_of(message, bot.username), _asker(update))

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        question = command_argument(message)
        if not question:
            await message.reply_text(messages.ASK_USAGE)
            return
        await self.respond(context.bot, message, question, _asker(update))

    async def respond(self, bot: Bot, reply_to: Message, question: str, asker: int) -> None:
        """Answer `question` as a reply to `reply_to`, within the asker's rate."""
        services = self._services
        question = clean_text(question).strip()
        if not question:
            await reply_to.reply_text(messages.EMPTY_QUESTION)
            return
        if len(question) > services.engine.limits.max_question_chars:
            await reply_to.reply_text(messages.too_long(services.engine.limits.max_question_chars))
            return
        decision = services.question_limiter.check(asker)
        if not decision.allowed:
            if decision.first_refusal:
                await reply_to.reply_text(messages.slow_down(decision.retry_after))
            return

        chat_id = reply_to.chat.id
        started = time.perf_counter()
        async with typing(bot, chat_id):
            answer = await services.engine.answer_async(question, services.memory.history(chat_id))
        latency_ms = (time.perf_counter() - started) * 1000

        answer_id = services.store.record_answer(
            answer, chat_id=chat_id, user_id=asker, latency_ms=latency_ms
        )
        keyboard = answer_keyboard(
            answer_id, more=answer.confident and len(answer.passages) > 1, feedback=True
        )
        sent = await reply_parts(reply_to, answer_messages(answer), keyboard)
        services.store.attach_message(answer_id, chat_id, sent.message_id)
        if answer.confident:  # a miss would pull the next question away from the topic
            services.memory.remember(chat_id, Turn(question, answer.text))


def _asker(update: Update) -> int:
    """Whom the rate limit counts: the person, or the chat for anonymous senders."""
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else 0
