"""Keeping an index folder's layers in line: stored documents -> chunk store -> snapshot.

Opening (and every change made by another process) reconciles the three: damage or
staleness is reported in the log and repaired from the layer below, never used silently.
A damaged chunk store is set aside for a post-mortem and rebuilt from the documents; what
counts as damage is the store's to say (`ChunkStore.confirms_damage`). On a store shared by
several workers a snapshot of an older generation is no damage (another worker wrote): it
is followed, by whichever process needs it next, and a command run beside a live worker
leaves the worker's folder alone.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass

from index.api import DocumentInfo
from index.errors import IndexCorrupt
from index.ingest.documents import Document, iter_supported_files, load_file
from index.ingest.embedding import Embedder
from index.settings import EngineSettings
from index.snapshot.build import Snapshot, remove_other_snapshots
from index.snapshot.published import PublishedSnapshot
from index.store.atomic import remove_partials
from index.store.chunks import ChunkStore
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


@dataclass(frozen=True)
class _Inspection:
    """What reconciling found before changing anything."""

    folder: FolderState  # the documents folder's fingerprint, taken first
    stored: list[DocumentInfo]  # what the chunk store holds
    new_store: bool  # never initialized: new, or lost or replaced
    recipe_changed: bool  # chunked or embedded otherwise than the settings say
    seed: bool  # the default corpus is due
    in_line: bool  # the store holds exactly the folder's documents, as last recorded


@dataclass(frozen=True)
class _Repair:
    originals: dict[str, Document]  # every stored document, as parsed
    store_changed: bool  # documents dropped or embedded: the snapshot is stale


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
        self._store_checked = -math.inf  # time.monotonic() of the last look at a shared store
        self._remote_checked = time.monotonic()  # ... and at the Qdrant collection

    def open(self) -> None:
        """Reconcile at opening; damage in the store that its open-time check did not read
        (a large store is not read whole) comes to light here and is repaired."""
        with self._files.lock.held():
            try:
                self.reconcile()
            except IndexCorrupt as exc:
                if not self._files.store.confirms_damage(exc):
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
            if not self._shared():
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
        found = self._inspect()
        repaired = None if found.in_line else self._repair_store(found)
        self._tidy()
        stale = found.new_store or (repaired is not None and repaired.store_changed)
        self._load_or_publish(rebuild=stale or self._first_snapshot_here())
        if repaired is not None:
            remember_originals(self._files.store, found.folder, repaired.originals)

    def _inspect(self) -> _Inspection:
        """What the store says of itself and of the documents folder, before any change."""
        store = self._files.store
        folder = self._files.originals.fingerprint()  # before any is read: a later change shows
        new_store = store.get_meta("initialized") is None
        recipe_changed = store.get_meta("chunking") != self._recipe()
        stored = store.documents()
        seed = self._seed_due(store, folder)
        in_line = (
            not (new_store or recipe_changed or seed)
            and store.get_meta(ORIGINALS_SEEN) == folder.digest
            and {doc.doc_id for doc in stored} == folder.ids
        )
        return _Inspection(folder, stored, new_store, recipe_changed, seed, in_line)

    def _repair_store(self, found: _Inspection) -> _Repair:
        """Make the store hold exactly the stored documents, chunked as the settings say."""
        store = self._files.store
        forget_originals(store)
        originals = self._originals(found)
        store.set_meta("initialized", "1")
        stored = self._apply_recipe(found.stored) if found.recipe_changed else found.stored
        kept = self._drop_documents_without_original(originals, stored, found.folder.ids)
        expected = found.new_store or found.recipe_changed or found.seed
        embedded = self._embed_missing(originals, kept, expected=expected)
        return _Repair(originals, store_changed=len(kept) != len(found.stored) or embedded)

    def _originals(self, found: _Inspection) -> dict[str, Document]:
        """The stored documents (the default corpus, put in now, when it is due)."""
        originals = self._files.originals.load_all()
        if found.seed and not originals:
            return self._seed_default_corpus()
        if found.new_store and originals:
            log.warning(
                "the chunk store is new but %d stored document(s) exist (it was lost or "
                "replaced): embedding them again",
                len(originals),
            )
        return originals

    def _apply_recipe(self, stored: list[DocumentInfo]) -> list[DocumentInfo]:
        """Chunking settings (or int8 embedding) changed: drop every document's chunks, to
        be embedded again from its original. The documents still stored: none."""
        store = self._files.store
        if stored:
            log.warning(
                "chunking settings (or int8 embedding) changed: re-embedding every document"
            )
        for doc in stored:
            store.remove_document(doc.doc_id)
        store.set_meta("chunking", self._recipe())
        return []

    def _tidy(self) -> None:
        """Delete what interrupted writes left in the folder and among the documents."""
        remove_partials(self._files.folder)
        self._files.originals.tidy()

    def _first_snapshot_here(self) -> bool:
        """A new worker on a shared store has no snapshot yet: building one is no repair."""
        return self._shared() and not self._published.exists()

    def _load_or_publish(self, rebuild: bool) -> None:
        """Build the store's snapshot when it changed, else load the one on disk (rebuilt,
        with a warning, when it cannot be trusted). On a shared store a snapshot of an
        older generation is no damage: other workers wrote, and it is followed (`catch_up`)
        when a question or a change needs it, by this process, not rebuilt now."""
        store = self._files.store
        if rebuild:
            log.info("building the search index")
            self._published.publish(store)
            return
        try:
            self._published.load(store, behind=self._shared())
        except IndexCorrupt as exc:
            log.warning("rebuilding the search index: %s", exc)
            self._published.publish(store)
            return
        snapshot = self._published.snapshot
        assert snapshot is not None
        remove_other_snapshots(self._files.folder, keep=snapshot.folder.name)

    def _shared(self) -> bool:
        """Whether other workers write the store (a database), so it moves on without us."""
        return self._files.follow_seconds is not None

    def _recipe(self) -> str:
        return json.dumps(chunk_recipe(self._settings))

    def _drop_documents_without_original(
        self, originals: dict[str, Document], stored: list[DocumentInfo], files: frozenset[str]
    ) -> list[DocumentInfo]:
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
        self, originals: dict[str, Document], stored: list[DocumentInfo], expected: bool
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
