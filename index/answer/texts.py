"""The answer text: the chosen sentence, standing on its own, and never joined to a sentence
the article does not put next to it.

People act on what the answer says about real people, so the text is one stretch of
consecutive sentences of the article: a sentence that leans on what comes before it ("He
will serve ...", "the same charges") brings every sentence back to the one it refers to,
and when that stretch is too long to show, the referent and the answer are shown apart,
an ellipsis between them, so nobody reads them as adjacent. A heading is never part of a
stretch: it is not something the article says about anyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.answer.passages import around_match, shown
from index.ingest.chunking import is_heading_in
from index.search.fusion import Query, ScoredChunk, ScoredSentence
from index.store.chunks import StoredChunk

REFERENT_SENTENCES = 2  # "the same charges" may point two sentences back
GAP = " … "  # between parts of the article that are not adjacent
# Words that make a sentence lean on the one before it.
BACK_REFERENCE = re.compile(
    r"^\s*[“\"‘']?(he|she|it|they|this|that|these|those|his|her|its|their|both|such|"
    r"the former|the latter|there)\b|\bthe same\b|\b(also|too|as well|likewise|either)\b",
    re.IGNORECASE,
)
_SAME = re.compile(r"\bthe same\b", re.IGNORECASE)
# "the prop": a thing named as already known, which `_introducing` looks for before.
_DEFINITE = re.compile(r"\bthe\s+([a-z][\w-]+)", re.IGNORECASE)
_NOT_NOUNS = frozenset({"same", "other", "first", "last", "next", "most", "best", "only"})
_SPACE = re.compile(r"\s+")
# (chunk, start of a sentence in it, how many, across paragraphs) -> the sentences just
# before it, nearest first (IndexView.earlier_sentences)
EarlierSentences = Callable[[StoredChunk, int, int, bool], list[tuple[str, np.ndarray]]]


@dataclass(frozen=True)
class Stretch:
    """Consecutive sentences of the article, in its order; `gap_after` marks where sentences
    between two of them were left out (the text shows an ellipsis there)."""

    sentences: tuple[str, ...]
    gap_after: int | None = None  # index of the sentence after which the gap falls

    @property
    def text(self) -> str:
        if self.gap_after is None:
            return " ".join(self.sentences)
        head = " ".join(self.sentences[: self.gap_after + 1])
        tail = " ".join(self.sentences[self.gap_after + 1 :])
        return f"{head}{GAP}{tail}"


def answer_text(
    item: ScoredChunk,
    chosen: ScoredSentence,
    earlier: EarlierSentences,
    query: Query,
    budget: int,
    lead: Sequence[str] = (),
) -> str:
    """The chosen sentence and what it needs to stand on its own, in at most `budget` chars.

    `lead`: the sentences just before the chunk's read part, in order, when the reader's
    answer lies in them; the chosen sentence (the first read) continues them."""
    answer = clean(item.chunk.text[chosen.start : chosen.end])
    if len(answer) > budget:
        return shown(answer, around_match(answer, query.terms, budget))
    before = [clean(text) for text in lead]
    if not before:
        before = back_to_referent(answer, item.chunk, chosen.start, earlier, query)
    if before:
        return _fitted(Stretch((*before, answer)), budget).text
    return _with_neighbour(item, chosen, answer, budget)


def is_heading(item: ScoredChunk, sentence: ScoredSentence) -> bool:
    """A heading of the article, not a sentence it says (index/ingest/chunking.py)."""
    return is_heading_in(item.chunk.text, sentence.start, sentence.end)


def clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def back_to_referent(
    sentence: str, chunk: StoredChunk, start: int, earlier: EarlierSentences, query: Query
) -> list[str]:
    """The sentences from the referent of `sentence` (which starts at `start` in `chunk`) up
    to it, in the article's order; none when it leans on nothing.

    - "The same charges" may point two sentences back, across a paragraph: to the nearest
      that stands on its own ("Prosecutors also added an enhancement ... to his sentence"
      leans back itself, so "the same charges" after it are those of the sentence before
      it), or, when both lean back, to whichever is nearest the question.
    - "The prop" points at the sentence of its paragraph that brought the thing in ("a
      prop gun"), up to two back.
    - Any other back-reference ("He ...", "also") points at the sentence just before, in
      the same paragraph: a paragraph that opens with a quote ("“It's that simple,” ...")
      refers to no sentence of the one before."""
    if _SAME.search(sentence):
        candidates = earlier(chunk, start, REFERENT_SENTENCES, True)
        if not candidates:
            return []
        referent = next(
            (i for i, (text, _) in enumerate(candidates) if not BACK_REFERENCE.search(text)),
            None,
        )
        if referent is None:
            referent = max(
                range(len(candidates)), key=lambda i: float(candidates[i][1] @ query.vector)
            )
        return [clean(text) for text, _ in reversed(candidates[: referent + 1])]
    known = _known_things(sentence)
    leans = BACK_REFERENCE.search(sentence) is not None
    if not known and not leans:
        return []  # nothing to look back for: the sentences before are not read
    in_paragraph = earlier(chunk, start, REFERENT_SENTENCES, False)
    introduced = _introducing(known, [text for text, _ in in_paragraph])
    if introduced is not None:
        return [clean(text) for text, _ in reversed(in_paragraph[: introduced + 1])]
    return [clean(text) for text, _ in in_paragraph[:1]] if leans else []


def _known_things(sentence: str) -> list[str]:
    """The nouns `sentence` names as already known ("the prop")."""
    return [noun for noun in _DEFINITE.findall(sentence) if noun.lower() not in _NOT_NOUNS]


def _introducing(nouns: Sequence[str], before: Sequence[str]) -> int | None:
    """Which of `before` (nearest first) brought in one of `nouns`: "the prop" after "a
    prop gun" (two words may stand between the article and the noun)."""
    for noun in nouns:
        brought_in = re.compile(rf"\b(a|an)\s+(\w+\s+){{0,2}}?{re.escape(noun)}\b", re.IGNORECASE)
        for index, text in enumerate(before):
            if brought_in.search(text):
                return index
    return None


def _fitted(stretch: Stretch, budget: int) -> Stretch:
    """The stretch, or its first and last sentences with the gap marked, or the last alone."""
    if len(stretch.text) <= budget:
        return stretch
    first, last = stretch.sentences[0], stretch.sentences[-1]
    if len(stretch.sentences) > 2:
        apart = Stretch((first, last), gap_after=0)
        if len(apart.text) <= budget:
            return apart
    return Stretch((last,))


def _with_neighbour(item: ScoredChunk, chosen: ScoredSentence, answer: str, budget: int) -> str:
    """The sentence and, while it fits, an adjacent one of its chunk: the next when it leans
    on this one (it continues it), else the better-scoring neighbour."""
    if is_heading(item, chosen):
        return answer  # nothing is glued to a heading
    text = item.chunk.text
    ordered = sorted(item.sentences, key=lambda s: s.start)
    index = ordered.index(chosen)
    following = ordered[index + 1] if index + 1 < len(ordered) else None
    neighbours = [ordered[i] for i in (index + 1, index - 1) if 0 <= i < len(ordered)]
    if following is not None and BACK_REFERENCE.match(clean(text[following.start : following.end])):
        neighbours = [following]
    for neighbour in sorted(neighbours, key=lambda s: s.score, reverse=True):
        extra = clean(text[neighbour.start : neighbour.end])
        if extra in answer or len(answer) + len(extra) + 1 > budget or is_heading(item, neighbour):
            continue
        return f"{answer} {extra}" if neighbour.start > chosen.start else f"{extra} {answer}"
    return answer
