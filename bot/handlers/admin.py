"""What only admins may do: add articles by sending files, /remove them, read /stats and
/unanswered."""

from __future__ import annotations

import asyncio
import datetime as dt
import mimetypes
from pathlib import PurePath

from telegram import Document, Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import messages
from bot.addressing import command_argument, is_addressed
from bot.ops.reports import latency_line, unanswered, usage_report
from bot.services import BotServices
from bot.updates import NEW_MESSAGES, sender_id
from bot.view.charts import usage_chart
from bot.view.html import clean_text, plain_messages
from bot.view.lists import added_messages, removed_messages, stats_caption, unanswered_messages
from bot.view.sending import reply_parts
from bot.view.typing_indicator import typing
from index.api import SUPPORTED_SUFFIXES, IngestError, UnknownDocument


class AdminHandlers:
    def __init__(self, services: BotServices) -> None:
        self._services = services

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            CommandHandler("remove", self.on_remove, filters=NEW_MESSAGES),
            CommandHandler("stats", self.on_stats, filters=NEW_MESSAGES),
            CommandHandler("unanswered", self.on_unanswered, filters=NEW_MESSAGES),
            # block=False: reading a big file must not hold up anyone else's question,
            # even when updates are processed one at a time.
            MessageHandler(NEW_MESSAGES & filters.Document.ALL, self.on_document, block=False),
        ]

    async def _admin_message(self, update: Update) -> Message | None:
        """The message if its sender is an admin; otherwise tell them and return None."""
        message = update.effective_message
        if message is None:
            return None
        if self._services.access.is_admin(sender_id(update)):
            return message
        await message.reply_text(messages.ONLY_ADMINS)
        return None

    async def on_remove(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = await self._admin_message(update)
        if message is None:
            return
        doc_id = command_argument(message)
        if not doc_id:
            await message.reply_text(messages.REMOVE_USAGE)
            return
        try:
            removed = await asyncio.to_thread(self._services.engine.remove, doc_id)
        except UnknownDocument:
            await message.reply_text(messages.unknown_document(clean_text(doc_id)))
            return
        await reply_parts(message, removed_messages(removed))

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A chart of the last days, with the numbers in its caption."""
        message = await self._admin_message(update)
        if message is None:
            return
        answers, calls = self._services.answers, self._services.calls
        report = await calls.run(usage_report, answers, _today())
        lines = [*report.summary(), latency_line(await calls.run(answers.stats))]
        index = await asyncio.to_thread(self._services.engine.stats)
        caption = stats_caption(lines, index)
        async with typing(message.get_bot(), message.chat.id):
            chart = await asyncio.to_thread(usage_chart, report)
        await message.reply_photo(chart, caption=caption, filename="qabot-stats.png")

    async def on_unanswered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The questions refused or voted down lately, near-duplicates grouped."""
        message = await self._admin_message(update)
        if message is None:
            return
        groups = await self._services.calls.run(unanswered, self._services.answers, _today())
        await reply_parts(message, unanswered_messages([group.line() for group in groups]))

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        bot = context.bot
        if message is None or message.document is None:
            return
        if not is_addressed(message, bot.username, bot.id):
            return
        if not self._services.access.is_admin(sender_id(update)):
            await message.reply_text(messages.ONLY_ADMINS_UPLOAD)
            return
        await self._ingest(message, message.document)

    async def _ingest(self, message: Message, document: Document) -> None:
        limit = self._services.engine.limits.max_document_bytes
        filename = upload_filename(document)
        if PurePath(filename).suffix.lower() not in SUPPORTED_SUFFIXES:
            await message.reply_text(messages.unsupported_file(SUPPORTED_SUFFIXES))
            return
        if document.file_size is not None and document.file_size > limit:
            await message.reply_text(messages.too_big(limit))
            return
        await message.reply_text(messages.adding(filename))
        async with typing(message.get_bot(), message.chat.id):
            telegram_file = await document.get_file()
            data = bytes(await telegram_file.download_as_bytearray())
            if len(data) > limit:
                await message.reply_text(messages.too_big(limit))
                return
            try:
                added = await asyncio.to_thread(self._services.engine.add_bytes, filename, data)
            except IngestError as error:
                await reply_parts(message, plain_messages(str(error)))
                return
        await reply_parts(message, added_messages(added))


def upload_filename(document: Document) -> str:
    """The sent file's name (cleaned), or one made from its type when it has none."""
    name = PurePath(clean_text(document.file_name or "").replace("\\", "/")).name.strip()
    if name:
        return name
    suffix = mimetypes.guess_extension(document.mime_type or "") or ""
    return f"upload{suffix}"


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
