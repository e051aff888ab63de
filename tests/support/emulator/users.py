"""The users' side: what people do in Telegram, turned into queued Updates."""

from __future__ import annotations

import copy
from typing import Any

from . import objects
from .objects import JsonObject
from .world import PendingQuery, World

# Minimal but well-formed payloads for media the tests do not care about.
TINY_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
TINY_OGG = b"OggS\x00\x02" + bytes(20)
TINY_WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"  # noqa: E501


class UserActions:
    """Mixin for BotApiEmulator: each action creates a realistic Update and queues it."""

    _world: World

    def user_sends_text(
        self,
        text: str,
        *,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        first_name: str = "Ann",
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> JsonObject:
        """A text message; commands, mentions and URLs get entities unless entities is given."""
        content: JsonObject = {"text": text}
        found = objects.detect_entities(text) if entities is None else entities
        if found:
            content["entities"] = found
        return self._user_message(
            content, chat_id, user_id, chat_type, first_name, reply_to_message_id
        )

    def user_sends_document(
        self,
        filename: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        chat_id: int = 1001,
        user_id: int = 1001,
        caption: str | None = None,
        chat_type: str = "private",
        first_name: str = "Ann",
        reply_to_message_id: int | None = None,
    ) -> JsonObject:
        """A file; getFile and the file URL serve content back to the bot."""
        stored = self._world.store_file(content, "documents", filename)
        document = {
            "file_name": filename,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
        }
        body = {"document": document, **_caption(caption)}
        return self._user_message(
            body, chat_id, user_id, chat_type, first_name, reply_to_message_id
        )

    def user_sends_photo(
        self,
        content: bytes = TINY_JPEG,
        *,
        caption: str | None = None,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        first_name: str = "Ann",
        reply_to_message_id: int | None = None,
    ) -> JsonObject:
        """A photo, delivered like Telegram does: several sizes, smallest first."""
        sizes = []
        for width, height in ((90, 67), (320, 240)):
            stored = self._world.store_file(content, "photos", "photo.jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(content),
                    "width": width,
                    "height": height,
                }
            )
        body = {"photo": sizes, **_caption(caption)}
        return self._user_message(
            body, chat_id, user_id, chat_type, first_name, reply_to_message_id
        )

    def user_sends_voice(
        self,
        content: bytes = TINY_OGG,
        *,
        duration: int = 2,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        first_name: str = "Ann",
        reply_to_message_id: int | None = None,
    ) -> JsonObject:
        stored = self._world.store_file(content, "voice", "voice.oga")
        voice = {
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
        }
        return self._user_message(
            {"voice": voice}, chat_id, user_id, chat_type, first_name, reply_to_message_id
        )

    def user_sends_sticker(
        self,
        emoji: str = "👍",
        *,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        first_name: str = "Ann",
        reply_to_message_id: int | None = None,
    ) -> JsonObject:
        stored = self._world.store_file(TINY_WEBP, "stickers", "sticker.webp")
        sticker = {
            "width": 512,
            "height": 512,
            "emoji": emoji,
            "set_name": "TestStickers",
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(TINY_WEBP),
        }
        return self._user_message(
            {"sticker": sticker}, chat_id, user_id, chat_type, first_name, reply_to_message_id
        )

    def user_presses_button(
        self,
        message: JsonObject,
        data: str,
        *,
        user_id: int = 1001,
        first_name: str = "Ann",
        check_button: bool = True,
    ) -> str:
        """Press an inline button of a bot message; returns the callback query id.

        The button must exist in the message's current keyboard (as a real client would show
        it) unless check_button is False, e.g. to simulate a stale client.
        """
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        stored = self._world.messages.get((chat_id, message_id))
        if stored is None or not stored.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        if check_button and not stored.has_inline_button(data):
            raise ValueError(f"message {message_id} has no inline button with data {data!r}")
        query_id = self._world.new_query_id()
        shown = (
            objects.inaccessible_message(stored.message["chat"], message_id)
            if stored.deleted
            else copy.deepcopy(stored.message)
        )
        query = {
            "id": query_id,
            "from": self._world.remember_user(user_id, first_name),
            "message": shown,
            "chat_instance": str(abs(chat_id) * 7919 + 1_000_000_000_000),
            "data": data,
        }
        self._world.callback_queries[query_id] = _pending(query)
        self._world.updates.push("callback_query", query)
        return query_id

    def user_inline_query(self, query: str, *, user_id: int = 1001, first_name: str = "Ann") -> str:
        """Type "@bot query" in any chat; returns the inline query id."""
        query_id = self._world.new_query_id()
        inline_query = {
            "id": query_id,
            "from": self._world.remember_user(user_id, first_name),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        self._world.inline_queries[query_id] = _pending(inline_query)
        self._world.updates.push("inline_query", inline_query)
        return query_id

    def chat_has_admins(self, chat_id: int, *user_ids: int) -> None:
        """These users administer the group or channel (getChatMember says so)."""
        self._world.chat_admins.setdefault(chat_id, set()).update(user_ids)

    def channel_posts_text(
        self, text: str, *, chat_id: int = -1_001_234_567_890, title: str = "Test Channel"
    ) -> JsonObject:
        """A post in a channel, as its admins make them: signed by the channel itself (no
        `from`), delivered to the bot (an admin of it) as a channel_post update."""
        world = self._world
        chat = world.chats.setdefault(chat_id, {"id": chat_id, "type": "channel", "title": title})
        message: JsonObject = {
            "message_id": world.next_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": objects.now(),
            "text": text,
        }
        found = objects.detect_entities(text)
        if found:
            message["entities"] = found
        world.add_message(message, from_bot=False)
        world.updates.push("channel_post", message)
        return copy.deepcopy(message)

    def user_blocks_bot(self, chat_id: int = 1001) -> None:
        """From now on sending to this chat fails with 403 like for a user who blocked the bot."""
        self._world.blocked_chats.add(chat_id)

    def _user_message(
        self,
        content: JsonObject,
        chat_id: int,
        user_id: int,
        chat_type: str,
        first_name: str,
        reply_to_message_id: int | None,
    ) -> JsonObject:
        world = self._world
        sender = world.remember_user(user_id, first_name)
        message: JsonObject = {
            "message_id": world.next_message_id(chat_id),
            "from": sender,
            "chat": world.remember_chat(chat_id, chat_type, sender),
            "date": objects.now(),
        }
        if reply_to_message_id is not None:
            replied = world.reply_snapshot(chat_id, reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = replied
        message.update(content)
        world.add_message(message, from_bot=False)
        world.updates.push("message", message)
        return copy.deepcopy(message)


def _caption(caption: str | None) -> JsonObject:
    if caption is None:
        return {}
    entities = objects.detect_entities(caption)
    return {"caption": caption, **({"caption_entities": entities} if entities else {})}


def _pending(query: JsonObject) -> PendingQuery:
    return PendingQuery(copy.deepcopy(query))
