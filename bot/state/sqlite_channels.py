"""Channel subscriptions, what was posted to each chat, and daily digests, in SQLite.

A mixin of `bot.state.sqlite_follows.SqliteFollowState`: the same file and connection (the
bot's memory is one file), tables of their own. Implements `bot.state.protocols.Channels`
and `bot.state.protocols.DailyDigests`. Each claim is one transaction, so two processes
sharing the file decide one after the other. A file an earlier release made gains the
columns added since (`upgrade_channel_tables`), its rows kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence

from bot.state.digest_days import due_digests, first_digest_day
from bot.state.protocols import (
    DigestSchedule,
    DueDigest,
    PostClaim,
    Subscription,
    named_subscriptions,
)
from bot.zones import UTC_ZONE

HOUR_SECONDS = 3600.0
_ZONE_COLUMN = f"TEXT NOT NULL DEFAULT '{UTC_ZONE}'"  # daily_digests.zone
CHANNEL_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS channel_subscriptions (
    subscription_id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    feed_url TEXT NOT NULL,
    keywords TEXT NOT NULL,          -- a JSON list
    since TEXT NOT NULL,             -- YYYY-MM-DD
    UNIQUE (chat_id, feed_url)
);
CREATE TABLE IF NOT EXISTS channel_posts (
    chat_id INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    posted_at REAL NOT NULL,
    folded INTEGER NOT NULL,
    PRIMARY KEY (chat_id, doc_id)
);
CREATE INDEX IF NOT EXISTS channel_posts_by_time ON channel_posts (chat_id, posted_at);
CREATE TABLE IF NOT EXISTS daily_digests (
    chat_id INTEGER PRIMARY KEY,
    hour INTEGER NOT NULL,
    last_day TEXT NOT NULL,          -- the last (local) day whose digest was sent (or skipped)
    zone {_ZONE_COLUMN}  -- the IANA zone of `hour` and `last_day`
);
"""
# Columns added to a table after its release: (table, column, its definition). A file made
# before gains them when opened; ADD COLUMN keeps the rows, which take the default.
ADDED_COLUMNS = (("daily_digests", "zone", _ZONE_COLUMN),)
_SUBSCRIPTION = "subscription_id, chat_id, feed_url, keywords, since"


class SqliteChannels:
    _db: sqlite3.Connection
    _lock: threading.Lock

    def subscribe(
        self, chat_id: int, feed_url: str, keywords: Sequence[str], since: dt.date
    ) -> Subscription:
        with self._lock:
            self._db.execute(
                "INSERT INTO channel_subscriptions (chat_id, feed_url, keywords, since) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, feed_url) "
                "DO UPDATE SET keywords = excluded.keywords",
                (chat_id, feed_url, json.dumps(list(keywords)), since.isoformat()),
            )
            self._db.execute("DELETE FROM muted_chats WHERE chat_id=?", (chat_id,))
            row = self._db.execute(
                f"SELECT {_SUBSCRIPTION} FROM channel_subscriptions WHERE chat_id=? AND feed_url=?",
                (chat_id, feed_url),
            ).fetchone()
        return _subscription(row)

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_SUBSCRIPTION} FROM channel_subscriptions WHERE chat_id=? "
                "ORDER BY subscription_id",
                (chat_id,),
            ).fetchall()
        return [_subscription(row) for row in rows]

    def subscribers(self) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_SUBSCRIPTION} FROM channel_subscriptions WHERE chat_id NOT IN "
                "(SELECT chat_id FROM muted_chats) ORDER BY subscription_id"
            ).fetchall()
        return [_subscription(row) for row in rows]

    def unsubscribe(self, chat_id: int, which: str) -> list[Subscription]:
        gone = named_subscriptions(self.subscriptions(chat_id), which)
        with self._lock:
            self._db.executemany(
                "DELETE FROM channel_subscriptions WHERE subscription_id=?",
                [(s.subscription_id,) for s in gone],
            )
        return gone

    def claim_post(self, chat_id: int, doc_id: str, now: float, per_hour: int) -> PostClaim:
        """Decided in one IMMEDIATE transaction: another process on the file waits for it."""
        with self._lock, immediate(self._db):
            return self._claim_post(chat_id, doc_id, now, per_hour)

    def _claim_post(self, chat_id: int, doc_id: str, now: float, per_hour: int) -> PostClaim:
        seen = self._db.execute(
            "SELECT 1 FROM channel_posts WHERE chat_id=? AND doc_id=?", (chat_id, doc_id)
        ).fetchone()
        if seen:
            return PostClaim.SEEN
        [posted] = self._db.execute(
            "SELECT COUNT(*) FROM channel_posts WHERE chat_id=? AND posted_at>? AND folded=0",
            (chat_id, now - HOUR_SECONDS),
        ).fetchone()
        claim = PostClaim.POST if posted < per_hour else PostClaim.FOLD
        self._db.execute(
            "INSERT INTO channel_posts VALUES (?, ?, ?, ?)",
            (chat_id, doc_id, now, int(claim is PostClaim.FOLD)),
        )
        return claim

    def schedule_digest(self, chat_id: int, schedule: DigestSchedule, now: dt.datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO daily_digests (chat_id, hour, last_day, zone) "
                "VALUES (?, ?, ?, ?)",
                (
                    chat_id,
                    schedule.hour,
                    first_digest_day(schedule, now).isoformat(),
                    schedule.zone,
                ),
            )

    def cancel_digest(self, chat_id: int) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM daily_digests WHERE chat_id=?", (chat_id,))
        return cursor.rowcount == 1

    def digest_schedule(self, chat_id: int) -> DigestSchedule | None:
        with self._lock:
            row = self._db.execute(
                "SELECT hour, zone FROM daily_digests WHERE chat_id=?", (chat_id,)
            ).fetchone()
        return DigestSchedule(int(row[0]), row[1]) if row else None

    def claim_digests(self, now: dt.datetime) -> list[DueDigest]:
        """One IMMEDIATE transaction: the schedules read, each due (local) day claimed by
        a conditional UPDATE; another process on the file waits for it."""
        with self._lock, immediate(self._db):
            rows = self._db.execute(
                "SELECT chat_id, hour, zone, last_day FROM daily_digests "
                "WHERE chat_id NOT IN (SELECT chat_id FROM muted_chats)"
            ).fetchall()
            chats = [
                (chat_id, DigestSchedule(hour, zone), dt.date.fromisoformat(last_day))
                for chat_id, hour, zone, last_day in rows
            ]
            return [digest for digest in due_digests(chats, now) if self._claim_day(digest)]

    def _claim_day(self, digest: DueDigest) -> bool:
        day = digest.day.isoformat()
        cursor = self._db.execute(
            "UPDATE daily_digests SET last_day=? WHERE chat_id=? AND last_day<?",
            (day, digest.chat_id, day),
        )
        return cursor.rowcount == 1


def upgrade_channel_tables(db: sqlite3.Connection) -> None:
    """Give the tables of a file an earlier release made the columns added since
    (`ADDED_COLUMNS`), in one IMMEDIATE transaction: two processes opening the file at
    once add each column once."""
    with immediate(db):
        for table, column, definition in ADDED_COLUMNS:
            present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


@contextlib.contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction taken at once (BEGIN IMMEDIATE), rolled back if the block fails."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _subscription(row: tuple[int, int, str, str, str]) -> Subscription:
    subscription_id, chat_id, feed_url, keywords, since = row
    return Subscription(
        subscription_id,
        chat_id,
        feed_url,
        tuple(json.loads(keywords)),
        dt.date.fromisoformat(since),
    )
