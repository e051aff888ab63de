"""The engine: a persisted index of documents and the question-answering API over it.

A small facade; each job is done by one collaborator:
  QuestionPipeline (answer/pipeline.py)      clean, repair, embed, search, score, compose
  IndexWriter (writer.py)                    add, replace, remove, re-embed documents
  Reconciler (snapshot/reconcile.py)         keep documents, chunk store and snapshot in
                                             line; repair
  PublishedSnapshot (snapshot/published.py)  the snapshot questions read, switched atomically
The folder's layers are described in index/store/storage.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from index.answer.batching import MicroBatcher
from index.answer.pipeline import QuestionPipeline
from index.answer.reading import LazyReader, Reader
from index.api import Answer, DocumentInfo, EngineLimits, EngineObserver, IndexStats, Scope, Turn
from index.errors import IngestError
from index.fitted import Fitted
from index.ingest.documents import (
    Document,
    check_size,
    iter_supported_files,
    load_file,
    parse_bytes,
)
from index.ingest.embedding import Embedder, LazyEmbedder
from index.search.candidates import CandidateSearch, LocalSearch
from index.search.index_view import IndexView
from index.settings import EngineSettings
from index.snapshot.build import Snapshot
from index.snapshot.published import PublishedSnapshot
from index.snapshot.reconcile import Reconciler
from index.store.saving import chunk_recipe
from index.store.storage import LocalStorage, Storage
from index.writer import IndexWriter

if TYPE_CHECKING:
    from index.search.qdrant import QdrantCollection

T = TypeVar("T")
# a question, the conversation before it and the documents it reads (None: all)
Request = tuple[str, tuple[Turn, ...], Scope | None]


class Engine:
    """Thread-safe: questions may be answered while documents are added or removed."""

    def __init__(
        self,
        settings: EngineSettings,
        embedder: Embedder | None = None,
        fitted: Fitted | None = None,
        *,
        seed_default_corpus: bool = True,
        observer: EngineObserver | None = None,
        storage: Storage | None = None,
        collection: QdrantCollection | None = None,
        reader: Reader | None = None,
    ) -> None:
        """`seed_default_corpus`: an empty index that never had it gets `index.default_corpus`
        (what a first question needs; `qabot index add` says no). `observer` is told of
        every batch of questions answered (metrics). `storage` keeps the documents and the
        chunk store: the index folder by default, or a database shared by several workers.
        `collection` holds the vectors and BM25 with `retrieval.backend: qdrant`.
        `reader`: the span reader; the shipped one, loaded on first use, by default
        (`answer.reader: false` answers without one)."""
        if (settings.retrieval.backend == "qdrant") != (collection is not None):
            raise ValueError("retrieval.backend qdrant needs a Qdrant collection, faiss none")
        self.settings = settings
        self.index_dir = settings.index.dir
        embedding = settings.embedding
        self.embedder = embedder or LazyEmbedder(
            embedding.backend, embedding.cache_dir, embedding.batch_size
        )
        fitted = (fitted or Fitted.load()).with_threshold(settings.answer.min_confidence)
        if reader is None and settings.answer.reader:
            reader = LazyReader()
        self.pipeline = QuestionPipeline(settings, fitted, self.embedder, reader)
        self._files = (storage or LocalStorage()).open(self.index_dir)
        self._collection = collection
        published = PublishedSnapshot(
            self.index_dir, chunk_recipe(settings), settings.retrieval.hnsw_threshold, collection
        )
        self._reconciler = Reconciler(
            settings, self._files, published, self.embedder, seed_default_corpus
        )
        self._writer = IndexWriter(
            settings.chunking, self._files, published, self._reconciler, self.embedder
        )
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qabot-answer")
        # Every change to the index runs here, one at a time, whoever asks for it (a feed
        # sync, an admin's upload): the callers' threads only fetch and parse.
        self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qabot-writer")
        self._batcher: MicroBatcher[Request, Answer] = MicroBatcher(
            self._answer_batch, self._executor, max_wait=embedding.batch_wait_ms / 1000
        )
        self._observer = observer
        self._reconciler.open()
        self._open = True

    # ----- questions -------------------------------------------------------------------

    @property
    def limits(self) -> EngineLimits:
        return EngineLimits(
            max_question_chars=self.settings.answer.max_question_chars,
            max_document_bytes=self.settings.index.max_document_bytes,
            conversation_turns=self.settings.answer.conversation_turns,
        )

    def answer(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer:
        return self._answer_batch([(question, tuple(history), scope)])[0]

    async def answer_async(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer:
        """Answer off the event loop; concurrent callers are embedded in one batch."""
        return await self._batcher.submit((question, tuple(history), scope))

    def answer_many(
        self,
        requests: Sequence[tuple[str, Sequence[Turn]]],
        scope: Scope | None = None,
    ) -> list[Answer]:
        return self._answer_batch([(q, tuple(h), scope) for q, h in requests])

    def _answer_batch(self, requests: list[Request]) -> list[Answer]:
        started = time.perf_counter()
        answers = self.pipeline.answer(
            [(q, h) for q, h, _ in requests],
            self.current_view(),
            [scope for _, _, scope in requests],
        )
        if self._observer is not None:
            self._observer.batch_answered(len(requests), time.perf_counter() - started)
        return answers

    def current_view(self) -> IndexView:
        """What questions read now: the current snapshot (reloaded when another process
        published a newer one), the chunk store and the search over them."""
        snapshot = self._reconciler.current_snapshot()
        return IndexView(snapshot, self._files.store, self._search(snapshot))

    def _search(self, snapshot: Snapshot) -> CandidateSearch:
        """The snapshot's own FAISS and BM25, or the Qdrant collection."""
        if self._collection is not None:
            return self._collection.search(snapshot.lexicon)
        assert snapshot.vectors is not None and snapshot.bm25 is not None
        return LocalSearch(snapshot.vectors, snapshot.bm25)

    def warm_up(self) -> None:
        """Load the model and answer once, so the first real question is not the slow one."""
        self.answer("warm up")

    # ----- documents -------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return self._files.store.documents()

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
        self._write(self._writer.add, documents, progress)
        wanted = {document.doc_id for document in documents}
        return [info for info in self.documents() if info.doc_id in wanted]

    def remove(self, doc_id: str) -> DocumentInfo:
        return self._write(self._writer.remove, doc_id)

    def remove_many(self, doc_ids: Sequence[str]) -> list[DocumentInfo]:
        """Remove several documents in one change (those already gone are skipped)."""
        return self._write(self._writer.remove_many, doc_ids)

    def rebuild(self, progress: bool = False) -> IndexStats:
        """Re-chunk and re-embed every stored document, then rebuild the search index."""
        self._write(self._writer.rebuild, progress)
        return self.stats()

    def _write(self, change: Callable[..., T], *args: object) -> T:
        """Run a change on the writer thread and wait for it."""
        return self._write_thread.submit(change, *args).result()

    def check(self) -> bool:
        """Read the whole chunk store and repair damage; True when it was sound."""
        return self._reconciler.check()

    def stats(self) -> IndexStats:
        documents, chunks = self._files.store.counts()
        return IndexStats(documents, chunks, bytes_on_disk=_disk_usage(self.index_dir))

    @property
    def is_open(self) -> bool:
        """True from a successful opening until `close`."""
        return self._open

    def close(self) -> None:
        self._open = False
        self._write_thread.shutdown(wait=True)
        self._executor.shutdown(wait=True)
        self._files.store.close()


def _disk_usage(folder: Path) -> int:
    """Bytes below `folder`; what a concurrent update deletes meanwhile counts as gone
    (os.walk skips vanished folders, where Path.rglob raises)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with suppress(FileNotFoundError):
                total += os.stat(os.path.join(root, name)).st_size
    return total
