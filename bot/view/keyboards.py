"""Inline buttons and the short callback data they carry.

Callback data holds only an action letter and a random answer id (or an example number);
what a button does is looked up server-side (see bot/state/protocols.py: AnswerLog.find_answer), so
data forged by a client can at most point at something that does not match and is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import messages
from bot.view.html import plain_preview

EXAMPLE_BUTTON_CHARS = 60


class Action(StrEnum):
    MORE = "m"
    UP = "u"
    DOWN = "d"
    EXAMPLE = "x"


@dataclass(frozen=True)
class ButtonPress:
    action: Action
    value: str


def encode(action: Action, value: str) -> str:
    return f"{action.value}:{value}"


def decode(data: str | None) -> ButtonPress | None:
    """The press a button's data stands for, or None for anything malformed."""
    action, _, value = (data or "").partition(":")
    if not value or action not in Action._value2member_map_:
        return None
    return ButtonPress(Action(action), value)


def answer_keyboard(answer_id: str, *, more: bool, feedback: bool) -> InlineKeyboardMarkup | None:
    row = []
    if more:
        row.append(
            InlineKeyboardButton(messages.MORE_BUTTON, callback_data=encode(Action.MORE, answer_id))
        )
    if feedback:
        row.append(
            InlineKeyboardButton(messages.UP_BUTTON, callback_data=encode(Action.UP, answer_id))
        )
        row.append(
            InlineKeyboardButton(messages.DOWN_BUTTON, callback_data=encode(Action.DOWN, answer_id))
        )
    return InlineKeyboardMarkup([row]) if row else None


def examples_keyboard(questions: Sequence[str]) -> InlineKeyboardMarkup | None:
    """One tappable example question per row; the data is its position in the list."""
    rows = [
        [
            InlineKeyboardButton(
                plain_preview(question, EXAMPLE_BUTTON_CHARS),
                callback_data=encode(Action.EXAMPLE, str(position)),
            )
        ]
        for position, question in enumerate(questions)
    ]
    return InlineKeyboardMarkup(rows) if rows else None
