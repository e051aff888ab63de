"""Answering questions: plain messages (mentions in groups) and /ask."""

from __future__ import annotations

import asyncio

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import messages
from bot.addressing import command_argument, is_addressed, question_of
from bot.asking import ask_and_record
from bot.handlers.news.digests import reply_with_digest
from bot.ops.metrics import Outcome
from bot.services import BotServices
from bot.updates import NEW_MESSAGES, chat_scope, rate_key, seen_in
from bot.view.answers import answer_messages
from bot.view.html import clean_text, plain_messages
from bot.view.keyboards import answer_keyboard
from bot.view.sending import reply_parts
from bot.view.typing_indicator import typing
from index.api import Answer, Turn


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
        await self.respond(bot, message, question_of(message, bot.username), rate_key(update))

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        question = command_argument(message)
        if not question:
            await prompt_for_question(self._services, message, hint=messages.ASK_USAGE)
            return
        await self.respond(context.bot, message, question, rate_key(update))

    async def respond(self, bot: Bot, reply_to: Message, question: str, asker: int) -> None:
        """Answer `question` as a reply to `reply_to`, within the asker's rate."""
        services = self._services
        question = clean_text(question).strip()
        if not await self._is_a_question(reply_to, question):
            return
        with services.metrics.question() as outcome:
            if not await self._within_rate(reply_to, asker):
                outcome.value = Outcome.RATE_LIMITED
                return
            if await reply_with_digest(services, reply_to, question):  # "What's new today?"
                outcome.value = Outcome.ANSWERED
                return
            answer = await self._answer(bot, reply_to, question, asker)
            outcome.value = Outcome.ANSWERED if answer.confident else Outcome.REFUSED

    async def _answer(self, bot: Bot, reply_to: Message, question: str, asker: int) -> Answer:
        services = self._services
        chat_id = reply_to.chat.id
        history = await services.calls.run(services.conversations.history, chat_id)
        async with typing(bot, chat_id):
            recorded = await ask_and_record(
                services,
                question,
                chat_id=chat_id,
                asker=asker,
                history=history,
                scope=chat_scope(reply_to),
            )
        answer = recorded.answer
        keyboard = answer_keyboard(
            recorded.answer_id, more=answer.confident and len(answer.passages) > 1, feedback=True
        )
        sent = await reply_parts(reply_to, answer_messages(answer), keyboard)
        await services.calls.run(
            services.answers.attach_message, recorded.answer_id, chat_id, sent.message_id
        )
        if answer.confident:  # a miss would pull the next question away from the topic
            turn = Turn(question, answer.text)
            await services.calls.run(services.conversations.remember, chat_id, turn)
        return answer

    async def _is_a_question(self, reply_to: Message, question: str) -> bool:
        """Empty or too long is not a question to count: the person is told what to send."""
        max_chars = self._services.engine.limits.max_question_chars
        if not question:
            await prompt_for_question(self._services, reply_to)
            return False
        if len(question) > max_chars:
            await reply_to.reply_text(messages.too_long(max_chars))
            return False
        return True

    async def _within_rate(self, reply_to: Message, asker: int) -> bool:
        """Whether the asker may ask now; if not, they are told (once per burst)."""
        services = self._services
        decision = await services.calls.run(services.limiters.questions.check, asker)
        if not decision.allowed and decision.first_refusal:
            await reply_to.reply_text(messages.slow_down(decision.retry_after))
        return decision.allowed


async def prompt_for_question(services: BotServices, message: Message, hint: str = "") -> None:
    """An empty question (a bare mention, /ask alone) is told what it may ask about."""
    documents = seen_in(await asyncio.to_thread(services.engine.documents), message.chat.id)
    prompt = messages.ask_me([document.title for document in documents if document.title])
    await reply_parts(message, plain_messages(f"{prompt} {hint}".strip()))
