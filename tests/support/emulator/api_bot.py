"""The bot's own profile: identity, commands, descriptions, files and chat info."""

from __future__ import annotations

import json
import re
from typing import Any

from . import objects
from .api_support import require_chat
from .errors import bad_request
from .objects import JsonObject
from .params import Params
from .world import World

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_COMMANDS = 100
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_DEFAULT_SCOPE = {"type": "default"}
# The rights a ChatMemberAdministrator always carries (python-telegram-bot requires them).
ADMIN_RIGHTS = (
    *("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages"),
    *("can_manage_video_chats", "can_restrict_members", "can_promote_members"),
    *("can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories"),
    "can_delete_stories",
)
_TEXT_LIMITS = {"description": 512, "short_description": 120, "name": 64}


async def get_me(world: World, params: Params) -> JsonObject:
    return objects.bot_me(world.bot)


async def get_chat(world: World, params: Params) -> JsonObject:
    return objects.chat_full_info(require_chat(world, params))


async def get_chat_member(world: World, params: Params) -> JsonObject:
    """A member's status: the chat's admins are administrators (a private chat's user is
    its creator), anyone else a member."""
    chat = require_chat(world, params)
    user_id = params.integer("user_id")
    if user_id is None:
        raise bad_request("user_id not specified")
    user = world.users.get(user_id) or objects.user(user_id, "Someone")
    if chat["type"] == "private":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if user_id in world.chat_admins.get(chat["id"], set()):
        return {"status": "administrator", "user": user, **dict.fromkeys(ADMIN_RIGHTS, False)}
    return {"status": "member", "user": user}


async def get_file(world: World, params: Params) -> JsonObject:
    file_id = params.text("file_id")
    if not file_id:
        raise bad_request("file_id not specified")
    stored = world.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.as_file()


def commands_key(scope: dict[str, Any] | None, language_code: str) -> tuple[str, str]:
    """Command lists are stored per (scope, language_code), like setMyCommands defines them."""
    return json.dumps(scope or _DEFAULT_SCOPE, sort_keys=True), language_code


def _commands_key(params: Params) -> tuple[str, str]:
    return commands_key(params.obj("scope"), params.text("language_code", "") or "")


async def set_my_commands(world: World, params: Params) -> bool:
    commands = params.array("commands")
    if commands is None:
        raise bad_request('parameter "commands" is required')
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    for command in commands:
        _check_command(command)
    world.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


def _check_command(command: Any) -> None:
    if not isinstance(command, dict):
        raise bad_request("can't parse BotCommand JSON object")
    if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    description = command.get("description")
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


async def get_my_commands(world: World, params: Params) -> list[JsonObject]:
    return list(world.commands.get(_commands_key(params), []))


async def delete_my_commands(world: World, params: Params) -> bool:
    world.commands.pop(_commands_key(params), None)
    return True


def _set_text(world: World, params: Params, field: str) -> bool:
    value = params.text(field, "") or ""
    if len(value) > _TEXT_LIMITS[field]:
        raise bad_request(f"{field.replace('_', ' ')} is too long")
    world.bot_texts[(field, params.text("language_code", "") or "")] = value
    return True


def _get_text(world: World, params: Params, field: str) -> JsonObject:
    return {field: world.bot_texts.get((field, params.text("language_code", "") or ""), "")}


async def set_my_description(world: World, params: Params) -> bool:
    return _set_text(world, params, "description")


async def get_my_description(world: World, params: Params) -> JsonObject:
    return _get_text(world, params, "description")


async def set_my_short_description(world: World, params: Params) -> bool:
    return _set_text(world, params, "short_description")


async def get_my_short_description(world: World, params: Params) -> JsonObject:
    return _get_text(world, params, "short_description")


async def set_my_name(world: World, params: Params) -> bool:
    return _set_text(world, params, "name")


async def get_my_name(world: World, params: Params) -> JsonObject:
    return _get_text(world, params, "name")
