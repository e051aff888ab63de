"""Sending rendered message parts as replies."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Message


async def reply_parts(
    message: Message, parts: Sequence[str], keyboard: InlineKeyboardMarkup | None = None
) -> Message:
    """Reply with each part in order; the last one carries the buttons and is returned.

    Replies quote the message in groups (python-telegram-bot's default), where several
    conversations interleave, and not in private chats.
    """
    if not parts:
        raise ValueError("nothing to send")
    sent = None
    for position, part in enumerate(parts):
        is_last = position == len(parts) - 1
        sent = await message.reply_text(part, reply_markup=keyboard if is_last else None)
    assert sent is not None
    return sent
