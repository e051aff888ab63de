"""Vectors and BM25 in one Qdrant collection (`retrieval.backend: qdrant`).

Each chunk is a point whose id is its chunk id, with two vectors and a payload:
- `dense`: its embedding (cosine);
- `bm25`: a sparse vector of its terms (the engine's own stemmed terms, index/ingest/terms.py),
  each weighted tf·(k1+1) / (tf + k1·(1 - b + b·len/AVERAGE_CHUNK_TERMS)); the collection's
  IDF modifier (`Modifier.IDF`) multiplies in each term's idf at query time, so a query of
  term weights scores BM25 on the server;
- payload: doc_id, collection, date, start, end (for filters and for people reading it).

A question is one Query API request: a dense and a sparse prefetch, fused on the server
(RRF), returning the union with both vectors; a batch of questions is one
`query_batch_points`. Retrieval's signals come from what is returned: the cosine from the
dense vector, BM25 from the sparse values and the snapshot lexicon's idf (the formula the
server uses), so scoring needs no other round trip.

The chunk store stays the source: `QdrantCollection` upserts and deletes points as the
writer changes the store, and refills the collection from the store (no embedding) when
it is missing or does not hold the store's chunks (`ensure_matches`).
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from index.ingest.embedding import DIMENSION
from index.ingest.terms import tokens
from index.search.candidates import Candidates, Query, query_term_weights
from index.snapshot.lexicon import Lexicon
from index.store.chunks import SHARED, ChunkStore

log = logging.getLogger("qabot.index")
DENSE = "dense"
SPARSE = "bm25"
K1, B = 1.5, 0.75  # bm25s's (lucene) defaults, as the in-process BM25
# Qdrant does not know the corpus's mean chunk length: squad-dev-a's (1,157 chunks of at most
# 1000 characters: mean 67.5 content terms, median 69). A corpus far from it only shifts how
# much length counts, as with any fixed avgdl.
AVERAGE_CHUNK_TERMS = 68.0
UPSERT_BATCH = 256  # points per upsert request
HNSW_EF = 128  # the server's search breadth (its recall vs FAISS's efSearch 128)


def term_index(term: str) -> int:
    """A term's sparse index: CRC-32 of its UTF-8 bytes (stable across processes; two
    terms colliding add up, as in any hashed vocabulary)."""
    return zlib.crc32(term.encode("utf-8"))


def sparse_vector(weights: dict[int, float]) -> models.SparseVector:
    indices = sorted(weights)
    return models.SparseVector(indices=indices, values=[weights[i] for i in indices])


def document_weights(text: str) -> dict[int, float]:
    """BM25's term-frequency part of each of the text's terms, by sparse index."""
    counts = Counter(tokens(text))
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / AVERAGE_CHUNK_TERMS)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        index = term_index(term)
        weights[index] = weights.get(index, 0.0) + tf * (K1 + 1) / (tf + norm)
    return weights


def query_weights(terms: dict[str, float]) -> dict[int, float]:
    weights: dict[int, float] = {}
    for term, count in query_term_weights(terms).items():
        index = term_index(term)
        weights[index] = weights.get(index, 0.0) + count
    return weights


class QdrantCollection:
    """The collection of one index: kept equal to the chunk store's chunks."""

    def __init__(self, client: QdrantClient, name: str) -> None:
        self.client = client
        self.name = name

    def search(self, lexicon: Lexicon) -> QdrantSearch:
        return QdrantSearch(self, lexicon)

    def apply(self, store: ChunkStore, added: np.ndarray, removed: np.ndarray) -> None:
        """The writer's change: upsert the added chunks (read from the store), delete the
        removed ones."""
        self._create_if_missing()
        if len(removed):
            self.client.delete(
                self.name,
                points_selector=models.PointIdsList(points=[int(i) for i in removed]),
                wait=True,
            )
        for begin in range(0, len(added), UPSERT_BATCH):
            self._upsert(store, [int(i) for i in added[begin : begin + UPSERT_BATCH]])

    def ensure_matches(self, store: ChunkStore) -> bool:
        """Refill the collection from the store when it is missing or diverged; whether it
        matched."""
        problem = self.divergence(store)
        if problem is None:
            return True
        log.warning("the Qdrant collection %s %s: refilling it from the store", self.name, problem)
        self.refill(store)
        return False

    def divergence(self, store: ChunkStore) -> str | None:
        """Why the collection does not hold the store's chunks; None when it does: the
        same number of points, and the oldest and newest chunks among them (ids are never
        reused, so a rebuilt or replaced store differs there). An empty store's collection
        is created here: a new index, nothing to repair."""
        expected = store.chunk_ids()
        if not self.client.collection_exists(self.name):
            if not len(expected):
                self._create_if_missing()
                return None
            return "does not exist"
        count = self.client.count(self.name, exact=True).count
        if count != len(expected):
            return f"holds {count} points for {len(expected)} chunks"
        if len(expected):
            ends = sorted({int(expected[0]), int(expected[-1])})
            found = self.client.retrieve(self.name, ends, with_payload=False)
            if len(found) != len(ends):
                return "lacks chunks of the store"
        return None

    def refill(self, store: ChunkStore) -> None:
        """Upsert every chunk of the store, then delete points of chunks it no longer has;
        questions keep being answered meanwhile."""
        self._create_if_missing()
        wanted = set(store.chunk_ids().tolist())
        for ids, _ in store.iter_texts(batch=UPSERT_BATCH):
            self._upsert(store, ids)
        stale = [point for point in self._point_ids() if point not in wanted]
        if stale:
            self.client.delete(
                self.name, points_selector=models.PointIdsList(points=stale), wait=True
            )

    def _create_if_missing(self) -> None:
        if self.client.collection_exists(self.name):
            return
        self.client.create_collection(
            self.name,
            vectors_config={
                DENSE: models.VectorParams(size=DIMENSION, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )

    def _upsert(self, store: ChunkStore, chunk_ids: list[int]) -> None:
        chunks = store.chunks(chunk_ids)
        ids, vectors = store.vectors(chunk_ids)
        documents = {doc.doc_id: doc for doc in store.documents()} if chunks else {}
        points = []
        for chunk_id, vector in zip(ids.tolist(), vectors, strict=True):
            chunk = chunks.get(chunk_id)
            if chunk is None:  # removed meanwhile (the writer's lock makes this rare)
                continue
            document = documents.get(chunk.doc_id)
            payload = {
                "doc_id": chunk.doc_id,
                "collection": document.collection if document else SHARED,
                "date": document.date if document else None,
                "start": chunk.start,
                "end": chunk.end,
            }
            vector_struct: dict[str, Any] = {
                DENSE: vector.tolist(),
                SPARSE: sparse_vector(document_weights(chunk.text)),
            }
            points.append(models.PointStruct(id=chunk_id, vector=vector_struct, payload=payload))
        if points:
            self.client.upsert(self.name, points=points, wait=True)

    def _point_ids(self) -> Iterator[int]:
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.name, limit=1000, offset=offset, with_payload=False, with_vectors=False
            )
            yield from (int(record.id) for record in records)
            if offset is None:
                return


class QdrantSearch:
    """Candidates from the collection (`index.search.candidates.CandidateSearch`)."""

    kind = "qdrant"

    def __init__(self, collection: QdrantCollection, lexicon: Lexicon) -> None:
        self._collection = collection
        self._lexicon = lexicon

    def find(
        self,
        queries: Sequence[Query],
        limit: int,
        allowed: Sequence[np.ndarray | None] | None = None,
    ) -> list[Candidates]:
        limits = list(allowed) if allowed is not None else [None] * len(queries)
        searched = [i for i, within in enumerate(limits) if within is None or len(within)]
        found = [Candidates.empty() for _ in queries]  # a question allowed nothing finds none
        if searched:
            collection = self._collection
            requests = [self._request(queries[i], limit, limits[i]) for i in searched]
            responses = collection.client.query_batch_points(collection.name, requests=requests)
            for i, response in zip(searched, responses, strict=True):
                found[i] = self._candidates(queries[i], response.points)
        return found

    def _request(self, query: Query, limit: int, within: np.ndarray | None) -> models.QueryRequest:
        """The union of both retrievers (only among `within`, chunk ids, when given)."""
        scope = (
            models.Filter(must=[models.HasIdCondition(has_id=[int(i) for i in within])])
            if within is not None
            else None
        )
        prefetch = [
            models.Prefetch(
                query=query.vector.tolist(),
                using=DENSE,
                filter=scope,
                limit=limit,
                params=models.SearchParams(hnsw_ef=HNSW_EF),
            )
        ]
        weights = query_weights(query.terms)
        if weights:
            prefetch.append(
                models.Prefetch(
                    query=sparse_vector(weights), using=SPARSE, filter=scope, limit=limit
                )
            )
        return models.QueryRequest(
            prefetch=prefetch,
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            filter=scope,
            limit=limit * len(prefetch),  # the whole union: our own scoring ranks it
            with_vector=[DENSE, SPARSE],
            with_payload=False,
        )

    def _candidates(self, query: Query, points: Sequence[models.ScoredPoint]) -> Candidates:
        if not points:
            return Candidates.empty()
        weighted = {
            term_index(term): count * self._lexicon.idf(term)
            for term, count in query_term_weights(query.terms).items()
        }
        ids, dense, bm25 = [], [], []
        for point in points:
            vectors = point.vector
            assert isinstance(vectors, dict)
            ids.append(int(point.id))
            dense.append(float(np.dot(np.asarray(vectors[DENSE], dtype=np.float32), query.vector)))
            bm25.append(_bm25(vectors.get(SPARSE), weighted))
        bm25_array = np.asarray(bm25, dtype=np.float32)
        return Candidates(
            np.asarray(ids, dtype=np.int64),
            np.asarray(dense, dtype=np.float32),
            bm25_array,
            max(float(bm25_array.max(initial=0.0)), 1e-6),
        )


def _bm25(vector: Any, weighted: dict[int, float]) -> float:
    """Σ query weight · idf · the chunk's value, over the question's terms it holds."""
    if vector is None or not weighted:
        return 0.0
    values = dict(zip(vector.indices, vector.values, strict=True))
    return sum(weight * values[index] for index, weight in weighted.items() if index in values)
