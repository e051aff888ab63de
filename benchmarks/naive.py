"""The naive pipeline qabot is measured against: what a first working version would do.

Per question: sentence-transformers (torch) encodes the question alone, an exact FAISS index
is searched with FAISS's default OpenMP threads, bm25s scores every chunk, and the two
rankings are fused by reciprocal rank fusion; the top chunks are read back from SQLite.
It does less than qabot (no sentence evidence, no answer extraction, no typo repair), so a
ratio in qabot's favour is conservative.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from benchmarks.baselines import fuse
from index.ingest.embedding import Embedder, TorchEmbedder
from index.ingest.terms import tokens
from index.snapshot.bm25 import Bm25Index
from index.snapshot.build import POINTER
from index.store.sqlite import SqliteChunkStore

CANDIDATES = 40
TOP_K = 5
DEFAULT_THREADS = os.cpu_count() or 1  # OpenMP's default: one thread per core


@dataclass(frozen=True)
class NaiveAnswer:
    question: str
    chunk_ids: list[int]
    texts: list[str]


class NaivePipeline:
    """Torch embedding + flat FAISS (default threads) + BM25, fused by RRF."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or TorchEmbedder()
        self._store = SqliteChunkStore(index_dir / "chunks.sqlite")
        ids, vectors = self._store.all_vectors()
        self._ids = ids
        self._flat = faiss.IndexFlatIP(vectors.shape[1])
        self._flat.add(np.ascontiguousarray(vectors))
        del vectors
        snapshot = index_dir / (index_dir / POINTER).read_text(encoding="utf-8").strip()
        self._bm25 = Bm25Index.load(snapshot / "bm25")

    def answer(self, question: str) -> NaiveAnswer:
        vector = self.embedder.encode([question])
        return self.search(question, vector[0])

    def search(self, question: str, vector: np.ndarray) -> NaiveAnswer:
        faiss.omp_set_num_threads(DEFAULT_THREADS)  # qabot may have set 1 on this thread
        _, dense = self._flat.search(vector[None, :].astype(np.float32), CANDIDATES)
        dense_ids = [int(self._ids[p]) for p in dense[0] if p >= 0]
        scores = self._bm25.scores(tokens(question))
        top = (
            np.argpartition(-scores, CANDIDATES)[:CANDIDATES]
            if len(scores) > CANDIDATES
            else np.arange(len(scores))
        )
        best = sorted(top, key=lambda p: -scores[p])
        lexical = [int(self._bm25.chunk_ids[p]) for p in best if scores[p] > 0]
        order = np.asarray(sorted(set(dense_ids) | set(lexical)), dtype=np.int64)
        position = {int(chunk_id): i for i, chunk_id in enumerate(order)}
        rankings = [
            np.asarray([position[i] for i in ranking], dtype=np.int64)
            for ranking in (dense_ids, lexical)
        ]
        chosen = [int(order[p]) for p in fuse(rankings)[:TOP_K]]
        chunks = self._store.chunks(chosen)
        return NaiveAnswer(question, chosen, [chunks[i].text for i in chosen if i in chunks])

    def close(self) -> None:
        self._store.close()


def main() -> None:
    """`python -m benchmarks.naive INDEX_DIR QUESTION`: the naive cold start, for comparison."""
    import sys

    pipeline = NaivePipeline(Path(sys.argv[1]))
    answer = pipeline.answer(sys.argv[2])
    print(answer.texts[0] if answer.texts else "no passage found")
    pipeline.close()


if __name__ == "__main__":
    main()
