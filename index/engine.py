"""The engine: a persisted index of documents and the question-answering API over it.

On disk (one folder):
  documents/      the stored documents (JSON), the source of truth
  chunks.sqlite   chunks, sentences and their embeddings (per document, never recomputed)
  snapshot-*/     FAISS + BM25 + lexicon derived from the store, with a manifest
  CURRENT         names the snapshot in use (replaced atomically)
Opening reconciles the three: damage or staleness is reported in the log and repaired
from the layer below, never used silently.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

from index.answering import compose_answer, refusal
from index.api import Answer, DocumentInfo, EngineLimits, IndexStats, Turn
from index.atomic import remove_partials
from index.batching import MicroBatcher
from index.chunking import chunk_text
from index.documents import Document, check_size, iter_supported_files, load_file, parse_bytes
from index.embedding import DIMENSION, Embedder, create_embedder, model_vocabulary
from index.errors import IndexCorrupt, IngestError, UnknownDocument
from index.fitted import Fitted
from index.originals import FolderState, Originals
from index.retrieval import (
    DenseHits,
    Query,
    build_terms,
    is_follow_up,
    retrieve,
    search_dense,
)
from index.settings import EngineSettings
from index.snapshot import (
    POINTER,
    Snapshot,
    build_snapshot,
    load_snapshot,
    remove_other_snapshots,
)
from index.store import ChunkStore, NewChunk, StoredChunk, StoredDocument

log = logging.getLogger("qabot.index")

# Meta key of the store: the fingerprint of documents/ when the store last held exactly its
# documents (see Engine._reconcile). Deleted before any change to either.
ORIGINALS_SEEN = "originals_fingerprint"


class Engine:
    """Thread-safe: questions may be answered while documents are added or removed."""

    def __init__(
        self,
        settings: EngineSettings,
        embedder: Embedder | None = None,
        fitted: Fitted | None = None,
    ) -> None:
        self.settings = settings
        self.fitted = (fitted or Fitted.load()).with_threshold(settings.answer.min_confidence)
        self.index_dir = settings.index.dir
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._known_words: frozenset[str] | None = None
        self._write_lock = threading.RLock()
        self._originals = Originals(self.index_dir / "documents")
        self._snapshot: Snapshot | None = None
        self._pointer_seen = 0.0
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qabot-answer")
        self._batcher: MicroBatcher[tuple[str, tuple[Turn, ...]], Answer] = MicroBatcher(
            self._answer_batch, self._executor, max_wait=settings.embedding.batch_wait_ms / 1000
        )
        with self._writing():  # another process may be repairing the same folder
            self._store = self._open_store()
            try:
                self._reconcile()
            except IndexCorrupt as exc:  # damage the open-time check did not read
                if not self._store_is_damaged(exc):
                    raise
                self._rebuild_damaged_store(exc)

    # ----- the query API -------------------------------------------------------------

    @property
    def limits(self) -> EngineLimits:
        return EngineLimits(
            max_question_chars=self.settings.answer.max_question_chars,
            max_document_bytes=self.settings.index.max_document_bytes,
            conversation_turns=self.settings.answer.conversation_turns,
        )

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        return self.answer_many([(question, tuple(history))])[0]

    async def answer_async(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer off the event loop; concurrent callers are embedded in one batch."""
        return await self._batcher.submit((question, tuple(history)))

    def answer_many(self, requests: Sequence[tuple[str, Sequence[Turn]]]) -> list[Answer]:
        return self._answer_batch([(q, tuple(h)) for q, h in requests])

    def _answer_batch(self, requests: list[tuple[str, tuple[Turn, ...]]]) -> list[Answer]:
        snapshot = self._current_snapshot()
        limit = self.settings.answer.max_question_chars
        cleaned = [(_clean_question(q, limit), history) for q, history in requests]
        dictionary = self._dictionary()
        texts = [snapshot.lexicon.correct(q, dictionary) if q else "" for q, _ in cleaned]
        earlier = [
            [turn.question for turn in history[-2:]] if is_follow_up(q) else []
            for q, history in cleaned
        ]
        vectors = self.embedder.encode(texts + [" ".join(e) for e in earlier if e])
        history_vectors = iter(vectors[len(texts) :])
        query_vectors = []
        for previous, vector in zip(earlier, vectors[: len(texts)], strict=True):
            if previous:
                mixed = vector + 0.5 * next(history_vectors)
                vector = mixed / max(float(np.linalg.norm(mixed)), 1e-12)
            query_vectors.append(vector)
        hits = search_dense(np.asarray(query_vectors), snapshot, self.settings.retrieval.candidates)
        documents = snapshot.documents
        return [
            self._answer_one(question, text, previous, vector, found, snapshot, documents)
            for (question, _), text, previous, vector, found in zip(
                cleaned, texts, earlier, query_vectors, hits, strict=True
            )
        ]

    def _answer_one(
        self,
        question: str,
        corrected: str,
        earlier: list[str],
        vector: np.ndarray,
        dense_hits: DenseHits,
        snapshot: Snapshot,
        documents: dict[str, StoredDocument],
    ) -> Answer:
        if not corrected.strip():
            return refusal(question, [], documents)
        weights = self.fitted.weights
        terms = build_terms(corrected, earlier, weights.history_terms)
        query = Query(corrected, vector, terms)
        ranked = retrieve(
            query, dense_hits, snapshot, self._store, self.settings.retrieval.candidates, weights
        )
        return compose_answer(
            question,
            query,
            ranked,
            documents,
            self._earlier_sentences,
            self.fitted.confidence,
            self.settings.retrieval.top_k,
            self.settings.answer.max_chars,
            self.settings.answer.passage_max_chars,
        )

    def _earlier_sentences(
        self, chunk: StoredChunk, start: int, count: int
    ) -> list[tuple[str, np.ndarray]]:
        """Up to `count` sentences before `start`, nearest first, crossing into the chunk before."""
        found: list[tuple[str, np.ndarray]] = []
        sentences = self._store.sentences([chunk.chunk_id]).get(chunk.chunk_id, [])
        for s_start, s_end, vector in reversed(sentences):
            if s_end <= start and len(found) < count:
                found.append((chunk.text[s_start:s_end], vector))
        if len(found) < count:
            before, _ = self._store.neighbours(chunk.doc_id, chunk.ordinal)
            if before is not None:
                overlap = chunk.start - before.start  # chunks may share whole sentences
                for s_start, s_end, vector in reversed(
                    self._store.sentences([before.chunk_id]).get(before.chunk_id, [])
                ):
                    if s_end <= overlap and len(found) < count:
                        found.append((before.text[s_start:s_end], vector))
        return found

    def warm_up(self) -> None:
        """Load the model and answer once, so the first real question is not the slow one."""
        self.answer("warm up")

    def _dictionary(self) -> frozenset[str]:
        if self._known_words is None:
            self._known_words = model_vocabulary()
        return self._known_words

    @property
    def embedder(self) -> Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = create_embedder(
                    self.settings.embedding.backend,
                    self.settings.embedding.cache_dir,
                    self.settings.embedding.batch_size,
                )
            return self._embedder

    # ----- managing documents ---------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return [_info(doc) for doc in self._store.documents()]

    def add_paths(self, paths: Sequence[str | Path], progress: bool = False) -> list[DocumentInfo]:
        """Add files or folders; every file is parsed before anything is stored."""
        files = iter_supported_files([Path(p) for p in paths])
        if not files:
            raise IngestError("no .txt, .md, .html or .pdf files found there")
        parsed = [load_file(path, self.settings.index.max_document_bytes) for path in files]
        return self.add_documents(parsed, progress=progress)

    def add_bytes(self, filename: str, data: bytes) -> list[DocumentInfo]:
        check_size(filename, len(data), self.settings.index.max_document_bytes)
        return self.add_documents([parse_bytes(filename, data)])

    def add_documents(
        self, documents: Sequence[Document], progress: bool = False
    ) -> list[DocumentInfo]:
        """Store and index documents; one that fails leaves its previous version in place."""
        if not documents:
            return []
        unique = list({document.doc_id: document for document in documents}.values())
        with self._writing():
            self._catch_up()
            self._forget_originals()
            added_ids: list[np.ndarray] = []
            added_vectors: list[np.ndarray] = []
            removed: list[int] = []
            try:
                for document in _progress(unique, progress, "embedding"):
                    chunks = self._embed(document)  # before any write: a failure changes nothing
                    previous_ids = self._chunk_ids_of(document.doc_id)
                    with self._originals.replacing(document):
                        ids, vectors = self._save_chunks(document, chunks)
                    removed.extend(previous_ids)
                    added_ids.append(ids)
                    added_vectors.append(vectors)
            finally:
                if added_ids:  # what was stored is searchable, even if a later document failed
                    self._publish(
                        added=(np.concatenate(added_ids), np.concatenate(added_vectors)),
                        removed=np.asarray(removed, dtype=np.int64),
                    )
            wanted = {document.doc_id for document in documents}
            return [info for info in self.documents() if info.doc_id in wanted]

    def remove(self, doc_id: str) -> DocumentInfo:
        with self._writing():
            self._catch_up()
            found = next((doc for doc in self._store.documents() if doc.doc_id == doc_id), None)
            if found is None:
                raise UnknownDocument(f"no document with id {doc_id!r}")
            chunk_ids = self._chunk_ids_of(doc_id)
            self._forget_originals()
            self._store.remove_document(doc_id)
            self._originals.remove(doc_id)
            self._publish(removed=np.asarray(chunk_ids, dtype=np.int64))
            return _info(found)

    def rebuild(self, progress: bool = False) -> IndexStats:
        """Re-chunk and re-embed every stored document, then rebuild the search index.

        Documents are replaced one at a time (embedding first), so questions asked meanwhile
        still find every other document.
        """
        with self._writing():
            folder = self._originals.fingerprint()  # before reading: see _reconcile
            self._forget_originals()
            originals = self._originals.load_all()
            for doc in self._store.documents():
                if doc.doc_id not in originals:
                    self._store.remove_document(doc.doc_id)
            for document in _progress(list(originals.values()), progress, "embedding"):
                self._store_document(document)
            self._publish()
            self._remember_originals(folder, originals)
        return self.stats()

    def check(self) -> bool:
        """Read the whole chunk store, which opening skips on a large one (minutes at 1e6
        chunks: run it in a quiet hour). Damage is repaired as at opening: the store is set
        aside and rebuilt from the stored documents. True when the store was sound."""
        with self._writing():
            try:
                self._store.check(full=True)
            except IndexCorrupt as exc:
                self._rebuild_damaged_store(exc)
                return False
        return True

    def stats(self) -> IndexStats:
        documents, chunks = self._store.counts()
        return IndexStats(documents, chunks, bytes_on_disk=_disk_usage(self.index_dir))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._store.close()

    # ----- internals --------------------------------------------------------------------

    def _store_document(self, document: Document) -> None:
        self._save_chunks(document, self._embed(document))

    def _embed(self, document: Document) -> list[NewChunk]:
        """Chunk and embed one document (the slow part; it writes nothing)."""
        chunking = self.settings.chunking
        chunks = chunk_text(document.text, chunking.max_chars, chunking.overlap_sentences)
        sentence_texts = [chunk.text[s.start : s.end] for chunk in chunks for s in chunk.sentences]
        vectors = self.embedder.encode([chunk.text for chunk in chunks] + sentence_texts)
        chunk_vectors, sentence_vectors = vectors[: len(chunks)], vectors[len(chunks) :]
        new_chunks, offset = [], 0
        for chunk, vector in zip(chunks, chunk_vectors, strict=True):
            count = len(chunk.sentences)
            new_chunks.append(
                NewChunk(
                    chunk.ordinal,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    vector,
                    [(s.start, s.end) for s in chunk.sentences],
                    sentence_vectors[offset : offset + count],
                )
            )
            offset += count
        return new_chunks

    def _save_chunks(
        self, document: Document, chunks: list[NewChunk]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store one document's chunks in one transaction; their ids and vectors."""
        ids = self._store.replace_document(
            document.doc_id,
            document.title,
            document.date,
            document.source,
            document.content_hash,
            chunks,
        )
        vectors = np.asarray([chunk.vector for chunk in chunks], dtype=np.float32)
        return np.asarray(ids, dtype=np.int64), vectors.reshape(-1, DIMENSION)

    def _chunk_ids_of(self, doc_id: str) -> list[int]:
        return self._store.chunk_ids_of(doc_id)

    def _publish(
        self, added: tuple[np.ndarray, np.ndarray] | None = None, removed: np.ndarray | None = None
    ) -> None:
        previous = self._snapshot if added is not None or removed is not None else None
        self._snapshot = build_snapshot(
            self.index_dir,
            self._store,
            self.settings.recipe,
            self.settings.retrieval.hnsw_threshold,
            previous=previous,
            added=added,
            removed=removed,
        )
        self._pointer_seen = self._pointer_mtime()

    def _catch_up(self) -> None:
        """Before a change: if another process changed the index since we loaded it, start
        from what is on disk (an incremental update of a stale snapshot would lose its work)."""
        snapshot = self._snapshot
        if (
            snapshot is None
            or snapshot.manifest.store_generation != self._store.generation
            or self._pointer_mtime() != self._pointer_seen
        ):
            self._reconcile()

    def _current_snapshot(self) -> Snapshot:
        """The snapshot in use, reloaded when another process (the CLI) published a newer one."""
        snapshot = self._snapshot
        if snapshot is None or self._pointer_mtime() != self._pointer_seen:
            with self._writing():
                if self._pointer_mtime() != self._pointer_seen or self._snapshot is None:
                    self._reconcile()
            snapshot = self._snapshot
        assert snapshot is not None
        return snapshot

    def _pointer_mtime(self) -> float:
        try:
            return (self.index_dir / POINTER).stat().st_mtime_ns
        except FileNotFoundError:
            return 0.0

    def _open_store(self) -> ChunkStore:
        path = self.index_dir / "chunks.sqlite"
        store = None
        try:
            store = ChunkStore(path)
            store.check()
            return store
        except IndexCorrupt as exc:
            return self._set_aside(path, exc, store)

    def _store_is_damaged(self, error: IndexCorrupt) -> bool:
        """Whether an error met while opening is damage in the chunk store: a read failed in
        SQLite and its full check (which opening skips on a large store) confirms it."""
        if not isinstance(error.__cause__, sqlite3.DatabaseError):
            return False
        try:
            self._store.check(full=True)
        except IndexCorrupt:
            return True
        return False

    def _rebuild_damaged_store(self, exc: IndexCorrupt) -> None:
        """Replace the open store, found damaged, by one rebuilt from the stored documents."""
        self._store = self._set_aside(self._store.path, exc, self._store)
        self._reconcile()

    def _set_aside(self, path: Path, exc: IndexCorrupt, store: ChunkStore | None) -> ChunkStore:
        """Move a damaged store aside (kept for a post-mortem) and open a new, empty one."""
        if store is not None:
            with suppress(sqlite3.Error, IndexCorrupt):
                store.close()
        aside = path.with_name(f"chunks.damaged-{int(time.time())}.sqlite")
        log.warning("%s; moving it to %s and rebuilding from the stored documents", exc, aside)
        for suffix in ("", "-wal", "-shm"):
            damaged = Path(f"{path}{suffix}")
            if damaged.exists():
                os.replace(damaged, Path(f"{aside}{suffix}"))
        return ChunkStore(path)

    def _reconcile(self) -> None:
        """Bring store and snapshot in line with the stored documents, then load.

        Each repair of damage or staleness is logged as a warning, never done silently.
        Parsing every stored document (seconds for a large index) is skipped when the
        documents folder's fingerprint (names, sizes, times, inodes) is the one recorded
        when the store last held exactly its documents: nothing was added, removed or
        rewritten since. Every write deletes that record first, so a crash between writing
        a document and storing its chunks leaves none, and the next open compares all.
        """
        folder = self._originals.fingerprint()  # before any is read: a later change shows next time
        fresh_store = self._store.get_meta("initialized") is None
        rechunk = self._store.get_meta("chunking") != json.dumps(self.settings.recipe)
        stored = self._store.documents()
        trusted = (
            not fresh_store
            and not rechunk
            and self._store.get_meta(ORIGINALS_SEEN) == folder.digest
            and {doc.doc_id for doc in stored} == folder.ids
        )
        originals: dict[str, Document] | None = None
        changed = False
        if not trusted:
            self._forget_originals()
            originals = self._originals.load_all()
            if fresh_store and not originals:
                originals = self._seed_default_corpus()
            elif fresh_store:
                log.warning(
                    "the chunk store is new but %d stored document(s) exist (it was lost or "
                    "replaced): embedding them again",
                    len(originals),
                )
            self._store.set_meta("initialized", "1")
            if rechunk:
                if stored:
                    log.warning(
                        "chunking settings (or int8 embedding) changed: re-embedding every document"
                    )
                for doc in stored:
                    self._store.remove_document(doc.doc_id)
                self._store.set_meta("chunking", json.dumps(self.settings.recipe))
                stored = []
            kept = self._drop_documents_without_original(originals, stored, folder.ids)
            changed = len(kept) != len(stored)
            changed |= self._embed_missing(originals, kept, expected=fresh_store or rechunk)
            stored = kept
        remove_partials(self.index_dir)
        remove_partials(self._originals.folder)
        if changed or fresh_store:
            log.info("building the search index")
            self._publish()
        else:
            try:
                self._snapshot = load_snapshot(
                    self.index_dir, self._store.generation, self.settings.recipe
                )
                self._snapshot.documents = {d.doc_id: d for d in stored}
                remove_other_snapshots(self.index_dir, keep=self._snapshot.folder.name)
            except IndexCorrupt as exc:
                log.warning("rebuilding the search index: %s", exc)
                self._publish()
        self._pointer_seen = self._pointer_mtime()
        if originals is not None:
            self._remember_originals(folder, originals)

    def _forget_originals(self) -> None:
        """Before changing stored documents: the next reconcile must compare them all."""
        self._store.delete_meta(ORIGINALS_SEEN)

    def _remember_originals(self, folder: FolderState, originals: dict[str, Document]) -> None:
        """Record that the store holds exactly `originals`, parsed after `folder` was taken.

        Not when the ids differ (a file unreadable, or added or removed meanwhile): the
        next reconcile then parses every document again, and reports the unreadable one.
        A file rewritten after `folder` was taken changed its fingerprint: also a full parse.
        """
        if set(originals) == folder.ids:
            self._store.set_meta(ORIGINALS_SEEN, folder.digest)

    def _drop_documents_without_original(
        self, originals: dict[str, Document], stored: list[StoredDocument], files: Iterable[str]
    ) -> list[StoredDocument]:
        """Drop stored documents whose original was deleted; return the ones kept. One whose
        file (its id among `files`) is merely unreadable (reported when loading) keeps its
        chunks: damage must not lose an article."""
        on_disk = set(originals).union(files)
        gone = [doc.doc_id for doc in stored if doc.doc_id not in on_disk]
        if gone:
            log.warning("dropping %d document(s) whose original is gone: %s", len(gone), gone)
        for doc_id in gone:
            self._store.remove_document(doc_id)
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
            self._store_document(document)
        return bool(missing)

    def _seed_default_corpus(self) -> dict[str, Document]:
        corpus = self.settings.index.default_corpus
        if corpus is None or not corpus.exists():
            return {}
        documents = [load_file(path) for path in iter_supported_files([corpus])]
        for document in documents:
            self._originals.save(document)
        log.info("indexed the default corpus: %d document(s) from %s", len(documents), corpus)
        return {document.doc_id: document for document in documents}

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, in this process (lock) and across processes (flock)."""
        with self._write_lock, open(self.index_dir / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _info(doc: StoredDocument) -> DocumentInfo:
    return DocumentInfo(doc.doc_id, doc.title, doc.source, doc.date, doc.chunks, doc.content_hash)


def _clean_question(question: str, limit: int) -> str:
    question = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t")
    return " ".join(question.split())[:limit]


def _progress(items: Sequence[Document], enabled: bool, label: str) -> Iterable[Document]:
    if not enabled or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="doc")  # advances as the caller iterates


def _disk_usage(folder: Path) -> int:
    """Bytes below `folder`; what a concurrent update deletes meanwhile counts as gone
    (os.walk skips vanished folders, where Path.rglob raises)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with suppress(FileNotFoundError):
                total += os.stat(os.path.join(root, name)).st_size
    return total
