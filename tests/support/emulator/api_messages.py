"""Sending, editing and deleting messages."""

from __future__ import annotations

import copy
import mimetypes

from . import objects
from .api_support import input_file, post_bot_message, require_chat, require_editable
from .errors import bad_request
from .formatting import CAPTION, format_or_400
from .markup import validate_reply_markup
from .objects import JsonObject
from .params import Params, UploadedFile
from .world import StoredMessage, World

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


async def send_message(world: World, params: Params) -> JsonObject:
    chat = require_chat(world, params)
    formatted = format_or_400(
        params.text("text", "") or "", params.text("parse_mode"), params.raw("entities")
    )
    content: JsonObject = {"text": formatted.text}
    if formatted.entities:
        content["entities"] = formatted.entities
    preview = params.obj("link_preview_options")
    if preview is not None:
        content["link_preview_options"] = preview
    return post_bot_message(world, chat, params, content)


async def send_document(world: World, params: Params) -> JsonObject:
    chat = require_chat(world, params)
    source = params.raw("document")
    stored, filename = input_file(world, source, "documents", "there is no document in the request")
    mime_type = (
        source.content_type
        if isinstance(source, UploadedFile)
        else mimetypes.guess_type(filename)[0]
    )
    document: JsonObject = {
        "file_name": filename,
        "mime_type": mime_type or "application/octet-stream",
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    return post_bot_message(world, chat, params, {"document": document, **_caption(params)})


async def send_photo(world: World, params: Params) -> JsonObject:
    chat = require_chat(world, params)
    stored, _ = input_file(world, params.raw("photo"), "photos", "there is no photo in the request")
    size = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "width": 320,
        "height": 240,
    }
    return post_bot_message(world, chat, params, {"photo": [size], **_caption(params)})


def _caption(params: Params) -> JsonObject:
    raw = params.text("caption")
    if raw is None:
        return {}
    formatted = format_or_400(
        raw, params.text("parse_mode"), params.raw("caption_entities"), CAPTION
    )
    if not formatted.text:
        return {}
    content: JsonObject = {"caption": formatted.text}
    if formatted.entities:
        content["caption_entities"] = formatted.entities
    return content


async def edit_message_text(world: World, params: Params) -> JsonObject:
    stored = require_editable(world, params)
    if "text" not in stored.message:
        raise bad_request("there is no text in the message to edit")
    formatted = format_or_400(
        params.text("text", "") or "", params.text("parse_mode"), params.raw("entities")
    )
    changes: JsonObject = {"text": formatted.text, "entities": formatted.entities or None}
    preview = params.obj("link_preview_options")
    if preview is not None:
        changes["link_preview_options"] = preview
    return _apply_edit(world, stored, changes, params)


async def edit_message_caption(world: World, params: Params) -> JsonObject:
    stored = require_editable(world, params)
    if "text" in stored.message:
        raise bad_request("there is no caption in the message to edit")
    caption = _caption(params)
    changes = {
        "caption": caption.get("caption"),
        "caption_entities": caption.get("caption_entities"),
    }
    return _apply_edit(world, stored, changes, params)


async def edit_message_reply_markup(world: World, params: Params) -> JsonObject:
    return _apply_edit(world, require_editable(world, params), {}, params)


def _apply_edit(
    world: World, stored: StoredMessage, changes: JsonObject, params: Params
) -> JsonObject:
    """Edits replace the inline keyboard too: omitting reply_markup removes it, like Telegram."""
    changes = {**changes, "reply_markup": validate_reply_markup(params.raw("reply_markup"))}
    message = stored.message
    compared = [key for key in changes if key != "link_preview_options"]
    if all(message.get(key) == changes[key] for key in compared):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = objects.now()
    world.changed.notify()
    return copy.deepcopy(message)


async def delete_message(world: World, params: Params) -> bool:
    chat = require_chat(world, params)
    message_id = params.integer("message_id")
    stored = world.live_message(chat["id"], message_id) if message_id is not None else None
    if stored is None:
        raise bad_request("message to delete not found")
    if not stored.from_bot and chat["type"] != "private":
        raise bad_request("message can't be deleted")
    stored.deleted = True
    world.changed.notify()
    return True


async def send_chat_action(world: World, params: Params) -> bool:
    require_chat(world, params)
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
