"""What qabot remembers about the feeds it follows: their state and the items seen.

`FeedStore` is the protocol the syncing is written against; `SqliteFeedStore` keeps it in
`feeds.sqlite` in the index folder (one process), `index.news.stores.postgres_feeds` in the
database several workers share.

A feed remembers its conditional-GET validators (ETag, Last-Modified), when it last
synced, and its failures in a row with the time of its next attempt (backoff). An item
remembers the fingerprint it had (index/news/feed_parsing.py: FeedItem.fingerprint) and the document
it became, so an unchanged item is never read again; several feeds' items may point to
one document (one wire story, "also reported by"). An item whose document was forgotten
(feeds.keep_days) keeps its row, so it is not read back in while the feed still lists it.

A sync holds its feed (`claim`): another sync of the same feed, in this process or, with
PostgreSQL, in another worker, skips it instead of fetching and storing the same items
again; removing a feed waits for its sync to end.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

FEED_STORE_FILE = "feeds.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    feed_id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_synced TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    feed_id INTEGER NOT NULL REFERENCES feeds ON DELETE CASCADE,
    guid TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    doc_id TEXT,                  -- NULL: forgotten (retention) or never readable
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, guid)
);
CREATE INDEX IF NOT EXISTS items_by_doc ON items (doc_id);
"""
_FEEDS = """SELECT f.feed_id, f.url, f.title, f.etag, f.last_modified, f.last_synced,
                  f.last_error, f.failures, f.next_attempt,
                  (SELECT COUNT(*) FROM items i
                   WHERE i.feed_id = f.feed_id AND i.doc_id IS NOT NULL)
           FROM feeds f"""


@dataclass(frozen=True)
class FeedRecord:
    feed_id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    last_synced: str | None
    last_error: str | None
    failures: int
    next_attempt: str | None
    articles: int


@dataclass(frozen=True)
class SeenItem:
    fingerprint: str
    doc_id: str | None


class FeedStore(Protocol):
    def feeds(self) -> list[FeedRecord]: ...

    def add(self, url: str, title: str) -> FeedRecord:
        """Follow a feed (an address already followed: its record, unchanged)."""
        ...

    def remove(self, feed_id: int) -> None:
        """Stop following the feed; a sync of it in progress ends first."""
        ...

    def move(self, feed_id: int, url: str) -> bool:
        """The feed's new address (it moved for good); False when another feed has it."""
        ...

    def claim(self, feed_id: int) -> AbstractContextManager[FeedRecord | None]:
        """Hold the feed for one sync: its current record, or None when it is gone or
        another sync holds it (skip it then)."""
        ...

    def synced(
        self,
        feed_id: int,
        *,
        title: str,
        etag: str | None,
        last_modified: str | None,
        next_attempt: dt.datetime,
    ) -> None:
        """A successful fetch (a 304 too): validators kept, failures reset."""
        ...

    def failed(self, feed_id: int, error: str, next_attempt: dt.datetime) -> None: ...

    def item(self, feed_id: int, guid: str) -> SeenItem | None: ...

    def remember(self, feed_id: int, guid: str, fingerprint: str, doc_id: str | None) -> None: ...

    def reporting_feeds(self, doc_id: str) -> list[str]:
        """Titles of the feeds whose items became this document, first reporter first."""
        ...

    def feed_documents(self) -> set[str]:
        """Every document some feed's item became."""
        ...

    def forget_document(self, doc_id: str) -> None:
        """Its items stay seen, pointing nowhere (retention)."""
        ...

    def close(self) -> None: ...


class SqliteFeedStore:
    """The feed store in one SQLite file; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._sync_ended = threading.Condition(self._lock)
        self._syncing: set[int] = set()  # feeds a sync holds (`claim`)

    def feeds(self) -> list[FeedRecord]:
        with self._lock:
            rows = self._db.execute(f"{_FEEDS} ORDER BY f.feed_id").fetchall()
        return [FeedRecord(*row) for row in rows]

    @contextmanager
    def claim(self, feed_id: int) -> Iterator[FeedRecord | None]:
        with self._lock:
            free = feed_id not in self._syncing
            self._syncing.add(feed_id)
            row = self._db.execute(f"{_FEEDS} WHERE f.feed_id=?", (feed_id,)).fetchone()
        if not free:
            yield None
            return
        try:
            yield FeedRecord(*row) if row else None
        finally:
            with self._lock:
                self._syncing.discard(feed_id)
                self._sync_ended.notify_all()

    def add(self, url: str, title: str) -> FeedRecord:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO feeds (url, title, added_at) VALUES (?, ?, ?)",
                (url, title, _now()),
            )
        return next(feed for feed in self.feeds() if feed.url == url)

    def remove(self, feed_id: int) -> None:
        with self._lock:
            self._sync_ended.wait_for(lambda: feed_id not in self._syncing)
            self._db.execute("DELETE FROM feeds WHERE feed_id=?", (feed_id,))

    def move(self, feed_id: int, url: str) -> bool:
        with self._lock:
            try:
                self._db.execute("UPDATE feeds SET url=? WHERE feed_id=?", (url, feed_id))
            except sqlite3.IntegrityError:  # another feed has that address
                return False
        return True

    def synced(
        self,
        feed_id: int,
        *,
        title: str,
        etag: str | None,
        last_modified: str | None,
        next_attempt: dt.datetime,
    ) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET title=?, etag=?, last_modified=?, last_synced=?, "
                "last_error=NULL, failures=0, next_attempt=? WHERE feed_id=?",
                (title, etag, last_modified, _now(), iso_utc(next_attempt), feed_id),
            )

    def failed(self, feed_id: int, error: str, next_attempt: dt.datetime) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET last_error=?, failures=failures+1, next_attempt=? "
                "WHERE feed_id=?",
                (error, iso_utc(next_attempt), feed_id),
            )

    def item(self, feed_id: int, guid: str) -> SeenItem | None:
        with self._lock:
            row = self._db.execute(
                "SELECT fingerprint, doc_id FROM items WHERE feed_id=? AND guid=?",
                (feed_id, guid),
            ).fetchone()
        return SeenItem(*row) if row else None

    def remember(self, feed_id: int, guid: str, fingerprint: str, doc_id: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?) ON CONFLICT (feed_id, guid) "
                "DO UPDATE SET fingerprint=excluded.fingerprint, doc_id=excluded.doc_id",
                (feed_id, guid, fingerprint, doc_id, _now()),
            )

    def reporting_feeds(self, doc_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT f.title FROM items i JOIN feeds f USING (feed_id) WHERE i.doc_id=? "
                "GROUP BY f.feed_id ORDER BY MIN(i.seen_at), f.feed_id",
                (doc_id,),
            ).fetchall()
        return [row[0] for row in rows]

    def feed_documents(self) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT doc_id FROM items WHERE doc_id IS NOT NULL")
            return {row[0] for row in rows}

    def forget_document(self, doc_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE items SET doc_id=NULL WHERE doc_id=?", (doc_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _now() -> str:
    return iso_utc(dt.datetime.now(dt.UTC))


def iso_utc(moment: dt.datetime) -> str:
    """How a feed's times are shown and compared: ISO 8601, UTC, to the second."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
