"""Bot API method names (case-insensitive, as Telegram treats them) mapped to handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from . import api_bot, api_interaction, api_messages, api_updates
from .params import Params
from .world import World

Handler = Callable[[World, Params], Awaitable[Any]]

HANDLERS: dict[str, Handler] = {
    "getMe": api_bot.get_me,
    "getChat": api_bot.get_chat,
    "getFile": api_bot.get_file,
    "getChatMember": api_bot.get_chat_member,
    "setMyCommands": api_bot.set_my_commands,
    "getMyCommands": api_bot.get_my_commands,
    "deleteMyCommands": api_bot.delete_my_commands,
    "setMyDescription": api_bot.set_my_description,
    "getMyDescription": api_bot.get_my_description,
    "setMyShortDescription": api_bot.set_my_short_description,
    "getMyShortDescription": api_bot.get_my_short_description,
    "setMyName": api_bot.set_my_name,
    "getMyName": api_bot.get_my_name,
    "getUpdates": api_updates.get_updates,
    "setWebhook": api_updates.set_webhook,
    "deleteWebhook": api_updates.delete_webhook,
    "getWebhookInfo": api_updates.get_webhook_info,
    "close": api_updates.close,
    "logOut": api_updates.log_out,
    "sendMessage": api_messages.send_message,
    "sendDocument": api_messages.send_document,
    "sendPhoto": api_messages.send_photo,
    "editMessageText": api_messages.edit_message_text,
    "editMessageCaption": api_messages.edit_message_caption,
    "editMessageReplyMarkup": api_messages.edit_message_reply_markup,
    "deleteMessage": api_messages.delete_message,
    "sendChatAction": api_messages.send_chat_action,
    "answerCallbackQuery": api_interaction.answer_callback_query,
    "answerInlineQuery": api_interaction.answer_inline_query,
}
_BY_LOWER_NAME = {name.lower(): name for name in HANDLERS}


def canonical_method(name: str) -> str | None:
    """The Bot API spelling of a method name, or None if the emulator does not know it."""
    return _BY_LOWER_NAME.get(name.lower())
