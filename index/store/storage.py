"""The persistent layers of one index, shared by the engine's collaborators, and where they
are kept (`Storage`).

On one machine (`LocalStorage`, the default) they are all in the index folder:
documents/      the stored documents (JSON), the source of truth
chunks.sqlite   chunks, sentences and their embeddings (per document, never recomputed)
snapshot-*/     FAISS + BM25 + lexicon + sentence table derived from the store
CURRENT         names the snapshot in use (replaced atomically)
With several workers (`index.store.postgres.PostgresStorage`) the documents and the chunk
store are in a shared database and the folder keeps only this worker's snapshots.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.store.chunks import ChunkStore
from index.store.locking import WriteLock
from index.store.originals import Originals, OriginalsStore
from index.store.sqlite import SqliteChunkStore

STORE_FILE = "chunks.sqlite"


class Lock(Protocol):
    """One writer at a time (re-entrant within a thread)."""

    def held(self) -> AbstractContextManager[None]: ...


@dataclass
class IndexFiles:
    folder: Path
    originals: OriginalsStore
    store: ChunkStore  # replaced by a rebuilt one when found damaged (index/snapshot/reconcile.py)
    lock: Lock
    # None: only processes on this machine write, and the folder's CURRENT pointer tells
    # when one did. A number: other workers write the shared store; a question checks its
    # generation at most this often (seconds) and follows it (Reconciler.current_snapshot).
    follow_seconds: float | None = None


class Storage(Protocol):
    """Where an index's documents and chunk store are kept."""

    def open(self, folder: Path) -> IndexFiles:
        """The layers of the index whose snapshots go in `folder`."""
        ...


class LocalStorage:
    """Everything in the index folder (SQLite and JSON files): nothing to start."""

    def open(self, folder: Path) -> IndexFiles:
        """The folder's layers, its chunk store opened (a damaged one set aside for a new one)."""
        folder.mkdir(parents=True, exist_ok=True)
        lock = WriteLock(folder)
        with lock.held():  # another process may be repairing the same folder
            store = SqliteChunkStore.open(folder / STORE_FILE)
        return IndexFiles(folder, Originals(folder / "documents"), store, lock)
