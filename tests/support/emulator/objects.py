"""Builders for Bot API objects as Telegram serialises them (optional fields omitted)."""

from __future__ import annotations

import re
import time
from typing import Any

from .html_check import Entity, utf16_len

JsonObject = dict[str, Any]

# Telegram recognises commands at word starts; "/cmd@botname" is one entity.
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION = re.compile(r"(?<![A-Za-z0-9_/])@[A-Za-z0-9_]{4,32}(?![A-Za-z0-9_])")
_URL = re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")


def now() -> int:
    return int(time.time())


def user(user_id: int, first_name: str, *, username: str | None = None) -> JsonObject:
    result: JsonObject = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        result["username"] = username
    result["language_code"] = "en"
    return result


def bot_user(bot_id: int, username: str) -> JsonObject:
    return {"id": bot_id, "is_bot": True, "first_name": "QA Bot", "username": username}


def bot_me(bot: JsonObject) -> JsonObject:
    """getMe's extra capability flags."""
    return {
        **bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat(chat_id: int, chat_type: str, member: JsonObject) -> JsonObject:
    if chat_type == "private":
        result: JsonObject = {"id": chat_id, "type": "private", "first_name": member["first_name"]}
        if "username" in member:
            result["username"] = member["username"]
        return result
    return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {chat_id}"}


def chat_full_info(chat_object: JsonObject) -> JsonObject:
    """getChat's ChatFullInfo: the Chat plus fields Telegram always sends."""
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat_object,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {**dict.fromkeys(gifts, False), "gifts_from_channels": False},
    }


def detect_entities(text: str) -> list[Entity]:
    """The entities Telegram attaches to a user's plain text: commands, mentions, URLs."""
    found: list[Entity] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION), ("url", _URL)):
        for match in pattern.finditer(text):
            offset = utf16_len(text[: match.start()])
            found.append({"offset": offset, "length": utf16_len(match.group()), "type": kind})
    return sorted(found, key=lambda e: e["offset"])


def inaccessible_message(chat_object: JsonObject, message_id: int) -> JsonObject:
    """What a CallbackQuery carries when its message was deleted."""
    return {"chat": chat_object, "message_id": message_id, "date": 0}
