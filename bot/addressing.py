"""Whether a message is meant for the bot, and the question it holds.

In a private chat every message is for the bot. In a group it is addressed only by a
mention, a reply to one of its messages, or a command naming it (`/ask@bot`); CommandHandler
also takes bare commands such as `/ask`. So the bot never answers people's chatter.
"""

from __future__ import annotations

import re

from telegram import Message, MessageEntity
from telegram.constants import ChatType


def is_private(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


def is_addressed(message: Message, bot_username: str, bot_id: int) -> bool:
    if is_private(message):
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    return _names_bot(message, bot_username, bot_id)


def _names_bot(message: Message, bot_username: str, bot_id: int) -> bool:
    entities = message.parse_entities() if message.text else message.parse_caption_entities()
    handle = f"@{bot_username}".casefold()
    for entity, text in entities.items():
        if entity.type == MessageEntity.MENTION and text.casefold() == handle:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and text.casefold().endswith(handle):
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def question_of(message: Message, bot_username: str) -> str:
    """The message's text without mentions of the bot."""
    text = message.text or message.caption or ""
    return re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE).strip()


def command_argument(message: Message) -> str:
    """What follows a command such as `/ask@bot who...`, newlines kept."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""
