"""Telegram's HTML parse mode, checked strictly.

The emulator must reject every markup Telegram rejects, and also what the Bot API docs forbid
even where Telegram happens to be lenient (bare ``<``, ``>``, ``&``; named entities other than
``&lt; &gt; &amp; &quot;``; the ``</>`` shortcut), so that a bot passing these tests is valid
by the documentation, not by luck. Error texts follow Telegram's ("can't parse entities: ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

Entity = dict[str, Any]

_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE_ENTITY_TYPES, "a", "blockquote", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_EMPTY_END_TAG = re.compile(r"</\s*>")
_TAG_NAME = re.compile(r"[^\s>]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# html.parser silently drops a "&" that ends its input ("Q&A" would parse as "QA"); a final
# noncharacter makes every reference look terminated, and is removed again from the text.
_END_SENTINEL = "\uffff"


class HtmlParseError(ValueError):
    """Markup Telegram would refuse; the message is Telegram's description minus "Bad Request: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"can't parse entities: {reason}")


@dataclass(frozen=True)
class ParsedText:
    """Visible text plus Bot API MessageEntity dicts (offsets in UTF-16 code units)."""

    text: str
    entities: list[Entity] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_telegram_html(markup: str) -> ParsedText:
    """Parse HTML-formatted message text into visible text and entities (not whitespace-trimmed)."""
    require_utf8(markup)
    empty_end_tag = _EMPTY_END_TAG.search(markup)
    if empty_end_tag:
        offset = _byte_offset(markup, empty_end_tag.start())
        raise HtmlParseError(f"Empty end tag at byte offset {offset} is not supported")
    parser = _TelegramHtmlParser(markup)
    parser.feed(markup + _END_SENTINEL)
    parser.close()
    return parser.result()


def require_utf8(text: str) -> None:
    """Lone surrogates cannot be sent as UTF-8; Telegram refuses such strings."""
    if _LONE_SURROGATE.search(text):
        raise ValueError("strings must be encoded in UTF-8")


def validate_telegram_html(markup: str) -> str:
    """The text a user would see (trimmed like Telegram does); ValueError if Telegram refuses."""
    return parse_telegram_html(markup).text.strip()


def _byte_offset(markup: str, char_index: int) -> int:
    return len(markup[:char_index].encode("utf-8", "surrogatepass"))


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    utf16_start: int
    order: int
    language: str = ""


class _TelegramHtmlParser(HTMLParser):
    """Collects visible text and entities, raising HtmlParseError at the first violation."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=False)
        self._markup = markup
        self._line_starts = [0] + [i + 1 for i, char in enumerate(markup) if char == "\n"]
        self._pieces: list[str] = []
        self._utf16_offset = 0
        self._open: list[_OpenTag] = []
        self._tags_opened = 0
        self._entities: list[tuple[int, Entity]] = []

    def result(self) -> ParsedText:
        if self._open:
            name = self._open[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        # Outer entities first, as Telegram lists them.
        ordered = sorted(self._entities, key=lambda e: (e[1]["offset"], -e[1]["length"], e[0]))
        return ParsedText("".join(self._pieces), [entity for _, entity in ordered])

    # --- positions -------------------------------------------------------------------------
    def _char_index(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _here(self, extra_chars: int = 0) -> int:
        """Byte offset (UTF-8) of the construct being handled, as Telegram reports it."""
        return _byte_offset(self._markup, self._char_index() + extra_chars)

    def _append(self, text: str) -> None:
        self._pieces.append(text)
        self._utf16_offset += utf16_len(text)

    # --- tags ------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {self._here()}')
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")
        if tag == "span" and values.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._here()}'
            )
        if tag == "tg-emoji" and not values.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {self._here()}'
            )
        self._open.append(_OpenTag(tag, values, self._utf16_offset, self._tags_opened))
        self._tags_opened += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._here()}")
        opened = self._open[-1]
        if opened.name != tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._here()}, "
                f'expected "</{opened.name}>", found "</{tag}>"'
            )
        self._open.pop()
        self._close_entity(opened)

    def _close_entity(self, opened: _OpenTag) -> None:
        length = self._utf16_offset - opened.utf16_start
        if length == 0:
            return
        if self._sets_pre_language(opened):
            return
        entity = self._entity_for(opened)
        if entity is not None:
            located = {**entity, "offset": opened.utf16_start, "length": length}
            self._entities.append((opened.order, located))

    def _sets_pre_language(self, opened: _OpenTag) -> bool:
        """<pre><code class="language-x"> is one pre entity with a language, not two entities."""
        parent = self._open[-1] if self._open else None
        css_class = opened.attrs.get("class", "")
        language = css_class.removeprefix("language-")
        if opened.name != "code" or parent is None or parent.name != "pre":
            return False
        if not css_class.startswith("language-") or not language:
            return False
        parent.language = language
        return True

    @staticmethod
    def _entity_for(opened: _OpenTag) -> Entity | None:
        if opened.name == "a":
            href = opened.attrs.get("href", "")
            return {"type": "text_link", "url": href} if href else None
        if opened.name == "blockquote":
            expandable = "expandable" in opened.attrs
            return {"type": "expandable_blockquote" if expandable else "blockquote"}
        if opened.name == "tg-emoji":
            return {"type": "custom_emoji", "custom_emoji_id": opened.attrs["emoji-id"]}
        if opened.name == "pre" and opened.language:
            return {"type": "pre", "language": opened.language}
        return {"type": _SIMPLE_ENTITY_TYPES[opened.name]}

    # --- text and character references ------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self._char_index() + len(data) > len(self._markup):
            data = data.removesuffix(_END_SENTINEL)
        for index, char in enumerate(data):
            if char == "<":
                self._reject_open_bracket(self._char_index() + index)
            if char in "&>":
                escaped = "&amp;" if char == "&" else "&gt;"
                raise HtmlParseError(
                    f'Unescaped "{char}" at byte offset {self._here(index)}; '
                    f'it must be written as "{escaped}"'
                )
        self._append(data)

    def _reject_open_bracket(self, char_index: int) -> None:
        offset = _byte_offset(self._markup, char_index)
        if ">" not in self._markup[char_index:]:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        name_match = _TAG_NAME.match(self._markup, char_index + 1)
        name = name_match.group(0) if name_match else ""
        raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')

    def handle_entityref(self, name: str) -> None:
        self._require_semicolon(1 + len(name))
        if name not in _NAMED_ENTITIES:
            raise HtmlParseError(
                f'Unsupported HTML entity "&{name};" at byte offset {self._here()}; '
                "only &lt; &gt; &amp; &quot; and numeric entities are allowed"
            )
        self._append(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self._require_semicolon(2 + len(name))
        is_hex = name[:1] in ("x", "X")
        try:
            code_point = int(name[1:], 16) if is_hex else int(name)
        except ValueError:
            raise HtmlParseError(f"Invalid numeric entity at byte offset {self._here()}") from None
        if not 0 < code_point <= 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self._append(chr(code_point))

    def _require_semicolon(self, reference_length: int) -> None:
        end = self._char_index() + reference_length
        if self._markup[end : end + 1] != ";":
            raise HtmlParseError(
                f"Can't find end of the entity starting at byte offset {self._here()}; "
                'a literal "&" must be written as "&amp;"'
            )

    # --- constructs Telegram never accepts ---------------------------------------------------
    def handle_comment(self, data: str) -> None:
        raise HtmlParseError(f'Unsupported start tag "!--" at byte offset {self._here()}')

    def handle_decl(self, decl: str) -> None:
        raise HtmlParseError(f'Unsupported start tag "!{decl}" at byte offset {self._here()}')

    def unknown_decl(self, data: str) -> None:
        raise HtmlParseError(f'Unsupported start tag "![{data}" at byte offset {self._here()}')

    def handle_pi(self, data: str) -> None:
        raise HtmlParseError(f'Unsupported start tag "?{data}" at byte offset {self._here()}')
