"""Telegram HTML messages that are always valid and never too long: spans packed into messages.

Text from articles and people is cleaned (control characters, lone surrogates removed) and
escaped; markup is made only here, from Spans, so a message can be cut between or inside
spans and every piece still opens and closes its own tags. The layouts (bot/view/answers.py,
bot/view/lists.py) say what goes in a message; this module makes it sendable.

Lengths are counted in UTF-16 code units of the HTML source. Telegram counts the text after
parsing the markup, which is never longer, so the 4,096 limit holds however it is counted.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from telegram.constants import MessageLimit

from bot import messages

MAX_MESSAGE_CHARS: int = MessageLimit.MAX_TEXT_LENGTH

_SAFE_URL = re.compile(r"https?://[^\s<>\"'\\]{1,500}")
_CUT_PREFERENCES = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
_NEWLINES = re.compile(r"\r\n?")
_NONCHARACTERS = "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
# Control characters except tab and newline, lone surrogates, Unicode non-characters.
_UNSENDABLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")
_ESCAPED_LENGTH = {"&": 5, "<": 4, ">": 4}  # &amp; &lt; &gt;


@dataclass(frozen=True)
class Span:
    """Plain text and the one tag that wraps it (None for bare text); the splitter's unit."""

    text: str
    tag: str | None = None  # b, i, code, blockquote, or a (with href)
    href: str | None = None

    def with_text(self, text: str) -> Span:
        return Span(text, self.tag, self.href)

    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        if self.tag is None:
            return body
        if self.tag == "a":
            return f'<a href="{html.escape(self.href or "", quote=False)}">{body}</a>'
        return f"<{self.tag}>{body}</{self.tag}>"


def clean_text(text: str) -> str:
    """Drop what Telegram or JSON cannot carry: control chars, surrogates, non-characters."""
    return _UNSENDABLE.sub("", _NEWLINES.sub("\n", text))


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two units."""
    return len(text.encode("utf-16-le")) // 2


def pack(spans: Iterable[Span], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Lay spans out into as few messages as fit; a span is cut only if it fills a message."""
    packer = _Packer(limit)
    for span in spans:
        href = clean_text(span.href) if span.href is not None else None
        cleaned = Span(clean_text(span.text), span.tag, href)
        if cleaned.text:
            packer.add(_sendable_link(cleaned))
    return packer.finish()


def _sendable_link(span: Span) -> Span:
    """A link only to a plain http(s) URL; anything else is shown as italic text."""
    if span.tag == "a" and not (span.href and _SAFE_URL.fullmatch(span.href)):
        return Span(span.text, "i")
    return span


class _Packer:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._messages: list[str] = []
        self._html: list[str] = []
        self._plain: list[str] = []
        self._size = 0

    def add(self, span: Span) -> None:
        for piece in _split_span(span, self._limit):
            rendered = piece.html()
            size = utf16_len(rendered)
            if self._size + size > self._limit:
                self._flush()
            if not self._html and not piece.text.strip():
                continue  # a message never starts with a bare separator
            self._html.append(rendered)
            self._plain.append(piece.text)
            self._size += size

    def finish(self) -> list[str]:
        self._flush()
        return self._messages

    def _flush(self) -> None:
        if "".join(self._plain).strip():  # Telegram refuses messages with no visible text
            self._messages.append("".join(self._html).strip())
        self._html, self._plain, self._size = [], [], 0


def _split_span(span: Span, limit: int) -> list[Span]:
    overhead = utf16_len(span.with_text("").html())
    if overhead + _escaped_len(span.text) <= limit:
        return [span]
    budget = limit - overhead
    return [span.with_text(piece) for piece in _split_text(span.text, budget)]


def _escaped_len(text: str) -> int:
    return utf16_len(html.escape(text, quote=False))


def _split_text(text: str, budget: int) -> list[str]:
    pieces = []
    while text:
        cut = _fitting_prefix(text, budget)
        if cut < len(text):
            cut = _nicer_cut(text, cut)
        pieces.append(text[:cut])
        text = text[cut:]
    return pieces


def _fitting_prefix(text: str, budget: int) -> int:
    """How many leading characters fit in `budget` once escaped (at least one)."""
    used = 0
    for position, char in enumerate(text):
        used += _ESCAPED_LENGTH.get(char, 2 if ord(char) > 0xFFFF else 1)
        if used > budget:
            return max(1, position)
    return len(text)


def _nicer_cut(text: str, cut: int) -> int:
    """Move a hard cut back to a paragraph, sentence or word end if one is close enough."""
    for separator in _CUT_PREFERENCES:
        found = text.rfind(separator, cut // 2, cut)
        if found != -1:
            return found + len(separator)
    return cut


PARAGRAPH = Span("\n\n")
LINE = Span("\n")


def plain_messages(text: str) -> list[str]:
    """Any text (an error message, say) shown as it is."""
    return pack([Span(text)]) or [messages.EMPTY_TEXT]


def plain_preview(text: str, limit: int) -> str:
    """One clean line of at most `limit` characters, for inline-result titles and buttons."""
    line = " ".join(clean_text(text).split())
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", limit // 2, limit)
    return line[: cut if cut != -1 else limit - 1].rstrip() + "…"


def format_date(value: str) -> str:
    """2023-01-30 -> 30 Jan 2023; anything else is shown as it is."""
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{date.day} {date:%b %Y}"
