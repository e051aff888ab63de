"""The bot's shared state in a real PostgreSQL: what two workers see of each other.

Each store is opened twice on one database, as two `qabot serve` workers would: a
person's questions count once across both, a chat's follow-up context and the updates
already handled are the same whichever worker asks.
"""

from __future__ import annotations

import threading

from psycopg_pool import ConnectionPool

from bot.state.postgres import PostgresConversations, PostgresRateLimiter, PostgresSeenUpdates
from index.api import Turn

pytest_plugins = ("tests.support.postgres_fixtures",)


def test_a_person_s_questions_count_once_across_workers(pool: ConnectionPool) -> None:
    one = PostgresRateLimiter(pool, "questions", 3)
    two = PostgresRateLimiter(pool, "questions", 3)
    assert [one.check(7).allowed, two.check(7).allowed, one.check(7).allowed] == [True] * 3
    refused = two.check(7)
    assert not refused.allowed and refused.first_refusal and 0 < refused.retry_after <= 60
    again = one.check(7)
    assert not again.allowed and not again.first_refusal  # warned once per burst
    assert two.check(8).allowed  # someone else
    assert PostgresRateLimiter(pool, "inline_queries", 3).check(7).allowed  # another budget


def test_a_window_slides(pool: ConnectionPool) -> None:
    limiter = PostgresRateLimiter(pool, "questions", 1, window=0.3)
    assert limiter.check("chat:1").allowed
    assert not limiter.check("chat:1").allowed
    threading.Event().wait(0.35)
    after = limiter.check("chat:1")
    assert after.allowed and not after.first_refusal


def test_concurrent_checks_never_let_more_through_than_the_limit(pool: ConnectionPool) -> None:
    workers = [PostgresRateLimiter(pool, "questions", 5) for _ in range(4)]
    allowed: list[bool] = []
    lock = threading.Lock()

    def ask(limiter: PostgresRateLimiter) -> None:
        for _ in range(5):
            decision = limiter.check(42)
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=ask, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5 and len(allowed) == 20


def test_a_follow_up_sees_the_turns_remembered_by_another_worker(pool: ConnectionPool) -> None:
    one = PostgresConversations(pool, turns_per_chat=2)
    two = PostgresConversations(pool, turns_per_chat=2)
    one.remember(1, Turn("who is Halls?", "an assistant director"))
    two.remember(1, Turn("what did he do?", "took a plea deal"))
    one.remember(1, Turn("and Baldwin?", "two counts"))
    assert two.history(1) == (
        Turn("what did he do?", "took a plea deal"),
        Turn("and Baldwin?", "two counts"),
    )
    assert one.history(2) == ()
    PostgresConversations(pool, turns_per_chat=0).remember(3, Turn("q", "a"))
    assert one.history(3) == ()


def test_an_update_delivered_to_two_workers_is_handled_once(pool: ConnectionPool) -> None:
    one, two = PostgresSeenUpdates(pool), PostgresSeenUpdates(pool)
    assert not one.is_repeat(1001)
    assert two.is_repeat(1001)
    assert one.is_repeat(1001)
    assert not two.is_repeat(1002)
