"""A Telegram Bot API emulator for end-to-end tests of the real python-telegram-bot stack."""

from .formatting import MAX_CAPTION_LENGTH, MAX_MESSAGE_LENGTH, TextError, format_text
from .html_check import (
    HtmlParseError,
    ParsedText,
    parse_telegram_html,
    utf16_len,
    validate_telegram_html,
)
from .params import UploadedFile
from .server import ApiCall, BotApiEmulator, EmulatorTimeout

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "ApiCall",
    "BotApiEmulator",
    "EmulatorTimeout",
    "HtmlParseError",
    "ParsedText",
    "TextError",
    "UploadedFile",
    "format_text",
    "parse_telegram_html",
    "utf16_len",
    "validate_telegram_html",
]
