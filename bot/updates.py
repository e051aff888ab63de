"""What several handlers need to know about an incoming update, written once."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import filters

from index.api import SHARED, DocumentInfo, Scope, chat_collection

# New messages only: edits of old questions or commands are not acted on again.
NEW_MESSAGES = filters.UpdateType.MESSAGE
# What a channel's admins post there counts too, for the commands that act on a chat's posts.
NEW_MESSAGES_AND_POSTS = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


def sender_id(update: Update) -> int | None:
    """The person who sent the update; None when Telegram names nobody."""
    return update.effective_user.id if update.effective_user is not None else None


def rate_key(update: Update) -> int:
    """Whom a rate limit counts: the person, or the chat for anonymous senders."""
    sender = sender_id(update)
    if sender is not None:
        return sender
    return update.effective_chat.id if update.effective_chat is not None else 0


def chat_scope(message: Message) -> Scope:
    """What a question in this chat reads: the shared articles and the chat's own links;
    "today" is the day the message was sent (UTC)."""
    return Scope(collections=visible_collections(message.chat.id), today=message.date.date())


def visible_collections(chat_id: int) -> tuple[str, ...]:
    return (SHARED, chat_collection(chat_id))


def seen_in(documents: list[DocumentInfo], chat_id: int) -> list[DocumentInfo]:
    """The documents a chat may know of: the shared ones and its own links (another
    chat's links are never named to it)."""
    visible = visible_collections(chat_id)
    return [document for document in documents if document.collection in visible]
