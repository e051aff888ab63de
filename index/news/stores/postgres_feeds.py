"""The feed registry in PostgreSQL (`state.backend: postgres`): one for every worker.

Implements `index.news.stores.sqlite_feeds.FeedStore` over the `feeds` and `feed_items` tables of
qabot/migrations.py, with the same rules as feeds.sqlite: validators, failures and
backoff per feed; per item the fingerprint it had and the document it became.

Two workers run the same feed job. A worker syncing a feed holds a session advisory lock
on its id, on a pooled connection of its own for the length of the sync (no transaction
stays open meanwhile); the other worker's `pg_try_advisory_lock` fails and it skips the
feed. The record is read after the lock is taken, so a worker that listed the feed as due
before the other synced it sees the new validators and next attempt. If the holder dies,
the server drops its connection and the lock with it. Removing a feed waits for that lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from index.news.stores.sqlite_feeds import FeedRecord, SeenItem, iso_utc

SYNC_LOCK = 0x7162_0003  # pg_advisory_lock(SYNC_LOCK, feed_id): the worker syncing that feed
_FEEDS = """SELECT f.feed_id, f.url, f.title, f.etag, f.last_modified, f.last_synced,
                  f.last_error, f.failures, f.next_attempt,
                  (SELECT count(*) FROM feed_items i
                   WHERE i.feed_id = f.feed_id AND i.doc_id IS NOT NULL)
           FROM feeds f"""


class PostgresFeedStore:
    """`index.news.stores.sqlite_feeds.FeedStore` in PostgreSQL; thread-safe (a connection
    per call)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def feeds(self) -> list[FeedRecord]:
        with self._pool.connection() as conn:
            rows = conn.execute(f"{_FEEDS} ORDER BY f.feed_id").fetchall()
        return [_record(row) for row in rows]

    def add(self, url: str, title: str) -> FeedRecord:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO feeds (url, title) VALUES (%s, %s) ON CONFLICT (url) DO NOTHING",
                (url, title),
            )
            row = conn.execute(f"{_FEEDS} WHERE f.url = %s", (url,)).fetchone()
        assert row is not None
        return _record(row)

    def remove(self, feed_id: int) -> None:
        """Waits for a sync of the feed to end (its lock), then deletes it and its items."""
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (SYNC_LOCK, feed_id))
            conn.execute("DELETE FROM feeds WHERE feed_id = %s", (feed_id,))

    def move(self, feed_id: int, url: str) -> bool:
        try:
            with self._pool.connection() as conn:
                conn.execute("UPDATE feeds SET url = %s WHERE feed_id = %s", (url, feed_id))
        except psycopg.errors.UniqueViolation:  # another feed has that address
            return False
        return True

    @contextmanager
    def claim(self, feed_id: int) -> Iterator[FeedRecord | None]:
        with self._pool.connection() as conn:
            conn.autocommit = True  # the lock outlives statements: hold no transaction open
            try:
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (SYNC_LOCK, feed_id)
                ).fetchone()
                if row is None or not row[0]:
                    yield None  # another worker is syncing it
                    return
                try:
                    yield self._feed(feed_id)
                finally:
                    if not conn.closed:
                        conn.execute("SELECT pg_advisory_unlock(%s, %s)", (SYNC_LOCK, feed_id))
            finally:
                if not conn.closed:
                    conn.autocommit = False  # back to the pool as it came

    def synced(
        self,
        feed_id: int,
        *,
        title: str,
        etag: str | None,
        last_modified: str | None,
        next_attempt: dt.datetime,
    ) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE feeds SET title = %s, etag = %s, last_modified = %s, last_synced = %s,"
                " last_error = NULL, failures = 0, next_attempt = %s WHERE feed_id = %s",
                (title, etag, last_modified, dt.datetime.now(dt.UTC), next_attempt, feed_id),
            )

    def failed(self, feed_id: int, error: str, next_attempt: dt.datetime) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE feeds SET last_error = %s, failures = failures + 1, next_attempt = %s"
                " WHERE feed_id = %s",
                (error, next_attempt, feed_id),
            )

    def item(self, feed_id: int, guid: str) -> SeenItem | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT fingerprint, doc_id FROM feed_items WHERE feed_id = %s AND guid = %s",
                (feed_id, guid),
            ).fetchone()
        return SeenItem(*row) if row else None

    def remember(self, feed_id: int, guid: str, fingerprint: str, doc_id: str | None) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO feed_items (feed_id, guid, fingerprint, doc_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (feed_id, guid) DO UPDATE"
                " SET fingerprint = excluded.fingerprint, doc_id = excluded.doc_id",
                (feed_id, guid, fingerprint, doc_id),
            )

    def reporting_feeds(self, doc_id: str) -> list[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT f.title FROM feed_items i JOIN feeds f USING (feed_id)"
                " WHERE i.doc_id = %s GROUP BY f.feed_id ORDER BY min(i.seen_at), f.feed_id",
                (doc_id,),
            ).fetchall()
        return [row[0] for row in rows]

    def feed_documents(self) -> set[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT doc_id FROM feed_items WHERE doc_id IS NOT NULL"
            ).fetchall()
        return {row[0] for row in rows}

    def forget_document(self, doc_id: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("UPDATE feed_items SET doc_id = NULL WHERE doc_id = %s", (doc_id,))

    def close(self) -> None:
        """The pool belongs to whoever opened it (qabot/factory.py)."""

    def _feed(self, feed_id: int) -> FeedRecord | None:
        with self._pool.connection() as conn:
            row = conn.execute(f"{_FEEDS} WHERE f.feed_id = %s", (feed_id,)).fetchone()
        return _record(row) if row else None


def _record(row: tuple[Any, ...]) -> FeedRecord:
    """A row as FeedRecord: times as feeds.sqlite shows them (ISO, UTC, to the second)."""
    (feed_id, url, title, etag, modified, synced, error, failures, next_attempt, articles) = row
    return FeedRecord(
        feed_id=feed_id,
        url=url,
        title=title,
        etag=etag,
        last_modified=modified,
        last_synced=_iso(synced),
        last_error=error,
        failures=failures,
        next_attempt=_iso(next_attempt),
        articles=int(articles),
    )


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)
