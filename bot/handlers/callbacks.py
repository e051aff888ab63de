"""Inline buttons: More, 👍/👎 and the example questions of /start."""

from __future__ import annotations

import asyncio
import contextlib

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot import messages
from bot.handlers.questions import QuestionHandlers
from bot.services import BotServices
from bot.state.protocols import StoredAnswer
from bot.updates import seen_in
from bot.view.answers import more_messages
from bot.view.examples import example_questions
from bot.view.keyboards import Action, ButtonPress, answer_keyboard, decode
from bot.view.sending import reply_parts

VOTES = {Action.UP: 1, Action.DOWN: -1}


class ButtonHandlers:
    def __init__(self, services: BotServices, questions: QuestionHandlers) -> None:
        self._services = services
        self._questions = questions

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [CallbackQueryHandler(self.on_button)]

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        press = decode(query.data)
        message = query.message
        if press is None or not isinstance(message, Message):
            await query.answer(messages.BUTTON_EXPIRED)
            return
        if press.action is Action.EXAMPLE:
            await self._ask_example(query, message, press)
            return
        answers = self._services.answers
        stored = await self._services.calls.run(
            answers.find_answer, press.value, message.chat.id, message.message_id
        )
        if stored is None:  # forged, or from a message this answer was never sent on
            await query.answer(messages.BUTTON_EXPIRED)
        elif press.action is Action.MORE:
            await self._show_more(query, message, stored)
        else:
            vote = VOTES[press.action]
            await self._services.calls.run(
                answers.record_vote, stored.answer_id, query.from_user.id, vote
            )
            self._services.metrics.vote(vote)
            thanks = messages.THANKS_UP if press.action is Action.UP else messages.THANKS_DOWN
            await query.answer(thanks)

    async def _show_more(
        self, query: CallbackQuery, message: Message, stored: StoredAnswer
    ) -> None:
        answers = self._services.answers
        index = await self._services.calls.run(answers.claim_next_passage, stored.answer_id)
        if index is None:
            await query.answer(messages.NOTHING_MORE)
            return
        await query.answer()
        total = len(stored.passages)
        # The new message carries the next More button; the tapped one goes away (cosmetic:
        # Telegram refuses edits of old messages, which must not cost the passage).
        with contextlib.suppress(BadRequest):
            await message.edit_reply_markup(_without_more(message.reply_markup))
        keyboard = answer_keyboard(stored.answer_id, more=index + 1 < total, feedback=False)
        sent = await reply_parts(
            message, more_messages(stored.passages[index], index, total), keyboard
        )
        await self._services.calls.run(
            answers.attach_message, stored.answer_id, sent.chat.id, sent.message_id
        )

    async def _ask_example(
        self, query: CallbackQuery, message: Message, press: ButtonPress
    ) -> None:
        documents = seen_in(
            await asyncio.to_thread(self._services.engine.documents), message.chat.id
        )
        examples = example_questions(documents, self._services.settings.example_questions)
        position = int(press.value) if press.value.isdigit() else -1
        if not 0 <= position < len(examples):
            await query.answer(messages.EXAMPLE_GONE)
            return
        await query.answer()
        await self._questions.respond(
            message.get_bot(), message, examples[position], query.from_user.id
        )


def _without_more(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None
    more_prefix = f"{Action.MORE.value}:"
    rows = [
        [
            button
            for button in row
            if not (
                isinstance(button.callback_data, str)
                and button.callback_data.startswith(more_prefix)
            )
        ]
        for row in markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None
