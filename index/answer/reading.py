"""Reading the best passages for the words that answer the question (the span reader).

What is read, per question: the chunk the retrieval's best sentence comes from, and the
top-ranked chunk when that is another one, each after the sentence before it that the
question is nearest (so "the same charges" can be followed back to "two counts of
involuntary manslaughter"); when the reader answers neither outright, the next chunks
retrieval ranked, `SECOND_LOOK` in all (index/answer/pipeline.py: "Who died on the set of
Rust?" is answered in the article's first sentence, the fourth chunk). A chunk longer
than `READ_CHARS` is read around its best sentence only: reading costs ~19 ms per 1,000
characters on 2 cores (one model run per window, index/answer/span_reader.py), and the
reader's budget is 15 ms p50 per question; at 700 characters it added 16-17 ms, at 500 it
adds 14 (docs/performance.md).

The readings then rank the sentences to show (`ranked_sentences`: retrieval's score and the
span's), the direct answer (its span, when short and for a question asking for a fact) and,
with retrieval's probability, the "I don't know" (index/fitted.py, `ReadingConfidence`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.answer.span_reader import ReaderInput, Reading, Span
from index.answer.texts import BACK_REFERENCE, REFERENT_SENTENCES, clean, is_heading
from index.search.fusion import ScoredChunk, ScoredSentence
from index.search.index_view import IndexView

READ_CHARS = 500  # of a chunk read around its best sentence
NO_SPAN = 10.0  # a sentence with no span among the reader's rivals: this far below the best


class Reader(Protocol):
    """What answering needs of a span reader (index.answer.span_reader.SpanReader)."""

    def read(self, inputs: Sequence[ReaderInput]) -> list[Reading]: ...


class LazyReader:
    """Loads the shipped reader on first use: opening an index to add files never pays for
    it, and an index with no questions yet starts in no time."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    def read(self, inputs: Sequence[ReaderInput]) -> list[Reading]:
        if not inputs:
            return []
        with self._lock:
            if self._reader is None:
                from index.answer.span_reader import SpanReader

                self._reader = SpanReader(self._path)
        return self._reader.read(inputs)


@dataclass(frozen=True)
class PassageReading:
    """One chunk as read: `context` = the sentences just before the read part (`prefix`,
    in the article's order) + `chunk.text[begin:...]`."""

    item: ScoredChunk
    context: str
    offset: int  # where the chunk's text starts in `context`
    begin: int  # where the read part starts in the chunk's text
    reading: Reading
    prefix: tuple[str, ...] = ()
    second_look: bool = False  # read because the reader answered none of the first outright

    def prefix_sentence_at(self, position: int) -> int | None:
        """Which sentence of the prefix holds `position` of the context (None: not one)."""
        start = 0
        for number, sentence in enumerate(self.prefix):
            if start <= position < start + len(sentence):
                return number
            start += len(sentence) + 1
        return None

    def prefix_bounds(self, number: int) -> tuple[int, int]:
        start = sum(len(sentence) + 1 for sentence in self.prefix[:number])
        return start, start + len(self.prefix[number])

    def sentences(self) -> list[ScoredSentence]:
        """The chunk's sentences inside the read part, in text order."""
        stop = self.begin + len(self.context) - self.offset
        inside = [s for s in self.item.sentences if s.start >= self.begin and s.end <= stop]
        return sorted(inside, key=lambda s: s.start)

    def best_span_in(self, sentence: ScoredSentence, first: bool) -> Span | None:
        """The surest span starting in `sentence`; the `first` read sentence also owns the
        spans of the sentence before it when it leans on it ("the same charges")."""
        text = self.item.chunk.text[sentence.start : sentence.end]
        owns_before = first and BACK_REFERENCE.search(text) is not None
        for span in self.reading.spans:  # best first
            at = span.start - self.offset + self.begin
            if sentence.start <= at < sentence.end or (owns_before and span.start < self.offset):
                return span
        return None

    def text(self, span: Span) -> str:
        return self.context[span.start : span.end].strip()

    @property
    def answers_outright(self) -> bool:
        """The best span beats the no-answer score, and lies in the chunk, not in the
        sentences read before it (which answer only as what a sentence leans on)."""
        best = self.reading.best
        return best is not None and self.reading.margin < 0 and best.start >= self.offset


@dataclass(frozen=True)
class Choice:
    """The sentence an answer is built on, and the reader's span in it (or in `lead`)."""

    read: PassageReading
    sentence: ScoredSentence
    span: Span | None
    lead: tuple[str, ...]  # the sentences before the read part, from the span's one

    @property
    def within_one_sentence(self) -> bool:
        """The span lies inside the chosen sentence, or inside the sentence read before it."""
        if self.span is None:
            return False
        read = self.read
        if self.span.start < read.offset:
            number = read.prefix_sentence_at(self.span.start)
            return number is not None and self.span.end <= read.prefix_bounds(number)[1]
        start = self.span.start - read.offset + read.begin
        end = self.span.end - read.offset + read.begin
        return self.sentence.start <= start and end <= self.sentence.end

    @property
    def margin(self) -> float:
        """The reader's no-answer score - this span's score (inf without a span)."""
        return math.inf if self.span is None else self.read.reading.null_score - self.span.score


def ranked_sentences(readings: Sequence[PassageReading], weight: float) -> list[Choice]:
    """The read sentences, best first by retrieval score + `weight` x its best span's score
    (relative to the best span read): weight 0 keeps retrieval's order, a large weight
    takes the reader's. A sentence without a span among the reader's rivals counts
    `NO_SPAN` below the best."""
    top = max((r.reading.best.score for r in readings if r.reading.best), default=0.0)
    scored: list[tuple[float, Choice]] = []
    for read in readings:
        for number, sentence in enumerate(read.sentences()):
            # A heading is chosen on retrieval's evidence alone: the reader's spans in it
            # answered "Who died?" with "Mickey Rourke Stands Firm That ...".
            heading = is_heading(read.item, sentence)
            span = None if heading else read.best_span_in(sentence, first=number == 0)
            relative = (span.score if span else top - NO_SPAN) - top
            lead: tuple[str, ...] = ()
            if span is not None and span.start < read.offset:
                holder = read.prefix_sentence_at(span.start)
                lead = read.prefix[holder or 0 :]
            scored.append((sentence.score + weight * relative, Choice(read, sentence, span, lead)))
    scored.sort(key=lambda pair: pair[0], reverse=True)  # stable: ties keep the reading order
    return [choice for _, choice in scored]


def read_passages(
    reader: Reader,
    questions: Sequence[str],
    chosen: Sequence[Sequence[ScoredChunk]],
    view: IndexView,
) -> list[list[PassageReading]]:
    """Each question's chosen chunks as read, in one reader call for the whole batch."""
    plans = [
        (number, item, *_read_part(item, view))
        for number, items in enumerate(chosen)
        for item in items
    ]
    contexts = [
        _joined(prefix, item.chunk.text[begin:end]) for _, item, prefix, begin, end in plans
    ]
    readings = reader.read(
        [
            ReaderInput(questions[plan[0]], context)
            for plan, context in zip(plans, contexts, strict=True)
        ]
    )
    read: list[list[PassageReading]] = [[] for _ in questions]
    for (number, item, prefix, begin, _), context, reading in zip(
        plans, contexts, readings, strict=True
    ):
        read[number].append(
            PassageReading(item, context, _joined_length(prefix), begin, reading, prefix)
        )
    return read


def chunks_to_read(ranked: Sequence[ScoredChunk], pool: int) -> list[ScoredChunk]:
    """The chunk of the best sentence among the first `pool`, and the first chunk."""
    if not ranked:
        return []
    candidates = [item for item in ranked[:pool] if item.best_sentence is not None]
    if not candidates:
        return [ranked[0]]
    best = max(candidates, key=lambda item: item.best_sentence.score)  # type: ignore[union-attr]
    return [best] if best is ranked[0] else [best, ranked[0]]


def chunks_past(
    ranked: Sequence[ScoredChunk], read: Sequence[ScoredChunk], most: int
) -> list[ScoredChunk]:
    """The best-ranked chunks not read yet, so that `most` are read in all."""
    done = {item.chunk.chunk_id for item in read}
    unread = [item for item in ranked[:most] if item.chunk.chunk_id not in done]
    return unread[: max(most - len(read), 0)]


def surest(readings: Sequence[PassageReading]) -> PassageReading | None:
    """The reading whose best span beats its no-answer score by the most."""
    return min(readings, key=lambda read: read.reading.margin, default=None)


def _read_part(item: ScoredChunk, view: IndexView) -> tuple[tuple[str, ...], int, int]:
    """What is read of a chunk: (the sentences just before the part, in order; where the part
    starts and ends in the chunk's text).

    The sentences before are the article's own, adjacent to the part, so the reader can follow
    "the same charges" back to "two counts of involuntary manslaughter" two sentences before,
    and nothing it answers from joins sentences the article keeps apart; a heading ends them."""
    begin, end = _around_best_sentence(item, READ_CHARS)
    before = [
        clean(text) for text, _ in view.earlier_sentences(item.chunk, begin, REFERENT_SENTENCES)
    ]
    return tuple(reversed(before)), begin, end


def _joined(prefix: Sequence[str], part: str) -> str:
    return " ".join([*prefix, part]) if prefix else part


def _joined_length(prefix: Sequence[str]) -> int:
    """Where the read part starts in the context after `prefix` and its spaces."""
    return sum(len(sentence) + 1 for sentence in prefix)


def _around_best_sentence(item: ScoredChunk, limit: int) -> tuple[int, int]:
    """The whole chunk when it fits, else whole sentences around its best one."""
    text = item.chunk.text
    best = item.best_sentence
    if len(text) <= limit or best is None:
        return 0, len(text)
    ordered = sorted(item.sentences, key=lambda s: s.start)
    at = ordered.index(best)
    low, high = at, at
    while True:  # widen by the neighbour on the side that keeps the read part shorter
        grown = False
        for side in (high + 1, low - 1):
            if 0 <= side < len(ordered):
                start = min(ordered[low].start, ordered[side].start)
                stop = max(ordered[high].end, ordered[side].end)
                if stop - start <= limit:
                    low, high = min(low, side), max(high, side)
                    grown = True
        if not grown:
            return ordered[low].start, max(ordered[high].end, ordered[low].start)
