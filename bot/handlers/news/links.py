"""Links sent in chat: a message that is just a link is read into that chat's own
collection (only its questions see it); an admin's /add URL goes to every chat.

Reading runs off the event loop (fetching and parsing on a worker thread, embedding on the
engine's writer thread) and without blocking other updates (block=False), so a slow site
holds up nobody's question.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import messages
from bot.addressing import command_argument, is_addressed, question_of
from bot.handlers.news.alerts import Alerts
from bot.services import BotServices, NewsOptions
from bot.updates import NEW_MESSAGES, sender_id
from bot.view.html import format_date, plain_messages
from bot.view.sending import reply_parts
from bot.view.typing_indicator import typing
from index.api import SHARED, AddedLink, QabotError, chat_collection

# A message that is a link and nothing else (a mention of the bot aside).
LINK_ONLY = re.compile(r"^\s*(?:@\w+\s+)?(https?://\S+)\s*$", re.IGNORECASE)


class LinkHandlers:
    def __init__(self, services: BotServices, alerts: Alerts) -> None:
        self._services = services
        self._alerts = alerts

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("add", self.on_add, filters=NEW_MESSAGES, block=False),
            MessageHandler(
                NEW_MESSAGES & filters.TEXT & ~filters.COMMAND & filters.Regex(LINK_ONLY),
                self.on_link,
                block=False,
            ),
        ]

    async def on_link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        bot = context.bot
        if message is None or not is_addressed(message, bot.username, bot.id):
            return
        match = LINK_ONLY.match(question_of(message, bot.username))
        if match is None:  # the link was the mention's text only
            return
        news = await self._news_or_say_off(message)
        if news is None:
            return
        day = message.date.astimezone(dt.UTC).date()
        per_day = news.links.per_chat_per_day
        if not self._services.follows.claim_link(message.chat.id, day, per_day):
            await message.reply_text(messages.too_many_links(per_day))
            return
        collection = chat_collection(message.chat.id)
        await self._read(message, news, match.group(1), collection, news.links.max_per_chat)

    async def on_add(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/add URL (admins): the page goes into the articles every chat shares."""
        message = update.effective_message
        if message is None:
            return
        if not self._services.access.is_admin(sender_id(update)):
            await message.reply_text(messages.ONLY_ADMINS)
            return
        url = command_argument(message)
        if not LINK_ONLY.match(url):
            await message.reply_text(messages.ADD_USAGE)
            return
        news = await self._news_or_say_off(message)
        if news is not None:
            await self._read(message, news, url.strip(), SHARED, None)

    async def _read(
        self, message: Message, news: NewsOptions, url: str, collection: str, keep: int | None
    ) -> None:
        async with typing(message.get_bot(), message.chat.id):
            try:
                added = await asyncio.to_thread(news.desk.add_url, url, collection, keep)
            except QabotError as error:
                await reply_parts(message, plain_messages(messages.link_failed(str(error))))
                return
        await reply_parts(message, [_confirmation(added)])
        if added.dropped:
            titles = [document.title or document.doc_id for document in added.dropped]
            await reply_parts(message, [messages.dropped_links(titles)])
        if collection == SHARED and not added.already:  # followers everywhere may want it
            today = message.date.astimezone(dt.UTC).date()
            await self._alerts.new_documents(message.get_bot(), [added.document], today)

    async def _news_or_say_off(self, message: Message) -> NewsOptions | None:
        if self._services.news is None:
            await message.reply_text(messages.NEWS_OFF)
        return self._services.news


def _confirmation(added: AddedLink) -> str:
    document = added.document
    date = format_date(document.date) if document.date else None
    if added.already:
        return messages.already_read(document.title or document.doc_id, date)
    return messages.read_link(document.title or document.doc_id, date)
