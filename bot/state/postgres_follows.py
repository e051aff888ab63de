"""Follows, the alerts sent for them, muted chats and the links each chat sent, in
PostgreSQL, shared by every worker (`state.backend: postgres`).

Implements `bot.state.protocols.FollowState` with bot/state/sqlite_follows.py's rules over the
tables of migration 3 (qabot/migrations.py). What needs care is that two workers may act for
one chat at once:
- an alert is claimed in one transaction that first locks the chat's row of the day in
  `alert_days` (SELECT ... FOR UPDATE), so claims for one chat are decided one after
  another on every worker: one alert per article per chat, never more than the daily cap;
- a link is counted with one conditional upsert, whose row lock does the same.

Calls are synchronous, like the answer log's (bot/state/postgres.py says why); every write
is one transaction (the `with pool.connection()` block).
"""

from __future__ import annotations

import datetime as dt

from psycopg_pool import ConnectionPool

from bot.state.protocols import Follow, named_follows

_FOLLOW_COLUMNS = "follow_id, chat_id, user_id, topic"


class PostgresFollowState:
    """`bot.state.protocols.FollowState` in PostgreSQL."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def close(self) -> None:
        """The pool belongs to whoever opened it (qabot/serve.py)."""

    def follow(self, chat_id: int, user_id: int, topic: str) -> Follow:
        """Follow `topic` in the chat (already followed: that follow); the chat is unmuted."""
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO follows (chat_id, user_id, topic) VALUES (%s, %s, %s)"
                " ON CONFLICT (chat_id, topic) DO NOTHING",
                (chat_id, user_id, topic),
            )
            conn.execute("DELETE FROM muted_chats WHERE chat_id = %s", (chat_id,))
            row = conn.execute(
                f"SELECT {_FOLLOW_COLUMNS} FROM follows WHERE chat_id = %s AND topic = %s",
                (chat_id, topic),
            ).fetchone()
        assert row is not None
        return Follow(*row)

    def following(self, chat_id: int) -> list[Follow]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_FOLLOW_COLUMNS} FROM follows WHERE chat_id = %s ORDER BY follow_id",
                (chat_id,),
            ).fetchall()
        return [Follow(*row) for row in rows]

    def unfollow(self, chat_id: int, which: str) -> list[Follow]:
        gone = named_follows(self.following(chat_id), which)
        with self._pool.connection() as conn:
            conn.execute(
                "DELETE FROM follows WHERE follow_id = ANY(%s)", ([f.follow_id for f in gone],)
            )
        return gone

    def followers(self) -> list[Follow]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_FOLLOW_COLUMNS} FROM follows f WHERE NOT EXISTS"
                " (SELECT 1 FROM muted_chats m WHERE m.chat_id = f.chat_id) ORDER BY follow_id"
            ).fetchall()
        return [Follow(*row) for row in rows]

    def claim_alert(self, chat_id: int, doc_id: str, day: dt.date, per_day: int) -> bool:
        """Record the alert if the chat never had one for the document and had fewer than
        `per_day` on `day`; whether it was recorded (then, and only then, send it)."""
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO alert_days (chat_id, day) VALUES (%s, %s)"
                " ON CONFLICT (chat_id, day) DO NOTHING",
                (chat_id, day),
            )
            row = conn.execute(
                "SELECT sent FROM alert_days WHERE chat_id = %s AND day = %s FOR UPDATE",
                (chat_id, day),
            ).fetchone()
            if row is None or row[0] >= per_day:
                return False
            claimed = conn.execute(
                "INSERT INTO alerts (chat_id, doc_id, day) VALUES (%s, %s, %s)"
                " ON CONFLICT (chat_id, doc_id) DO NOTHING RETURNING doc_id",
                (chat_id, doc_id, day),
            ).fetchone()
            if claimed is None:
                return False
            conn.execute(
                "UPDATE alert_days SET sent = sent + 1 WHERE chat_id = %s AND day = %s",
                (chat_id, day),
            )
        return True

    def mute(self, chat_id: int) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO muted_chats (chat_id) VALUES (%s)"
                " ON CONFLICT (chat_id) DO UPDATE SET since = clock_timestamp()",
                (chat_id,),
            )

    def unmute(self, chat_id: int) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM muted_chats WHERE chat_id = %s", (chat_id,))

    def claim_link(self, chat_id: int, day: dt.date, per_day: int) -> bool:
        """Count one link if the chat had fewer than `per_day` on `day`: one upsert, whose
        row lock orders two workers counting the same chat."""
        with self._pool.connection() as conn:
            counted = conn.execute(
                "INSERT INTO links_read (chat_id, day, count) VALUES (%s, %s, 1)"
                " ON CONFLICT (chat_id, day) DO UPDATE SET count = links_read.count + 1"
                " WHERE links_read.count < %s RETURNING count",
                (chat_id, day, per_day),
            ).fetchone()
        return counted is not None
