"""Build the engine and its backends from validated configuration (the one place config
meets `index/`).

`Backends` opens what the configuration chose beyond the embedded default: the PostgreSQL
pool (`state.backend: postgres`), shared by the engine's stores and the bot's, and the
Qdrant client (`retrieval.backend: qdrant`). Their addresses and keys come from the
environment. The default (SQLite and FAISS in the index folder) opens nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.api import EngineObserver
from index.engine import Engine
from index.files import Storage
from qabot.config import Config

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool


@dataclass
class Backends:
    """The opened backends of one process; `close()` when the process is done with them."""

    pool: ConnectionPool | None = None

    @classmethod
    def open(cls, config: Config) -> Backends:
        if config.state.backend != "postgres":
            return cls()
        from qabot.database import open_pool

        return cls(pool=open_pool(config.state))

    def storage(self, config: Config) -> Storage | None:
        """Where the engine keeps documents and chunks; None: the index folder."""
        if self.pool is None:
            return None
        from index.postgres_store import PostgresStorage

        return PostgresStorage(self.pool, config.state.generation_check_seconds)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def open_engine(
    config: Config,
    index_dir: Path | None = None,
    *,
    backends: Backends | None = None,
    seed_default_corpus: bool = True,
    observer: EngineObserver | None = None,
) -> Engine:
    """Open (or create) the configured index.

    An empty index gets the default corpus unless `seed_default_corpus` is false (an index
    being filled with `qabot index add`); `observer` is told of every batch answered.
    `backends` must be open when the configuration names a database (`Backends.open`).
    """
    backends = backends or Backends()
    if config.state.backend == "postgres" and backends.pool is None:
        raise ValueError("state.backend is postgres: open the Backends first")
    return Engine(
        config.engine_settings(index_dir),
        seed_default_corpus=seed_default_corpus,
        observer=observer,
        storage=backends.storage(config),
    )
