"""Access control, applied before any other handler sees an update.

With an allow-list set, strangers get a short refusal and nothing else: no titles, no
answers, no stats. The refusal itself is rate limited so a stranger cannot make the bot
flood a chat, and in groups it is given only when the bot is addressed.
"""

from __future__ import annotations

from telegram import InlineQueryResultsButton, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, TypeHandler

from bot import messages
from bot.addressing import is_addressed
from bot.services import BotServices
from bot.updates import rate_key, sender_id

GATE_GROUP = -1  # handler group that runs before the default group 0


class Gatekeeper:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handler(self) -> BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]:
        return TypeHandler(Update, self.check)

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id if update.effective_chat else None
        if self._services.access.may_use(sender_id(update), chat_id):
            return
        await self._refuse(update, context)
        raise ApplicationHandlerStop

    async def _refuse(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer(messages.REFUSAL)
        elif update.inline_query is not None:
            button = InlineQueryResultsButton(text=messages.REFUSAL, start_parameter="private")
            await update.inline_query.answer([], button=button, cache_time=0, is_personal=True)
        elif update.message is not None:
            bot = context.bot
            addressed = is_addressed(update.message, bot.username, bot.id)
            if not addressed:
                return
            services = self._services
            decision = await services.calls.run(services.limiters.refusals.check, rate_key(update))
            if decision.allowed:
                await update.message.reply_text(messages.REFUSAL)
