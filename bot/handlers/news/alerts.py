"""Alerts: followers hear of new articles that match what they follow, and the feed job.

A new article matches a followed topic when the engine, asked the topic about the new
articles alone, answers confidently: the same calibrated model that decides "I don't
know" (docs/quality.md). Each chat gets one message per article at most, and at most
`alerts.max_per_day` a day; a chat that blocked the bot (Telegram answers Forbidden) is
muted until someone there follows a topic again.

The feed job runs on python-telegram-bot's JobQueue every `feeds.interval_minutes`:
fetching and parsing on a worker thread, embedding on the engine's writer thread, so
questions are answered meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.handlers.news.channels import ChannelPoster
from bot.services import BotServices
from bot.state.protocols import Follow
from bot.updates import visible_collections
from bot.view.answers import alert_messages
from index.api import DocumentInfo, Scope

logger = logging.getLogger(__name__)


class Alerts:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    async def new_documents(
        self, bot: Bot, documents: Sequence[DocumentInfo], today: dt.date
    ) -> int:
        """Tell each follower of a matching topic; the number of alerts sent."""
        news = self._services.news
        if news is None or not documents:
            return 0
        sent = 0
        muted: set[int] = set()
        for follow in self._services.follows.followers():
            if follow.chat_id in muted:
                continue
            try:
                sent += await self._alert(bot, follow, documents, today, news.alerts.max_per_day)
            except Forbidden:
                logger.info("chat %s blocked the bot: no more alerts to it", follow.chat_id)
                self._services.follows.mute(follow.chat_id)
                muted.add(follow.chat_id)
        return sent

    async def _alert(
        self,
        bot: Bot,
        follow: Follow,
        documents: Sequence[DocumentInfo],
        today: dt.date,
        per_day: int,
    ) -> int:
        """Alerts for one follow: the best matching article, then the next among the rest,
        until none matches (each question is limited to the articles not yet matched)."""
        visible = visible_collections(follow.chat_id)
        remaining = [d.doc_id for d in documents if d.collection in visible]
        sent = 0
        while remaining:
            scope = Scope(collections=visible, doc_ids=tuple(remaining), today=today)
            answer = await self._services.engine.answer_async(follow.topic, (), scope)
            if not answer.confident or not answer.passages:
                break
            passage = answer.passages[0]
            if passage.doc_id not in remaining:
                break
            remaining.remove(passage.doc_id)
            claimed = self._services.follows.claim_alert(
                follow.chat_id, passage.doc_id, today, per_day
            )
            if not claimed:
                continue  # alerted before (another topic, an earlier sync), or the day is full
            for part in alert_messages(follow.topic, answer.text, passage, []):
                await bot.send_message(follow.chat_id, part)
            sent += 1
        return sent


class FeedSyncJob:
    """The JobQueue callback: sync the feeds that are due, then post their new items to the
    chats subscribed to them and send alerts."""

    def __init__(self, services: BotServices, alerts: Alerts, poster: ChannelPoster) -> None:
        self._services = services
        self._alerts = alerts
        self._poster = poster

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        news = self._services.news
        if news is None:
            return
        results = await asyncio.to_thread(news.desk.sync, True)
        new: list[DocumentInfo] = []
        for result in results:
            if result.busy:  # another worker is syncing it
                continue
            self._services.metrics.feed_synced(result.feed.url)
            if result.error:
                logger.warning("feed %s failed: %s", result.feed.url, result.error)
            new.extend(result.new)
        await self._poster.new_items(context.bot, results)
        if new:
            logger.info("%d new article(s) from %d feed(s)", len(new), len(results))
            today = dt.datetime.now(dt.UTC).date()
            await self._alerts.new_documents(context.bot, new, today)
