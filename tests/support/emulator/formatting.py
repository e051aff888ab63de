"""Turns a method's text + parse_mode (+ entities) into what Telegram stores, or a 400."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .html_check import (
    Entity,
    HtmlParseError,
    ParsedText,
    parse_telegram_html,
    require_utf8,
    utf16_len,
)

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200


class TextError(ValueError):
    """Text Telegram refuses; the message is the description without "Bad Request: "."""


@dataclass(frozen=True)
class TextLimits:
    """How a particular field reports its limits (messages, captions, inline results differ)."""

    max_length: int
    too_long: str
    empty: str | None  # None: empty is allowed (captions)


MESSAGE_TEXT = TextLimits(MAX_MESSAGE_LENGTH, "message is too long", "message text is empty")
CAPTION = TextLimits(MAX_CAPTION_LENGTH, "message caption is too long", None)
INLINE_MESSAGE_TEXT = TextLimits(MAX_MESSAGE_LENGTH, "MESSAGE_TOO_LONG", "MESSAGE_EMPTY")


def format_text(
    raw: str, parse_mode: str | None, entities: Any = None, limits: TextLimits = MESSAGE_TEXT
) -> ParsedText:
    """Parse, trim surrounding whitespace as Telegram does, then enforce the length limits."""
    require_utf8(raw)
    parsed = _parse(raw, parse_mode, entities)
    trimmed = _trim(parsed)
    if not trimmed.text and limits.empty is not None:
        raise TextError(limits.empty)
    if utf16_len(trimmed.text) > limits.max_length:
        raise TextError(limits.too_long)
    return trimmed


def format_or_400(
    raw: str, parse_mode: str | None, entities: Any = None, limits: TextLimits = MESSAGE_TEXT
) -> ParsedText:
    """format_text for method handlers: failures become Telegram's 400 reply."""
    try:
        return format_text(raw, parse_mode, entities, limits)
    except ValueError as error:
        raise bad_request(str(error)) from None


def _parse(raw: str, parse_mode: str | None, entities: Any) -> ParsedText:
    if not parse_mode:
        return ParsedText(raw, _explicit_entities(entities))
    mode = parse_mode.lower()
    if mode == "html":
        try:
            return parse_telegram_html(raw)
        except HtmlParseError as error:
            raise TextError(str(error)) from None
    if mode in ("markdown", "markdownv2"):
        # Not emulated: the text is kept verbatim so such bots still run.
        return ParsedText(raw)
    raise TextError("unsupported parse_mode")


def _explicit_entities(entities: Any) -> list[Entity]:
    if entities is None:
        return []
    valid = isinstance(entities, list) and all(
        isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
    )
    if not valid:
        raise TextError("can't parse entities JSON object")
    return [dict(e) for e in entities]


def _trim(parsed: ParsedText) -> ParsedText:
    text = parsed.text.strip()
    if text == parsed.text:
        return parsed
    leading = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    total = utf16_len(text)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - leading, 0)
        end = min(entity["offset"] + entity["length"] - leading, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(text, entities)
