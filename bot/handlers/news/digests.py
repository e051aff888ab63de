"""Digests: "What happened yesterday?" and /today list a period's stories; /digest HOUR
has the day's stories sent to the chat every day at that hour (UTC).

A question is a digest request when the news desk says so (index.api.NewsDesk.digest_for:
time words and nothing but "what happened", "news", "what's new"); it is then answered
with the list, before the answer pipeline. Daily digests are sent by a JobQueue job that
runs every `digest_check_seconds` and claims the chats whose hour has come
(`DailyDigests.claim_digests`, atomic, so two workers never send one chat's digest twice).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from telegram import Bot, Message, Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import messages
from bot.addressing import command_argument
from bot.handlers.news.channels import may_manage_chat
from bot.services import BotServices, NewsOptions
from bot.updates import NEW_MESSAGES_AND_POSTS, chat_scope, visible_collections
from bot.view.digest import digest_messages
from bot.view.sending import reply_parts

logger = logging.getLogger(__name__)
DAILY_DAYS = 1  # a daily digest: the stories of yesterday and today


async def reply_with_digest(services: BotServices, message: Message, question: str) -> bool:
    """Answer `question` with a digest if it asks for one; whether it did."""
    news = services.news
    if news is None:
        return False
    scope = chat_scope(message)
    digest = await asyncio.to_thread(news.desk.digest_for, question, scope)
    if digest is None:
        return False
    await reply_parts(message, digest_messages(digest, scope.today or message.date.date()))
    return True


class DigestHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("today", self.on_today, filters=NEW_MESSAGES_AND_POSTS),
            CommandHandler("digest", self.on_digest, filters=NEW_MESSAGES_AND_POSTS),
        ]

    async def on_today(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        news = self._services.news
        if message is None:
            return
        if news is None:
            await message.reply_text(messages.NEWS_OFF)
            return
        today = message.date.astimezone(dt.UTC).date()
        collections = visible_collections(message.chat.id)
        digest = await asyncio.to_thread(news.desk.digest, today, today, collections)
        await reply_parts(message, digest_messages(digest, today))

    async def on_digest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/digest HOUR, /digest off, /digest (what is set)."""
        message = update.effective_message
        if message is None:
            return
        if self._services.news is None:
            await message.reply_text(messages.NEWS_OFF)
            return
        state = self._services.follows
        argument = command_argument(message).strip().casefold().removesuffix(":00")
        if not argument:
            hour = state.digest_hour(message.chat.id)
            text = messages.NO_DIGEST if hour is None else messages.digest_scheduled(hour)
            await message.reply_text(text)
            return
        if not await may_manage_chat(self._services, update, context.bot):
            await message.reply_text(messages.ONLY_CHAT_ADMINS)
            return
        if argument in ("off", "stop", "none"):
            state.cancel_digest(message.chat.id)
            await message.reply_text(messages.DIGEST_CANCELLED)
            return
        if not argument.isdigit() or not 0 <= int(argument) <= 23:
            await message.reply_text(messages.DIGEST_USAGE)
            return
        state.schedule_digest(message.chat.id, int(argument), dt.datetime.now(dt.UTC))
        await message.reply_text(messages.digest_scheduled(int(argument)))


class DailyDigestJob:
    """The JobQueue callback: each chat whose digest hour has come gets the day's stories."""

    def __init__(self, services: BotServices, news: NewsOptions) -> None:
        self._services = services
        self._news = news

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        now = dt.datetime.now(dt.UTC)
        due = await asyncio.to_thread(self._services.follows.claim_digests, now)
        for chat_id in due:
            try:
                await self._send(context.bot, chat_id, now.date())
            except Forbidden:
                logger.info("chat %s blocked the bot: no more digests to it", chat_id)
                self._services.follows.mute(chat_id)

    async def _send(self, bot: Bot, chat_id: int, today: dt.date) -> None:
        start = today - dt.timedelta(days=DAILY_DAYS)
        collections = visible_collections(chat_id)
        digest = await asyncio.to_thread(self._news.desk.digest, start, today, collections)
        for part in digest_messages(digest, today):
            await bot.send_message(chat_id, part)
