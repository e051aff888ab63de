"""Answering users' callback and inline queries."""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .formatting import INLINE_MESSAGE_TEXT, MAX_CALLBACK_ANSWER_LENGTH, format_or_400
from .markup import validate_reply_markup
from .params import Params
from .world import PendingQuery, World

QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
RESULT_TYPES = frozenset(
    {
        "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document",
        "location", "venue", "contact", "game", "sticker",
    }
)  # fmt: skip


def _unanswered(queries: dict[str, PendingQuery], query_id: str | None) -> PendingQuery:
    pending = queries.get(query_id or "")
    if pending is None or pending.answer is not None:
        raise bad_request(QUERY_EXPIRED)
    return pending


async def answer_callback_query(world: World, params: Params) -> bool:
    pending = _unanswered(world.callback_queries, params.text("callback_query_id"))
    text = params.text("text", "") or ""
    if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    pending.answer = dict(params.values)
    return True


async def answer_inline_query(world: World, params: Params) -> bool:
    pending = _unanswered(world.inline_queries, params.text("inline_query_id"))
    results = params.array("results")
    if results is None:
        raise bad_request("results must be an Array")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        _check_result(result, seen)
    pending.answer = dict(params.values)
    return True


def _check_result(result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict) or result.get("type") not in RESULT_TYPES:
        raise bad_request("RESULT_TYPE_INVALID")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    validate_reply_markup(result.get("reply_markup"))
    if result["type"] == "article":
        if not isinstance(result.get("title"), str) or not result["title"]:
            raise bad_request(
                'can\'t parse inline query result: Field "title" must be of type String'
            )
        if not isinstance(result.get("input_message_content"), dict):
            raise bad_request(
                "can't parse inline query result: "
                'Field "input_message_content" must be of type Object'
            )
    content = result.get("input_message_content")
    if isinstance(content, dict) and "message_text" in content:
        _check_message_text(content)


def _check_message_text(content: dict[str, Any]) -> None:
    text = content["message_text"]
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse input message content: Field "message_text" must be of type String'
        )
    format_or_400(text, content.get("parse_mode"), content.get("entities"), INLINE_MESSAGE_TEXT)
