"""The bot's state in PostgreSQL, shared by every worker (`state.backend: postgres`).

Implements the protocols of bot/state/protocols.py over the tables of qabot/migrations.py:
the answer log (answers, the messages carrying their buttons, votes, "More" paging, /stats), each
chat's last turns, the per-person rate-limit windows and the updates already handled. So a
"More" press or a vote is served by whichever worker receives it, a person's questions
count once across workers, and a webhook update delivered twice is answered once.

Calls are synchronous, like bot/state/sqlite_answers.py's: one short statement on a pooled
connection (~0.2-0.5 ms on a local network) costs less than a hop to a thread. While the database is
down a call fails after the pool's wait timeout and the bot apologises (bot/handlers/errors.py);
the pool replaces broken connections, so the next update after a restart is served.
Every write is one transaction (the `with pool.connection()` block).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Hashable
from dataclasses import asdict
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.state.protocols import DayCounts, MissedQuestion, RateDecision, StoredAnswer, UsageStats
from bot.state.sqlite_answers import day_start, percentiles
from index.api import Answer, Passage, Turn

LATENCY_SAMPLE = 10_000  # percentiles are over the most recent answers
SEEN_UPDATES_KEPT = dt.timedelta(days=2)  # Telegram stops redelivering an update long before
PRUNE_EVERY = 1000  # updates recorded between two deletions of old ones (per worker)
_IN_CHATS = "chat_id IS NOT NULL"  # inline mode answers each keystroke: not a question asked
_DOWNVOTED = "EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.answer_id AND f.vote = -1)"
_DAY = "to_char(to_timestamp(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class PostgresAnswerLog:
    """The answer log (`bot.state.protocols.AnswerLog`); the same tables as
    bot/state/sqlite_answers.py's SQLite."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def close(self) -> None:
        """The pool belongs to whoever opened it (qabot/serve.py)."""

    def record_answer(
        self, answer: Answer, *, chat_id: int | None, user_id: int | None, latency_ms: float
    ) -> str:
        answer_id = secrets.token_urlsafe(12)
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO answers (answer_id, chat_id, user_id, question, answer, confident,"
                " passages, passages_shown, latency_ms, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    answer_id,
                    chat_id,
                    user_id,
                    answer.question,
                    answer.text,
                    answer.confident,
                    Jsonb([asdict(passage) for passage in answer.passages]),
                    min(1, len(answer.passages)),
                    latency_ms,
                    time.time(),
                ),
            )
        return answer_id

    def attach_message(self, answer_id: str, chat_id: int, message_id: int) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO answer_messages (chat_id, message_id, answer_id) VALUES (%s, %s, %s)"
                " ON CONFLICT (chat_id, message_id) DO UPDATE SET answer_id = excluded.answer_id",
                (chat_id, message_id, answer_id),
            )

    def find_answer(self, answer_id: str, chat_id: int, message_id: int) -> StoredAnswer | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT a.answer_id, a.chat_id, a.question, a.answer, a.passages,"
                " a.passages_shown FROM answer_messages m JOIN answers a USING (answer_id)"
                " WHERE m.chat_id = %s AND m.message_id = %s AND m.answer_id = %s",
                (chat_id, message_id, answer_id),
            ).fetchone()
        if row is None:
            return None
        passages = [Passage(**fields) for fields in row[4]]
        return StoredAnswer(row[0], row[1], row[2], row[3], passages, row[5])

    def claim_next_passage(self, answer_id: str) -> int | None:
        """One UPDATE ... RETURNING: the row lock makes two presses, on any two workers,
        claim different passages."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "UPDATE answers SET passages_shown = passages_shown + 1"
                " WHERE answer_id = %s AND passages_shown < jsonb_array_length(passages)"
                " RETURNING passages_shown",
                (answer_id,),
            ).fetchone()
        return None if row is None else int(row[0]) - 1

    def record_vote(self, answer_id: str, user_id: int, vote: int) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO feedback (answer_id, user_id, vote, created_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (answer_id, user_id)"
                " DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at",
                (answer_id, user_id, vote, time.time()),
            )

    def stats(self) -> UsageStats:
        with self._pool.connection() as conn:
            questions, confident = _one(
                conn, "SELECT count(*), count(*) FILTER (WHERE confident) FROM answers"
            )
            up, down = _one(
                conn,
                "SELECT count(*) FILTER (WHERE vote = 1), count(*) FILTER (WHERE vote = -1)"
                " FROM feedback",
            )
            latencies = [
                float(row[0])
                for row in conn.execute(
                    "SELECT latency_ms FROM answers ORDER BY created_at DESC LIMIT %s",
                    (LATENCY_SAMPLE,),
                )
            ]
        p50, p90, p99 = percentiles(latencies, (50, 90, 99))
        return UsageStats(int(questions), int(confident), int(up), int(down), p50, p90, p99)

    def days(self, since: dt.date) -> list[DayCounts]:
        start = day_start(since)
        with self._pool.connection() as conn:
            asked = {
                day: (int(questions), int(refused))
                for day, questions, refused in conn.execute(
                    f"SELECT {_DAY}, count(*), count(*) FILTER (WHERE NOT confident)"
                    f" FROM answers WHERE created_at >= %s AND {_IN_CHATS} GROUP BY 1",
                    (start,),
                )
            }
            votes = {
                day: (int(up), int(down))
                for day, up, down in conn.execute(
                    f"SELECT {_DAY}, count(*) FILTER (WHERE vote = 1),"
                    " count(*) FILTER (WHERE vote = -1) FROM feedback"
                    " WHERE created_at >= %s GROUP BY 1",
                    (start,),
                )
            }
        return [
            DayCounts(dt.date.fromisoformat(day), *asked.get(day, (0, 0)), *votes.get(day, (0, 0)))
            for day in sorted(asked.keys() | votes.keys())
        ]

    def missed_questions(self, since: dt.date, limit: int) -> list[MissedQuestion]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT a.question, NOT a.confident, {_DOWNVOTED} FROM answers a"
                f" WHERE a.created_at >= %s AND a.{_IN_CHATS}"
                f" AND (NOT a.confident OR {_DOWNVOTED})"
                " ORDER BY a.created_at DESC LIMIT %s",
                (day_start(since), limit),
            ).fetchall()
        return [MissedQuestion(question, refused, down) for question, refused, down in rows]


class PostgresConversations:
    """Each chat's last `turns_per_chat` turns (`bot.state.protocols.Conversations`), for follow-ups
    answered by any worker."""

    def __init__(self, pool: ConnectionPool, turns_per_chat: int) -> None:
        self._pool = pool
        self._turns_per_chat = turns_per_chat

    def history(self, chat_id: int) -> tuple[Turn, ...]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT question, answer FROM conversation_turns WHERE chat_id = %s"
                " ORDER BY turn_id DESC LIMIT %s",
                (chat_id, self._turns_per_chat),
            ).fetchall()
        return tuple(Turn(question, answer) for question, answer in reversed(rows))

    def remember(self, chat_id: int, turn: Turn) -> None:
        """Add the turn and drop the chat's older ones, in one transaction."""
        if self._turns_per_chat == 0:
            return
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO conversation_turns (chat_id, question, answer) VALUES (%s, %s, %s)",
                (chat_id, turn.question, turn.answer),
            )
            conn.execute(
                "DELETE FROM conversation_turns WHERE chat_id = %s AND turn_id NOT IN"
                " (SELECT turn_id FROM conversation_turns WHERE chat_id = %s"
                " ORDER BY turn_id DESC LIMIT %s)",
                (chat_id, chat_id, self._turns_per_chat),
            )


class PostgresRateLimiter:
    """At most `limit` events per key in any `window` seconds, counted across workers
    (`bot.state.protocols.RateLimiter`), by the database's clock.

    One row per (budget, key) holds the times of its recent events; a check locks that
    row (SELECT ... FOR UPDATE), so two workers checking one person at once are counted
    one after the other. Same rules as bot/state/memory.py's MemoryRateLimiter.
    """

    def __init__(self, pool: ConnectionPool, budget: str, limit: int, window: float = 60.0):
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self._pool = pool
        self._budget = budget
        self._limit = limit
        self._window = window

    def check(self, key: Hashable) -> RateDecision:
        with self._pool.connection() as conn:
            now = float(_one(conn, "SELECT extract(epoch FROM clock_timestamp())")[0])
            conn.execute(
                "INSERT INTO rate_windows (budget, key, events) VALUES (%s, %s, '{}')"
                " ON CONFLICT (budget, key) DO NOTHING",
                (self._budget, repr(key)),
            )
            events, warned = _one(
                conn,
                "SELECT events, warned FROM rate_windows WHERE budget = %s AND key = %s FOR UPDATE",
                (self._budget, repr(key)),
            )
            recent = [at for at in events if at > now - self._window]
            allowed = len(recent) < self._limit
            if allowed:
                recent.append(now)
            conn.execute(
                "UPDATE rate_windows SET events = %s, warned = %s, updated_at = clock_timestamp()"
                " WHERE budget = %s AND key = %s",
                (recent, not allowed, self._budget, repr(key)),
            )
        if allowed:
            return RateDecision(allowed=True)
        return RateDecision(
            allowed=False, retry_after=recent[0] + self._window - now, first_refusal=not warned
        )


class PostgresSeenUpdates:
    """The update ids already handled (`bot.state.protocols.SeenUpdates`), across workers; ids older
    than SEEN_UPDATES_KEPT are deleted now and then."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._recorded = 0

    def is_repeat(self, update_id: int) -> bool:
        with self._pool.connection() as conn:
            inserted = conn.execute(
                "INSERT INTO seen_updates (update_id) VALUES (%s)"
                " ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
                (update_id,),
            ).fetchone()
            self._recorded += 1
            if self._recorded % PRUNE_EVERY == 0:
                conn.execute(
                    "DELETE FROM seen_updates WHERE seen_at < clock_timestamp() - %s",
                    (SEEN_UPDATES_KEPT,),
                )
        return inserted is None


def _one(conn: Any, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return tuple(row)
