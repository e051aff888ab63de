"""How much HNSW loses against exact search: recall@10 (and @40, what retrieval asks for).

Queries are real SQuAD questions embedded by the engine's model. Two sets of vectors: the
real embeddings of squad-dev-a (its sentences and chunks), and the large stand-in corpus
whose HNSW index the engine built. efSearch is swept to show the price of more recall.
"""

from __future__ import annotations

import time
from typing import Any

import faiss
import numpy as np

from benchmarks.workload import Plan, settings_for
from index.ingest.embedding import create_embedder
from index.snapshot.faiss import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M
from index.store.sqlite import SqliteChunkStore

EF_SWEEP = (64, HNSW_EF_SEARCH, 256, 512)
DEPTHS = (10, 40)
QUERIES = 500


def hnsw_recall(plan: Plan, chunks: int) -> dict[str, Any]:
    settings = settings_for(plan.squad_index)
    embedder = create_embedder(settings.embedding.backend, settings.embedding.cache_dir)
    queries = embedder.encode(plan.question_texts(QUERIES if not plan.quick else 100))
    real = _real_vectors(plan)
    return {
        "queries": len(queries),
        "real": {"vectors": len(real), **_sweep(_hnsw(real), real, queries)},
        "standin": {"vectors": chunks, **_standin(plan, chunks, queries)},
    }


def _real_vectors(plan: Plan) -> np.ndarray:
    store = SqliteChunkStore(plan.squad_index / "chunks.sqlite")
    try:
        ids, chunk_vectors = store.all_vectors()
        sentences = store.sentences(ids.tolist())
    finally:
        store.close()
    sentence_vectors = [vector for spans in sentences.values() for _, _, vector in spans]
    return np.vstack([chunk_vectors, np.stack(sentence_vectors)]).astype(np.float32)


def _standin(plan: Plan, chunks: int, queries: np.ndarray) -> dict[str, Any]:
    """The engine's own HNSW index when it built one (its vectors are read from the index
    itself, sparing a read of the multi-GB store); otherwise an HNSW built here."""
    index_dir = plan.synthetic_index(chunks)
    pointer = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    built: Any = faiss.read_index(str(index_dir / pointer / "vectors.faiss"))
    inner = faiss.downcast_index(built.index)
    if isinstance(inner, faiss.IndexHNSW):
        vectors = inner.reconstruct_n(0, inner.ntotal)
        ids = faiss.vector_to_array(built.id_map)
        result = _sweep(inner, vectors, queries, position_ids=ids, searched=built)
        return {"engine_built": True, **result}
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    try:
        _, vectors = store.all_vectors()
    finally:
        store.close()
    return {"engine_built": False, **_sweep(_hnsw(vectors), vectors, queries)}


def _hnsw(vectors: np.ndarray) -> Any:
    """An HNSW index with the engine's parameters (index/snapshot/faiss.py)."""
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(np.ascontiguousarray(vectors))
    return hnsw


def _sweep(
    hnsw: Any,
    vectors: np.ndarray,
    queries: np.ndarray,
    position_ids: np.ndarray | None = None,
    searched: Any = None,
) -> dict[str, Any]:
    """Exact top-k by brute force, then HNSW at each efSearch: recall and ms per query."""
    depth = max(DEPTHS)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors))
    faiss.omp_set_num_threads(2)
    _, exact = flat.search(queries, depth)
    del flat
    if position_ids is not None:
        exact = position_ids[exact]
    faiss.omp_set_num_threads(1)  # as the engine searches
    index = hnsw if searched is None else searched
    sweep = {}
    for ef in EF_SWEEP:
        hnsw.hnsw.efSearch = ef
        started = time.perf_counter()
        found = np.vstack([index.search(q[None, :], depth)[1] for q in queries])
        ms = (time.perf_counter() - started) * 1000 / len(queries)
        sweep[str(ef)] = {
            "ms_per_query": ms,
            **{f"recall@{k}": _recall(found[:, :k], exact[:, :k]) for k in DEPTHS},
        }
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    return {"engine_ef": HNSW_EF_SEARCH, "sweep": sweep}


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    hits = [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(found, exact, strict=True)]
    return float(np.sum(hits) / exact.size)
