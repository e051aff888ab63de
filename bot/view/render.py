"""Answers and lists as Telegram HTML messages that are always valid and never too long.

Text from articles and people is cleaned (control characters, lone surrogates removed) and
escaped; markup is made only here, from Spans, so a message can be cut between or inside
spans and every piece still opens and closes its own tags.

Lengths are counted in UTF-16 code units of the HTML source. Telegram counts the text after
parsing the markup, which is never longer, so the 4,096 limit holds however it is counted.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram.constants import MessageLimit

from bot import messages
from index.api import Answer, DocumentInfo, FeedInfo, IndexStats, LatestArticle, Passage

MAX_MESSAGE_CHARS: int = MessageLimit.MAX_TEXT_LENGTH
MAX_TOPICS = 10

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


# --- what the bot says ---------------------------------------------------------------

PARAGRAPH = Span("\n\n")
LINE = Span("\n")


def answer_messages(answer: Answer) -> list[str]:
    """The direct answer in bold (when there is one), the sentence, then the best passage
    as a quote and its source; a refusal says what the articles cover instead."""
    if not answer.confident or not answer.passages:
        return not_found_messages(answer.topics, answer.closest)
    if answer.direct:
        lead = [Span(answer.direct, "b"), LINE, Span(answer.text)]
    else:
        lead = [Span(answer.text, "b")]
    spans = [*lead, PARAGRAPH, *passage_spans(answer.passages[0])]
    return pack(spans) or not_found_messages(answer.topics)


def more_messages(passage: Passage, index: int, total: int) -> list[str]:
    """One further passage, shown when "More" is tapped."""
    heading = Span(f"More from the articles ({index + 1}/{total})", "i")
    return pack([heading, LINE, *passage_spans(passage)]) or [messages.NOTHING_MORE]


def passage_spans(passage: Passage) -> list[Span]:
    return [Span(passage.text, "blockquote"), LINE, *source_spans(passage)]


def source_spans(passage: Passage) -> list[Span]:
    title = passage.title.strip() or "Untitled article"
    spans = [Span("📰 "), Span(title, "a", href=passage.source)]
    if passage.date:
        spans.append(Span(f" · {format_date(passage.date)}"))
    return spans


def format_date(value: str) -> str:
    """2023-01-30 -> 30 Jan 2023; anything else is shown as it is."""
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{date.day} {date:%b %Y}"


def not_found_messages(topics: Sequence[str], closest: Passage | None = None) -> list[str]:
    """ "I couldn't find that", the passage nearest to a near miss (marked as not the answer,
    so a person can judge), and the articles' topics."""
    spans = [Span(messages.NOT_FOUND)]
    if closest is not None:
        spans += [PARAGRAPH, Span(messages.CLOSEST, "i"), LINE, *passage_spans(closest)]
    shown = [topic for topic in topics if clean_text(topic).strip()][:MAX_TOPICS]
    if shown:
        spans += [PARAGRAPH, Span(messages.TOPICS_INTRO), LINE]
        spans += [Span(f"• {topic}\n") for topic in shown]
    return pack(spans)


def sources_messages(documents: Sequence[DocumentInfo], *, with_ids: bool) -> list[str]:
    """The indexed articles; admins also see the ids that /remove takes."""
    if not documents:
        return pack([Span(messages.NO_SOURCES)])
    spans = [Span(messages.sources_intro(len(documents)), "b"), LINE]
    for document in documents:
        spans += [Span("• "), Span(document.title or document.doc_id, "i")]
        if document.date:
            spans.append(Span(f" · {format_date(document.date)}"))
        if with_ids:
            spans += [Span(" "), Span(document.doc_id, "code")]
        spans.append(LINE)
    return pack(spans)


def added_messages(documents: Sequence[DocumentInfo]) -> list[str]:
    spans = [Span(messages.ADDED_INTRO, "b"), LINE]
    for document in documents:
        spans += [Span("• "), Span(document.title or document.doc_id, "i")]
        spans += [Span(f" · {document.chunks} passages · id "), Span(document.doc_id, "code")]
        spans.append(LINE)
    return pack(spans)


def removed_messages(document: DocumentInfo) -> list[str]:
    return pack([Span("Removed "), Span(document.title or document.doc_id, "i"), Span(".")])


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


def stats_caption(lines: Sequence[str], index: IndexStats) -> str:
    """The /stats chart's caption (HTML): the report's lines and the index size."""
    size = (
        f"Index: {index.documents} articles, {index.chunks} passages, "
        f"{index.bytes_on_disk / 1e6:.1f} MB on disk"
    )
    return html.escape("\n".join([*lines, size]), quote=False)


def unanswered_messages(lines: Sequence[str]) -> list[str]:
    if not lines:
        return pack([Span(messages.NOTHING_UNANSWERED)])
    spans = [Span(messages.UNANSWERED_INTRO, "b"), LINE]
    spans += [Span(f"• {line}\n") for line in lines]
    return pack(spans)


def latest_messages(articles: Sequence[LatestArticle]) -> list[str]:
    """/latest: the newest articles, each with its date, linked when it has an address."""
    if not articles:
        return pack([Span(messages.NO_LATEST)])
    spans = [Span(messages.LATEST_INTRO, "b"), LINE]
    for article in articles:
        document = article.document
        title = document.title or document.doc_id
        spans.append(Span("• "))
        spans.append(Span(title, "a", href=document.url) if document.url else Span(title, "i"))
        if document.date:
            spans.append(Span(f" · {format_date(document.date)}"))
        if article.also_reported_by:
            spans.append(Span(f" (also reported by {', '.join(article.also_reported_by)})"))
        spans.append(LINE)
    return pack(spans)


def feeds_messages(feeds: Sequence[FeedInfo]) -> list[str]:
    """/feeds: each feed, its articles, when it last synced, and its last error."""
    if not feeds:
        return pack([Span(messages.NO_FEEDS)])
    spans = [Span(messages.FEEDS_INTRO, "b"), LINE]
    for feed in feeds:
        synced = (
            f"synced {feed.last_synced[:16].replace('T', ' ')}"
            if feed.last_synced
            else "never synced"
        )
        spans += [Span(f"{feed.feed_id}. "), Span(feed.title, "a", href=feed.url)]
        plural = "s" if feed.articles != 1 else ""
        spans.append(Span(f" · {feed.articles} article{plural} · {synced}"))
        if feed.last_error:
            spans += [LINE, Span(f"   ⚠️ failed {feed.failures}× in a row: {feed.last_error}", "i")]
        spans.append(LINE)
    return pack(spans)


def following_messages(topics: Sequence[str]) -> list[str]:
    if not topics:
        return pack([Span(messages.NOT_FOLLOWING)])
    spans = [Span(messages.FOLLOWING_INTRO, "b"), LINE]
    spans += [Span(f"{number}. {topic}\n") for number, topic in enumerate(topics, 1)]
    return pack(spans)


def alert_messages(topic: str, sentence: str, passage: Passage, also: Sequence[str]) -> list[str]:
    """An alert: what it is about, the article's title and date, the matching sentence
    quoted, and the link."""
    spans = [Span(f"{messages.ALERT_INTRO}: "), Span(topic, "b"), PARAGRAPH]
    spans += [Span(passage.title or "Untitled article", "b")]
    if passage.date:
        spans.append(Span(f" · {format_date(passage.date)}"))
    spans += [LINE, Span(sentence, "blockquote")]
    link = passage.url or passage.source
    if link:
        spans += [LINE, Span("📰 "), Span("Read the article", "a", href=link)]
    if also:
        spans.append(Span(f" (also reported by {', '.join(also)})"))
    return pack(spans)
