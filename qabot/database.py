"""The PostgreSQL database of `state.backend: postgres`: its connection pool and its schema.

Choice: a process that opens the database brings its schema up to date itself (`qabot
serve`, `qabot index ...`, all the same), under an advisory lock so that workers starting
together migrate once; `qabot db upgrade` does only that, for operators who migrate before
rolling out. A database whose schema is *newer* than this qabot is refused with a message
(an older worker must not write to tables it does not know), as is one that cannot be
reached. The address (it may hold a password) comes from the environment and is never
logged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.errors import QabotError
from qabot.migrations import MIGRATIONS

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from qabot.config import StateSettings

log = logging.getLogger("qabot.database")
MIGRATION_LOCK = 0x71_6162_6F74_0001  # pg_advisory_xact_lock key: one migrator at a time
CONNECT_TIMEOUT_S = 5  # a connection attempt (the pool retries in the background)
WAIT_TIMEOUT_S = 5.0  # how long a caller waits for a pooled connection before failing


class DatabaseUnavailable(QabotError):
    """The database is not configured, cannot be reached, or has a schema we cannot use."""


@dataclass(frozen=True)
class SchemaState:
    current: int
    latest: int


def database_url(settings: StateSettings) -> str:
    url = os.environ.get(settings.dsn_env, "").strip()
    if not url:
        raise DatabaseUnavailable(
            f"state.backend is postgres but {settings.dsn_env} is not set: "
            f"export {settings.dsn_env}=postgresql://USER:PASSWORD@HOST:5432/DATABASE"
        )
    return url


def open_pool(settings: StateSettings, name: str = "qabot") -> ConnectionPool:
    """A pool of connections to the configured database, its schema brought up to date.

    Connections are checked when handed out (`check_connection`), so after a database
    restart the broken ones are replaced and callers resume by themselves; while it is down
    a caller fails after WAIT_TIMEOUT_S instead of hanging.
    """
    import psycopg
    from psycopg_pool import ConnectionPool

    url = database_url(settings)
    try:  # one direct try first: the pool would retry a refused address until its timeout
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot use the database in {settings.dsn_env}: {type(exc).__name__}: {exc}"
        ) from exc
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=settings.pool_size,
        kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": name},
        check=ConnectionPool.check_connection,
        timeout=WAIT_TIMEOUT_S,
        name=name,
        open=False,
    )
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)
        upgrade(pool)
    except Exception as exc:
        pool.close()
        if isinstance(exc, DatabaseUnavailable):
            raise
        raise DatabaseUnavailable(
            f"cannot use the database in {settings.dsn_env}: {type(exc).__name__}: {exc}"
        ) from exc
    return pool


def schema_state(pool: ConnectionPool) -> SchemaState:
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return SchemaState(int(row[0]) if row else 0, MIGRATIONS[-1].version)


def upgrade(pool: ConnectionPool) -> SchemaState:
    """Apply the migrations the database lacks, each in its own transaction; the state
    before. Refuses a database whose schema is newer than this qabot knows."""
    before = schema_state(pool)
    if before.current > before.latest:
        raise DatabaseUnavailable(
            f"the database schema is version {before.current}, newer than this qabot knows "
            f"({before.latest}): upgrade qabot on this machine"
        )
    for migration in MIGRATIONS:
        if migration.version > before.current:
            _apply(pool, migration.version, migration.name, migration.sql)
    return before


def _apply(pool: ConnectionPool, version: int, name: str, sql: str) -> None:
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        done = conn.execute("SELECT 1 FROM schema_version WHERE version = %s", (version,))
        if done.fetchone() is not None:  # another worker applied it while we waited
            return
        conn.execute(sql)  # several statements: allowed in a query without parameters
        conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)", (version, name))
    log.info("database schema migrated to version %d: %s", version, name)
