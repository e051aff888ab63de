"""What the span reader reads for a question (index/answer/reading.py): the second look's
chunks, and when a reading counts as answered outright. No model: readings are made here."""

from __future__ import annotations

from index.answer.reading import PassageReading, chunks_past
from index.answer.span_reader import Reading, Span
from index.search.fusion import ScoredChunk
from index.store.chunks import StoredChunk

BEFORE = "Halyna Hutchins died."  # a sentence read before the chunk, as `prefix`
CHUNK = "Rourke posted on Jan. 19."


def _chunk(chunk_id: int) -> ScoredChunk:
    return ScoredChunk(StoredChunk(chunk_id, "doc", chunk_id, 0, 10, CHUNK), 0.5, 0.5)


def test_the_second_look_reads_the_best_ranked_chunks_not_read_yet() -> None:
    ranked = [_chunk(n) for n in (7, 3, 9, 1, 5)]
    read = [ranked[1], ranked[0]]  # the best sentence's chunk, then the first
    assert [c.chunk.chunk_id for c in chunks_past(ranked, read, 4)] == [9, 1]
    assert [c.chunk.chunk_id for c in chunks_past(ranked, ranked[:1], 4)] == [3, 9, 1]
    assert chunks_past(ranked, ranked[:4], 4) == []
    assert [c.chunk.chunk_id for c in chunks_past(ranked[:2], read[:1], 4)] == [7]


def _reading(span: Span, null_score: float) -> PassageReading:
    context = f"{BEFORE} {CHUNK}"
    offset = len(BEFORE) + 1
    return PassageReading(
        _chunk(1), context, offset, 0, Reading(null_score, (span,)), prefix=(BEFORE,)
    )


def test_a_reading_answers_outright_with_its_best_span_in_the_chunk_above_no_answer() -> None:
    in_chunk = Span(len(BEFORE) + 1 + CHUNK.index("Jan. 19"), len(BEFORE) + 1 + len(CHUNK) - 1, 9.0)
    assert _reading(in_chunk, null_score=4.0).answers_outright
    assert not _reading(in_chunk, null_score=12.0).answers_outright  # "no answer" is surer
    # only in the sentence read before the chunk: that sentence is not the chunk's to answer
    before = Span(0, len("Halyna Hutchins"), 9.0)
    assert not _reading(before, null_score=4.0).answers_outright
