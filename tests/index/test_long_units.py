"""Text without sentence breaks: every unit is bounded, so every part of a document can be
found. Unit tests of the cutting, properties over arbitrary run-on text, then the real
engine answering from the end of long documents of each kind."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import Answer, Engine
from index.ingest.chunking import MAX_SENTENCE_CHARS, Chunk, Span, chunk_text, split_sentences
from index.ingest.documents import parse_bytes
from tests.support.engine_support import OpenEngine
from tests.support.long_samples import (
    BRIDGE_FACT,
    BRIDGE_QUESTION,
    markdown_table,
    minified_page,
    one_paragraph,
    transcript,
    words,
)

pytest_plugins = ("tests.support.engine_fixtures",)


def texts_of(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


# ----- cutting a run-on sentence -----------------------------------------------------------


def test_a_long_sentence_is_cut_after_its_clauses() -> None:
    names = "; ".join(f"the mayor of town number {i} and her deputy" for i in range(30))
    text = f"Guests included {names}."

    pieces = texts_of(text, split_sentences(text))

    assert len(pieces) > 1
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert all(piece.endswith(";") for piece in pieces[:-1])  # cut where a clause ends
    assert " ".join(pieces) == text


def test_text_without_punctuation_is_cut_between_words_into_even_pieces() -> None:
    text = transcript(600)

    pieces = texts_of(text, split_sentences(text))

    assert " ".join(pieces) == text  # no word cut, nothing lost
    lengths = [len(piece) for piece in pieces]
    assert max(lengths) <= MAX_SENTENCE_CHARS
    assert min(lengths) > MAX_SENTENCE_CHARS // 2  # no stub of one word at the end


def test_a_word_longer_than_the_bound_is_cut() -> None:
    word = "x" * (2 * MAX_SENTENCE_CHARS + 10)
    text = f"It reads {word} here"

    pieces = texts_of(text, split_sentences(text))

    assert pieces[0] == "It reads"  # cut before the long word first
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert "".join(pieces[1:]) == f"{word} here"


def test_a_sentence_within_the_bound_is_left_whole() -> None:
    sentence = "A quiet sentence, with commas; and a colon: nothing more " + "and more " * 40
    text = sentence.strip() + "."
    assert len(text) <= MAX_SENTENCE_CHARS

    assert texts_of(text, split_sentences(text)) == [text]


def test_a_transcript_becomes_bounded_chunks_that_reach_its_end() -> None:
    text = transcript()

    chunks = chunk_text(text, 1000, 1)

    assert all(len(chunk.text) <= 1000 for chunk in chunks)
    assert chunks[-1].end == len(text)
    assert any(BRIDGE_FACT.split(" was ")[1] in chunk.text for chunk in chunks)


# ----- properties over arbitrary run-on text -----------------------------------------------

RUN_ON_PIECES = st.sampled_from(
    [
        "word ",
        "council ",
        "w" * 37,
        "x" * 700,
        ", ",
        "; ",
        ": ",
        " — ",
        "\n",
        "\n\n",
        " | ",
        "- ",
        "東京",
        "、",
        ". ",
        "  ",
        "\t",
    ]
)
RUN_ON = st.lists(RUN_ON_PIECES, max_size=300).map("".join)


def visible(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if not ch.isspace()]


def check_bounded_cover(text: str, chunks: list[Chunk], max_chars: int) -> None:
    """Every chunk and sentence within its bound, chunks in document order, offsets exact,
    and every visible character of the text inside some sentence."""
    sentence_limit = min(MAX_SENTENCE_CHARS, max_chars)
    in_sentences: set[int] = set()
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= max_chars
        for sentence in chunk.sentences:
            assert 0 < sentence.end - sentence.start <= sentence_limit
            in_sentences.update(range(chunk.start + sentence.start, chunk.start + sentence.end))
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start and before.end <= after.end
    assert [i for i in visible(text) if i not in in_sentences] == []


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(RUN_ON, st.text(max_size=3000)), max_chars=st.integers(100, 4000))
def test_any_text_is_cut_into_bounded_units_that_cover_it(text: str, max_chars: int) -> None:
    check_bounded_cover(text, chunk_text(text, max_chars, 1), max_chars)


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(RUN_ON, st.text(max_size=2000)), limit=st.integers(1, 600))
def test_sentences_are_bounded_and_cover_the_text_in_order(text: str, limit: int) -> None:
    spans = split_sentences(text, offset=0, max_chars=limit)

    assert all(0 < s.end - s.start <= limit for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert [i for i in visible(text) if i not in covered] == []


# ----- the real engine answers from the end of long documents ------------------------------


@pytest.fixture
def engine(tmp_path: Path, open_engine: OpenEngine) -> Engine:
    return open_engine(tmp_path / "index")[0]


def answer_from(engine: Engine, filename: str, data: bytes, question: str) -> Answer:
    """Add one file, ask one question; every passage must point at its place in the text."""
    engine.add_bytes(filename, data)
    answer = engine.answer(question)
    text = parse_bytes(filename, data).text
    for passage in answer.passages:
        assert text[passage.start : passage.end] == passage.text.strip("…")
    return answer


def test_a_transcript_without_punctuation_is_answered_from_its_end(engine: Engine) -> None:
    answer = answer_from(engine, "council-meeting.txt", transcript().encode(), BRIDGE_QUESTION)

    assert answer.confident
    assert "48 million dollars" in answer.text
    assert len(answer.text) <= 300


def test_one_row_of_a_long_markdown_table_is_answered_with_its_header(engine: Engine) -> None:
    table = markdown_table(2000, ("Harbor Point", "7412", "Lena Okafor"))

    answer = answer_from(
        engine, "county-results.md", table.encode(), "how many votes did Lena Okafor get"
    )

    assert answer.confident
    assert "District: Harbor Point | Votes: 7412 | Winner: Lena Okafor" in answer.text


def test_a_minified_page_is_answered_from_its_last_paragraph(engine: Engine) -> None:
    title = "Council meets about the harbour"
    last = f"{words(300, seed=9)} the harbour fee was raised to 12 euros {words(10, seed=10)}"
    page = minified_page(title, [words(800, seed=seed) for seed in range(3)] + [last])

    answer = answer_from(engine, "harbour.html", page, "what was the harbour fee raised to")

    assert answer.confident
    assert "12 euros" in answer.text
    assert parse_bytes("harbour.html", page).text.startswith(f"{title}\n\n")


def test_a_one_megabyte_paragraph_is_answered_from_its_end(engine: Engine) -> None:
    text = one_paragraph(1_000_000, "the new ferry will carry 640 passengers")
    assert len(text) > 1_000_000 and "." not in text

    answer = answer_from(
        engine, "endless.txt", text.encode(), "how many passengers will the new ferry carry"
    )

    assert answer.confident
    assert "640 passengers" in answer.text


def test_a_passage_too_long_to_show_is_cut_around_the_question_words(
    tmp_path: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(
        tmp_path / "index", chunking={"max_chars": 4000}, answer={"passage_max_chars": 400}
    )

    answer = answer_from(engine, "council-meeting.txt", transcript().encode(), BRIDGE_QUESTION)

    source = answer.passages[0]  # the passage the answer comes from
    assert len(source.text) <= 400
    assert source.text.startswith("…")
    assert "final cost was 48 million dollars" in source.text
