"""Build the engine and its backends from validated configuration (the one place config
meets `index/`, and the one module of qabot/ that reaches past the engine's interface:
`lint-imports` checks it).

`Backends` opens what the configuration chose beyond the embedded default: the PostgreSQL
pool (`state.backend: postgres`), shared by the engine's stores, the feed registry and the
bot's, and the Qdrant client (`retrieval.backend: qdrant`). Their addresses and keys come
from the environment. The default (SQLite and FAISS in the index folder) opens nothing here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.api import EngineObserver, FeedInfo
from index.engine import Engine
from index.errors import IngestError
from index.ingest.dates import since_day
from index.ingest.documents import Document, doc_id_for, iter_supported_files, load_file
from index.news.desk import News
from index.news.opml import feeds_opml, opml_feed_urls
from index.news.stores.sqlite_feeds import FeedStore
from index.news.stores.sqlite_site_lines import SiteLines
from index.settings import QdrantSettings
from index.store.storage import Storage
from qabot.config import Config

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

    from index.ingest.embedding import Embedder
    from index.search.qdrant import QdrantCollection
    from qabot.database import GuardedPool

QDRANT_TIMEOUT_S = 10  # one request to a Qdrant server


@dataclass
class Backends:
    """The opened backends of one process; `close()` when the process is done with them."""

    pool: GuardedPool | None = None
    qdrant: QdrantClient | None = None

    @classmethod
    def open(cls, config: Config) -> Backends:
        pool = None
        if config.state.backend == "postgres":
            from qabot.database import open_pool

            pool = open_pool(config.state)
        qdrant = None
        if config.engine.retrieval.backend == "qdrant":
            qdrant = qdrant_client(config.engine.qdrant)
        return cls(pool, qdrant)

    def collection(self, config: Config) -> QdrantCollection | None:
        """The Qdrant collection of the index; None: FAISS and BM25 in the snapshot."""
        if self.qdrant is None:
            return None
        from index.search.qdrant import QdrantCollection

        return QdrantCollection(self.qdrant, config.engine.qdrant.collection)

    def storage(self, config: Config) -> Storage | None:
        """Where the engine keeps documents and chunks; None: the index folder."""
        if self.pool is None:
            return None
        from index.store.postgres import PostgresStorage

        return PostgresStorage(self.pool, config.state.generation_check_seconds)

    def feed_store(self) -> FeedStore | None:
        """The feed registry every worker shares; None: feeds.sqlite in the index folder."""
        if self.pool is None:
            return None
        from index.news.stores.postgres_feeds import PostgresFeedStore

        return PostgresFeedStore(self.pool)

    def site_lines(self) -> SiteLines | None:
        """What every worker learned of sites' templates; None: feeds.sqlite."""
        if self.pool is None:
            return None
        from index.news.stores.postgres_site_lines import PostgresSiteLines

        return PostgresSiteLines(self.pool)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self.qdrant is not None:
            self.qdrant.close()


def eval_collection(settings: QdrantSettings) -> QdrantCollection:
    """The collection of an evaluation's throw-away index."""
    from index.search.qdrant import QdrantCollection

    return QdrantCollection(qdrant_client(settings), settings.collection)


def qdrant_client(settings: QdrantSettings) -> QdrantClient:
    """A client of the configured server (its API key from the environment) or, with
    `path`, qdrant-client's local mode (in this process; one process per folder)."""
    from qdrant_client import QdrantClient

    if settings.path is not None:
        settings.path.mkdir(parents=True, exist_ok=True)
        return QdrantClient(path=str(settings.path))
    api_key = os.environ.get(settings.api_key_env, "").strip() or None
    return QdrantClient(url=settings.url, api_key=api_key, timeout=QDRANT_TIMEOUT_S)


def open_engine(
    config: Config,
    index_dir: Path | None = None,
    *,
    backends: Backends | None = None,
    seed_default_corpus: bool = True,
    observer: EngineObserver | None = None,
    embedder: Embedder | None = None,
) -> Engine:
    """Open (or create) the configured index.

    An empty index gets the default corpus unless `seed_default_corpus` is false (an index
    being filled with `qabot index add`); `observer` is told of every batch answered;
    `embedder` replaces the configured model (tests run workers on a fake one).
    `backends` must be open when the configuration names a database (`Backends.open`).
    """
    backends = backends or Backends()
    if (config.state.backend == "postgres" and backends.pool is None) or (
        config.engine.retrieval.backend == "qdrant" and backends.qdrant is None
    ):
        raise ValueError("the configuration names backends to open first (Backends.open)")
    return Engine(
        config.engine_settings(index_dir),
        embedder,
        seed_default_corpus=seed_default_corpus,
        observer=observer,
        storage=backends.storage(config),
        collection=backends.collection(config),
    )


def open_news(config: Config, engine: Engine, backends: Backends | None = None) -> News:
    """Links and feeds over an open engine. The feed registry is the workers' shared one in
    the database when `backends` has one (state.backend: postgres), else `feeds.sqlite` in
    the index folder."""
    backends = backends or Backends()
    if config.state.backend == "postgres" and backends.pool is None:
        raise ValueError("the configuration names a database to open first (Backends.open)")
    return News(
        engine,
        engine.settings,
        feed_store=backends.feed_store(),
        site_lines=backends.site_lines(),
    )


def feeds_listed_in(opml: bytes, source: str) -> list[str]:
    """The feed addresses an OPML file lists (`qabot feeds add FILE`)."""
    return opml_feed_urls(opml, source)


def day_named(words: str, today: dt.date) -> dt.date | None:
    """The first day `qabot digest --since WORDS` means ("monday", "3 days"), or None."""
    return since_day(words, today)


def subscriptions_opml(feeds: Sequence[FeedInfo]) -> bytes:
    """The followed feeds as an OPML file (`qabot feeds export`)."""
    return feeds_opml(feeds)


def read_corpus(folder: Path) -> list[Document]:
    """Every supported file below `folder`, parsed (`qabot eval` adds the changed ones)."""
    files = iter_supported_files([folder])
    if not files:
        raise IngestError(f"no .txt, .md, .html or .pdf files found in {folder}")
    return [load_file(path) for path in files]


def doc_id_of(filename: str) -> str:
    """The id a file of that name is stored under."""
    return doc_id_for(filename)
