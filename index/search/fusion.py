"""Hybrid retrieval: dense and BM25 candidates, re-scored with sentence evidence.

Each retriever proposes its best chunks (index/search/candidates.py: FAISS and bm25s in process, or
a Qdrant collection); every candidate then gets four signals (chunk cosine, BM25 relative
to the best chunk, best sentence cosine, best sentence term coverage) which a linear blend
fuses. The weights were fitted on half of SQuAD-dev-a's articles and checked on the other
half (see docs/quality.md); they are data, not code. Everything a question reads comes
from the snapshot's arrays (sentence vectors included), except the candidate chunks'
texts; the candidates are searched once per batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.fitted import Weights
from index.ingest.terms import term_set, tokens
from index.search.candidates import Candidates, Query
from index.search.index_view import IndexView
from index.snapshot.build import Snapshot
from index.store.chunks import StoredChunk

__all__ = ["Query", "ScoredChunk", "ScoredSentence", "build_terms", "is_follow_up", "retrieve"]


@dataclass
class ScoredSentence:
    start: int  # relative to the chunk text
    end: int
    dense: float
    terms: float
    score: float = 0.0


@dataclass
class ScoredChunk:
    chunk: StoredChunk
    dense: float
    bm25: float
    score: float = 0.0
    sentences: list[ScoredSentence] = field(default_factory=list)

    @property
    def best_sentence(self) -> ScoredSentence | None:
        return max(self.sentences, key=lambda s: s.score, default=None)


_CONTINUATION = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|what of|and what|and how)\b"
    r"|\b(he|she|it|they|him|her|his|hers|its|them|their|this|that|these|those|"
    r"the same|there)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """Does the question lean on the conversation? ("and Halls?", "what did he say")

    An independent question ("What was Hutchins' job?") is answered on its own, so an
    earlier topic cannot pull it elsewhere.
    """
    return bool(_CONTINUATION.search(question)) or len(tokens(question)) <= 1


def build_terms(question: str, earlier: list[str], history_weight: float) -> dict[str, float]:
    terms: dict[str, float] = {}
    for text in earlier:
        for term in tokens(text):
            terms[term] = history_weight
    for term in tokens(question):
        terms[term] = 1.0
    return terms


def retrieve(
    query: Query, candidates: Candidates, view: IndexView, weights: Weights
) -> list[ScoredChunk]:
    """The candidate chunks this snapshot holds, scored and sorted best first."""
    snapshot = view.snapshot
    chunks = view.store.chunks(candidates.chunk_ids.tolist())  # a removal may have dropped some
    held = snapshot.positions(candidates.chunk_ids)
    kept = [
        index
        for index, (chunk_id, position) in enumerate(zip(candidates.chunk_ids, held, strict=True))
        if position >= 0 and int(chunk_id) in chunks
    ]
    if not kept:
        return []
    found = [chunks[int(candidates.chunk_ids[index])] for index in kept]
    sentences = _score_sentences(found, [int(held[index]) for index in kept], snapshot, query)
    scored = []
    for index, chunk, chunk_sentences in zip(kept, found, sentences, strict=True):
        bm25 = float(candidates.bm25[index]) / candidates.best_bm25
        item = ScoredChunk(chunk, float(candidates.dense[index]), bm25, sentences=chunk_sentences)
        item.score = _fuse(item, weights)
        for sentence in item.sentences:
            sentence.score = (
                weights.pick_dense * sentence.dense
                + weights.pick_terms * sentence.terms
                + weights.pick_chunk * item.score
            )
        scored.append(item)
    scored.sort(key=lambda item: item.score, reverse=True)
    return scored


def _fuse(item: ScoredChunk, weights: Weights) -> float:
    best_dense = max((s.dense for s in item.sentences), default=0.0)
    best_terms = max((s.terms for s in item.sentences), default=0.0)
    return (
        weights.chunk_dense * item.dense
        + weights.chunk_bm25 * item.bm25
        + weights.sentence_dense * best_dense
        + weights.sentence_terms * best_terms
    )


def _score_sentences(
    chunks: list[StoredChunk], positions: list[int], snapshot: Snapshot, query: Query
) -> list[list[ScoredSentence]]:
    """Cosine and IDF-weighted share of the question's terms, for each chunk's sentences."""
    table = snapshot.sentences
    rows, bounds = table.rows(positions)
    cosines = (table.read(rows) @ query.vector).tolist()
    spans = table.spans[rows].tolist()
    term_weights = {t: snapshot.lexicon.idf(t) * w for t, w in query.terms.items()}
    total = sum(term_weights.values()) or 1.0
    result = []
    for index, chunk in enumerate(chunks):
        in_chunk = term_set(chunk.text)  # a sentence can only match what its chunk holds
        weights = [(t, w) for t, w in term_weights.items() if t in in_chunk]
        scored = []
        for row in range(int(bounds[index]), int(bounds[index + 1])):
            start, end = spans[row]
            matched = 0.0
            if weights:
                present = term_set(chunk.text[start:end])
                matched = sum(weight for term, weight in weights if term in present)
            scored.append(ScoredSentence(start, end, cosines[row], matched / total))
        result.append(scored)
    return result
