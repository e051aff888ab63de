"""Changing what an index holds: add, replace, remove and re-embed documents.

Every change runs under the folder's write lock, starts from what is on disk (another
process may have changed it), writes the stored document and its chunks, then publishes
the next snapshot. Questions keep reading the previous snapshot meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.api import DocumentInfo
from index.errors import UnknownDocument
from index.ingest.documents import Document
from index.ingest.embedding import Embedder
from index.settings import ChunkingSettings
from index.snapshot.published import PublishedSnapshot
from index.snapshot.reconcile import Reconciler, forget_originals, remember_originals
from index.store.saving import embed_document, save_document, with_progress
from index.store.storage import IndexFiles


class IndexWriter:
    def __init__(
        self,
        chunking: ChunkingSettings,
        files: IndexFiles,
        published: PublishedSnapshot,
        reconciler: Reconciler,
        embedder: Embedder,
    ) -> None:
        self._chunking = chunking
        self._files = files
        self._published = published
        self._reconciler = reconciler
        self._embedder = embedder

    def add(self, documents: Sequence[Document], progress: bool = False) -> None:
        """Store and index documents; one that fails leaves its previous version in place,
        and those stored before it stay searchable."""
        unique = list({document.doc_id: document for document in documents}.values())
        with self._files.lock.held():
            self._reconciler.catch_up()
            store = self._files.store
            forget_originals(store)
            added_ids: list[np.ndarray] = []
            added_vectors: list[np.ndarray] = []
            removed: list[int] = []
            try:
                for document in with_progress(unique, progress):
                    # embedded before any write: a failure changes nothing
                    chunks = embed_document(document, self._chunking, self._embedder)
                    previous_ids = store.chunk_ids_of(document.doc_id)
                    with self._files.originals.replacing(document):
                        ids, vectors = save_document(store, document, chunks)
                    removed.extend(previous_ids)
                    added_ids.append(ids)
                    added_vectors.append(vectors)
            finally:
                if added_ids:
                    self._published.publish(
                        store,
                        added=(np.concatenate(added_ids), np.concatenate(added_vectors)),
                        removed=np.asarray(removed, dtype=np.int64),
                    )

    def remove_many(self, doc_ids: Sequence[str]) -> list[DocumentInfo]:
        """Remove the documents that exist among `doc_ids`, publishing once."""
        with self._files.lock.held():
            self._reconciler.catch_up()
            store = self._files.store
            wanted = set(doc_ids)
            found = [doc for doc in store.documents() if doc.doc_id in wanted]
            if not found:
                return []
            forget_originals(store)
            removed: list[int] = []
            for doc in found:
                removed.extend(store.chunk_ids_of(doc.doc_id))
                store.remove_document(doc.doc_id)
                self._files.originals.remove(doc.doc_id)
            self._published.publish(store, removed=np.asarray(removed, dtype=np.int64))
            return found

    def remove(self, doc_id: str) -> DocumentInfo:
        with self._files.lock.held():
            self._reconciler.catch_up()
            store = self._files.store
            found = next((doc for doc in store.documents() if doc.doc_id == doc_id), None)
            if found is None:
                raise UnknownDocument(f"no document with id {doc_id!r}")
            chunk_ids = store.chunk_ids_of(doc_id)
            forget_originals(store)
            store.remove_document(doc_id)
            self._files.originals.remove(doc_id)
            self._published.publish(store, removed=np.asarray(chunk_ids, dtype=np.int64))
            return found

    def rebuild(self, progress: bool = False) -> None:
        """Re-chunk and re-embed every stored document, then rebuild the search index.

        Documents are replaced one at a time (embedding first), so questions asked meanwhile
        still find every other document.
        """
        with self._files.lock.held():
            store, originals_folder = self._files.store, self._files.originals
            folder = originals_folder.fingerprint()  # before reading: see Reconciler.reconcile
            forget_originals(store)
            originals = originals_folder.load_all()
            for doc in store.documents():
                if doc.doc_id not in originals:
                    store.remove_document(doc.doc_id)
            for document in with_progress(list(originals.values()), progress):
                chunks = embed_document(document, self._chunking, self._embedder)
                save_document(store, document, chunks)
            self._published.refill_remote(store)
            self._published.publish(store)
            remember_originals(store, folder, originals)
