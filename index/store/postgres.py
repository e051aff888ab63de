"""The stored documents and the chunk store in PostgreSQL, shared by several workers.

The same layers as one index folder (index/store/storage.py), in the tables of qabot/migrations.py:
`originals` holds each document's full text (the source of truth, as documents/*.json does
on one machine), `documents`, `chunks` and `sentences` the chunk store derived from it, and
`index_meta` its generation counter. Each worker keeps its own snapshot folder (FAISS,
BM25, lexicon, sentence table) and rebuilds it from these tables when the generation moves
(index/snapshot/reconcile.py: `follow`). Writers of every worker take one advisory lock, so chunk
ids still grow with time (the snapshot's incremental updates rely on it). Every write is
one transaction; a worker killed mid-write leaves the previous state.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from psycopg_pool import ConnectionPool

from index.api import DocumentInfo
from index.errors import IndexCorrupt
from index.ingest.documents import Document
from index.ingest.embedding import DIMENSION
from index.store.chunks import (
    SHARED,
    ChunkStore,
    NewChunk,
    SentenceRows,
    StoredChunk,
    document_of,
)
from index.store.locking import WriteLock
from index.store.originals import FolderState
from index.store.storage import IndexFiles

WRITE_LOCK = 0x71_6162_6F74_0002  # pg_advisory_lock key of the index's one writer
TABLES = ("originals", "index_meta", "documents", "chunks", "sentences")
_CHUNK_COLUMNS = "chunk_id, doc_id, ordinal, start_offset, end_offset, text"
_DOCUMENT_COLUMNS = "doc_id, title, date, source, text, content_hash, url, collection"


class PostgresStorage:
    """Opens an index whose documents and chunks live in PostgreSQL (`index.store.storage.Storage`);
    the folder keeps only this worker's snapshots."""

    def __init__(self, pool: ConnectionPool, follow_seconds: float) -> None:
        self._pool = pool
        self._follow_seconds = follow_seconds

    def open(self, folder: Path) -> IndexFiles:
        folder.mkdir(parents=True, exist_ok=True)
        store = PostgresChunkStore(self._pool)
        store.check()
        lock = SharedWriteLock(self._pool, WriteLock(folder))
        return IndexFiles(folder, PostgresOriginals(self._pool), store, lock, self._follow_seconds)


class SharedWriteLock:
    """One writer across every worker (a PostgreSQL advisory lock, held on a connection of
    its own for the block), then this folder's lock (snapshots are written there).

    Re-entrant in a thread, as index.locking.WriteLock. If the connection breaks while held
    (a database restart), the server releases the lock; the write in progress then fails on
    its own connection, or completes as one transaction.
    """

    def __init__(self, pool: ConnectionPool, local: WriteLock) -> None:
        self._pool = pool
        self._local = local
        self._thread_lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._pool.connection() as conn:
                conn.autocommit = True  # the lock outlives transactions: hold none open
                try:
                    conn.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
                    self._depth = 1
                    with self._local.held():
                        yield
                finally:
                    self._depth = 0
                    if not conn.closed:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
                        # back to the pool as it came: every other use is one transaction
                        # (a test caught a write committed statement by statement without)
                        conn.autocommit = False


class PostgresOriginals:
    """The stored documents' full texts (`index.store.originals.OriginalsStore`)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def save(self, document: Document) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                f"INSERT INTO originals ({_DOCUMENT_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (doc_id) DO UPDATE SET title = excluded.title, "
                "date = excluded.date, source = excluded.source, text = excluded.text, "
                "content_hash = excluded.content_hash, url = excluded.url, "
                "collection = excluded.collection, saved_at = clock_timestamp()",
                _document_row(document),
            )

    @contextmanager
    def replacing(self, document: Document) -> Iterator[None]:
        """Save `document`; if the block fails, put back what was stored before."""
        previous = self._load(document.doc_id)
        self.save(document)
        try:
            yield
        except BaseException:
            if previous is None:
                self.remove(document.doc_id)
            else:
                self.save(previous)
            raise

    def load_all(self) -> dict[str, Document]:
        with self._pool.connection() as conn:
            rows = conn.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM originals ORDER BY doc_id")
            return {row[0]: Document(*row) for row in rows}

    def fingerprint(self) -> FolderState:
        """A digest of every document's id, content hash and save time, computed by the
        server (one row back), and the ids."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT coalesce(string_agg(doc_id || ':' || content_hash || ':' || "
                "saved_at::text, ',' ORDER BY doc_id), ''), array_agg(doc_id) FROM originals"
            ).fetchone()
        assert row is not None
        digest = hashlib.sha256(str(row[0]).encode()).hexdigest()
        return FolderState(digest, frozenset(row[1] or ()))

    def remove(self, doc_id: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM originals WHERE doc_id = %s", (doc_id,))

    def tidy(self) -> None:
        """Nothing to tidy: a transaction leaves no partial row."""

    def _load(self, doc_id: str) -> Document | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT {_DOCUMENT_COLUMNS} FROM originals WHERE doc_id = %s", (doc_id,)
            ).fetchone()
        return Document(*row) if row else None


class PostgresChunkStore:
    """The chunk store (`index.store.chunks.ChunkStore`) in PostgreSQL; thread-safe (a connection
    from the pool per call)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def close(self) -> None:
        """The pool belongs to whoever opened it (qabot/factory.py)."""

    def check(self, full: bool | None = None) -> None:
        """Raise IndexCorrupt when the schema is missing (the database was never migrated).
        Damage inside a database server is for its own tools, not ours."""
        with self._pool.connection() as conn:
            found = conn.execute(
                "SELECT count(to_regclass(name)) FROM unnest(%s::text[]) AS name", (list(TABLES),)
            ).fetchone()
        if found is None or found[0] != len(TABLES):
            raise IndexCorrupt("the database has no qabot tables: run `qabot db upgrade`")

    def confirms_damage(self, error: IndexCorrupt) -> bool:
        """Never: damage inside a database server is for its own tools."""
        return False

    def set_aside(self, reason: IndexCorrupt) -> ChunkStore:
        """A shared database is never moved aside by one worker: the reason stands."""
        raise reason

    @property
    def generation(self) -> int:
        value = self.get_meta("generation")
        return int(value) if value else 0

    def get_meta(self, key: str) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT value FROM index_meta WHERE key = %s", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO index_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def delete_meta(self, key: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM index_meta WHERE key = %s", (key,))

    def documents(self) -> list[DocumentInfo]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT d.doc_id, d.title, d.date, d.source, d.content_hash, count(c.chunk_id), "
                "d.url, d.collection FROM documents d LEFT JOIN chunks c USING (doc_id) "
                "GROUP BY d.doc_id ORDER BY d.added_at, d.doc_id"
            ).fetchall()
        return [document_of(row) for row in rows]

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
        """Insert (or replace) one document and its chunks in one transaction (COPY for the
        chunks and sentences); their chunk ids, ascending."""
        with self._pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,))
            cursor.execute(
                "INSERT INTO documents (doc_id, title, date, source, content_hash, url, "
                "collection) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (doc_id, title, date, source, content_hash, url, collection),
            )
            cursor.execute(
                "SELECT nextval('chunk_ids') FROM generate_series(1, %s)", (len(chunks),)
            )
            ids = sorted(int(row[0]) for row in cursor.fetchall())
            with cursor.copy(
                "COPY chunks (chunk_id, doc_id, ordinal, start_offset, end_offset, text, vector) "
                "FROM STDIN"
            ) as copy:
                for chunk_id, chunk in zip(ids, chunks, strict=True):
                    row = (chunk.ordinal, chunk.start, chunk.end, chunk.text, _blob(chunk.vector))
                    copy.write_row((chunk_id, doc_id, *row))
            with cursor.copy(
                "COPY sentences (chunk_id, ordinal, start_offset, end_offset, vector) FROM STDIN"
            ) as copy:
                for chunk_id, chunk in zip(ids, chunks, strict=True):
                    spans = zip(chunk.sentence_spans, chunk.sentence_vectors, strict=True)
                    for ordinal, ((start, end), vector) in enumerate(spans):
                        copy.write_row((chunk_id, ordinal, start, end, _blob(vector)))
            _bump_generation(cursor)
        return ids

    def remove_document(self, doc_id: str) -> bool:
        with self._pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,))
            deleted = cursor.rowcount > 0
            if deleted:
                _bump_generation(cursor)
        return deleted

    def chunk_ids_of(self, doc_id: str) -> list[int]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT chunk_id FROM chunks WHERE doc_id = %s", (doc_id,))
            return [int(row[0]) for row in rows]

    def chunk_ids_of_documents(self, doc_ids: Sequence[str]) -> np.ndarray:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT chunk_id FROM chunks WHERE doc_id = ANY(%s) ORDER BY chunk_id",
                (list(doc_ids),),
            ).fetchall()
        return np.asarray([row[0] for row in rows], dtype=np.int64)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT chunk_id, vector FROM chunks ORDER BY chunk_id").fetchall()
        return _ids_and_vectors(rows)

    def vectors(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        if not len(chunk_ids):
            return _ids_and_vectors([])
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT chunk_id, vector FROM chunks WHERE chunk_id = ANY(%s) ORDER BY chunk_id",
                ([int(i) for i in chunk_ids],),
            ).fetchall()
        return _ids_and_vectors(rows)

    def chunk_ids(self) -> np.ndarray:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id").fetchall()
        return np.asarray([row[0] for row in rows], dtype=np.int64)

    def iter_texts(
        self, batch: int = 10_000, after: int = -1
    ) -> Iterator[tuple[list[int], list[str]]]:
        last = after
        while True:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    "SELECT chunk_id, text FROM chunks WHERE chunk_id > %s "
                    "ORDER BY chunk_id LIMIT %s",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [int(row[0]) for row in rows], [row[1] for row in rows]

    def iter_sentences(self, after: int = -1, batch: int = 50_000) -> Iterator[SentenceRows]:
        last = (after, 1 << 30)
        while True:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    "SELECT chunk_id, ordinal, start_offset, end_offset, vector FROM sentences "
                    "WHERE (chunk_id, ordinal) > (%s, %s) ORDER BY chunk_id, ordinal LIMIT %s",
                    (*last, batch),
                ).fetchall()
            if not rows:
                return
            last = (rows[-1][0], rows[-1][1])
            yield SentenceRows.of_rows(rows)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        if not len(chunk_ids):
            return {}
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id = ANY(%s)",
                ([int(i) for i in chunk_ids],),
            ).fetchall()
        return {int(row[0]): StoredChunk(*row) for row in rows}

    def neighbours(
        self, doc_id: str, ordinal: int
    ) -> tuple[StoredChunk | None, StoredChunk | None]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id = %s AND ordinal IN (%s, %s)",
                (doc_id, ordinal - 1, ordinal + 1),
            ).fetchall()
        found = {row[2]: StoredChunk(*row) for row in rows}
        return found.get(ordinal - 1), found.get(ordinal + 1)

    def sentences(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        if not len(chunk_ids):
            return {}
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT chunk_id, start_offset, end_offset, vector FROM sentences "
                "WHERE chunk_id = ANY(%s) ORDER BY chunk_id, ordinal",
                ([int(i) for i in chunk_ids],),
            ).fetchall()
        result: dict[int, list[tuple[int, int, np.ndarray]]] = {}
        for chunk_id, start, end, blob in rows:
            result.setdefault(int(chunk_id), []).append(
                (start, end, np.frombuffer(blob, dtype=np.float32))
            )
        return result

    def counts(self) -> tuple[int, int]:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def _bump_generation(cursor: Any) -> None:
    """Inside the write's transaction; the row lock also orders concurrent writers."""
    cursor.execute(
        "INSERT INTO index_meta (key, value) VALUES ('generation', '1') ON CONFLICT (key) "
        "DO UPDATE SET value = (index_meta.value::bigint + 1)::text"
    )


def _document_row(document: Document) -> tuple[Any, ...]:
    return (
        document.doc_id,
        document.title,
        document.date,
        document.source,
        document.text,
        document.content_hash,
        document.url,
        document.collection,
    )


def _ids_and_vectors(rows: Sequence[tuple[Any, ...]]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray([row[0] for row in rows], dtype=np.int64)
    vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
    return ids, vectors.reshape(-1, DIMENSION)


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()
