"""Inline mode: `@bot question` in any chat offers the answer as a result to send."""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, ContextTypes, InlineQueryHandler

from bot import messages
from bot.asking import ask_and_record
from bot.ops.metrics import Outcome
from bot.services import BotServices
from bot.view.answers import answer_messages
from bot.view.html import clean_text, format_date, plain_preview
from index.api import SHARED, Answer, Scope

# An inline answer may be shared into any chat: it reads only the shared articles.
SHARED_ONLY = Scope(collections=(SHARED,))

MIN_QUESTION_CHARS = 3
TITLE_CHARS = 100
CACHE_SECONDS = 60
START_PARAMETER = "inline"


class InlineHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [InlineQueryHandler(self.on_inline_query)]

    async def on_inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        services = self._services
        question = clean_text(query.query).strip()
        if not MIN_QUESTION_CHARS <= len(question) <= services.engine.limits.max_question_chars:
            await query.answer([], button=_button(messages.INLINE_PROMPT), cache_time=0)
            return
        with services.metrics.question() as outcome:
            limiter = services.limiters.inline_queries
            if not (await services.calls.run(limiter.check, query.from_user.id)).allowed:
                outcome.value = Outcome.RATE_LIMITED
                await query.answer(
                    [], button=_button(messages.INLINE_SLOW_DOWN), cache_time=0, is_personal=True
                )
                return
            asker = query.from_user.id
            recorded = await ask_and_record(
                services, question, chat_id=None, asker=asker, scope=SHARED_ONLY
            )
            # Telegram may serve cached results to anyone typing the same query; behind an
            # allow-list they must stay personal, or strangers would get answers from the cache.
            await query.answer(
                [_result(recorded.answer_id, recorded.answer)],
                cache_time=CACHE_SECONDS,
                is_personal=services.access.restricted,
            )
            outcome.value = Outcome.ANSWERED if recorded.answer.confident else Outcome.REFUSED


def _button(text: str) -> InlineQueryResultsButton:
    return InlineQueryResultsButton(text=text, start_parameter=START_PARAMETER)


def _result(answer_id: str, answer: Answer) -> InlineQueryResultArticle:
    """The first message part only: an inline result is a single message."""
    found = answer.confident and bool(answer.passages)
    title = plain_preview(answer.text if found else messages.NOT_FOUND, TITLE_CHARS)
    description = ""
    if found:
        passage = answer.passages[0]
        source = passage.title + (f" · {format_date(passage.date)}" if passage.date else "")
        description = plain_preview(source, TITLE_CHARS)
    return InlineQueryResultArticle(
        id=answer_id,
        title=title or messages.NOT_FOUND,
        description=description or None,
        input_message_content=InputTextMessageContent(
            answer_messages(answer)[0], parse_mode=ParseMode.HTML
        ),
    )
