"""Channel subscriptions, what was posted to each chat, and daily digests, in SQLite.

A mixin of `bot.state.sqlite_follows.SqliteFollowState`: the same file and connection (the
bot's memory is one file), tables of their own. Implements `bot.state.protocols.Channels`
and `bot.state.protocols.DailyDigests`. Each claim is one transaction, so two processes
sharing the file decide one after the other.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Sequence

from bot.state.protocols import PostClaim, Subscription, first_digest_day, named_subscriptions

HOUR_SECONDS = 3600.0
CHANNEL_SCHEMA = """
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
    last_day TEXT NOT NULL           -- the last day whose digest was sent (or skipped)
);
"""
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
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                claim = self._claim_post(chat_id, doc_id, now, per_hour)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return claim

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

    def schedule_digest(self, chat_id: int, hour: int, now: dt.datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO daily_digests VALUES (?, ?, ?)",
                (chat_id, hour, first_digest_day(hour, now).isoformat()),
            )

    def cancel_digest(self, chat_id: int) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM daily_digests WHERE chat_id=?", (chat_id,))
        return cursor.rowcount == 1

    def digest_hour(self, chat_id: int) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT hour FROM daily_digests WHERE chat_id=?", (chat_id,)
            ).fetchone()
        return int(row[0]) if row else None

    def claim_digests(self, now: dt.datetime) -> list[int]:
        moment = now.astimezone(dt.UTC)
        today = moment.date().isoformat()
        with self._lock:
            rows = self._db.execute(
                "UPDATE daily_digests SET last_day=? WHERE hour<=? AND last_day<? "
                "AND chat_id NOT IN (SELECT chat_id FROM muted_chats) RETURNING chat_id",
                (today, moment.hour, today),
            ).fetchall()
        return sorted(row[0] for row in rows)


def _subscription(row: tuple[int, int, str, str, str]) -> Subscription:
    subscription_id, chat_id, feed_url, keywords, since = row
    return Subscription(
        subscription_id,
        chat_id,
        feed_url,
        tuple(json.loads(keywords)),
        dt.date.fromisoformat(since),
    )
