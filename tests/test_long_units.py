"""Text without sentence breaks: every unit is bounded, so every part of a document can be
found. Unit tests of the cutting, then properties over arbitrary run-on text."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import MAX_SENTENCE_CHARS, Chunk, Span, chunk_text, split_sentences
from tests.long_samples import BRIDGE_FACT, transcript


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
