"""Channel subscriptions, what was posted to each chat, and daily digests, in PostgreSQL,
shared by every worker (`state.backend: postgres`).

A mixin of `bot.state.postgres_follows.PostgresFollowState` over the tables of the
"channels and daily digests" migration (qabot/migrations.py), with
bot/state/sqlite_channels.py's rules. Two workers' syncs may bring the same item at once:
a post is claimed in one transaction holding a transaction advisory lock on the chat, so
one worker decides after the other (one post per document per chat, at most `per_hour`
an hour). Which chats' digests are due is decided in Python, at each chat's local time
(bot/state/digest_days.py); each day is then claimed by a conditional UPDATE, whose row
lock does the same: of two workers, the one that waited finds the day claimed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from psycopg_pool import ConnectionPool

from bot.state.digest_days import due_digests, first_digest_day
from bot.state.protocols import (
    DigestSchedule,
    DueDigest,
    PostClaim,
    Subscription,
    named_subscriptions,
)

CHANNEL_LOCK = 0x7162_0004  # pg_advisory_xact_lock(CHANNEL_LOCK, chat): posts to that chat
_SUBSCRIPTION = "subscription_id, chat_id, feed_url, keywords, since"


class PostgresChannels:
    _pool: ConnectionPool

    def subscribe(
        self, chat_id: int, feed_url: str, keywords: Sequence[str], since: dt.date
    ) -> Subscription:
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO channel_subscriptions (chat_id, feed_url, keywords, since)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (chat_id, feed_url)"
                f" DO UPDATE SET keywords = excluded.keywords RETURNING {_SUBSCRIPTION}",
                (chat_id, feed_url, list(keywords), since),
            ).fetchone()
            conn.execute("DELETE FROM muted_chats WHERE chat_id = %s", (chat_id,))
        assert row is not None
        return _subscription(row)

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_SUBSCRIPTION} FROM channel_subscriptions WHERE chat_id = %s"
                " ORDER BY subscription_id",
                (chat_id,),
            ).fetchall()
        return [_subscription(row) for row in rows]

    def subscribers(self) -> list[Subscription]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_SUBSCRIPTION} FROM channel_subscriptions s WHERE NOT EXISTS"
                " (SELECT 1 FROM muted_chats m WHERE m.chat_id = s.chat_id)"
                " ORDER BY subscription_id"
            ).fetchall()
        return [_subscription(row) for row in rows]

    def unsubscribe(self, chat_id: int, which: str) -> list[Subscription]:
        gone = named_subscriptions(self.subscriptions(chat_id), which)
        with self._pool.connection() as conn:
            conn.execute(
                "DELETE FROM channel_subscriptions WHERE subscription_id = ANY(%s)",
                ([s.subscription_id for s in gone],),
            )
        return gone

    def claim_post(self, chat_id: int, doc_id: str, now: float, per_hour: int) -> PostClaim:
        with self._pool.connection() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (CHANNEL_LOCK, str(chat_id))
            )
            seen = conn.execute(
                "SELECT 1 FROM channel_posts WHERE chat_id = %s AND doc_id = %s",
                (chat_id, doc_id),
            ).fetchone()
            if seen is not None:
                return PostClaim.SEEN
            row = conn.execute(
                "SELECT count(*) FROM channel_posts WHERE chat_id = %s AND NOT folded"
                " AND posted_at > to_timestamp(%s) - interval '1 hour'",
                (chat_id, now),
            ).fetchone()
            claim = PostClaim.POST if row is not None and row[0] < per_hour else PostClaim.FOLD
            conn.execute(
                "INSERT INTO channel_posts (chat_id, doc_id, posted_at, folded)"
                " VALUES (%s, %s, to_timestamp(%s), %s)",
                (chat_id, doc_id, now, claim is PostClaim.FOLD),
            )
        return claim

    def schedule_digest(self, chat_id: int, schedule: DigestSchedule, now: dt.datetime) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO daily_digests (chat_id, hour, zone, last_day)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (chat_id) DO UPDATE"
                " SET hour = excluded.hour, zone = excluded.zone, last_day = excluded.last_day",
                (chat_id, schedule.hour, schedule.zone, first_digest_day(schedule, now)),
            )

    def cancel_digest(self, chat_id: int) -> bool:
        with self._pool.connection() as conn:
            gone = conn.execute(
                "DELETE FROM daily_digests WHERE chat_id = %s RETURNING chat_id", (chat_id,)
            ).fetchone()
        return gone is not None

    def digest_schedule(self, chat_id: int) -> DigestSchedule | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT hour, zone FROM daily_digests WHERE chat_id = %s", (chat_id,)
            ).fetchone()
        return DigestSchedule(int(row[0]), row[1]) if row else None

    def claim_digests(self, now: dt.datetime) -> list[DueDigest]:
        """The schedules read, then each due day claimed in the chats' order (two workers
        lock rows in one order: one waits, none deadlocks), in one transaction."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT chat_id, hour, zone, last_day FROM daily_digests d WHERE NOT EXISTS"
                " (SELECT 1 FROM muted_chats m WHERE m.chat_id = d.chat_id)"
            ).fetchall()
            chats = [
                (chat_id, DigestSchedule(hour, zone), day) for chat_id, hour, zone, day in rows
            ]
            claimed = []
            for digest in due_digests(chats, now):
                won = conn.execute(
                    "UPDATE daily_digests SET last_day = %s WHERE chat_id = %s AND last_day < %s"
                    " RETURNING chat_id",
                    (digest.day, digest.chat_id, digest.day),
                ).fetchone()
                if won is not None:
                    claimed.append(digest)
        return claimed


def _subscription(row: tuple[Any, ...]) -> Subscription:
    subscription_id, chat_id, feed_url, keywords, since = row
    return Subscription(subscription_id, chat_id, feed_url, tuple(keywords), since)
