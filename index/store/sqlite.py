"""The chunk store in one SQLite file: chunks, sentences and their embeddings, per document.

Embeddings live here so that adding or removing one document never re-embeds the others:
the FAISS and BM25 indexes are derived from this store. Every change is one transaction
that also bumps `generation`, which the derived indexes record to detect staleness.
WAL mode lets questions read while an admin adds a document. Chunk ids are never reused
(AUTOINCREMENT), so an id held by an older snapshot can only name the chunk it was built from.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path

import numpy as np

from index.api import DocumentInfo
from index.errors import IndexCorrupt
from index.ingest.embedding import DIMENSION
from index.store.chunks import SHARED, NewChunk, SentenceRows, StoredChunk, document_of

log = logging.getLogger("qabot.index")
# PRAGMA user_version; bump when the schema or a column's meaning changes, and migrate the
# previous format in place when that is cheap (see _MIGRATIONS): an operator's index keeps
# working without re-embedding.
STORE_FORMAT = 3  # 3: documents.url and documents.collection
# Stores up to this size (file and WAL) get the full check when opened; see ChunkStore.check.
QUICK_CHECK_LIMIT = 256 * 1024 * 1024
TABLES = frozenset({"meta", "documents", "chunks", "sentences"})
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, added_at TEXT NOT NULL DEFAULT (datetime('now')),
    url TEXT, collection TEXT NOT NULL DEFAULT 'shared'
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    text TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks (doc_id, ordinal);
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id INTEGER NOT NULL REFERENCES chunks ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL, PRIMARY KEY (chunk_id, ordinal)
) WITHOUT ROWID;
"""
# From format N to N+1: statements run in one transaction when a store of format N opens.
_MIGRATIONS = {
    2: "ALTER TABLE documents ADD COLUMN url TEXT; "
    "ALTER TABLE documents ADD COLUMN collection TEXT NOT NULL DEFAULT 'shared';",
}


class SqliteChunkStore:
    """Thread-safe access to one SQLite file (one connection, serialised by a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            if not self._has_tables():  # one transaction: a crash leaves no half-made schema
                self._db.executescript(
                    f"BEGIN; {SCHEMA} PRAGMA user_version={STORE_FORMAT}; COMMIT;"
                )
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"the chunk store {path} is damaged ({exc})") from exc
        self._lock = _StoreLock(path)

    @classmethod
    def open(cls, path: Path) -> SqliteChunkStore:
        """The store at `path`, checked; a damaged one is set aside for a new, empty one."""
        store = None
        try:
            store = cls(path)
            store.check()
            return store
        except IndexCorrupt as exc:
            return _set_aside(path, exc, store)

    def confirms_damage(self, error: IndexCorrupt) -> bool:
        """A read failed in SQLite and the full check (which opening skips on a large
        store) finds damage too."""
        if not isinstance(error.__cause__, sqlite3.DatabaseError):
            return False
        try:
            self.check(full=True)
        except IndexCorrupt:
            return True
        return False

    def set_aside(self, reason: IndexCorrupt) -> SqliteChunkStore:
        return _set_aside(self.path, reason, self)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def check(self, full: bool | None = None) -> None:
        """Raise IndexCorrupt when the store was written by another format of qabot, its
        schema or a table's first page cannot be read, or (full check) SQLite finds damage.

        The full check, PRAGMA quick_check, reads every page: a fraction of a second for a
        small store, but the whole 24 GB at 1e6 chunks (minutes from a cold disk), which a
        bot restart cannot wait for. So by default it runs only on stores of at most
        QUICK_CHECK_LIMIT bytes. Damage in a larger store is found when a read meets it:
        the query then raises IndexCorrupt (see _StoreLock), and an engine that meets it
        while opening runs the full check to confirm, then rebuilds the store.
        """
        if full is None:
            full = _store_size(self.path) <= QUICK_CHECK_LIMIT
        with self._lock:
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                rows = self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                tables = {name for (name,) in rows}
                for table in sorted(TABLES & tables):
                    self._db.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
                result = self._db.execute("PRAGMA quick_check").fetchone()[0] if full else "ok"
            except sqlite3.DatabaseError as exc:
                raise IndexCorrupt(f"the chunk store {self.path} is damaged ({exc})") from exc
        if version != STORE_FORMAT:
            raise IndexCorrupt(
                f"the chunk store {self.path} is format {version}; this qabot uses {STORE_FORMAT}"
            )
        if missing := TABLES - tables:
            names = ", ".join(sorted(missing))
            raise IndexCorrupt(f"the chunk store {self.path} is damaged (no table {names})")
        if result != "ok":
            raise IndexCorrupt(f"the chunk store {self.path} is damaged ({result})")

    def _migrate(self) -> None:
        """Bring a store of an earlier format to this one, a step at a time, each step one
        transaction (a crash leaves the store at the format before it)."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        while version in _MIGRATIONS:
            log.info("migrating the chunk store %s from format %d", self.path, version)
            self._db.executescript(
                f"BEGIN; {_MIGRATIONS[version]} PRAGMA user_version={version + 1}; COMMIT;"
            )
            version += 1

    def _has_tables(self) -> bool:
        query = "SELECT 1 FROM sqlite_master WHERE type='table' AND name='documents'"
        return self._db.execute(query).fetchone() is not None

    @property
    def generation(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM meta WHERE key=?", (key,))

    def documents(self) -> list[DocumentInfo]:
        query = """SELECT d.doc_id, d.title, d.date, d.source, d.content_hash, COUNT(c.chunk_id),
                          d.url, d.collection
                   FROM documents d LEFT JOIN chunks c USING (doc_id)
                   GROUP BY d.doc_id ORDER BY d.added_at, d.rowid"""
        with self._lock:
            rows = self._db.execute(query).fetchall()
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
        """Insert (or replace) one document and its chunks atomically; return the chunk ids."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            self._db.execute(
                "INSERT INTO documents (doc_id, title, date, source, content_hash, url, "
                "collection) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (doc_id, title, date, source, content_hash, url, collection),
            )
            ids = [self._insert_chunk(doc_id, chunk) for chunk in chunks]
            self._bump_generation()
        return ids

    def _insert_chunk(self, doc_id: str, chunk: NewChunk) -> int:
        cursor = self._db.execute(
            "INSERT INTO chunks (doc_id, ordinal, start, end, text, vector) VALUES (?,?,?,?,?,?)",
            (doc_id, chunk.ordinal, chunk.start, chunk.end, chunk.text, _blob(chunk.vector)),
        )
        chunk_id = int(cursor.lastrowid or 0)
        self._db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?, ?)",
            [
                (chunk_id, ordinal, start, end, _blob(vector))
                for ordinal, ((start, end), vector) in enumerate(
                    zip(chunk.sentence_spans, chunk.sentence_vectors, strict=True)
                )
            ],
        )
        return chunk_id

    def remove_document(self, doc_id: str) -> bool:
        with self._lock, self._transaction():
            deleted = self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
            if deleted:
                self._bump_generation()
        return bool(deleted)

    def chunk_ids_of(self, doc_id: str) -> list[int]:
        with self._lock:
            rows = self._db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))
            return [row[0] for row in rows]

    def chunk_ids_of_documents(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Every chunk id of these documents, ascending (read through a temporary table:
        a chat's collection or a date range may name thousands)."""
        with self._lock:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (doc_id TEXT PRIMARY KEY)")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO wanted VALUES (?)", [(d,) for d in doc_ids]
                )
                rows = self._db.execute(
                    "SELECT chunk_id FROM chunks JOIN wanted USING (doc_id)"
                ).fetchall()
            finally:
                self._db.execute("DELETE FROM wanted")
        return np.sort(np.asarray([row[0] for row in rows], dtype=np.int64))

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk id and vector, for rebuilding the vector index without re-embedding."""
        with self._lock:
            rows = self._db.execute("SELECT chunk_id, vector FROM chunks ORDER BY chunk_id")
            ids, blobs = [], []
            for chunk_id, blob in rows:
                ids.append(chunk_id)
                blobs.append(blob)
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, DIMENSION)
        return np.asarray(ids, dtype=np.int64), vectors

    def vectors(self, chunk_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The ids (ascending) and vectors of the chunks that exist among `chunk_ids`."""
        wanted = sorted(int(i) for i in chunk_ids)
        rows: list[tuple[int, bytes]] = []
        for begin in range(0, len(wanted), 900):  # SQLite's limit of bound parameters
            part = wanted[begin : begin + 900]
            with self._lock:
                rows += self._db.execute(
                    f"SELECT chunk_id, vector FROM chunks WHERE chunk_id IN "
                    f"({','.join('?' * len(part))}) ORDER BY chunk_id",
                    part,
                ).fetchall()
        ids = np.asarray([row[0] for row in rows], dtype=np.int64)
        vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
        return ids, vectors.reshape(-1, DIMENSION)

    def chunk_ids(self) -> np.ndarray:
        """Every chunk id, ascending. Unordered, SQLite reads them from the small index
        chunks_by_doc instead of every page of the table (texts and vectors: GBs at 1e6)."""
        with self._lock:
            rows = self._db.execute("SELECT chunk_id FROM chunks").fetchall()
        return np.sort(np.asarray([row[0] for row in rows], dtype=np.int64))

    def iter_texts(
        self, batch: int = 10_000, after: int = -1
    ) -> Iterator[tuple[list[int], list[str]]]:
        """Chunk ids and texts in id order (ids above `after`), in batches, for BM25."""
        last = after
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT chunk_id, text FROM chunks WHERE chunk_id > ? ORDER BY chunk_id "
                    "LIMIT ?",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [row[0] for row in rows], [row[1] for row in rows]

    def iter_sentences(self, after: int = -1, batch: int = 50_000) -> Iterator[SentenceRows]:
        """Sentences of the chunks with ids above `after`, in (chunk id, ordinal) order."""
        last = (after, 1 << 62)
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT chunk_id, ordinal, start, end, vector FROM sentences "
                    "WHERE (chunk_id, ordinal) > (?, ?) ORDER BY chunk_id, ordinal LIMIT ?",
                    (*last, batch),
                ).fetchall()
            if not rows:
                return
            last = (rows[-1][0], rows[-1][1])
            yield SentenceRows.of_rows(rows)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """The chunks that still exist among `chunk_ids` (a concurrent removal may drop some)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT chunk_id, doc_id, ordinal, start, end, text FROM chunks "
                f"WHERE chunk_id IN ({marks})",
                list(chunk_ids),
            ).fetchall()
        return {row[0]: StoredChunk(*row) for row in rows}

    def neighbours(
        self, doc_id: str, ordinal: int
    ) -> tuple[StoredChunk | None, StoredChunk | None]:
        """The chunks just before and after one chunk of a document."""
        with self._lock:
            rows = self._db.execute(
                "SELECT chunk_id, doc_id, ordinal, start, end, text FROM chunks "
                "WHERE doc_id=? AND ordinal IN (?, ?)",
                (doc_id, ordinal - 1, ordinal + 1),
            ).fetchall()
        found = {row[2]: StoredChunk(*row) for row in rows}
        return found.get(ordinal - 1), found.get(ordinal + 1)

    def sentences(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        """Sentence spans (relative to the chunk) and vectors of the given chunks."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT chunk_id, start, end, vector FROM sentences "
                f"WHERE chunk_id IN ({marks}) ORDER BY chunk_id, ordinal",
                list(chunk_ids),
            ).fetchall()
        result: dict[int, list[tuple[int, int, np.ndarray]]] = {}
        for chunk_id, start, end, blob in rows:
            result.setdefault(chunk_id, []).append(
                (start, end, np.frombuffer(blob, dtype=np.float32))
            )
        return result

    def counts(self) -> tuple[int, int]:
        with self._lock:
            docs = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    def _bump_generation(self) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _StoreLock:
    """The lock every use of the connection holds; it also turns damage SQLite meets in the
    file (a malformed page, or no database at all) into IndexCorrupt. The open-time check
    skips reading every page of a large store, so this is where damage there comes to light."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._lock.release()
        if isinstance(exc, sqlite3.DatabaseError) and _is_damage(exc):
            raise IndexCorrupt(f"the chunk store {self._path} is damaged ({exc})") from exc


def _set_aside(
    path: Path, reason: IndexCorrupt, store: SqliteChunkStore | None
) -> SqliteChunkStore:
    """Move a damaged store aside (kept for a post-mortem) and open a new, empty one."""
    if store is not None:
        with suppress(sqlite3.Error, IndexCorrupt):
            store.close()
    aside = path.with_name(f"chunks.damaged-{int(time.time())}.sqlite")
    log.warning("%s; moving it to %s and rebuilding from the stored documents", reason, aside)
    for suffix in ("", "-wal", "-shm"):
        damaged = Path(f"{path}{suffix}")
        if damaged.exists():
            os.replace(damaged, Path(f"{aside}{suffix}"))
    return SqliteChunkStore(path)


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB: not a busy, locked or full database."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _store_size(path: Path) -> int:
    """Bytes SQLite reads to check the store: the file and its write-ahead log."""
    size = 0
    for part in (path, Path(f"{path}-wal")):
        with suppress(FileNotFoundError):
            size += part.stat().st_size
    return size


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()
