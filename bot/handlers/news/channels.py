"""Channels: a chat's admins subscribe it to a feed (/subscribe URL [KEYWORDS]) and every
new item is posted there as it arrives, as RSS-to-Telegram bots do.

In a group only its admins may (getChatMember says who), in a channel whoever posts there
(only admins can), in a private chat its person, and the bot's admins anywhere. The feed
is followed by the news desk like any other, so its items are indexed: still answerable
by questions afterwards. After each feed sync `ChannelPoster` posts each subscription's
new items: one message each (title, date, source, lead, link), deduplicated across feeds
(one post per document per chat, `Channels.claim_post`), at most
`channels.max_posts_per_hour` a chat, the rest folded into one message; items published
before the day the chat subscribed are not news to it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import messages
from bot.addressing import command_argument
from bot.services import BotServices, NewsOptions
from bot.state.protocols import PostClaim, Subscription
from bot.updates import NEW_MESSAGES_AND_POSTS, sender_id
from bot.view.channel_post import channel_post_messages, folded_messages
from bot.view.html import clean_text, plain_messages
from bot.view.sending import reply_parts
from bot.view.typing_indicator import typing
from index.api import SHARED, DocumentInfo, FeedSync, QabotError

logger = logging.getLogger(__name__)
ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
MAX_KEYWORDS = 10


async def may_manage_chat(services: BotServices, update: Update, bot: Bot) -> bool:
    """Whether the sender may change what is posted to this chat."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE or services.access.is_admin(sender_id(update)):
        return True
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # the channel itself, or a group's anonymous admin
    user = update.effective_user
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramError as error:
        logger.info("cannot tell whether %s administers %s: %s", user.id, chat.id, error)
        return False
    return member.status in ADMIN_STATUSES


class ChannelHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler(
                "subscribe", self.on_subscribe, filters=NEW_MESSAGES_AND_POSTS, block=False
            ),
            CommandHandler("unsubscribe", self.on_unsubscribe, filters=NEW_MESSAGES_AND_POSTS),
            CommandHandler("subscriptions", self.on_subscriptions, filters=NEW_MESSAGES_AND_POSTS),
        ]

    async def on_subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        news = self._services.news
        if message is None:
            return
        url, *keywords = clean_text(command_argument(message)).split()[: MAX_KEYWORDS + 1] or [""]
        if not url:
            await message.reply_text(messages.SUBSCRIBE_USAGE)
            return
        if news is None:
            await message.reply_text(messages.NEWS_OFF)
            return
        if not await may_manage_chat(self._services, update, context.bot):
            await message.reply_text(messages.ONLY_CHAT_ADMINS)
            return
        state = self._services.follows
        chat_id = message.chat.id
        limit = news.channels.max_subscriptions
        if len(state.subscriptions(chat_id)) >= limit:
            await message.reply_text(messages.too_many_subscriptions(limit))
            return
        async with typing(context.bot, chat_id):
            try:
                feed = await asyncio.to_thread(news.desk.add_feed, url)
            except QabotError as error:
                await reply_parts(message, plain_messages(str(error)))
                return
        since = message.date.astimezone(dt.UTC).date()
        state.subscribe(chat_id, feed.url, [k.casefold() for k in keywords], since)
        per_hour = news.channels.max_posts_per_hour
        await message.reply_text(messages.subscribed(feed.title, feed.url, keywords, per_hour))

    async def on_unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        which = clean_text(command_argument(message)).strip()
        if not which:
            await message.reply_text(messages.UNSUBSCRIBE_USAGE)
            return
        if not await may_manage_chat(self._services, update, context.bot):
            await message.reply_text(messages.ONLY_CHAT_ADMINS)
            return
        gone = self._services.follows.unsubscribe(message.chat.id, which)
        await message.reply_text(messages.unsubscribed([s.feed_url for s in gone]))

    async def on_subscriptions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        current = self._services.follows.subscriptions(message.chat.id)
        if not current:
            await message.reply_text(messages.NO_SUBSCRIPTIONS)
            return
        lines = [messages.SUBSCRIPTIONS_INTRO]
        for number, subscription in enumerate(current, 1):
            only = f" (naming {', '.join(subscription.keywords)})" if subscription.keywords else ""
            lines.append(f"{number}. {subscription.feed_url}{only}")
        await reply_parts(message, plain_messages("\n".join(lines)))


class ChannelPoster:
    """Posts the items a feed sync brought to the chats subscribed to their feeds."""

    def __init__(self, services: BotServices) -> None:
        self._services = services

    async def new_items(self, bot: Bot, results: Sequence[FeedSync]) -> int:
        """Post each subscription's new items; the number of messages sent."""
        news = self._services.news
        brought = _brought_by_feed(results)
        if news is None or not brought:
            return 0
        sent = 0
        muted: set[int] = set()
        for subscription in await asyncio.to_thread(self._services.follows.subscribers):
            documents = brought.get(subscription.feed_url, [])
            if subscription.chat_id in muted or not documents:
                continue
            try:
                sent += await self._post(bot, news, subscription, documents)
            except Forbidden:
                logger.info("chat %s removed the bot: no more posts to it", subscription.chat_id)
                self._services.follows.mute(subscription.chat_id)
                muted.add(subscription.chat_id)
        return sent

    async def _post(
        self,
        bot: Bot,
        news: NewsOptions,
        subscription: Subscription,
        documents: Sequence[DocumentInfo],
    ) -> int:
        oldest = subscription.since - dt.timedelta(days=1)  # a day's slack for time zones
        fresh = [doc for doc in documents if (parse_day(doc.date) or oldest) >= oldest]
        ids = [doc.doc_id for doc in sorted(fresh, key=lambda d: d.date or "", reverse=True)]
        if subscription.keywords and ids:
            named = await asyncio.to_thread(news.desk.mentioning, ids, subscription.keywords)
            ids = [doc_id for doc_id in ids if doc_id in named]
        per_hour = news.channels.max_posts_per_hour
        claims = {
            doc_id: self._services.follows.claim_post(
                subscription.chat_id, doc_id, time.time(), per_hour
            )
            for doc_id in ids
        }
        wanted = [doc_id for doc_id, claim in claims.items() if claim is not PostClaim.SEEN]
        if not wanted:
            return 0
        items = await asyncio.to_thread(news.desk.stories, wanted)
        posts = [item for item in items if claims[item.document.doc_id] is PostClaim.POST]
        folded = [item for item in items if claims[item.document.doc_id] is PostClaim.FOLD]
        sent = 0
        for item in sorted(posts, key=lambda item: item.document.date or ""):  # oldest first
            for part in channel_post_messages(item):
                await bot.send_message(subscription.chat_id, part)
            sent += 1
        if folded:
            for part in folded_messages(folded):
                await bot.send_message(subscription.chat_id, part)
            sent += 1
        return sent


def parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _brought_by_feed(results: Sequence[FeedSync]) -> dict[str, list[DocumentInfo]]:
    """Each synced feed's newly seen items' shared documents: its new and re-dated ones,
    and those another feed brought first (posted once per chat whichever feed has them)."""
    brought: dict[str, list[DocumentInfo]] = {}
    for result in results:
        if result.busy or result.failed:
            continue
        documents = [*result.new, *result.updated, *result.reported]
        shared = [doc for doc in documents if doc.collection == SHARED]
        if shared:
            brought[result.feed.url] = shared
    return brought
