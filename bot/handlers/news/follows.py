"""/follow, /following, /unfollow (alerts about new articles on a topic) and /latest."""

from __future__ import annotations

import asyncio

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import messages
from bot.addressing import command_argument
from bot.services import BotServices
from bot.updates import NEW_MESSAGES, sender_id, visible_collections
from bot.view.html import clean_text
from bot.view.lists import following_messages, latest_messages
from bot.view.sending import reply_parts

LATEST_SHOWN = 10
MAX_TOPIC_CHARS = 200


class FollowHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("follow", self.on_follow, filters=NEW_MESSAGES),
            CommandHandler("following", self.on_following, filters=NEW_MESSAGES),
            CommandHandler("unfollow", self.on_unfollow, filters=NEW_MESSAGES),
            CommandHandler("latest", self.on_latest, filters=NEW_MESSAGES),
        ]

    async def on_follow(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        topic = " ".join(clean_text(command_argument(message)).split())[:MAX_TOPIC_CHARS]
        if not topic:
            await message.reply_text(messages.FOLLOW_USAGE)
            return
        if self._services.news is None:
            await message.reply_text(messages.NEWS_OFF)
            return
        follows = self._services.follows
        limit = self._services.news.alerts.max_topics
        current = follows.following(message.chat.id)
        if len(current) >= limit and topic.casefold() not in {f.topic.casefold() for f in current}:
            await message.reply_text(messages.too_many_topics(limit))
            return
        follows.follow(message.chat.id, sender_id(update) or message.chat.id, topic)
        count = len(follows.following(message.chat.id))
        await message.reply_text(messages.followed(topic, count, limit))

    async def on_following(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        topics = [follow.topic for follow in self._services.follows.following(message.chat.id)]
        await reply_parts(message, following_messages(topics))

    async def on_unfollow(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        which = " ".join(clean_text(command_argument(message)).split())
        if not which:
            await message.reply_text(messages.UNFOLLOW_USAGE)
            return
        gone = self._services.follows.unfollow(message.chat.id, which)
        await message.reply_text(messages.unfollowed([follow.topic for follow in gone]))

    async def on_latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        await self._latest(message)

    async def _latest(self, message: Message) -> None:
        news = self._services.news
        if news is None:
            await message.reply_text(messages.NEWS_OFF)
            return
        collections = visible_collections(message.chat.id)
        articles = await asyncio.to_thread(news.desk.latest, LATEST_SHOWN, collections)
        await reply_parts(message, latest_messages(articles))
