"""Keeping an index folder's layers in line: stored documents -> chunk store -> snapshot.

Opening (and every change made by another process) reconciles the three: damage or
staleness is reported in the log and repaired from the layer below, never used silently.
A damaged chunk store is set aside for a post-mortem and rebuilt from the documents.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time

from index.errors import IndexCorrupt
from index.ingest.documents import Document, iter_supported_files, load_file
from index.ingest.embedding import Embedder
from index.settings import EngineSettings
from index.snapshot.build import Snapshot, remove_other_snapshots
from index.snapshot.published import PublishedSnapshot
from index.store.atomic import remove_partials
from index.store.chunks import ChunkStore, StoredDocument
from index.store.originals import FolderState
from index.store.saving import chunk_recipe, embed_document, save_document
from index.store.storage import IndexFiles

log = logging.getLogger("qabot.index")

# Meta key of the store: the fingerprint of documents/ when the store last held exactly its
# documents (see Reconciler.reconcile). Deleted before any change to either.
ORIGINALS_SEEN = "originals_fingerprint"
# How often a question may check that a Qdrant collection still holds the store's chunks
# (a count and a lookup of two points): one deleted or emptied by hand is refilled within it.
REMOTE_CHECK_SECONDS = 30.0
# Meta key of the store: set once the default corpus was put in (it is offered only once).
DEFAULT_CORPUS_SEEDED = "default_corpus_seeded"


class Reconciler:
    def __init__(
        self,
        settings: EngineSettings,
        files: IndexFiles,
        published: PublishedSnapshot,
        embedder: Embedder,
        seed_default_corpus: bool = True,
    ) -> None:
        self._settings = settings
        self._files = files
        self._published = published
        self._embedder = embedder
        self._seed_default_corpus_wanted = seed_default_corpus
        self._store_checked = 0.0  # time.monotonic() of the last look at a shared store
        self._remote_checked = time.monotonic()  # ... and at the Qdrant collection

    def open(self) -> None:
        """Reconcile at opening; damage in the store that its open-time check did not read
        (a large store is not read whole) comes to light here and is repaired."""
        with self._files.lock.held():
            try:
                self.reconcile()
            except IndexCorrupt as exc:
                if not self._store_is_damaged(exc):
                    raise
                self._rebuild_damaged_store(exc)

    def current_snapshot(self) -> Snapshot:
        """The snapshot in use, reloaded when another process (the CLI) published a newer
        one, or rebuilt when another worker changed the shared store."""
        if self._published.changed_on_disk():
            with self._files.lock.held():
                if self._published.changed_on_disk():
                    self.reconcile()
        elif self._shared_store_moved_on():
            with self._files.lock.held():
                self.catch_up()
        elif self._published.remote and self._remote_check_due():
            with self._files.lock.held():
                self._published.verify_remote(self._files.store)
        snapshot = self._published.snapshot
        assert snapshot is not None
        return snapshot

    def catch_up(self) -> None:
        """Before a change (lock held): if another process changed the index since we
        loaded it, start from what is on disk (an incremental update of a stale snapshot
        would lose its work). Another worker's change to a shared store is followed: it
        left the store consistent with its documents, so only our snapshot is behind."""
        if self._published.changed_on_disk():
            self.reconcile()
        elif self._published.behind(self._files.store):
            if self._files.follow_seconds is None:
                self.reconcile()
            else:
                generation = self._files.store.generation
                log.info("following the shared index to generation %d", generation)
                self._published.follow(self._files.store)

    def _shared_store_moved_on(self) -> bool:
        """Whether the shared store's generation differs from our snapshot's, asked at most
        every `follow_seconds` (one indexed row: 0.3 ms median here, pool check included)."""
        every = self._files.follow_seconds
        if every is None or time.monotonic() - self._store_checked < every:
            return False
        self._store_checked = time.monotonic()
        return self._published.behind(self._files.store)

    def _remote_check_due(self) -> bool:
        """Whether REMOTE_CHECK_SECONDS passed since the collection was last checked."""
        if time.monotonic() - self._remote_checked < REMOTE_CHECK_SECONDS:
            return False
        self._remote_checked = time.monotonic()
        return True

    def check(self) -> bool:
        """Read the whole chunk store, which opening skips on a large one (minutes at 1e6
        chunks: run it in a quiet hour). Damage is repaired as at opening: the store is set
        aside and rebuilt from the stored documents; a Qdrant collection that does not hold
        the store's chunks is refilled. True when both were sound."""
        with self._files.lock.held():
            try:
                self._files.store.check(full=True)
            except IndexCorrupt as exc:
                self._rebuild_damaged_store(exc)
                return False
            return self._published.verify_remote(self._files.store)

    def reconcile(self) -> None:
        """Bring store and snapshot in line with the stored documents, then load.

        Each repair of damage or staleness is logged as a warning, never done silently.
        Parsing every stored document (seconds for a large index) is skipped when the
        documents folder's fingerprint (names, sizes, times, inodes) is the one recorded
        when the store last held exactly its documents: nothing was added, removed or
        rewritten since. Every write deletes that record first, so a crash between writing
        a document and storing its chunks leaves none, and the next open compares all.
        """
        store, originals_folder = self._files.store, self._files.originals
        folder = originals_folder.fingerprint()  # before any is read: a later change shows
        recipe = json.dumps(chunk_recipe(self._settings))
        fresh_store = store.get_meta("initialized") is None
        rechunk = store.get_meta("chunking") != recipe
        stored = store.documents()
        seed = self._seed_due(store, folder)
        trusted = (
            not fresh_store
            and not rechunk
            and not seed
            and store.get_meta(ORIGINALS_SEEN) == folder.digest
            and {doc.doc_id for doc in stored} == folder.ids
        )
        originals: dict[str, Document] | None = None
        changed = False
        if not trusted:
            forget_originals(store)
            originals = originals_folder.load_all()
            if seed and not originals:
                originals = self._seed_default_corpus()
            elif fresh_store and originals:
                log.warning(
                    "the chunk store is new but %d stored document(s) exist (it was lost or "
                    "replaced): embedding them again",
                    len(originals),
                )
            store.set_meta("initialized", "1")
            if rechunk:
                if stored:
                    log.warning(
                        "chunking settings (or int8 embedding) changed: re-embedding every document"
                    )
                for doc in stored:
                    store.remove_document(doc.doc_id)
                store.set_meta("chunking", recipe)
                stored = []
            kept = self._drop_documents_without_original(originals, stored, folder.ids)
            changed = len(kept) != len(stored)
            changed |= self._embed_missing(originals, kept, expected=fresh_store or rechunk or seed)
        remove_partials(self._files.folder)
        originals_folder.tidy()
        # a new worker on a shared store has no snapshot yet: building one is no repair
        first_snapshot = self._files.follow_seconds is not None and not self._published.exists()
        self._publish_or_load(rebuild=changed or fresh_store or first_snapshot)
        if originals is not None:
            remember_originals(store, folder, originals)

    def _publish_or_load(self, rebuild: bool) -> None:
        store = self._files.store
        if rebuild:
            log.info("building the search index")
            self._published.publish(store)
            return
        try:
            self._published.load(store)
        except IndexCorrupt as exc:
            log.warning("rebuilding the search index: %s", exc)
            self._published.publish(store)
            return
        snapshot = self._published.snapshot
        assert snapshot is not None
        remove_other_snapshots(self._files.folder, keep=snapshot.folder.name)

    def _drop_documents_without_original(
        self, originals: dict[str, Document], stored: list[StoredDocument], files: frozenset[str]
    ) -> list[StoredDocument]:
        """Drop stored documents whose original was deleted; return the ones kept. One whose
        file (its id among `files`) is merely unreadable (reported when loading) keeps its
        chunks: damage must not lose an article."""
        on_disk = set(originals).union(files)
        gone = [doc.doc_id for doc in stored if doc.doc_id not in on_disk]
        if gone:
            log.warning("dropping %d document(s) whose original is gone: %s", len(gone), gone)
        for doc_id in gone:
            self._files.store.remove_document(doc_id)
        return [doc for doc in stored if doc.doc_id in on_disk]

    def _embed_missing(
        self, originals: dict[str, Document], stored: list[StoredDocument], expected: bool
    ) -> bool:
        hashes = {doc.doc_id: doc.content_hash for doc in stored}
        missing = [d for d in originals.values() if hashes.get(d.doc_id) != d.content_hash]
        if missing:
            log.log(
                logging.INFO if expected else logging.WARNING,
                "embedding %d stored document(s) missing from the chunk store "
                "(new, or the store was lost or an update interrupted)",
                len(missing),
            )
        for document in missing:
            chunks = embed_document(document, self._settings.chunking, self._embedder)
            save_document(self._files.store, document, chunks)
        return bool(missing)

    def _seed_due(self, store: ChunkStore, folder: FolderState) -> bool:
        """Whether to put the default corpus in: wanted (a question is coming, not `qabot
        index add`), the index holds no document and never received the corpus before."""
        return (
            self._seed_default_corpus_wanted
            and not folder.ids
            and store.get_meta(DEFAULT_CORPUS_SEEDED) is None
        )

    def _seed_default_corpus(self) -> dict[str, Document]:
        corpus = self._settings.index.default_corpus
        if corpus is None or not corpus.exists():
            return {}
        documents = [load_file(path) for path in iter_supported_files([corpus])]
        for document in documents:
            self._files.originals.save(document)
        self._files.store.set_meta(DEFAULT_CORPUS_SEEDED, "1")
        log.info("indexed the default corpus: %d document(s) from %s", len(documents), corpus)
        return {document.doc_id: document for document in documents}

    def _store_is_damaged(self, error: IndexCorrupt) -> bool:
        """Whether an error met while opening is damage in the chunk store: a read failed in
        SQLite and its full check (which opening skips on a large store) confirms it."""
        if not isinstance(error.__cause__, sqlite3.DatabaseError):
            return False
        try:
            self._files.store.check(full=True)
        except IndexCorrupt:
            return True
        return False

    def _rebuild_damaged_store(self, exc: IndexCorrupt) -> None:
        """Replace the open store, found damaged, by one rebuilt from the stored documents."""
        self._files.store = self._files.store.set_aside(exc)
        self.reconcile()


def forget_originals(store: ChunkStore) -> None:
    """Before changing stored documents: the next reconcile must compare them all."""
    store.delete_meta(ORIGINALS_SEEN)


def remember_originals(
    store: ChunkStore, folder: FolderState, originals: dict[str, Document]
) -> None:
    """Record that the store holds exactly `originals`, parsed after `folder` was taken.

    Not when the ids differ (a file unreadable, or added or removed meanwhile): the
    next reconcile then parses every document again, and reports the unreadable one.
    A file rewritten after `folder` was taken changed its fingerprint: also a full parse.
    """
    if set(originals) == folder.ids:
        store.set_meta(ORIGINALS_SEEN, folder.digest)
