"""Hybrid retrieval: dense (FAISS) and BM25 candidates, re-scored with sentence evidence.

Each retriever proposes its best chunks; every candidate then gets four signals (chunk
cosine, BM25 relative to the best candidate, best sentence cosine, best sentence term
coverage) which a linear blend fuses. The weights were fitted on half of SQuAD-dev-a's
articles and checked on the other half (see docs/quality.md); they are data, not code.
Everything a question reads comes from the snapshot's arrays (sentence vectors included),
except the candidate chunks' texts; the vector index is searched once per batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from index.fitted import Weights
from index.snapshot import Snapshot
from index.store import StoredChunk
from index.terms import term_set, tokens
from index.view import IndexView


@dataclass
class Query:
    """A question made ready for search: its vector and weighted terms."""

    text: str
    vector: np.ndarray
    terms: dict[str, float]  # stemmed term -> weight (follow-ups carry earlier terms lightly)


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


@dataclass(frozen=True)
class DenseHits:
    """One question's nearest chunks from the vector index (searched per batch of questions)."""

    scores: np.ndarray
    chunk_ids: np.ndarray


def search_dense(vectors: np.ndarray, snapshot: Snapshot, candidates: int) -> list[DenseHits]:
    """One vector-index search for a batch of questions: cheaper per question than several."""
    scores, ids = snapshot.vectors.search(vectors, candidates)
    return [DenseHits(row_scores, row_ids) for row_scores, row_ids in zip(scores, ids, strict=True)]


def search_dense_within(
    vector: np.ndarray, snapshot: Snapshot, candidates: int, allowed: np.ndarray
) -> DenseHits:
    """The nearest chunks among `allowed` alone (a question limited to some documents)."""
    scores, ids = snapshot.vectors.search_within(vector[None, :], candidates, allowed)
    return DenseHits(scores[0], ids[0])


def retrieve(
    query: Query,
    dense_hits: DenseHits,
    view: IndexView,
    candidates: int,
    weights: Weights,
    allowed: np.ndarray | None = None,
) -> list[ScoredChunk]:
    """Candidate chunks from both retrievers, scored and sorted best first; with `allowed`
    (sorted chunk ids), only those are candidates."""
    snapshot = view.snapshot
    bm25_all = snapshot.bm25.scores(_bm25_query(query.terms))
    if allowed is not None:
        bm25_all = _only(bm25_all, snapshot.bm25.positions(allowed))
    top_bm25 = _top_positions(bm25_all, candidates)
    ids = {int(i) for i in dense_hits.chunk_ids if i >= 0}
    ids.update(int(i) for i in snapshot.bm25.chunk_ids[top_bm25])
    chunks = view.store.chunks(sorted(ids))  # a removal since the snapshot may have dropped some
    chunk_ids = np.fromiter(chunks, dtype=np.int64, count=len(chunks))
    held = snapshot.bm25.positions(chunk_ids)
    positions = {int(c): int(p) for c, p in zip(chunk_ids, held, strict=True) if p >= 0}
    if not positions:
        return []
    found = list(positions)
    dense = _chunk_cosines(found, dense_hits, snapshot, query.vector)
    sentences = _score_sentences(
        [chunks[c] for c in found], list(positions.values()), snapshot, query
    )
    best_bm25 = max(float(bm25_all[top_bm25].max(initial=0.0)), 1e-6)
    scored = []
    for chunk_id, chunk_dense, chunk_sentences in zip(found, dense, sentences, strict=True):
        bm25 = float(bm25_all[positions[chunk_id]]) / best_bm25
        item = ScoredChunk(chunks[chunk_id], float(chunk_dense), bm25, sentences=chunk_sentences)
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


def _chunk_cosines(
    chunk_ids: list[int], dense_hits: DenseHits, snapshot: Snapshot, vector: np.ndarray
) -> np.ndarray:
    """Cosine of each chunk: from the search when it found the chunk, else from its vector."""
    known = {int(i): float(s) for i, s in zip(dense_hits.chunk_ids, dense_hits.scores, strict=True)}
    cosines = np.array([known.get(cid, np.nan) for cid in chunk_ids], dtype=np.float32)
    missing = np.flatnonzero(np.isnan(cosines))
    if len(missing):
        stored = snapshot.vectors.reconstruct(np.asarray(chunk_ids, dtype=np.int64)[missing])
        cosines[missing] = stored @ vector
    return cosines


def _fuse(item: ScoredChunk, weights: Weights) -> float:
    best_dense = max((s.dense for s in item.sentences), default=0.0)
    best_terms = max((s.terms for s in item.sentences), default=0.0)
    return (
        weights.chunk_dense * item.dense
        + weights.chunk_bm25 * item.bm25
        + weights.sentence_dense * best_dense
        + weights.sentence_terms * best_terms
    )


def _bm25_query(terms: dict[str, float]) -> list[str]:
    """bm25s takes a bag of terms: repeat the question's own terms to outweigh history."""
    bag = []
    for term, weight in terms.items():
        bag.extend([term] * (3 if weight >= 1.0 else 1))
    return bag


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


def _only(scores: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The scores at `positions` (-1: not held), zero elsewhere."""
    kept = np.zeros_like(scores)
    held = positions[positions >= 0]
    kept[held] = scores[held]
    return kept


def _top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best positive scores; only chunks sharing a term are ranked (a
    few thousand of 1e6, where sorting every score cost 4 ms)."""
    matching = np.flatnonzero(scores > 0)
    if len(matching) <= k:
        return matching
    return matching[np.argpartition(-scores[matching], k)[:k]]
