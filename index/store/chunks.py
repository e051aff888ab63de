"""The chunk store: every document's chunks, sentences and their embeddings.

Embeddings live here so that adding or removing one document never re-embeds the others:
the search snapshot (FAISS, BM25, sentence table) is derived from this store. Every change
is one transaction that also bumps `generation`, which a snapshot records to detect
staleness. Chunk ids are never reused, so an id held by an older snapshot can only name the
chunk it was built from, and new chunks always have larger ids than older ones.

`ChunkStore` is the interface the engine is written against; `index/store/sqlite.py` is
today's implementation (one SQLite file beside the index). Another backend is a new module
implementing this protocol.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from index.api import SHARED, DocumentInfo
from index.errors import IndexCorrupt
from index.ingest.embedding import DIMENSION


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class NewChunk:
    """A chunk about to be stored, with its vector and its sentences' spans and vectors."""

    ordinal: int
    start: int
    end: int
    text: str
    vector: np.ndarray
    sentence_spans: Sequence[tuple[int, int]]  # relative to the chunk text
    sentence_vectors: np.ndarray


@dataclass(frozen=True)
class SentenceRows:
    """A run of stored sentences: owning chunk id, span in the chunk, vector (one per row)."""

    chunk_ids: np.ndarray
    spans: np.ndarray
    vectors: np.ndarray

    @classmethod
    def of_rows(cls, rows: Sequence[Sequence[Any]]) -> SentenceRows:
        """From fetched (chunk id, ordinal, start, end, vector bytes) rows."""
        return cls(
            np.asarray([row[0] for row in rows], dtype=np.int64),
            np.asarray([(row[2], row[3]) for row in rows], dtype=np.int32),
            np.frombuffer(b"".join(row[4] for row in rows), dtype=np.float32).reshape(
                -1, DIMENSION
            ),
        )


def document_of(row: Sequence[Any]) -> DocumentInfo:
    """A stored document (the one shape callers see, `index.api.DocumentInfo`) from a
    fetched (doc_id, title, date, source, content_hash, chunks, url, collection) row."""
    doc_id, title, date, source, content_hash, chunks, url, collection = row
    return DocumentInfo(
        doc_id=doc_id,
        title=title,
        source=source,
        date=date,
        chunks=chunks,
        content_hash=content_hash,
        url=url,
        collection=collection,
    )


class ChunkStore(Protocol):
    def close(self) -> None: ...

    def check(self, full: bool | None = None) -> None:
        """Raise IndexCorrupt when the store cannot be trusted (full: read all of it)."""
        ...

    def confirms_damage(self, error: IndexCorrupt) -> bool:
        """Whether `error`, met while reading the store, is damage to it (then `set_aside`)
        rather than a stale snapshot or a missing file: a full check confirms it."""
        ...

    def set_aside(self, reason: IndexCorrupt) -> ChunkStore:
        """Keep this damaged store for a post-mortem; a new, empty one in its place."""
        ...

    @property
    def generation(self) -> int: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def delete_meta(self, key: str) -> None: ...

    def documents(self) -> list[DocumentInfo]: ...

    def replace_document(
        self,
        doc_id: str,
        title: str,
        date: str | None,
        source: str,
        content_hash: str,
        chunks: Sequence[NewChunk],
        *,
        url: str | None = None,
        collection: str = SHARED,
    ) -> list[int]:
        """Insert (or replace) one document and its chunks atomically; their chunk ids."""
        ...

    def remove_document(self, doc_id: str) -> bool: ...

    def chunk_ids_of(self, doc_id: str) -> list[int]: ...

    def chunk_ids_of_documents(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Every chunk id of these documents, ascending (a question limited to some)."""
        ...

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk id and vector, ascending ids (rebuilding vectors without embedding)."""
        ...

    def vectors(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The ids (ascending) and vectors of the chunks that exist among `chunk_ids`."""
        ...

    def chunk_ids(self) -> np.ndarray:
        """Every chunk id, ascending."""
        ...

    def iter_texts(
        self, batch: int = 10_000, after: int = -1
    ) -> Iterator[tuple[list[int], list[str]]]:
        """Chunk ids and texts in id order (ids above `after`), in batches."""
        ...

    def iter_sentences(self, after: int = -1, batch: int = 50_000) -> Iterator[SentenceRows]:
        """Sentences of the chunks with ids above `after`, in (chunk id, ordinal) order."""
        ...

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """The chunks that still exist among `chunk_ids`."""
        ...

    def neighbours(
        self, doc_id: str, ordinal: int
    ) -> tuple[StoredChunk | None, StoredChunk | None]: ...

    def sentences(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        """Sentence spans (relative to the chunk) and vectors of the given chunks."""
        ...

    def counts(self) -> tuple[int, int]:
        """Documents and chunks stored."""
        ...
