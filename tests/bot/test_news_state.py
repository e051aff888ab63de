"""Follows, alerts, muted chats and link counts (`bot.state.protocols.FollowState`), on both
implementations: SQLite (bot/state/sqlite_follows.py, one process) and PostgreSQL
(bot/state/postgres_follows.py, shared by workers; skipped without a test server,
tests/support/postgres_fixtures.py).

Each test opens the state twice, as two workers (or two bot processes on one SQLite file)
would: what one records, the other sees; claims made through both at once are decided as
if one after the other.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.state.protocols import FollowState
from bot.state.sqlite_follows import SqliteFollowState
from index.api import EngineLimits
from qabot.config import Config, StateSettings
from qabot.serve import open_bot_state

pytest_plugins = ("tests.support.postgres_fixtures",)

DAY = dt.date(2023, 1, 30)
OpenState = Callable[[], FollowState]


@pytest.fixture(params=["sqlite", "postgres"])
def open_state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenState]:
    """open_state() -> one more worker's view of the same state, closed after the test
    (with PostgreSQL, each on a connection pool of its own, as separate processes)."""
    opened: list[FollowState] = []
    pools = []

    def open_one() -> FollowState:
        state: FollowState
        if request.param == "sqlite":
            state = SqliteFollowState(tmp_path / "feedback.sqlite")
        else:
            from bot.state.postgres_follows import PostgresFollowState
            from qabot.database import open_pool

            pool = open_pool(request.getfixturevalue("postgres_state"))
            pools.append(pool)
            state = PostgresFollowState(pool)
        opened.append(state)
        return state

    yield open_one
    for state in opened:
        state.close()
    for pool in pools:
        pool.close()


def test_follows_are_listed_per_chat_in_order_and_once(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    first = one.follow(5, 7, "the Rust shooting trial")
    second = two.follow(5, 8, "Alec Baldwin")
    assert two.follow(5, 9, "the Rust shooting trial") == first  # already followed
    one.follow(6, 6, "volcanoes")
    assert [f.topic for f in two.following(5)] == ["the Rust shooting trial", "Alec Baldwin"]
    assert one.following(5) == [first, second]
    assert (first.chat_id, first.user_id) == (5, 7)
    assert [f.topic for f in one.following(6)] == ["volcanoes"]
    assert one.following(99) == []


def test_unfollow_by_number_topic_or_all(open_state: OpenState) -> None:
    state = open_state()
    for topic in ("bees", "storms", "volcanoes", "trains"):
        state.follow(5, 7, topic)
    state.follow(6, 6, "bees")
    assert [f.topic for f in state.unfollow(5, "2")] == ["storms"]
    assert [f.topic for f in state.unfollow(5, " VOLCANOES ")] == ["volcanoes"]
    assert state.unfollow(5, "7") == [] and state.unfollow(5, "nothing like it") == []
    assert [f.topic for f in open_state().following(5)] == ["bees", "trains"]
    assert [f.topic for f in state.unfollow(5, "all")] == ["bees", "trains"]
    assert state.following(5) == [] and [f.topic for f in state.following(6)] == ["bees"]


def test_a_muted_chat_gets_no_alerts_until_it_follows_again(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    one.follow(5, 7, "bees")
    one.follow(6, 6, "bees")
    two.mute(5)
    two.mute(5)  # muted twice: still one chat
    assert [f.chat_id for f in one.followers()] == [6]
    one.unmute(5)
    assert [f.chat_id for f in two.followers()] == [5, 6]
    one.mute(5)
    two.follow(5, 7, "storms")  # someone there follows again: the chat is back
    assert [(f.chat_id, f.topic) for f in one.followers()] == [
        (5, "bees"),
        (6, "bees"),
        (5, "storms"),
    ]


def test_an_alert_is_claimed_once_per_article_and_chat(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    assert one.claim_alert(5, "volcano", DAY, per_day=10)
    assert not two.claim_alert(5, "volcano", DAY, per_day=10)  # another worker, same alert
    assert not one.claim_alert(5, "volcano", DAY + dt.timedelta(days=1), per_day=10)  # ever
    assert two.claim_alert(6, "volcano", DAY, per_day=10)  # another chat
    assert two.claim_alert(5, "bees", DAY, per_day=10)  # another article


def test_alerts_stop_at_the_daily_cap_and_resume_the_next_day(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    claims = [(one if n % 2 else two).claim_alert(5, f"doc{n}", DAY, 3) for n in range(5)]
    assert claims == [True, True, True, False, False]
    assert one.claim_alert(6, "doc0", DAY, 3)  # the cap is per chat
    assert two.claim_alert(5, "doc3", DAY + dt.timedelta(days=1), 3)  # a new day
    assert not one.claim_alert(5, "doc0", DAY + dt.timedelta(days=1), 3)  # still once
    assert not one.claim_alert(7, "doc0", DAY, 0)  # no alerts at all


def test_links_are_counted_per_chat_and_day(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    assert [one.claim_link(5, DAY, 2), two.claim_link(5, DAY, 2)] == [True, True]
    assert not one.claim_link(5, DAY, 2) and not two.claim_link(5, DAY, 2)
    assert two.claim_link(6, DAY, 2)
    assert one.claim_link(5, DAY + dt.timedelta(days=1), 2)


def race(
    workers: list[FollowState], rounds: int, claim: Callable[[FollowState, int, int], bool]
) -> list[list[bool]]:
    """Each round, claim(worker, round, n) by one thread per worker, released together by a
    barrier; each round's outcomes."""
    outcomes = [[False] * len(workers) for _ in range(rounds)]
    start = threading.Barrier(len(workers))

    def run(n: int) -> None:
        for round_ in range(rounds):
            start.wait()
            outcomes[round_][n] = claim(workers[n], round_, n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_workers_claiming_one_alert_at_once_send_it_once(open_state: OpenState) -> None:
    workers = [open_state() for _ in range(4)]
    outcomes = race(workers, 10, lambda state, r, _: state.claim_alert(5, f"doc{r}", DAY, 100))
    assert [won.count(True) for won in outcomes] == [1] * 10, outcomes


def test_workers_claiming_alerts_at_once_keep_the_daily_cap(open_state: OpenState) -> None:
    workers = [open_state() for _ in range(6)]

    def claim(state: FollowState, round_: int, n: int) -> bool:
        return state.claim_alert(5, f"doc{round_}-{n}", DAY + dt.timedelta(days=round_), 2)

    outcomes = race(workers, 5, claim)
    assert [won.count(True) for won in outcomes] == [2] * 5, outcomes


def test_workers_counting_links_at_once_keep_the_daily_quota(open_state: OpenState) -> None:
    workers = [open_state() for _ in range(6)]

    def claim(state: FollowState, round_: int, _: int) -> bool:
        return state.claim_link(5, DAY + dt.timedelta(days=round_), 3)

    outcomes = race(workers, 5, claim)
    assert [won.count(True) for won in outcomes] == [3] * 5, outcomes


def test_the_composition_keeps_every_worker_s_news_state_in_the_database(
    config: Config, postgres_state: StateSettings, tmp_path: Path
) -> None:
    """`qabot serve` over state.backend: postgres (`open_bot_state` with the pool): follows,
    mutes, alerts and link counts recorded by one worker are the other's, in the database's
    tables, and no SQLite file beside the answer log holds any of it."""
    from qabot.database import open_pool

    settings = config.telegram.model_copy(update={"state_db": tmp_path / "feedback.sqlite"})
    limits = EngineLimits(max_question_chars=500, max_document_bytes=1_000, conversation_turns=3)
    pools = [open_pool(postgres_state) for _ in range(2)]
    states = [open_bot_state(settings, limits, pool) for pool in pools]
    one, two = (state.follows for state in states)
    try:
        one.follow(5, 7, "volcanoes")
        assert [f.topic for f in two.followers()] == ["volcanoes"]
        two.mute(5)
        assert one.followers() == []
        assert one.claim_alert(6, "doc", DAY, 1) and not two.claim_alert(6, "other", DAY, 1)
        assert one.claim_link(6, DAY, 1) and not two.claim_link(6, DAY, 1)
        with pools[0].connection() as conn:
            counts = [
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                for table in ("follows", "muted_chats", "alerts", "links_read")
            ]
        assert counts == [(1,)] * 4
        assert not list(tmp_path.iterdir())  # feedback.sqlite never created
    finally:
        for state, pool in zip(states, pools, strict=True):
            state.close()
            pool.close()
