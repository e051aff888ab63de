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
from index.ingest.chunking import is_heading_in
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
        self, chunk: StoredChunk, start: int, count: int, across_paragraphs: bool = True
    ) -> list[tuple[str, np.ndarray]]:
        """Up to `count` sentences before `start`, nearest first, crossing into the chunk
        before (chunks may share whole sentences: the overlap is not counted twice). They
        stop at a heading (what comes before it is another part of the article) and, unless
        `across_paragraphs`, at the start of the paragraph."""
        found: list[tuple[str, np.ndarray]] = []
        sentences = self.store.sentences([chunk.chunk_id]).get(chunk.chunk_id, [])
        following = start
        for s_start, s_end, vector in reversed(sentences):
            if s_end > start or len(found) == count:
                continue
            if is_heading_in(chunk.text, s_start, s_end) or (
                not across_paragraphs and "\n" in chunk.text[s_end:following]
            ):
                return found
            found.append((chunk.text[s_start:s_end], vector))
            following = s_start
        if len(found) == count:
            return found
        before, _ = self.store.neighbours(chunk.doc_id, chunk.ordinal)
        if before is None:
            return found
        # Chunks of one paragraph share a sentence; a paragraph break lies between others.
        if not across_paragraphs and before.end <= chunk.start:
            return found
        overlap = chunk.start - before.start
        for s_start, s_end, vector in reversed(
            self.store.sentences([before.chunk_id]).get(before.chunk_id, [])
        ):
            if s_end <= overlap and len(found) < count:
                if is_heading_in(before.text, s_start, s_end):
                    return found
                found.append((before.text[s_start:s_end], vector))
        return found
