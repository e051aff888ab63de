"""Everything the emulated Telegram knows: users, chats, messages, files, queries, settings."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from . import objects
from .notify import Signal
from .objects import JsonObject
from .updates import UpdateQueue

MessageKey = tuple[int, int]


@dataclass
class StoredMessage:
    """A message's current state; deleted messages are kept so tests can inspect them."""

    message: JsonObject
    from_bot: bool
    deleted: bool = False

    @property
    def key(self) -> MessageKey:
        return (self.message["chat"]["id"], self.message["message_id"])

    def has_inline_button(self, data: str) -> bool:
        rows = self.message.get("reply_markup", {}).get("inline_keyboard", [])
        return any(button.get("callback_data") == data for row in rows for button in row)


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def as_file(self) -> JsonObject:
        """The Bot API File object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class PendingQuery:
    """A callback or inline query and, once the bot answered, the answer's parameters."""

    query: JsonObject
    answer: dict[str, Any] | None = None


@dataclass
class Webhook:
    url: str = ""
    max_connections: int = 40
    allowed_updates: list[str] = field(default_factory=list)


class World:
    """State shared by the users' side and the Bot API methods."""

    def __init__(self, bot: JsonObject) -> None:
        self.bot = bot
        self.users: dict[int, JsonObject] = {}
        self.chats: dict[int, JsonObject] = {}
        self.blocked_chats: set[int] = set()
        self.chat_admins: dict[int, set[int]] = {}  # group or channel -> its admins' user ids
        self.messages: dict[MessageKey, StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates = UpdateQueue()
        self.callback_queries: dict[str, PendingQuery] = {}
        self.inline_queries: dict[str, PendingQuery] = {}
        self.commands: dict[tuple[str, str], list[JsonObject]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (field, language_code) -> text
        self.webhook = Webhook()
        self.changed = Signal()  # messages created, edited or deleted; calls recorded
        self._last_message_id: dict[int, int] = {}
        self._serial = itertools.count(1)

    # --- users and chats ------------------------------------------------------------------
    def remember_user(self, user_id: int, first_name: str) -> JsonObject:
        return self.users.setdefault(user_id, objects.user(user_id, first_name))

    def remember_chat(self, chat_id: int, chat_type: str, member: JsonObject) -> JsonObject:
        return self.chats.setdefault(chat_id, objects.chat(chat_id, chat_type, member))

    def find_chat(self, reference: int | str) -> JsonObject | None:
        """A chat by id, or by "@username" like Telegram allows."""
        if isinstance(reference, str) and reference.startswith("@"):
            username = reference[1:].lower()
            matches = (c for c in self.chats.values() if c.get("username", "").lower() == username)
            return next(matches, None)
        try:
            return self.chats.get(int(reference))
        except ValueError:
            return None

    # --- messages -------------------------------------------------------------------------
    def next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def add_message(self, message: JsonObject, *, from_bot: bool) -> StoredMessage:
        stored = StoredMessage(copy.deepcopy(message), from_bot)
        self.messages[stored.key] = stored
        self.changed.notify()
        return stored

    def live_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        stored = self.messages.get((chat_id, message_id))
        return None if stored is None or stored.deleted else stored

    def bot_messages(self, chat_id: int | None = None) -> list[StoredMessage]:
        """The bot's messages in the order it sent them."""
        return [
            stored
            for stored in self.messages.values()
            if stored.from_bot and (chat_id is None or stored.key[0] == chat_id)
        ]

    def reply_snapshot(self, chat_id: int, message_id: int) -> JsonObject | None:
        """The replied-to message as embedded in a reply (Telegram does not nest further)."""
        stored = self.live_message(chat_id, message_id)
        if stored is None:
            return None
        snapshot = copy.deepcopy(stored.message)
        snapshot.pop("reply_to_message", None)
        return snapshot

    # --- files and ids --------------------------------------------------------------------
    def store_file(self, data: bytes, folder: str, filename: str = "") -> StoredFile:
        serial = next(self._serial)
        extension = PurePosixPath(filename).suffix or ".bin"
        stored = StoredFile(
            file_id=f"AgACAgIAAxkBAAI{serial:06d}{folder[:3]}",
            file_unique_id=f"AQAD{serial:06d}",
            file_path=f"{folder}/file_{serial}{extension}",
            data=data,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    def new_query_id(self) -> str:
        return str(4_200_000_000_000_000 + next(self._serial))
