"""From scored chunks to what a person reads: a short answer, passages, or "I don't know".

The answer is the best-scoring sentence, widened by the sentence it points back to
("the same charges", "He ...") so it stands on its own, then by a neighbour while it fits.
A sentence or passage too long to show whole is cut at word boundaries around its part
with the most question terms (a transcript's answer may sit anywhere in a 500-character
unit); a passage's start and end are then the shown part's place in the document, without
the ellipses that mark the cut.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.answer.kinds import answers_kind
from index.answer.reading import (
    BACK_REFERENCE,
    Choice,
    PassageReading,
    choose_sentence,
    direct_answer,
    surest,
)
from index.api import Answer, Passage
from index.api import DocumentInfo as StoredDocument
from index.fitted import Confidence, ReadingConfidence
from index.ingest.chunking import Span
from index.ingest.terms import tokens
from index.search.fusion import Query, ScoredChunk, ScoredSentence
from index.search.index_view import IndexView
from index.settings import AnswerSettings
from index.store.chunks import StoredChunk

ANSWER_POOL = 3  # the first chunks whose sentences compete to be the answer
# A refusal at or above this probability is a near miss (the articles are about the subject
# but do not say) and shows the closest passage: on the seed article off-topic questions
# score <= 0.0003, questions about its people that it does not answer 0.03-0.11.
NEAR_MISS = 0.01
# (chunk, start of a sentence in it, how many) -> the sentences before it, nearest first
EarlierSentences = Callable[[StoredChunk, int, int], list[tuple[str, np.ndarray]]]

# A yes/no question: no span of a passage is its answer.
_YES_NO = re.compile(
    r"^\s*(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had)\b",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class AnswerComposer:
    """Turns ranked chunks into an Answer: the sentence, its passages, or a refusal."""

    settings: AnswerSettings
    top_k: int
    confidence: Confidence
    reading: ReadingConfidence | None = None

    def compose(
        self,
        question: str,
        query: Query,
        ranked: list[ScoredChunk],
        view: IndexView,
        *,
        read: Sequence[PassageReading] = (),
        newest_first: bool = False,
        in_scope: frozenset[str] | None = None,
    ) -> Answer:
        """`read`: the top chunks as the span reader read them (index/answer/reading.py): with
        retrieval they pick the sentence shown, give the direct answer and may refuse.
        `newest_first`: `ranked` puts the newest answering passage first (index/search/recency.py),
        so the answer comes from it rather than from the best of the first three.
        `in_scope`: the documents the question may read (a refusal names no others)."""
        documents = _readable(view.documents, in_scope)
        ranked = [item for item in ranked if item.chunk.doc_id in documents]  # removed meanwhile
        passages = _passages(
            _unique(ranked, self.top_k), documents, self.settings.passage_max_chars, query.terms
        )
        sentence = _best_sentence(ranked[: 1 if newest_first else ANSWER_POOL])
        if sentence is None:
            return refusal(question, passages, documents)
        chunk, chosen = sentence
        probability = self._probability(sentence)
        if probability < self.confidence.threshold:
            if probability < NEAR_MISS:
                return refusal(question, passages, documents, probability)
            return near_miss(question, passages, documents, probability)
        reads = [r for r in read if r.item.chunk.doc_id in documents]
        if self._reader_refuses(probability, surest(reads)):
            return near_miss(question, passages, documents, probability)
        direct, lead = None, ""
        weight = self.reading.sentence_weight if self.reading else 1.0
        choice = choose_sentence(reads, weight)
        if choice is not None:
            if not _of_the_kind_asked(question, choice):
                return near_miss(question, passages, documents, probability)
            chunk, chosen, lead = choice.read.item, choice.sentence, choice.lead
            limit = self.reading.direct_margin if self.reading else float("inf")
            direct = direct_answer(question, choice, limit)
        text = _answer_text(
            chunk, chosen, view.earlier_sentences, query, self.settings.max_chars, lead
        )
        # The passage the answer comes from is shown first.
        passages.sort(key=lambda p: p.chunk_id != chunk.chunk.chunk_id)
        return Answer(question, text, True, passages, score=probability, direct=direct)

    def needs_reading(
        self,
        question: str,
        ranked: list[ScoredChunk],
        view: IndexView,
        *,
        newest_first: bool = False,
        in_scope: frozenset[str] | None = None,
    ) -> bool:
        """Whether the span reader can change the answer: not for a yes/no question (no span
        answers it: retrieval's sentence, no direct answer), nor for one retrieval already
        refuses (reading would cost ~14 ms for nothing). `compose` gets no readings then."""
        if _YES_NO.match(question):
            return False
        documents = _readable(view.documents, in_scope)
        ranked = [item for item in ranked if item.chunk.doc_id in documents]
        sentence = _best_sentence(ranked[: 1 if newest_first else ANSWER_POOL])
        return sentence is not None and self._probability(sentence) >= self.confidence.threshold

    def _probability(self, sentence: tuple[ScoredChunk, ScoredSentence]) -> float:
        """Retrieval's probability that the articles answer, from the best sentence."""
        chunk, chosen = sentence
        return self.confidence.probability(chosen.dense, chosen.terms, chunk.dense)

    def _reader_refuses(self, probability: float, read: PassageReading | None) -> bool:
        best = read.reading.best if read else None
        if self.reading is None or read is None or best is None:
            return False
        sure = self.reading.probability(probability, read.reading.margin, best.score)
        return sure < self.reading.threshold


def _of_the_kind_asked(question: str, choice: Choice) -> bool:
    """Whether the reader's span is a time or a quantity when the question asks for one
    (index/answer/kinds.py): "How old is Mickey Rourke?" -> "Alec Baldwin" is not."""
    return choice.span is None or answers_kind(question, choice.read.text(choice.span))


def refusal(
    question: str,
    passages: list[Passage],
    documents: dict[str, StoredDocument],
    probability: float = 0.0,
) -> Answer:
    """No confident answer: the text is left to the caller, the topics say what is covered."""
    nearest = list(dict.fromkeys(p.title for p in passages))
    others = [doc.title for doc in documents.values() if doc.title not in nearest]
    topics = (nearest + others)[:5]
    return Answer(question, "", False, passages, topics=topics, score=probability)


def _readable(
    documents: dict[str, StoredDocument], in_scope: frozenset[str] | None
) -> dict[str, StoredDocument]:
    """The documents a question may read (None: all)."""
    if in_scope is None:
        return documents
    return {doc_id: doc for doc_id, doc in documents.items() if doc_id in in_scope}


def near_miss(
    question: str,
    passages: list[Passage],
    documents: dict[str, StoredDocument],
    probability: float,
) -> Answer:
    """A refusal on a question the articles are about but do not answer: the closest
    passage comes with it, to be shown as not the answer."""
    refused = refusal(question, passages, documents, probability)
    return replace(refused, closest=passages[0] if passages else None)


def _best_sentence(chunks: list[ScoredChunk]) -> tuple[ScoredChunk, ScoredSentence] | None:
    pairs = [(chunk, s) for chunk in chunks for s in chunk.sentences]
    return max(pairs, key=lambda pair: pair[1].score, default=None)


def _answer_text(
    item: ScoredChunk,
    chosen: ScoredSentence,
    earlier: EarlierSentences,
    query: Query,
    budget: int,
    lead: str = "",
) -> str:
    """The chosen sentence, standing on its own. `lead`: the sentence before the chunk,
    which holds the reader's answer and goes first (what the chosen sentence continues)."""
    text = item.chunk.text
    index = item.sentences.index(chosen)
    answer = _clean(text[chosen.start : chosen.end])
    if lead:
        lead = _clean(lead)
        if len(lead) + len(answer) + 1 <= budget:
            return f"{lead} {answer}"
        answer = lead
    if len(answer) > budget:
        return _shown(answer, _around_match(answer, query.terms, budget))
    if BACK_REFERENCE.search(answer):
        referent = _referent(earlier(item.chunk, chosen.start, 2), query)
        if referent and len(referent) + len(answer) + 1 <= budget:
            return f"{referent} {answer}"
    following = item.sentences[index + 1] if index + 1 < len(item.sentences) else None
    neighbours = [item.sentences[i] for i in (index + 1, index - 1) if 0 <= i < len(item.sentences)]
    # A next sentence that leans on this one continues it; otherwise the better neighbour.
    if following is not None and BACK_REFERENCE.match(
        _clean(text[following.start : following.end])
    ):
        neighbours = [following]
    for neighbour in sorted(neighbours, key=lambda s: s.score, reverse=True):
        extra = _clean(text[neighbour.start : neighbour.end])
        if extra in answer or len(answer) + len(extra) + 1 > budget or _is_heading(extra):
            continue
        answer = f"{answer} {extra}" if neighbour.start > chosen.start else f"{extra} {answer}"
        break
    return answer


def _is_heading(sentence: str) -> bool:
    return sentence.rstrip("\"'”’»)]")[-1:] not in ".!?…"


def _referent(candidates: list[tuple[str, np.ndarray]], query: Query) -> str | None:
    """Of the sentences just before, the one closest to the question: what "it" points to."""
    if not candidates:
        return None
    best = max(candidates, key=lambda pair: float(pair[1] @ query.vector))
    return _clean(best[0])


def _around_match(text: str, terms: dict[str, float], budget: int) -> Span:
    """The part of `text` to show in `budget` characters, ellipses included: the stretch
    with the most question terms, widened evenly on both sides, cut between words."""
    limit = budget - 2  # room for an ellipsis at either end
    match = _best_match(text, terms, limit)
    room = limit - (match.end - match.start)
    left = min(match.start, room // 2)
    right = min(len(text) - match.end, room - left)
    left = min(match.start, room - right)  # the room the right side could not use
    start, end = match.start - left, match.end + right
    while 0 < start < match.start and not text[start - 1].isspace():
        start += 1  # begin with a whole word
    while match.end < end < len(text) and not text[end].isspace():
        end -= 1  # end with a whole word
    if end <= start:  # a single word longer than the budget: cut it
        end = min(len(text), start + limit)
    while start < end and text[start].isspace():
        start += 1
    while start < end - 1 and end < len(text) and text[end - 1] in ",;: \t\n":
        end -= 1  # no dangling comma before the "…"
    return Span(start, end)


def _best_match(text: str, terms: dict[str, float], limit: int) -> Span:
    """The shortest stretch of at most `limit` characters holding the greatest weight of
    distinct question terms (a window sliding over the words that are question terms);
    empty, at the start, when the text holds none."""
    found: list[tuple[Span, str]] = []
    for match in _WORD.finditer(text):
        stems = tokens(match.group())
        if stems and stems[0] in terms and match.end() - match.start() <= limit:
            found.append((Span(match.start(), match.end()), stems[0]))
    best, best_weight = Span(0, 0), 0.0
    in_window: Counter[str] = Counter()
    first = 0
    for word, term in found:
        in_window[term] += 1
        while word.end - found[first][0].start > limit:
            in_window[found[first][1]] -= 1
            first += 1
        span = Span(found[first][0].start, word.end)
        weight = sum(terms[term] for term, count in in_window.items() if count > 0)
        shorter = span.end - span.start < best.end - best.start
        if weight > best_weight or (weight == best_weight and shorter):
            best, best_weight = span, weight
    return best


def _shown(text: str, part: Span) -> str:
    """`part` of `text`, an ellipsis where it was cut."""
    before = "…" if text[: part.start].strip() else ""
    after = "…" if text[part.end :].strip() else ""
    return before + text[part.start : part.end] + after


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _unique(ranked: list[ScoredChunk], limit: int) -> list[ScoredChunk]:
    """The first `limit` passages, near-duplicates (the same text from two sources) dropped."""
    seen: list[set[str]] = []
    unique: list[ScoredChunk] = []
    for item in ranked:
        if len(unique) == limit:
            break
        shingles = _shingles(item.chunk.text)
        if any(_jaccard(shingles, other) >= 0.8 for other in seen):
            continue
        seen.append(shingles)
        unique.append(item)
    return unique


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _passages(
    ranked: list[ScoredChunk],
    documents: dict[str, StoredDocument],
    limit: int,
    terms: dict[str, float],
) -> list[Passage]:
    passages = []
    for item in ranked:
        document = documents.get(item.chunk.doc_id)
        if document is None:  # removed while we were answering
            continue
        text = item.chunk.text
        part = Span(0, len(text)) if len(text) <= limit else _around_match(text, terms, limit)
        passages.append(
            Passage(
                text=_shown(text, part),
                score=round(item.score, 4),
                doc_id=document.doc_id,
                title=document.title,
                source=document.source,
                date=document.date,
                start=item.chunk.start + part.start,
                end=item.chunk.start + part.end,
                chunk_id=item.chunk.chunk_id,
                url=document.url,
            )
        )
    return passages
