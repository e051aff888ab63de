"""The answer log: button lookups only match the message they were sent on; stats add up.

Every test of the log runs on both implementations: SQLite (one process) and PostgreSQL
(shared by workers; skipped without a test server, tests/support/postgres_fixtures.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.state.protocols import AnswerLog, DayCounts
from bot.state.sqlite_answers import SqliteAnswerLog
from bot.view.keyboards import Action, ButtonPress, decode, encode
from index.api import Answer, Passage

pytest_plugins = ("tests.support.postgres_fixtures",)


def passage(number: int) -> Passage:
    return Passage(f"text {number}", 1.0, "doc", "Title", "src", None, 0, 6, number)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnswerLog]:
    opened: AnswerLog
    if request.param == "sqlite":
        opened = SqliteAnswerLog(tmp_path / "sub" / "feedback.sqlite")
    else:
        from bot.state.postgres import PostgresAnswerLog

        opened = PostgresAnswerLog(request.getfixturevalue("pool"))
    yield opened
    opened.close()


def answer(passages: int = 3, confident: bool = True) -> Answer:
    return Answer("q?", "a.", confident, [passage(n) for n in range(passages)])


def test_buttons_find_their_answer_only_on_the_message_they_were_sent_on(
    store: AnswerLog,
) -> None:
    answer_id = store.record_answer(answer(), chat_id=5, user_id=7, latency_ms=12.0)
    store.attach_message(answer_id, 5, 100)
    found = store.find_answer(answer_id, 5, 100)
    assert found is not None and found.question == "q?" and len(found.passages) == 3
    assert found.passages[2] == passage(2)
    assert store.find_answer(answer_id, 6, 100) is None  # another chat
    assert store.find_answer(answer_id, 5, 101) is None  # another message
    assert store.find_answer("guessed-id", 5, 100) is None
    other = store.record_answer(answer(), chat_id=5, user_id=8, latency_ms=1.0)
    assert store.find_answer(other, 5, 100) is None  # id of another answer in the same chat


def test_more_hands_out_each_passage_once(store: AnswerLog) -> None:
    answer_id = store.record_answer(answer(3), chat_id=5, user_id=7, latency_ms=1.0)
    assert [store.claim_next_passage(answer_id) for _ in range(4)] == [1, 2, None, None]
    lonely = store.record_answer(answer(0, confident=False), chat_id=5, user_id=7, latency_ms=1)
    assert store.claim_next_passage(lonely) is None


def test_votes_are_one_per_person_and_stats_add_up(store: AnswerLog) -> None:
    first = store.record_answer(answer(), chat_id=5, user_id=7, latency_ms=10.0)
    store.record_answer(answer(confident=False), chat_id=5, user_id=7, latency_ms=30.0)
    store.record_answer(answer(), chat_id=None, user_id=9, latency_ms=20.0)  # inline
    store.record_vote(first, 7, 1)
    store.record_vote(first, 7, -1)  # changed their mind
    store.record_vote(first, 8, 1)
    stats = store.stats()
    assert (stats.questions, stats.confident) == (3, 2)
    assert (stats.thumbs_up, stats.thumbs_down) == (1, 1)
    assert stats.latency_p50_ms == pytest.approx(20.0)
    assert stats.latency_p99_ms is not None and 29 < stats.latency_p99_ms <= 30


def test_the_sqlite_log_is_readable_by_hand(tmp_path: Path) -> None:
    store = SqliteAnswerLog(tmp_path / "sub" / "feedback.sqlite")
    first = store.record_answer(answer(), chat_id=5, user_id=7, latency_ms=10.0)
    store.record_vote(first, 7, -1)
    store.close()
    with sqlite3.connect(tmp_path / "sub" / "feedback.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = db.execute(
            "SELECT a.question, a.answer, a.passages FROM feedback f"
            " JOIN answers a USING (answer_id) WHERE f.user_id = 7"
        ).fetchone()
    assert row[0] == "q?" and row[1] == "a." and "text 2" in row[2]


def test_empty_store_has_no_latency(store: AnswerLog) -> None:
    stats = store.stats()
    assert stats.questions == 0 and stats.latency_p50_ms is None


def test_callback_data_round_trips_and_rejects_junk() -> None:
    data = encode(Action.MORE, "abc_DEF-123")
    assert len(data.encode()) <= 64
    assert decode(data) == ButtonPress(Action.MORE, "abc_DEF-123")
    for junk in (None, "", "m", "m:", "z:abc", "nocolon", ":abc"):
        assert decode(junk) is None


def test_committed_feedback_survives_sigkill(tmp_path: Path) -> None:
    """A process killed right after recording keeps every committed row (SQLite WAL)."""
    import signal
    import subprocess
    import sys

    path = tmp_path / "feedback.sqlite"
    writer = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.state.sqlite_answers import SqliteAnswerLog\n"
        "from index.api import Answer\n"
        f"store = SqliteAnswerLog(Path({str(path)!r}))\n"
        "for n in range(50):\n"
        "    answer_id = store.record_answer(Answer(f'q{n}?', 'a.', True, []),"
        " chat_id=1, user_id=n, latency_ms=5.0)\n"
        "    store.record_vote(answer_id, n, 1)\n"
        "print('committed', flush=True)\n"
        "sys.stdin.read()\n"  # holds the store open until killed
    )
    process = subprocess.Popen(
        [sys.executable, "-c", writer],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "committed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL  # killed, not ended by itself
    assert process.stdin is not None
    process.stdin.close()
    reopened = SqliteAnswerLog(path)
    try:
        stats = reopened.stats()
        assert stats.questions == 50
        assert stats.thumbs_up == 50
    finally:
        reopened.close()


def test_reports_count_todays_questions_refusals_and_votes(store: AnswerLog) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    first = store.record_answer(answer(), chat_id=5, user_id=7, latency_ms=1.0)
    store.record_answer(answer(0, confident=False), chat_id=5, user_id=7, latency_ms=1.0)
    store.record_answer(answer(), chat_id=None, user_id=7, latency_ms=1.0)  # inline: not counted
    store.record_vote(first, 8, -1)
    assert store.days(today) == [DayCounts(today, 2, 1, 0, 1)]
    assert store.days(today + dt.timedelta(days=1)) == []
    missed = store.missed_questions(today, limit=10)
    assert sorted((m.refused, m.downvoted) for m in missed) == [(False, True), (True, False)]
