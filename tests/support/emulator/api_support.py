"""Lookups shared by the message methods, each failing with Telegram's own error."""

from __future__ import annotations

import copy

from . import objects
from .errors import ApiError, bad_request, forbidden
from .markup import validate_reply_markup
from .objects import JsonObject
from .params import Params, UploadedFile
from .world import StoredFile, StoredMessage, World

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def require_chat(world: World, params: Params) -> JsonObject:
    """The target chat; the bot can only write where a user has talked to it first."""
    reference = params.raw("chat_id")
    if reference is None or reference == "":
        raise bad_request("chat_id is empty")
    if not isinstance(reference, int | str) or isinstance(reference, bool):
        raise bad_request("chat not found")
    chat = world.find_chat(reference)
    if chat is None:
        raise bad_request("chat not found")
    if chat["id"] in world.blocked_chats:
        raise forbidden("bot was blocked by the user")
    return chat


def require_editable(world: World, params: Params) -> StoredMessage:
    """The bot message an edit* call targets."""
    if params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = require_chat(world, params)
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = world.live_message(chat["id"], message_id)
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return stored


def reply_target(world: World, chat: JsonObject, params: Params) -> JsonObject | None:
    """The message being replied to, from reply_parameters or legacy reply_to_message_id."""
    reply = params.obj("reply_parameters")
    if reply is None and params.has("reply_to_message_id"):
        reply = {"message_id": params.integer("reply_to_message_id")}
    if reply is None:
        return None
    allow_missing = bool(
        reply.get("allow_sending_without_reply") or params.flag("allow_sending_without_reply")
    )
    target_chat = world.find_chat(reply.get("chat_id") or chat["id"])
    snapshot = None
    if target_chat is not None and isinstance(reply.get("message_id"), int):
        snapshot = world.reply_snapshot(target_chat["id"], reply["message_id"])
    if snapshot is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return snapshot if target_chat is chat else None


def post_bot_message(
    world: World, chat: JsonObject, params: Params, content: JsonObject
) -> JsonObject:
    """Validate the common send* options, then store and return the bot's new message."""
    replied = reply_target(world, chat, params)
    markup = validate_reply_markup(params.raw("reply_markup"))
    message: JsonObject = {
        "message_id": world.next_message_id(chat["id"]),
        "from": world.bot,
        "chat": chat,
        "date": objects.now(),
    }
    if replied is not None:
        message["reply_to_message"] = replied
    message.update(content)
    if markup is not None:
        message["reply_markup"] = markup
    world.add_message(message, from_bot=True)
    return copy.deepcopy(message)


def input_file(world: World, source: object, folder: str, missing: str) -> tuple[StoredFile, str]:
    """An uploaded file or a known file_id; returns the stored file and its file name."""
    if source is None:
        raise bad_request(missing)
    if isinstance(source, UploadedFile):
        if not source.data:
            raise bad_request("file must be non-empty")
        if len(source.data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        stored = world.store_file(source.data, folder, source.filename)
        return stored, source.filename
    if isinstance(source, str) and source in world.files:
        stored = world.files[source]
        return stored, stored.file_path.rsplit("/", 1)[-1]
    raise bad_request("wrong file identifier/HTTP URL specified")
