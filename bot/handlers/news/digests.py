"""Digests: "What happened yesterday?" and /today list a period's stories; /digest HOUR
[ZONE] has the day's stories sent to the chat every day at that hour in that time zone
(`/digest 8 Europe/Berlin`; the chat's zone so far if none is named, at first UTC).

A question is a digest request when the news desk says so (index.api.NewsDesk.digest_for:
time words and nothing but "what happened", "news", "what's new"); it is then answered
with the list, before the answer pipeline. Daily digests are sent by a JobQueue job that
runs every `digest_check_seconds` and claims the chats whose hour has come in their zone
(`DailyDigests.claim_digests`, atomic, so two workers never send one chat's digest twice);
each digest is of the chat's local day.
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
from bot.state.protocols import DigestSchedule
from bot.updates import NEW_MESSAGES_AND_POSTS, chat_scope, visible_collections
from bot.view.digest import digest_messages
from bot.view.sending import reply_parts
from bot.zones import UTC_ZONE, zone_named, zone_of

logger = logging.getLogger(__name__)
DAILY_DAYS = 1  # a daily digest: the stories of yesterday and today
OFF_WORDS = frozenset({"off", "stop", "none"})


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
        # a chat that set its digest's zone reads "today" there (UTC otherwise)
        schedule = self._services.follows.digest_schedule(message.chat.id)
        today = message.date.astimezone(zone_of(schedule.zone if schedule else UTC_ZONE)).date()
        collections = visible_collections(message.chat.id)
        digest = await asyncio.to_thread(news.desk.digest, today, today, collections)
        await reply_parts(message, digest_messages(digest, today))

    async def on_digest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/digest HOUR [ZONE], /digest off, /digest (what is set)."""
        message = update.effective_message
        if message is None:
            return
        if self._services.news is None:
            await message.reply_text(messages.NEWS_OFF)
            return
        words = command_argument(message).split()
        if not words:
            schedule = self._services.follows.digest_schedule(message.chat.id)
            await message.reply_text(
                messages.NO_DIGEST
                if schedule is None
                else messages.digest_scheduled(schedule.hour, schedule.zone)
            )
            return
        if not await may_manage_chat(self._services, update, context.bot):
            await message.reply_text(messages.ONLY_CHAT_ADMINS)
            return
        if len(words) == 1 and words[0].casefold() in OFF_WORDS:
            self._services.follows.cancel_digest(message.chat.id)
            await message.reply_text(messages.DIGEST_CANCELLED)
            return
        await message.reply_text(self._schedule(message.chat.id, words))

    def _schedule(self, chat_id: int, words: list[str]) -> str:
        """Schedule what `words` (HOUR [ZONE]) ask for; the reply. An unknown zone changes
        nothing; no zone keeps the chat's."""
        state = self._services.follows
        hour = _hour(words[0])
        if hour is None or len(words) > 2:
            return messages.DIGEST_USAGE
        if len(words) == 2:
            zone = zone_named(words[1])
            if zone is None:
                return messages.unknown_zone(words[1])
        else:
            current = state.digest_schedule(chat_id)
            zone = UTC_ZONE if current is None else current.zone
        state.schedule_digest(chat_id, DigestSchedule(hour, zone), dt.datetime.now(dt.UTC))
        return messages.digest_scheduled(hour, zone)


def _hour(word: str) -> int | None:
    """The hour `word` names ("8", "08", "8:00"), if it is one of 0-23."""
    digits = word.casefold().removesuffix(":00")
    return int(digits) if digits.isdigit() and 0 <= int(digits) <= 23 else None


class DailyDigestJob:
    """The JobQueue callback: each chat whose digest hour has come (in its zone) gets the
    stories of its local day and the day before."""

    def __init__(self, services: BotServices, news: NewsOptions) -> None:
        self._services = services
        self._news = news

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        now = dt.datetime.now(dt.UTC)
        due = await asyncio.to_thread(self._services.follows.claim_digests, now)
        for digest in due:
            try:
                await self._send(context.bot, digest.chat_id, digest.day)
            except Forbidden:
                logger.info("chat %s blocked the bot: no more digests to it", digest.chat_id)
                self._services.follows.mute(digest.chat_id)

    async def _send(self, bot: Bot, chat_id: int, today: dt.date) -> None:
        """The digest of the days up to `today`, the chat's local date."""
        start = today - dt.timedelta(days=DAILY_DAYS)
        collections = visible_collections(chat_id)
        digest = await asyncio.to_thread(self._news.desk.digest, start, today, collections)
        for part in digest_messages(digest, today):
            await bot.send_message(chat_id, part)
