"""The snapshot's chunk vectors in one FAISS index (a Qdrant collection replaces it with
`retrieval.backend: qdrant`: index/search/qdrant.py).

Below `hnsw_threshold` vectors the index is exact (flat inner product); above it, HNSW
(M=32, efSearch 128: recall@10 ~0.96-0.99 on real embeddings at a fraction of the cost).
FAISS runs single-threaded per query: two OpenMP threads make one query 2x slower here.
FAISS's HNSW cannot delete, so removed chunks are tombstones that searches skip; the index
is rebuilt only once they are a sizeable share (rebuilding 1e6 vectors takes many minutes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.ingest.embedding import DIMENSION

HNSW_M = 32
HNSW_EF_SEARCH = 128
HNSW_EF_CONSTRUCTION = 80
_TOMBSTONES = ".removed.npy"  # beside the index file: ids removed from an HNSW index


class FaissIndex:
    """Chunk ids -> vectors in one FAISS index (IndexIDMap2 over flat or HNSW)."""

    def __init__(self, index: faiss.Index, kind: str, removed: np.ndarray | None = None) -> None:
        self._index = index
        self.kind = kind
        self.removed = np.zeros(0, dtype=np.int64) if removed is None else removed
        self._params: Any = None
        self._filter()

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, hnsw_threshold: int) -> FaissIndex:
        kind = "hnsw" if len(ids) >= hnsw_threshold else "flat"
        inner: faiss.Index
        if kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(DIMENSION, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            hnsw.hnsw.efSearch = HNSW_EF_SEARCH
            inner = hnsw
        else:
            inner = faiss.IndexFlatIP(DIMENSION)
        index = cls(faiss.IndexIDMap2(inner), kind)
        index.add(ids, vectors)
        return index

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        index = faiss.read_index(str(path))
        inner: Any = faiss.downcast_index(index.index)  # type: ignore[attr-defined]
        kind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
        if kind == "hnsw":
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        tombstones = _tombstones_of(path)
        removed = np.load(tombstones) if tombstones.is_file() else None
        return cls(index, kind, removed)

    def __len__(self) -> int:
        """Live vectors: tombstones do not count."""
        return int(self._index.ntotal) - len(self.removed)

    @property
    def removed_share(self) -> float:
        return len(self.removed) / max(int(self._index.ntotal), 1)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids, shape (len(queries), k); missing results have id -1."""
        faiss.omp_set_num_threads(1)  # per thread: each worker thread must set it itself
        if len(self) == 0:
            shape = (len(queries), k)
            return np.zeros(shape, dtype=np.float32), np.full(shape, -1, dtype=np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        scores, ids = self._index.search(queries, k, params=self._params)
        return scores, ids

    def search_within(
        self, queries: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """As `search`, among the chunks `allowed` only (a chat's collection, a date range):
        exact on a flat index; on HNSW the graph is walked past the others."""
        faiss.omp_set_num_threads(1)
        shape = (len(queries), k)
        if len(self) == 0 or not len(allowed):
            return np.zeros(shape, dtype=np.float32), np.full(shape, -1, dtype=np.int64)
        keep = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        selector = keep if self._params is None else faiss.IDSelectorAnd(keep, self._skip)
        params: Any = (
            faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            if self.kind == "hnsw"
            else faiss.SearchParameters()
        )
        if self.kind == "hnsw":
            params.efSearch = max(HNSW_EF_SEARCH, k)
        params.sel = selector
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        scores, ids = self._index.search(queries, k, params=params)
        return scores, ids

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64)
            )

    def reconstruct(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these chunks, shape (len(chunk_ids), DIMENSION)."""
        keys = np.ascontiguousarray(chunk_ids, dtype=np.int64)
        return np.asarray(self._index.reconstruct_batch(keys), dtype=np.float32)

    def remove(self, ids: np.ndarray) -> None:
        if self.kind == "flat":
            self._index.remove_ids(ids.astype(np.int64))  # type: ignore[arg-type]
            return
        self.removed = np.union1d(self.removed, ids.astype(np.int64))
        self._filter()

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))
        if len(self.removed):
            np.save(_tombstones_of(path), self.removed)

    def _filter(self) -> None:
        """Search parameters that skip tombstones (None when there are none)."""
        if not len(self.removed):
            self._params = None
            return
        self._selected = faiss.IDSelectorBatch(self.removed)  # kept alive: FAISS borrows it
        self._skip = faiss.IDSelectorNot(self._selected)
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = HNSW_EF_SEARCH  # its default (16) would cut recall
        params.sel = self._skip
        self._params = params


def _tombstones_of(path: Path) -> Path:
    return path.with_name(path.name + _TOMBSTONES)
