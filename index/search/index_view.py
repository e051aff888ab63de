"""What one batch of questions reads: a published snapshot, the chunk store beside it and
the search that finds candidates in them.

The snapshot holds everything a question scores (vectors, BM25, sentence vectors, the
documents of its generation); the store is read only for the candidate chunks' texts and,
when an answer leans on the sentence before it ("the same charges"), that sentence. The
candidates come from the snapshot's own FAISS and BM25, or from a Qdrant collection
(index/search/candidates.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.api import DocumentInfo
from index.search.candidates import CandidateSearch
from index.snapshot.build import Snapshot
from index.store.chunks import ChunkStore, StoredChunk


@dataclass(frozen=True)
class IndexView:
    snapshot: Snapshot
    store: ChunkStore
    search: CandidateSearch

    @property
    def documents(self) -> dict[str, DocumentInfo]:
        return self.snapshot.documents

    def earlier_sentences(
        self, chunk: StoredChunk, start: int, count: int
    ) -> list[tuple[str, np.ndarray]]:
        """Up to `count` sentences before `start`, nearest first, crossing into the chunk
        before (chunks may share whole sentences: the overlap is not counted twice)."""
        found: list[tuple[str, np.ndarray]] = []
        sentences = self.store.sentences([chunk.chunk_id]).get(chunk.chunk_id, [])
        for s_start, s_end, vector in reversed(sentences):
            if s_end <= start and len(found) < count:
                found.append((chunk.text[s_start:s_end], vector))
        if len(found) < count:
            before, _ = self.store.neighbours(chunk.doc_id, chunk.ordinal)
            if before is not None:
                overlap = chunk.start - before.start
                for s_start, s_end, vector in reversed(
                    self.store.sentences([before.chunk_id]).get(before.chunk_id, [])
                ):
                    if s_end <= overlap and len(found) < count:
                        found.append((before.text[s_start:s_end], vector))
        return found
