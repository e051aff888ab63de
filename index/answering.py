"""From scored chunks to what a person reads: a short answer, passages, or "I don't know".

The answer is the best-scoring sentence, widened by the sentence it points back to
("the same charges", "He ...") so it stands on its own, then by a neighbour while it fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.api import Answer, Passage
from index.fitted import Confidence
from index.retrieval import Query, ScoredChunk, ScoredSentence
from index.settings import AnswerSettings
from index.store import StoredChunk, StoredDocument
from index.view import IndexView

# (chunk, start of a sentence in it, how many) -> the sentences before it, nearest first
EarlierSentences = Callable[[StoredChunk, int, int], list[tuple[str, np.ndarray]]]

# Words that make a sentence lean on the one before it.
_BACK_REFERENCE = re.compile(
    r"^\s*[“\"‘']?(he|she|it|they|this|that|these|those|his|her|its|their|both|such|"
    r"the former|the latter|there)\b|\bthe same\b|\b(also|too|as well|likewise|either)\b",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class AnswerComposer:
    """Turns ranked chunks into an Answer: the sentence, its passages, or a refusal."""

    settings: AnswerSettings
    top_k: int
    confidence: Confidence

    def compose(
        self, question: str, query: Query, ranked: list[ScoredChunk], view: IndexView
    ) -> Answer:
        documents = view.documents
        ranked = [item for item in ranked if item.chunk.doc_id in documents]  # removed meanwhile
        passages = _passages(
            _unique(ranked, self.top_k), documents, self.settings.passage_max_chars
        )
        sentence = _best_sentence(ranked[:3])
        if sentence is None:
            return refusal(question, passages, documents)
        chunk, chosen = sentence
        probability = self.confidence.probability(chosen.dense, chosen.terms, chunk.dense)
        if probability < self.confidence.threshold:
            return refusal(question, passages, documents, probability)
        text = _answer_text(chunk, chosen, view.earlier_sentences, query, self.settings.max_chars)
        # The passage the answer comes from is shown first.
        passages.sort(key=lambda p: p.chunk_id != chunk.chunk.chunk_id)
        return Answer(question, text, True, passages, score=probability)


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


def _best_sentence(chunks: list[ScoredChunk]) -> tuple[ScoredChunk, ScoredSentence] | None:
    pairs = [(chunk, s) for chunk in chunks for s in chunk.sentences]
    return max(pairs, key=lambda pair: pair[1].score, default=None)


def _answer_text(
    item: ScoredChunk,
    chosen: ScoredSentence,
    earlier: EarlierSentences,
    query: Query,
    budget: int,
) -> str:
    text = item.chunk.text
    index = item.sentences.index(chosen)
    answer = _clean(text[chosen.start : chosen.end])
    if len(answer) > budget:
        return _shorten(answer, budget)
    if _BACK_REFERENCE.search(answer):
        referent = _referent(earlier(item.chunk, chosen.start, 2), query)
        if referent and len(referent) + len(answer) + 1 <= budget:
            return f"{referent} {answer}"
    following = item.sentences[index + 1] if index + 1 < len(item.sentences) else None
    neighbours = [item.sentences[i] for i in (index + 1, index - 1) if 0 <= i < len(item.sentences)]
    # A next sentence that leans on this one continues it; otherwise the better neighbour.
    if following is not None and _BACK_REFERENCE.match(
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


def _shorten(text: str, budget: int) -> str:
    cut = text[: budget - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


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
    ranked: list[ScoredChunk], documents: dict[str, StoredDocument], limit: int
) -> list[Passage]:
    passages = []
    for item in ranked:
        document = documents.get(item.chunk.doc_id)
        if document is None:  # removed while we were answering
            continue
        text = (
            item.chunk.text if len(item.chunk.text) <= limit else _shorten(item.chunk.text, limit)
        )
        passages.append(
            Passage(
                text=text,
                score=round(item.score, 4),
                doc_id=document.doc_id,
                title=document.title,
                source=document.source,
                date=document.date,
                start=item.chunk.start,
                end=item.chunk.end,
                chunk_id=item.chunk.chunk_id,
            )
        )
    return passages
