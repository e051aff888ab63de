"""Follows, the alerts sent for them, muted chats and the links each chat sent, in SQLite.

Kept in the answer log's file (`telegram.state_db`), in tables of their own: one file
holds the bot's memory. Implements `bot.state.protocols.FollowState`: `Follows` and
`LinkQuota` here, `Channels` and `DailyDigests` in bot/state/sqlite_channels.py.
Calls are synchronous, like the answer log's: each is one short statement in WAL mode.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from bot.state.protocols import Follow, named_follows
from bot.state.sqlite_channels import CHANNEL_SCHEMA, SqliteChannels, upgrade_channel_tables
from bot.state.sqlite_files import open_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    follow_id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (chat_id, topic)
);
CREATE TABLE IF NOT EXISTS alerts (
    chat_id INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (chat_id, doc_id)
);
CREATE INDEX IF NOT EXISTS alerts_by_day ON alerts (chat_id, day);
CREATE TABLE IF NOT EXISTS muted_chats (chat_id INTEGER PRIMARY KEY, since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS links_read (
    chat_id INTEGER NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (chat_id, day)
);
"""


class SqliteFollowState(SqliteChannels):
    """The follows, alerts and link counts (`bot.state.protocols.FollowState`) in SQLite;
    channels and daily digests in bot/state/sqlite_channels.py."""

    def __init__(self, path: Path) -> None:
        self._db = open_wal(path, check_same_thread=False)
        self._db.executescript(_SCHEMA + CHANNEL_SCHEMA)
        upgrade_channel_tables(self._db)
        self._lock = threading.Lock()  # the sync job runs alerts while handlers run too

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def follow(self, chat_id: int, user_id: int, topic: str) -> Follow:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO follows (chat_id, user_id, topic, created_at) "
                "VALUES (?, ?, ?, ?)",
                (chat_id, user_id, topic, time.time()),
            )
            self._db.execute("DELETE FROM muted_chats WHERE chat_id=?", (chat_id,))
            row = self._db.execute(
                "SELECT follow_id, chat_id, user_id, topic FROM follows "
                "WHERE chat_id=? AND topic=?",
                (chat_id, topic),
            ).fetchone()
        return Follow(*row)

    def following(self, chat_id: int) -> list[Follow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT follow_id, chat_id, user_id, topic FROM follows WHERE chat_id=? "
                "ORDER BY follow_id",
                (chat_id,),
            ).fetchall()
        return [Follow(*row) for row in rows]

    def unfollow(self, chat_id: int, which: str) -> list[Follow]:
        gone = named_follows(self.following(chat_id), which)
        with self._lock:
            self._db.executemany(
                "DELETE FROM follows WHERE follow_id=?", [(f.follow_id,) for f in gone]
            )
        return gone

    def followers(self) -> list[Follow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT follow_id, chat_id, user_id, topic FROM follows "
                "WHERE chat_id NOT IN (SELECT chat_id FROM muted_chats) ORDER BY follow_id"
            ).fetchall()
        return [Follow(*row) for row in rows]

    def claim_alert(self, chat_id: int, doc_id: str, day: dt.date, per_day: int) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO alerts SELECT ?, ?, ? "
                "WHERE (SELECT COUNT(*) FROM alerts WHERE chat_id=? AND day=?) < ?",
                (chat_id, doc_id, day.isoformat(), chat_id, day.isoformat(), per_day),
            )
            return cursor.rowcount == 1

    def mute(self, chat_id: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO muted_chats VALUES (?, ?)", (chat_id, time.time())
            )

    def unmute(self, chat_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM muted_chats WHERE chat_id=?", (chat_id,))

    def claim_link(self, chat_id: int, day: dt.date, per_day: int) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO links_read VALUES (?, ?, 1) ON CONFLICT (chat_id, day) "
                "DO UPDATE SET count = count + 1 WHERE count < ?",
                (chat_id, day.isoformat(), per_day),
            )
            return cursor.rowcount == 1
