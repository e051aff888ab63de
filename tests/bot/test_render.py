"""Rendering: whatever the articles or people contain, every message is valid and fits."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.view.answers import answer_messages, more_messages, not_found_messages
from bot.view.html import MAX_MESSAGE_CHARS, Span, clean_text, pack, plain_preview
from bot.view.lists import sources_messages
from index.api import Answer, DocumentInfo, Passage
from tests.support.emulator.html_check import parse_telegram_html, utf16_len, validate_telegram_html

HOSTILE_PIECES = [
    "<b>",
    "</b>",
    "</blockquote>",
    "<a href='x'>",
    "&amp;",
    "&lt;",
    "&#x27;",
    "&nbsp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "\x00",
    "\r\n",
    "\r",
    "\u202e",  # right-to-left override
    "\u200f",
    "שלום",
    "مرحبا",
    "😀",
    "👩‍👩‍👧",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "\n\n",
    " ",
]
hostile_text = st.lists(
    st.one_of(
        st.characters(),
        st.characters(categories=["Cs"]),  # lone surrogates: not valid UTF-8/UTF-16
        st.sampled_from(HOSTILE_PIECES),
    ),
    max_size=60,
).map("".join)
# Long inputs built from a few repeated pieces, to exercise splitting cheaply.
long_text = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from(["a", "&", "😀", "<b>", "word ", "Sentence. ", "x\n", *HOSTILE_PIECES]),
    st.integers(min_value=500, max_value=6000),
)
any_text = st.one_of(hostile_text, long_text)


def passage(text: str, title: str = "Title", source: str = "corpus/a.txt", date: str | None = None):
    return Passage(
        text=text,
        score=1.0,
        doc_id="doc",
        title=title,
        source=source,
        date=date,
        start=0,
        end=len(text),
        chunk_id=1,
    )


def assert_sendable(parts: list[str]) -> list[str]:
    """Each part parses as Telegram HTML, is visible and within 4096; returns visible texts."""
    assert parts, "nothing to send"
    visible = []
    for part in parts:
        text = validate_telegram_html(part)  # raises on any markup Telegram would refuse
        assert text, f"empty message: {part!r}"
        assert utf16_len(text) <= MAX_MESSAGE_CHARS
        assert utf16_len(part) <= MAX_MESSAGE_CHARS
        part.encode("utf-8")  # no lone surrogates: it must be sendable as JSON/UTF-8
        visible.append(text)
    return visible


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=150, deadline=None)
@given(any_text)
def test_pack_keeps_every_visible_character_exactly_once(text: str) -> None:
    cleaned = clean_text(text)
    parts = pack([Span(text, "blockquote")])
    if not cleaned.strip():
        assert parts == []
        return
    visible = assert_sendable(parts)
    assert squeeze("".join(visible)) == squeeze(cleaned)


@settings(max_examples=120, deadline=None)
@given(
    answer_text=any_text,
    passage_text=any_text,
    title=hostile_text,
    source=st.one_of(hostile_text, st.just("https://example.com/a?b=1&c=<2>")),
    date=st.one_of(st.none(), st.just("2023-01-30"), hostile_text),
    confident=st.booleans(),
    topics=st.lists(hostile_text, max_size=12),
)
def test_any_answer_renders_to_valid_messages(
    answer_text: str,
    passage_text: str,
    title: str,
    source: str,
    date: str | None,
    confident: bool,
    topics: list[str],
) -> None:
    shown = passage(passage_text, title, source, date)
    answer = Answer(
        question="q",
        text=answer_text,
        confident=confident,
        passages=[shown],
        topics=topics,
        direct=title or None,
        closest=None if confident else shown,
    )
    assert_sendable(answer_messages(answer))
    assert_sendable(more_messages(answer.passages[0], 1, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(hostile_text, hostile_text, st.booleans()), max_size=80))
def test_any_document_list_renders(rows: list[tuple[str, str, bool]]) -> None:
    documents = [
        DocumentInfo(doc_id=doc_id, title=title, source="s", date=None, chunks=1, content_hash="")
        for title, doc_id, _ in rows
    ]
    assert_sendable(sources_messages(documents, with_ids=True))


def test_answer_reads_answer_then_quote_then_source() -> None:
    answer = Answer(
        question="What charges?",
        text="Involuntary manslaughter & more <b>",
        confident=True,
        passages=[
            passage("The charges are <serious>.", "Rust & co", "https://x.org/a", "2023-01-30")
        ],
    )
    [message] = answer_messages(answer)
    parsed = parse_telegram_html(message)
    assert parsed.text.startswith("Involuntary manslaughter & more <b>")
    quote = next(e for e in parsed.entities if e["type"] == "blockquote")
    quoted = parsed.text[quote["offset"] : quote["offset"] + quote["length"]]
    assert quoted == "The charges are <serious>."
    assert parsed.text.endswith("📰 Rust & co · 30 Jan 2023")
    link = next(e for e in parsed.entities if e["type"] == "text_link")
    assert link["url"] == "https://x.org/a"


def test_a_direct_answer_comes_first_in_bold_above_the_sentence() -> None:
    answer = Answer(
        question="What charges does Gutierrez Reed face?",
        text="Alec Baldwin is facing two counts of involuntary manslaughter.",
        confident=True,
        passages=[passage("Prosecutors are handing Rust armorer the same charges.")],
        direct="two counts of involuntary manslaughter",
    )
    [message] = answer_messages(answer)
    parsed = parse_telegram_html(message)
    assert parsed.text.startswith(
        "two counts of involuntary manslaughter\nAlec Baldwin is facing two counts"
    )
    bold = [e for e in parsed.entities if e["type"] == "bold"]
    assert [parsed.text[e["offset"] : e["offset"] + e["length"]] for e in bold] == [
        "two counts of involuntary manslaughter"
    ]


def test_a_near_miss_shows_the_closest_passage_marked_as_not_the_answer() -> None:
    closest = passage("The movie’s first assistant director, Dave Halls, took a plea deal.")
    refused = Answer("Who is the director of Rust?", "", False, [closest], ["Rust"])
    [plain] = answer_messages(refused)  # off topic: no passage
    assert "Dave Halls" not in validate_telegram_html(plain)
    near_miss = Answer(
        "Who is the director of Rust?", "", False, [closest], ["Rust"], closest=closest
    )
    [message] = answer_messages(near_miss)
    parsed = parse_telegram_html(message)
    assert parsed.text.startswith("I couldn't find that in the articles I have.")
    marker = parsed.text.index("The closest I found (it does not answer your question):")
    quote = next(e for e in parsed.entities if e["type"] == "blockquote")
    assert quote["offset"] > marker
    assert "Dave Halls" in parsed.text[quote["offset"] : quote["offset"] + quote["length"]]
    assert "• Rust" in parsed.text


def test_non_url_sources_are_not_links() -> None:
    """Server file paths (or `javascript:`) never become links."""
    for source in ("/srv/corpus/a.txt", "javascript:alert(1)", 'https://x.org/"onclick'):
        [message] = answer_messages(Answer("q", "a", True, [passage("p", "T", source)], score=1.0))
        parsed = parse_telegram_html(message)
        assert not any(e["type"] == "text_link" for e in parsed.entities)
        assert source not in parsed.text


def test_long_answer_is_split_with_each_part_closing_its_quote() -> None:
    sentence = "Prosecutors filed the charges on Thursday & said <more> would follow. "
    answer = Answer("q", "Short answer.", True, [passage(sentence * 120)])
    parts = answer_messages(answer)
    assert len(parts) >= 2
    visible = assert_sendable(parts)
    assert visible[0].startswith("Short answer.")
    for part in parts:
        assert part.count("<blockquote>") == part.count("</blockquote>")
    # cut at sentence ends, not inside words
    assert all(text.rstrip().endswith(("follow.", "2023", "Title")) for text in visible)


def test_emoji_count_double_towards_the_limit() -> None:
    parts = pack([Span("😀" * 3000)])  # 3000 characters but 6000 UTF-16 units
    assert len(parts) == 2
    assert_sendable(parts)


def test_not_found_lists_topics() -> None:
    [message] = not_found_messages(["Rust shooting", "<Elections>"])
    text = validate_telegram_html(message)
    assert text.startswith("I couldn't find that in the articles I have.")
    assert "• Rust shooting" in text and "• <Elections>" in text


def test_clean_text_drops_what_cannot_be_sent() -> None:
    assert clean_text("a\x00b\ud800c\r\nd\x7f\ufffe") == "abc\nd"
    assert clean_text("שלום 😀 \u202e") == "שלום 😀 \u202e"


def test_plain_preview_is_one_short_line() -> None:
    assert plain_preview("one\ntwo   three", 50) == "one two three"
    preview = plain_preview("word " * 50, 30)
    assert len(preview) <= 30 and preview.endswith("…")
