"""Finding a question's candidate chunks, with the two signals retrieval needs of each.

Retrieval (index/search/fusion.py) scores candidates with their chunk cosine and their BM25
(relative to the best BM25 in the index for that question), then with sentence evidence.
Where the candidates come from is this module's `CandidateSearch`:

- `LocalSearch`: the snapshot's FAISS index and bm25s index, in this process (default);
- `index.search.qdrant.QdrantSearch`: one hybrid query per question to a Qdrant collection,
  dense and sparse (BM25) vectors fused on the server, a batch of questions per request.

Either proposes up to `limit` chunks per retriever and returns their union. A question
limited to some documents (a chat's own links, a date range: index/search/scopes.py) passes the
chunk ids it may read, and only those are candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.snapshot.bm25 import Bm25Index
from index.snapshot.faiss import FaissIndex

QUESTION_TERM_WEIGHT = 3  # a question's own terms outweigh the earlier ones a follow-up adds


@dataclass
class Query:
    """A question made ready for search: its vector and weighted terms."""

    text: str
    vector: np.ndarray
    terms: dict[str, float]  # stemmed term -> weight (follow-ups carry earlier terms lightly)


@dataclass(frozen=True)
class Candidates:
    """One question's candidate chunks and their signals, aligned."""

    chunk_ids: np.ndarray  # int64
    dense: np.ndarray  # cosine of each chunk with the question
    bm25: np.ndarray  # BM25 of each chunk for the question
    best_bm25: float  # the best BM25 of any chunk (what `bm25` is relative to)

    @classmethod
    def empty(cls) -> Candidates:
        none = np.zeros(0, dtype=np.float32)
        return cls(np.zeros(0, dtype=np.int64), none, none, 1e-6)


class CandidateSearch(Protocol):
    kind: str  # "flat" or "hnsw" (FAISS), "qdrant"

    def find(
        self,
        queries: Sequence[Query],
        limit: int,
        allowed: Sequence[np.ndarray | None] | None = None,
    ) -> list[Candidates]:
        """Each question's candidates, among its `allowed` chunk ids (sorted; None: any);
        the vector search runs once for the batch's unlimited questions."""
        ...


def query_term_weights(terms: dict[str, float]) -> dict[str, int]:
    """How often each term counts in the BM25 query: the question's own terms thrice."""
    return {term: QUESTION_TERM_WEIGHT if weight >= 1.0 else 1 for term, weight in terms.items()}


class LocalSearch:
    """Dense candidates from FAISS, lexical ones from bm25s: both in this process."""

    def __init__(self, vectors: FaissIndex, bm25: Bm25Index) -> None:
        self.vectors = vectors
        self.bm25 = bm25
        self.kind = vectors.kind

    def find(
        self,
        queries: Sequence[Query],
        limit: int,
        allowed: Sequence[np.ndarray | None] | None = None,
    ) -> list[Candidates]:
        if not queries:
            return []
        limits = list(allowed) if allowed is not None else [None] * len(queries)
        scores, ids = self.vectors.search(np.asarray([q.vector for q in queries]), limit)
        found = []
        for query, row_scores, row_ids, within in zip(queries, scores, ids, limits, strict=True):
            if within is not None and not len(within):
                found.append(Candidates.empty())
                continue
            if within is not None:  # its own search: a filtered one is exact within them
                scored, chosen = self.vectors.search_within(query.vector[None, :], limit, within)
                row_scores, row_ids = scored[0], chosen[0]
            found.append(self._union(query, row_scores, row_ids, limit, within))
        return found

    def _union(
        self,
        query: Query,
        dense_scores: np.ndarray,
        dense_ids: np.ndarray,
        limit: int,
        within: np.ndarray | None,
    ) -> Candidates:
        bm25_all = self.bm25.scores(_bag(query.terms))
        if within is not None:
            bm25_all = _only(bm25_all, self.bm25.positions(within))
        top_bm25 = _top_positions(bm25_all, limit)
        known = {int(i): float(s) for i, s in zip(dense_ids, dense_scores, strict=True) if i >= 0}
        chunk_ids = np.asarray(
            sorted(set(known) | {int(i) for i in self.bm25.chunk_ids[top_bm25]}), dtype=np.int64
        )
        dense = np.array([known.get(int(c), np.nan) for c in chunk_ids], dtype=np.float32)
        missing = np.flatnonzero(np.isnan(dense))
        if len(missing):  # found by BM25 only: its cosine from its stored vector
            dense[missing] = self.vectors.reconstruct(chunk_ids[missing]) @ query.vector
        positions = self.bm25.positions(chunk_ids)
        bm25 = np.where(positions >= 0, bm25_all[np.maximum(positions, 0)], 0.0)
        best = max(float(bm25_all[top_bm25].max(initial=0.0)), 1e-6)
        return Candidates(chunk_ids, dense, bm25.astype(np.float32), best)


def _bag(terms: dict[str, float]) -> list[str]:
    """bm25s takes a bag of terms: each repeated as often as it counts."""
    return [term for term, count in query_term_weights(terms).items() for _ in range(count)]


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
