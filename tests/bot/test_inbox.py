"""The durable inbox and the flood control the workers share, on a real PostgreSQL, as
several workers use them (bot/state/postgres_delivery.py, bot/transport/flood.py).

The whole of it (three workers behind nginx, a SIGKILL, an outage, a rolling restart) is
tests/bot/test_scale.py; here each rule on its own: an update is stored once however often
it comes, a lease that runs out is taken over by exactly one worker, a worker whose claim
was taken over marks nothing, a reply begun is never handed on as new, and two workers
sending at once stay within one budget of messages per second.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from psycopg_pool import ConnectionPool
from telegram.ext import ExtBot

from bot.settings import FloodConfig
from bot.state.calls import ThreadCalls
from bot.state.postgres_delivery import PostgresFloodSlots, PostgresInbox
from bot.state.protocols import Claim
from bot.transport.flood import BOT_SCOPE, SharedFloodControl
from qabot.config import StateSettings
from qabot.database import open_pool
from tests.support.emulator import BotApiEmulator

pytest_plugins = ("tests.support.postgres_fixtures",)

SHORT_LEASE = 0.3  # seconds


def payload(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": "hi"}}


@pytest.fixture
def second_pool(postgres_state: StateSettings) -> Iterator[ConnectionPool]:
    """Another process's pool on the same database (a second worker)."""
    opened = open_pool(postgres_state, name="worker-b")
    yield opened
    opened.close()


def test_an_update_is_stored_once_however_often_it_is_delivered(pool: ConnectionPool) -> None:
    inbox = PostgresInbox(pool)
    assert inbox.accept(7, payload(7), "A", 10) == Claim(7, 1)
    assert inbox.accept(7, payload(7), "B", 10) is None  # Telegram's redelivery, to B
    assert inbox.accept(7, payload(7), "A", 10) is None
    assert inbox.take_over("B", 10, 10) == []  # A's lease holds
    with pool.connection() as conn:
        row = conn.execute("SELECT deliveries, worker FROM inbox WHERE update_id = 7").fetchone()
    assert row == (3, "A")


def test_a_lease_that_ran_out_is_taken_over_by_one_worker_and_the_old_claim_marks_nothing(
    pool: ConnectionPool, second_pool: ConnectionPool
) -> None:
    first, second = PostgresInbox(pool), PostgresInbox(second_pool)
    claims = [first.accept(n, payload(n), "A", SHORT_LEASE) for n in range(1, 21)]
    time.sleep(SHORT_LEASE + 0.2)  # A was killed: nothing renews its leases
    start = threading.Barrier(2)

    def take(inbox: PostgresInbox, worker: str) -> list[int]:
        start.wait()
        taken = []
        for _ in range(10):  # in small bites, both at once
            taken += [u.claim.update_id for u in inbox.take_over(worker, 10, 3)]
        return taken

    with ThreadPoolExecutor(2) as threads:
        by_b, by_c = threads.map(take, (first, second), ("B", "C"))
    assert sorted(by_b + by_c) == list(range(1, 21))  # every one, none twice
    assert by_b and by_c  # SKIP LOCKED: neither waited for the other's rows
    old = claims[0]
    assert old is not None
    assert first.start_reply(old, 10) is False  # A, cut off and back, must not reply
    first.finish(old)  # ... nor mark it done
    new = Claim(old.update_id, 2)
    assert second.start_reply(new, 10) is True
    second.finish(new)
    assert second.take_over("D", 10, 100) == []


def test_a_reply_begun_is_handed_on_as_begun_never_as_new(pool: ConnectionPool) -> None:
    inbox = PostgresInbox(pool)
    claim = inbox.accept(5, payload(5), "A", SHORT_LEASE)
    assert claim is not None
    assert inbox.start_reply(claim, SHORT_LEASE) is True  # then A died mid-sendMessage
    time.sleep(SHORT_LEASE + 0.2)
    [taken] = inbox.take_over("B", 10, 10)
    assert taken.reply_started and taken.previous_worker == "A"
    assert taken.claim == Claim(5, 2) and taken.payload == payload(5)


def test_a_finished_update_stays_done_and_a_released_one_is_taken_at_once(
    pool: ConnectionPool,
) -> None:
    inbox = PostgresInbox(pool)
    done, let_go, held = (inbox.accept(n, payload(n), "A", 60) for n in (1, 2, 3))
    assert done is not None and let_go is not None and held is not None
    inbox.finish(done)
    inbox.release(let_go, 0.0)  # SIGTERM, or an outage before the reply: at once to others
    assert [u.claim.update_id for u in inbox.take_over("B", 10, 10)] == [2]
    inbox.renew([held], SHORT_LEASE)  # a renewal sets the lease from now
    time.sleep(SHORT_LEASE + 0.2)
    assert [u.claim.update_id for u in inbox.take_over("B", 10, 10)] == [3]


def test_two_workers_booking_at_once_stay_within_one_budget(
    pool: ConnectionPool, second_pool: ConnectionPool
) -> None:
    limit, window = 5, 1.0
    moments: list[float] = []
    lock = threading.Lock()

    def book(slots: PostgresFloodSlots) -> None:
        for _ in range(10):
            wait = slots.reserve([(BOT_SCOPE, limit, window)])
            with lock:
                moments.append(time.monotonic() + wait)

    with ThreadPoolExecutor(4) as threads:
        list(threads.map(book, [PostgresFloodSlots(p) for p in (pool, second_pool) * 2]))
    moments.sort()
    assert len(moments) == 40
    for first, sixth in zip(moments, moments[limit:], strict=False):
        assert sixth - first >= window - 0.05  # never `limit` + 1 in one window
    assert moments[-1] - moments[0] >= (40 / limit - 1) * window - 0.1


def test_a_pause_telegram_asked_for_holds_back_every_worker(
    pool: ConnectionPool, second_pool: ConnectionPool
) -> None:
    PostgresFloodSlots(pool).pause(2.0)
    wait = PostgresFloodSlots(second_pool).reserve([(BOT_SCOPE, 30, 1.0)])
    assert 1.8 <= wait <= 2.1


async def test_two_bots_sending_at_once_send_no_more_than_the_budget_together(
    pool: ConnectionPool, second_pool: ConnectionPool
) -> None:
    """What Telegram sees: two workers' python-telegram-bot clients, 40 messages at once."""
    per_second = 8
    settings = FloodConfig(messages_per_second=per_second)
    async with BotApiEmulator() as emulator:
        chats = list(range(1000, 1020))
        for chat in chats:
            emulator.user_sends_text("hi", chat_id=chat, user_id=chat)
        bots = [
            ExtBot(
                emulator.token,
                base_url=emulator.base_url,
                rate_limiter=SharedFloodControl(
                    PostgresFloodSlots(worker_pool), ThreadCalls(4), settings, max_retries=0
                ),
            )
            for worker_pool in (pool, second_pool)
        ]
        for bot in bots:
            await bot.initialize()
        try:
            await asyncio.gather(
                *(
                    bot.send_message(chat, f"reply {n}")
                    for n, chat in enumerate(chats)
                    for bot in bots
                )
            )
        finally:
            for bot in bots:
                await bot.shutdown()
        arrivals = sorted(c.time for c in emulator.calls if c.method == "sendMessage" and c.ok)
    assert len(arrivals) == 40
    for first, next_window in zip(arrivals, arrivals[per_second:], strict=False):
        assert next_window - first >= 0.9  # each alone would send 8/s: 16/s together
