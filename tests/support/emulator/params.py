"""Decoding Bot API requests: query string, form, multipart or JSON body, as Telegram accepts.

python-telegram-bot sends form fields where strings are raw and everything else is JSON, and
switches to multipart when uploading files. Telegram decodes a field by the parameter's type;
the emulator approximates that: fields known to be strings stay raw, the rest are JSON-decoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .errors import bad_request

_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "url", "callback_query_id", "inline_query_id",
        "file_id", "action", "description", "short_description", "name", "language_code",
        "emoji", "title", "message_effect_id", "business_connection_id", "next_offset",
        "secret_token", "ip_address", "inline_message_id", "document", "photo", "voice",
        "sticker", "audio", "video", "animation", "video_note", "thumbnail", "certificate",
        "switch_pm_text", "switch_pm_parameter", "custom_emoji_id", "game_short_name",
        "question", "explanation", "address", "first_name", "last_name", "phone_number",
        "vcard", "payload", "provider_token", "currency", "start_parameter",
    }
)  # fmt: skip
_ATTACH_PREFIX = "attach://"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


async def read_params(request: web.Request) -> dict[str, Any]:
    """All parameters of a request, decoded; raises ApiError(400) for a malformed body."""
    params: dict[str, Any] = {key: _decode(key, value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        params.update(await _read_json(request))
    elif request.body_exists:
        form = await request.post()
        uploads = {k: _upload(v) for k, v in form.items() if isinstance(v, FileField)}
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        params.update(uploads)
        params.update({key: _decode(key, value) for key, value in fields.items()})
        _resolve_attachments(params, uploads)
    return params


async def _read_json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("can't parse request JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("request JSON must be an object")
    return body


def _decode(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _upload(field: FileField) -> UploadedFile:
    return UploadedFile(field.filename, field.content_type, field.file.read())


def _resolve_attachments(params: dict[str, Any], uploads: dict[str, UploadedFile]) -> None:
    """A string "attach://name" parameter refers to the multipart part called name."""
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith(_ATTACH_PREFIX):
            part = uploads.get(value.removeprefix(_ATTACH_PREFIX))
            if part is not None:
                params[key] = part


class Params:
    """Typed access to one call's parameters; a wrong type or missing value is Telegram's 400."""

    def __init__(
        self, values: dict[str, Any], client_connected: Callable[[], bool] = lambda: True
    ) -> None:
        self.values = values
        self.client_connected = client_connected  # False once the HTTP client hung up

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad_request(f'field "{name}" must be of type String')
        return str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(f"can't parse {name} JSON object")
        return value

    def array(self, name: str) -> list[Any] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_request(f"can't parse {name} JSON array")
        return value
