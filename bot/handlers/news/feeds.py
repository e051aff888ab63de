"""What admins do with feeds: /feeds lists them (with their last errors), /follow_feed URL
adds one, /unfollow_feed URL_OR_ID removes one. Network work runs off the event loop."""

from __future__ import annotations

import asyncio

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import messages
from bot.addressing import command_argument
from bot.services import BotServices, NewsOptions
from bot.updates import NEW_MESSAGES, sender_id
from bot.view.html import clean_text, plain_messages
from bot.view.lists import feeds_messages
from bot.view.sending import reply_parts
from bot.view.typing_indicator import typing
from index.api import QabotError


class FeedAdminHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("feeds", self.on_feeds, filters=NEW_MESSAGES),
            CommandHandler("follow_feed", self.on_follow_feed, filters=NEW_MESSAGES, block=False),
            CommandHandler("unfollow_feed", self.on_unfollow_feed, filters=NEW_MESSAGES),
        ]

    async def on_feeds(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._admin_news(update)
        if found is None:
            return
        message, news = found
        feeds = await asyncio.to_thread(news.desk.feeds)
        await reply_parts(message, feeds_messages(feeds))

    async def on_follow_feed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._admin_news(update)
        if found is None:
            return
        message, news = found
        url = command_argument(message).strip()
        if not url:
            await message.reply_text(messages.FOLLOW_FEED_USAGE)
            return
        async with typing(message.get_bot(), message.chat.id):
            try:
                feed = await asyncio.to_thread(news.desk.add_feed, url)
            except QabotError as error:
                await reply_parts(message, plain_messages(str(error)))
                return
        await message.reply_text(messages.feed_followed(feed.title, feed.url))

    async def on_unfollow_feed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._admin_news(update)
        if found is None:
            return
        message, news = found
        which = clean_text(command_argument(message)).strip()
        if not which:
            await message.reply_text(messages.UNFOLLOW_FEED_USAGE)
            return
        try:
            feed = await asyncio.to_thread(news.desk.remove_feed, which)
        except QabotError as error:
            await reply_parts(message, plain_messages(str(error)))
            return
        await message.reply_text(messages.feed_unfollowed(feed.title))

    async def _admin_news(self, update: Update) -> tuple[Message, NewsOptions] | None:
        """The message and the news desk, if an admin sent it and news is on."""
        message = update.effective_message
        if message is None:
            return None
        if not self._services.access.is_admin(sender_id(update)):
            await message.reply_text(messages.ONLY_ADMINS)
            return None
        if self._services.news is None:
            await message.reply_text(messages.NEWS_OFF)
            return None
        return message, self._services.news
