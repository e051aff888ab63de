"""Reading the best passages for the words that answer the question (the span reader).

What is read, per question: the chunk the retrieval's best sentence comes from, and the
top-ranked chunk when that is another one, each after the sentence before it that the
question is nearest (so "the same charges" can be followed back to "two counts of
involuntary manslaughter"). A chunk longer than `READ_CHARS` is read around its best
sentence only: reading costs ~19 ms per 1,000 characters on 2 cores (one model run per
window, index/answer/reader.py), and the reader's budget is 15 ms p50 per question; at 700
characters it added 16-17 ms, at 500 it adds 14 (docs/performance.md).

The readings then choose the sentence shown (`choose_sentence`: retrieval's score and the
span's), the direct answer (its span, when short and for a question asking for a fact) and,
with retrieval's probability, the "I don't know" (index/fitted.py, `ReadingConfidence`).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from index.answer.reader import ReaderInput, Reading, Span
from index.search.fusion import ScoredChunk, ScoredSentence
from index.search.index_view import IndexView

READ_CHARS = 500  # of a chunk read around its best sentence
REFERENT_SENTENCES = 2  # "the same charges" may point two sentences back
DIRECT_MAX_WORDS = 12  # a longer span is a passage, not a direct answer
NO_SPAN = 10.0  # a sentence with no span among the reader's rivals: this far below the best
# Words that make a sentence lean on the one before it.
BACK_REFERENCE = re.compile(
    r"^\s*[“\"‘']?(he|she|it|they|this|that|these|those|his|her|its|their|both|such|"
    r"the former|the latter|there)\b|\bthe same\b|\b(also|too|as well|likewise|either)\b",
    re.IGNORECASE,
)
# Questions that want an explanation, not a fact: no direct answer.
_EXPLANATION = re.compile(
    r"\b(why|how (do|does|did|is|are|was|were|can|could|should|would)|explain|describe|"
    r"what (happens|happened) (when|if|after))\b",
    re.IGNORECASE,
)


class Reader(Protocol):
    """What answering needs of a span reader (index.answer.reader.SpanReader)."""

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
                from index.answer.reader import SpanReader

                self._reader = SpanReader(self._path)
        return self._reader.read(inputs)


@dataclass(frozen=True)
class PassageReading:
    """One chunk as read: `context` = a sentence before + `chunk.text[begin:...]`."""

    item: ScoredChunk
    context: str
    offset: int  # where the chunk's text starts in `context`
    begin: int  # where the read part starts in the chunk's text
    reading: Reading

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


@dataclass(frozen=True)
class Choice:
    """The sentence an answer is built on, and the reader's span in it (or in `lead`)."""

    read: PassageReading
    sentence: ScoredSentence
    span: Span | None
    lead: str  # the sentence before the read part, when the span lies in it

    @property
    def within_one_sentence(self) -> bool:
        """The span lies inside the chosen sentence, or inside the sentence read before it."""
        if self.span is None:
            return False
        read = self.read
        if self.span.start < read.offset:
            return self.span.end <= read.offset
        start = self.span.start - read.offset + read.begin
        end = self.span.end - read.offset + read.begin
        return self.sentence.start <= start and end <= self.sentence.end

    @property
    def margin(self) -> float:
        """The reader's no-answer score - this span's score (inf without a span)."""
        return math.inf if self.span is None else self.read.reading.null_score - self.span.score


def choose_sentence(readings: Sequence[PassageReading], weight: float) -> Choice | None:
    """The read sentence with the best retrieval score + `weight` x its best span's score
    (relative to the best span read): weight 0 keeps retrieval's choice, a large weight
    takes the reader's. A sentence without a span among the reader's rivals counts
    `NO_SPAN` below the best."""
    top = max((r.reading.best.score for r in readings if r.reading.best), default=0.0)
    best: tuple[float, Choice] | None = None
    for read in readings:
        for number, sentence in enumerate(read.sentences()):
            span = read.best_span_in(sentence, first=number == 0)
            relative = (span.score if span else top - NO_SPAN) - top
            score = sentence.score + weight * relative
            if best is None or score > best[0]:
                lead = ""
                if span is not None and span.start < read.offset:
                    lead = read.context[: read.offset].strip()
                best = (score, Choice(read, sentence, span, lead))
    return None if best is None else best[1]


def read_passages(
    reader: Reader,
    questions: Sequence[tuple[str, np.ndarray]],
    chosen: Sequence[Sequence[ScoredChunk]],
    view: IndexView,
) -> list[list[PassageReading]]:
    """Each question's chosen chunks as read (one reader call for the whole batch). A
    question comes with its vector, which picks the sentence read before each chunk."""
    plans: list[tuple[int, ScoredChunk, str, int, int]] = []
    for number, items in enumerate(chosen):
        for item in items:
            context, offset, begin = _context(item, view, questions[number][1])
            plans.append((number, item, context, offset, begin))
    readings = reader.read([ReaderInput(questions[n][0], context) for n, _, context, _, _ in plans])
    read: list[list[PassageReading]] = [[] for _ in questions]
    for (number, item, context, offset, begin), reading in zip(plans, readings, strict=True):
        read[number].append(PassageReading(item, context, offset, begin, reading))
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


def direct_answer(question: str, choice: Choice, max_margin: float) -> str | None:
    """The chosen span as a direct answer: short, sure, for a question asking for a fact,
    and inside one sentence (a span across sentences, "Rourke added. “But don't put the
    blame on Alec Baldwin", is not an answer a person can read)."""
    if choice.span is None or choice.margin > max_margin or _EXPLANATION.search(question):
        return None
    if not choice.within_one_sentence:
        return None
    text = choice.read.text(choice.span)
    if len(text.split()) > DIRECT_MAX_WORDS:
        return None
    return text.strip(" ,;:.\"'“”‘’()") or None


def surest(readings: Sequence[PassageReading]) -> PassageReading | None:
    """The reading whose best span beats its no-answer score by the most."""
    return min(readings, key=lambda read: read.reading.margin, default=None)


def _context(item: ScoredChunk, view: IndexView, query: np.ndarray) -> tuple[str, int, int]:
    """The text read for a chunk: (context, where the chunk part starts, where in the chunk).

    Of the sentences just before the part, the one nearest the question goes first, as the
    answer's referent is chosen (index/answer/composition.py): on the seed article the charges are
    two sentences before "the same charges", and reading both sentences before made the
    reader answer "Rust armorer"; reading the nearer-to-the-question one, the charges."""
    text = item.chunk.text
    begin, end = _around_best_sentence(item, READ_CHARS)
    before = view.earlier_sentences(item.chunk, begin, REFERENT_SENTENCES)
    referent = max(before, key=lambda pair: float(pair[1] @ query), default=None)
    prefix = " ".join(referent[0].split()) + " " if referent else ""
    return prefix + text[begin:end], len(prefix), begin


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
