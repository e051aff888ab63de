"""SQLite log of every answer the bot gave, its buttons, and the 👍/👎 people pressed.

One table row per answer holds the question, the answer and the passages, so feedback can
be judged later and "More" can page through passages after a restart. Buttons carry only a
random answer id; the message they were sent on is recorded too, so a forged button
(another chat, another message, a guessed id) finds nothing to act on.

Calls are synchronous on purpose: in WAL mode with synchronous=NORMAL a commit is a short
append without fsync, cheaper than a hop to a worker thread.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from bot.state.protocols import DayCounts, MissedQuestion, StoredAnswer, UsageStats
from bot.state.sqlite_files import open_wal
from index.api import Answer, Passage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    chat_id INTEGER,             -- NULL for inline-mode answers
    user_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    confident INTEGER NOT NULL,
    passages TEXT NOT NULL,      -- JSON list of the passages offered with the answer
    passages_shown INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answer_messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    answer_id TEXT NOT NULL REFERENCES answers(answer_id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL REFERENCES answers(answer_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    created_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX IF NOT EXISTS answers_created ON answers(created_at);
"""

LATENCY_SAMPLE = 10_000  # percentiles are over the most recent answers
# Reports count questions asked in chats: inline mode answers each keystroke's partial query.
_IN_CHATS = "chat_id IS NOT NULL"
_DOWNVOTED = "EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.answer_id AND f.vote = -1)"


class SqliteAnswerLog:
    """The answer log (`bot.state.protocols.AnswerLog`) in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = open_wal(path)  # autocommit; explicit transactions below
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record_answer(
        self, answer: Answer, *, chat_id: int | None, user_id: int | None, latency_ms: float
    ) -> str:
        """Log one answer; returns the random id its buttons will carry."""
        answer_id = secrets.token_urlsafe(12)
        self._db.execute(
            "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                answer_id,
                chat_id,
                user_id,
                answer.question,
                answer.text,
                int(answer.confident),
                json.dumps([asdict(passage) for passage in answer.passages]),
                min(1, len(answer.passages)),
                latency_ms,
                time.time(),
            ),
        )
        return answer_id

    def attach_message(self, answer_id: str, chat_id: int, message_id: int) -> None:
        """Remember that this message carries buttons for this answer."""
        self._db.execute(
            "INSERT OR REPLACE INTO answer_messages VALUES (?, ?, ?)",
            (chat_id, message_id, answer_id),
        )

    def find_answer(self, answer_id: str, chat_id: int, message_id: int) -> StoredAnswer | None:
        """The answer behind a pressed button, only if that exact message carries it."""
        row = self._db.execute(
            "SELECT a.answer_id, a.chat_id, a.question, a.answer, a.passages, a.passages_shown"
            " FROM answer_messages m JOIN answers a ON a.answer_id = m.answer_id"
            " WHERE m.chat_id = ? AND m.message_id = ? AND m.answer_id = ?",
            (chat_id, message_id, answer_id),
        ).fetchone()
        if row is None:
            return None
        passages = [Passage(**fields) for fields in json.loads(row[4])]
        return StoredAnswer(row[0], row[1], row[2], row[3], passages, row[5])

    def claim_next_passage(self, answer_id: str) -> int | None:
        """Index of the next unseen passage, claimed atomically (two taps never get one twice)."""
        row = self._db.execute(
            "UPDATE answers SET passages_shown = passages_shown + 1"
            " WHERE answer_id = ? AND passages_shown < json_array_length(passages)"
            " RETURNING passages_shown",
            (answer_id,),
        ).fetchone()
        return None if row is None else int(row[0]) - 1

    def record_vote(self, answer_id: str, user_id: int, vote: int) -> None:
        """One vote per person per answer; voting again changes it."""
        self._db.execute(
            "INSERT INTO feedback VALUES (?, ?, ?, ?)"
            " ON CONFLICT (answer_id, user_id)"
            " DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at",
            (answer_id, user_id, vote, time.time()),
        )

    def stats(self) -> UsageStats:
        questions, confident = self._db.execute(
            "SELECT count(*), coalesce(sum(confident), 0) FROM answers"
        ).fetchone()
        up, down = self._db.execute(
            "SELECT coalesce(sum(vote = 1), 0), coalesce(sum(vote = -1), 0) FROM feedback"
        ).fetchone()
        latencies = [
            row[0]
            for row in self._db.execute(
                "SELECT latency_ms FROM answers ORDER BY created_at DESC LIMIT ?",
                (LATENCY_SAMPLE,),
            )
        ]
        p50, p90, p99 = percentiles(latencies, (50, 90, 99))
        return UsageStats(questions, confident, up, down, p50, p90, p99)

    def days(self, since: dt.date) -> list[DayCounts]:
        start = day_start(since)
        asked = {
            day: (questions, refused)
            for day, questions, refused in self._db.execute(
                "SELECT date(created_at, 'unixepoch'), count(*), sum(1 - confident) FROM answers"
                f" WHERE created_at >= ? AND {_IN_CHATS} GROUP BY 1",
                (start,),
            )
        }
        votes = {
            day: (up, down)
            for day, up, down in self._db.execute(
                "SELECT date(created_at, 'unixepoch'), sum(vote = 1), sum(vote = -1)"
                " FROM feedback WHERE created_at >= ? GROUP BY 1",
                (start,),
            )
        }
        return [
            DayCounts(dt.date.fromisoformat(day), *asked.get(day, (0, 0)), *votes.get(day, (0, 0)))
            for day in sorted(asked.keys() | votes.keys())
        ]

    def missed_questions(self, since: dt.date, limit: int) -> list[MissedQuestion]:
        rows = self._db.execute(
            f"SELECT a.question, a.confident = 0, {_DOWNVOTED} FROM answers a"
            f" WHERE a.created_at >= ? AND a.{_IN_CHATS} AND (a.confident = 0 OR {_DOWNVOTED})"
            " ORDER BY a.created_at DESC LIMIT ?",
            (day_start(since), limit),
        )
        return [
            MissedQuestion(question, bool(refused), bool(down)) for question, refused, down in rows
        ]


def day_start(day: dt.date) -> float:
    """The first second of `day` in UTC, as stored in created_at."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


def percentiles(values: list[float], points: tuple[int, ...]) -> list[float | None]:
    if not values:
        return [None] * len(points)
    if len(values) == 1:
        return [values[0]] * len(points)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[point - 1] for point in points]
