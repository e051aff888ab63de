"""What several handlers need to know about an incoming update, written once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import filters

# New messages only: edits of old questions or commands are not acted on again.
NEW_MESSAGES = filters.UpdateType.MESSAGE


def sender_id(update: Update) -> int | None:
    """The person who sent the update; None when Telegram names nobody."""
    return update.effective_user.id if update.effective_user is not None else None


def rate_key(update: Update) -> int:
    """Whom a rate limit counts: the person, or the chat for anonymous senders."""
    sender = sender_id(update)
    if sender is not None:
        return sender
    return update.effective_chat.id if update.effective_chat is not None else 0
