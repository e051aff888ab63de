"""The PostgreSQL database of `state.backend: postgres`: its connection pool and its schema.

Choice: a process that opens the database brings its schema up to date itself (`qabot
serve`, `qabot index ...`, all the same), under an advisory lock so that workers starting
together migrate once; `qabot db upgrade` does only that, for operators who migrate before
rolling out. A database whose schema is *newer* than this qabot is refused with a message
(an older worker must not write to tables it does not know), as is one that cannot be
reached. The address (it may hold a password) comes from the environment and is never
logged.

An outage must cost a worker nothing but the calls made during it: `GuardedPool` fails at
once while the database is known to be unreachable (`Reachability`: one background probe
per process says when it is back), waits at most WAIT_TIMEOUT_S for a connection
otherwise, and gives a lost connection's replacement up after RECONNECT_GIVE_UP_S, so that
the pool reconnects on demand the moment the server is back instead of on a backoff grown
long during the outage (docs/scaling.md has the measured outages).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.state.protocols import StateUnavailable
from index.errors import QabotError
from qabot.migrations import MIGRATIONS

if TYPE_CHECKING:
    from qabot.config import StateSettings

log = logging.getLogger("qabot.database")
MIGRATION_LOCK = 0x71_6162_6F74_0001  # pg_advisory_xact_lock key: one migrator at a time
CONNECT_TIMEOUT_S = 2  # a connection attempt; on a local network one takes milliseconds
WAIT_TIMEOUT_S = 2.0  # how long a caller waits for a pooled connection before failing
RECONNECT_GIVE_UP_S = 3.0  # the pool stops retrying a lost connection; demand makes a new one
PROBE_EVERY_S = 0.5  # while the database is unreachable, how often one probe tries it


class DatabaseUnavailable(QabotError):
    """The database is not configured, cannot be reached, or has a schema we cannot use."""


class DatabaseUnreachable(PoolTimeout, StateUnavailable):
    """A call refused at once, or failed, because the database does not answer now.

    A PoolTimeout (so a psycopg.OperationalError) to the engine's code; to the bot a
    `StateUnavailable`, whose update is handled again once the database is back.
    """


class Reachability:
    """Whether the database answers, learned from the calls that fail and from one probe.

    Thread-safe: calls come from the bot's state threads, the engine's threads and the
    event loop. A lost call marks the database unreachable; from then on calls fail at once
    while a background thread probes every `probe_every` seconds (the first at once, for a
    single broken connection); the first successful probe marks it reachable again.
    """

    def __init__(self, probe: Callable[[], None], probe_every: float = PROBE_EVERY_S) -> None:
        self._probe = probe
        self._probe_every = probe_every
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._reason = ""
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    def status(self) -> str:
        """'ok', or why and for how long the database has been unreachable."""
        with self._lock:
            if self._down_since is None:
                return "ok"
            return f"{self._reason} (for {time.monotonic() - self._down_since:.1f} s)"

    def admit(self) -> None:
        """Raise DatabaseUnreachable while the database is known to be down."""
        if self._down_since is not None:
            raise DatabaseUnreachable(f"the database is unreachable: {self.status()}")

    def lost(self, error: BaseException) -> None:
        with self._lock:
            if self._closed:
                return
            if self._down_since is None:
                self._down_since = time.monotonic()
                self._reason = f"{type(error).__name__}: {error}".strip()
                log.warning(
                    "the database is unreachable (%s); calls fail until it is back", self._reason
                )
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._probe_until_back, name="qabot-db-probe", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=CONNECT_TIMEOUT_S + 1)

    def _probe_until_back(self) -> None:
        while not self._closed:
            self._wake.clear()
            try:
                self._probe()
            except Exception:  # still down: try again shortly
                self._wake.wait(self._probe_every)
                continue
            with self._lock:
                if self._down_since is not None:
                    log.info(
                        "the database is reachable again after %.1f s",
                        time.monotonic() - self._down_since,
                    )
                self._down_since = None
            return


class GuardedPool(ConnectionPool):
    """A ConnectionPool whose `connection()` fails at once while the database is down
    (`reachability`), and reports a connection lost in use so that the next calls do."""

    reachability: Reachability

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Any]:
        self.reachability.admit()
        conn = None
        try:
            with super().connection(timeout) as conn:
                yield conn
        except DatabaseUnreachable:
            raise
        except PoolTimeout as error:
            self.reachability.lost(error)
            raise DatabaseUnreachable(f"no database connection: {error}") from error
        except psycopg.OperationalError as error:
            if conn is None or conn.broken or conn.closed:  # not a query's own failure
                self.reachability.lost(error)
                raise DatabaseUnreachable(f"the database connection was lost: {error}") from error
            raise

    def close(self, timeout: float = 5.0) -> None:
        self.reachability.close()
        super().close(timeout)


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


def open_pool(settings: StateSettings, name: str = "qabot") -> GuardedPool:
    """A pool of connections to the configured database, its schema brought up to date.

    Connections are checked when handed out (`check_connection`), so after a database
    restart the broken ones are replaced and callers resume by themselves; while it is down
    a caller fails at once (`GuardedPool`) instead of hanging.
    """
    url = database_url(settings)
    try:  # one direct try first: the pool would retry a refused address until its timeout
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot use the database in {settings.dsn_env}: {type(exc).__name__}: {exc}"
        ) from exc
    pool = GuardedPool(
        url,
        min_size=1,
        max_size=settings.pool_size,
        kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": name},
        check=ConnectionPool.check_connection,
        timeout=WAIT_TIMEOUT_S,
        reconnect_timeout=RECONNECT_GIVE_UP_S,
        name=name,
        open=False,
    )
    pool.reachability = Reachability(lambda: _probe(pool, url))
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


def _probe(pool: ConnectionPool, url: str) -> None:
    """One connection of its own answers: the server is back. The pool's idle connections
    broken by the outage are dropped now, so no caller meets one."""
    with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        conn.execute("SELECT 1")
    pool.check()


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
