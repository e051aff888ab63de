"""Ordering ranked passages by when their articles were published.

Two uses. "What's the latest on X" puts the newest article that answers X first: among the
passages the confidence model finds answering (the same model that decides "I don't
know"), newest first; the rest keep their order after them. Without time words, a mild
preference breaks near-ties only: two passages of dated articles whose scores differ by
less than NEAR_TIE swap when the lower one is newer, so the newer report of one story
comes first, but a clearly better passage is never outranked and an undated document
(every SQuAD article) never moves.
"""

from __future__ import annotations

from collections.abc import Mapping

from index.api import DocumentInfo
from index.fitted import Confidence
from index.ingest.dates import parse_iso_date
from index.search.fusion import ScoredChunk

# In fused-score units (index/search/fusion.py: a blend of cosines and term shares in 0..1).
NEAR_TIE = 0.01


def newest_relevant_first(
    ranked: list[ScoredChunk], documents: Mapping[str, DocumentInfo], confidence: Confidence
) -> list[ScoredChunk]:
    """The passages that answer the question, newest article first; then the others."""
    answering = [item for item in ranked if _answers(item, confidence)]
    others = [item for item in ranked if not _answers(item, confidence)]
    answering.sort(key=lambda item: _published(item, documents), reverse=True)  # stable
    return answering + others


def break_near_ties(
    ranked: list[ScoredChunk], documents: Mapping[str, DocumentInfo]
) -> list[ScoredChunk]:
    """Each pair of neighbours from dated articles within NEAR_TIE: the newer first."""
    ordered = list(ranked)
    for i in range(len(ordered) - 1):
        upper, lower = ordered[i], ordered[i + 1]
        upper_date, lower_date = _published(upper, documents), _published(lower, documents)
        if (
            upper_date
            and lower_date
            and lower_date > upper_date
            and upper.score - lower.score < NEAR_TIE
        ):
            ordered[i], ordered[i + 1] = lower, upper
    return ordered


def _answers(item: ScoredChunk, confidence: Confidence) -> bool:
    best = item.best_sentence
    if best is None:
        return False
    probability = confidence.probability(best.dense, best.terms, item.dense)
    return probability >= confidence.threshold


def _published(item: ScoredChunk, documents: Mapping[str, DocumentInfo]) -> str:
    """The article's date as YYYY-MM-DD ("" when undated): ISO dates sort as text."""
    document = documents.get(item.chunk.doc_id)
    day = parse_iso_date(document.date) if document is not None else None
    return day.isoformat() if day is not None else ""
