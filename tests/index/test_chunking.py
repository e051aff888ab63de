"""Chunking: offsets that point back into the document, whole sentences, size and overlap."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.ingest.chunking import MAX_SENTENCE_CHARS, Chunk, chunk_text, paragraphs, split_sentences

SENTENCES = [f"Sentence number {i} says something short about item {i}." for i in range(40)]
ARTICLE = (
    "Floods hit Lisbon\n\n"
    + " ".join(SENTENCES[:12])
    + "\n\n"
    + " ".join(SENTENCES[12:30])
    + "\nA line of its own ends here.\n\n"
    + " ".join(SENTENCES[30:])
)


def check_offsets(text: str, chunks: list[Chunk]) -> None:
    """The invariants every chunking must keep, whatever the text."""
    for ordinal, chunk in enumerate(chunks):
        assert chunk.ordinal == ordinal
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.sentences, "a chunk holds at least one sentence"
        previous_end = 0
        for sentence in chunk.sentences:
            assert previous_end <= sentence.start < sentence.end <= len(chunk.text)
            assert chunk.text[sentence.start : sentence.end].strip()
            previous_end = sentence.end
        assert chunk.sentences[0].start == 0
        assert chunk.sentences[-1].end == len(chunk.text)


def check_size(chunks: list[Chunk], max_chars: int) -> None:
    """No chunk and no sentence exceeds its bound, whatever the text."""
    sentence_limit = min(MAX_SENTENCE_CHARS, max_chars)
    for chunk in chunks:
        assert len(chunk.text) <= max_chars, chunk
        assert all(s.end - s.start <= sentence_limit for s in chunk.sentences), chunk


def absolute_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    return [(chunk.start + s.start, chunk.start + s.end) for s in chunk.sentences]


@pytest.mark.parametrize("max_chars", [120, 300, 1000])
@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_chunks_point_back_into_the_document(max_chars: int, overlap: int) -> None:
    chunks = chunk_text(ARTICLE, max_chars, overlap)

    check_offsets(ARTICLE, chunks)
    check_size(chunks, max_chars)


def paragraph_of(chunk: Chunk) -> int:
    """The paragraph holding the whole chunk (fails if the chunk crosses a paragraph break)."""
    spans = paragraphs(ARTICLE)
    return next(i for i, s in enumerate(spans) if s.start <= chunk.start and chunk.end <= s.end)


def test_every_sentence_is_in_some_chunk_and_no_chunk_crosses_a_paragraph() -> None:
    chunks = chunk_text(ARTICLE, 300, 1)

    covered = {span for chunk in chunks for span in absolute_sentences(chunk)}
    assert covered == {(s.start, s.end) for s in split_sentences(ARTICLE)}
    assert len({paragraph_of(chunk) for chunk in chunks}) == len(paragraphs(ARTICLE)) == 3


def test_neighbouring_chunks_overlap_by_whole_sentences() -> None:
    for overlap in (1, 2):
        chunks = chunk_text(ARTICLE, 300, overlap)
        pairs = [
            (a, b) for a, b in itertools.pairwise(chunks) if paragraph_of(a) == paragraph_of(b)
        ]
        assert len(pairs) >= 3
        for before, after in pairs:
            assert absolute_sentences(after)[:overlap] == absolute_sentences(before)[-overlap:]


def test_without_overlap_chunks_do_not_share_text() -> None:
    chunks = chunk_text(ARTICLE, 300, 0)

    for before, after in itertools.pairwise(chunks):
        assert before.end <= after.start


def test_a_line_break_ends_a_sentence_and_a_blank_line_a_paragraph() -> None:
    text = "Results\nTurnout was high\nNo recount was asked\n\nThe count ended at midnight."

    spans = paragraphs(text)

    assert [text[s.start : s.end] for s in spans] == [
        "Results\nTurnout was high\nNo recount was asked",
        "The count ended at midnight.",
    ]
    first = chunk_text(text, 1000, 1)[0]
    assert [first.text[s.start : s.end] for s in first.sentences] == [
        "Results",
        "Turnout was high",
        "No recount was asked",
    ]


def test_a_heading_joins_the_paragraph_below_it() -> None:
    text = "Floods hit Lisbon\n\nIt rained for nine days. The river rose.\n\nSecond part here."

    spans = paragraphs(text)

    assert [text[s.start : s.end] for s in spans] == [
        "Floods hit Lisbon\n\nIt rained for nine days. The river rose.",
        "Second part here.",
    ]
    first = chunk_text(text, 1000, 1)[0]
    assert [first.text[s.start : s.end] for s in first.sentences] == [
        "Floods hit Lisbon",  # a line break ends a sentence: no run-on heading
        "It rained for nine days.",
        "The river rose.",
    ]


def test_text_without_words_has_no_chunks() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\n \t ") == []


# ----- properties over arbitrary text ------------------------------------------------------

PIECES = st.sampled_from(
    [
        "Word",
        "word.",
        " ",
        "  ",
        "\n",
        "\n\n",
        "!",
        "?",
        "Dr.",
        "U.S.",
        "…",
        "”",
        "«",
        "\t",
        "é",
        "東京。",
    ]
)
PROSE = st.lists(PIECES, max_size=120).map("".join)
ANY_TEXT = st.text(max_size=600)


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(PROSE, ANY_TEXT), max_chars=st.integers(20, 400), overlap=st.integers(0, 3))
def test_any_text_chunks_with_valid_offsets(text: str, max_chars: int, overlap: int) -> None:
    chunks = chunk_text(text, max_chars, overlap)

    check_offsets(text, chunks)
    check_size(chunks, max_chars)
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start  # in document order, never going back


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(PROSE, ANY_TEXT))
def test_no_visible_character_is_left_out_of_every_chunk(text: str) -> None:
    chunks = chunk_text(text, 200, 1)

    covered: set[int] = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    missed = [i for i, ch in enumerate(text) if ch.isprintable() and not ch.isspace()]
    assert [i for i in missed if i not in covered] == []
