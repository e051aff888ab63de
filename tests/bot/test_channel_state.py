"""Channel subscriptions, posts and daily digests (`bot.state.protocols.Channels`,
`DailyDigests`), on both implementations: SQLite (bot/state/sqlite_channels.py) and
PostgreSQL (bot/state/postgres_channels.py; skipped without a test server). Each test
opens the state as several workers would; claims made through all at once are decided as
if one after the other."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from psycopg_pool import ConnectionPool

from bot.state.postgres_follows import PostgresFollowState
from bot.state.protocols import DigestSchedule, DueDigest, FollowState, PostClaim
from bot.state.sqlite_follows import SqliteFollowState
from qabot.config import StateSettings
from qabot.database import open_pool, schema_state
from qabot.migrations import MIGRATIONS
from tests.bot.test_news_state import OpenState, open_state, race

pytest_plugins = ("tests.support.postgres_fixtures",)
__all__ = ["open_state"]  # the fixture, shared with test_news_state

DAY = dt.date(2023, 1, 30)
NOON = dt.datetime(2023, 1, 30, 12, 30, tzinfo=dt.UTC)
T0 = 1_675_080_000.0  # a Unix time
ONE_DAY = dt.timedelta(days=1)
ZONE_MIGRATION = 6  # qabot/migrations.py: "issue 25: a daily digest's time zone"


def test_subscriptions_per_chat_keywords_replaced_and_unsubscribed(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    first = one.subscribe(-100, "http://a.example/rss", ["volcano"], DAY)
    two.subscribe(-100, "http://b.example/rss", [], DAY)
    again = two.subscribe(-100, "http://a.example/rss", ["volcano", "lava"], DAY)
    assert again.subscription_id == first.subscription_id and again.keywords == ("volcano", "lava")
    assert [s.feed_url for s in one.subscriptions(-100)] == [
        "http://a.example/rss",
        "http://b.example/rss",
    ]
    assert one.subscriptions(-100)[0].since == DAY
    assert [s.feed_url for s in two.unsubscribe(-100, "2")] == ["http://b.example/rss"]
    assert one.unsubscribe(-100, "http://nowhere") == []
    assert [s.feed_url for s in one.unsubscribe(-100, "http://a.example/rss/")] == [
        "http://a.example/rss"
    ]
    assert two.subscriptions(-100) == []


def test_a_chat_that_removed_the_bot_is_not_posted_to(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    one.subscribe(-100, "http://a.example/rss", [], DAY)
    one.subscribe(-200, "http://a.example/rss", [], DAY)
    two.mute(-100)
    assert [s.chat_id for s in one.subscribers()] == [-200]
    two.subscribe(-100, "http://b.example/rss", [], DAY)  # subscribing again unmutes
    assert sorted(s.chat_id for s in one.subscribers()) == [-200, -100, -100]


def test_posts_are_once_per_document_and_folded_beyond_the_hour(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    assert one.claim_post(-100, "doc1", T0, 2) is PostClaim.POST
    assert two.claim_post(-100, "doc1", T0 + 1, 2) is PostClaim.SEEN  # another feed, same story
    assert two.claim_post(-100, "doc2", T0 + 2, 2) is PostClaim.POST
    assert one.claim_post(-100, "doc3", T0 + 3, 2) is PostClaim.FOLD
    assert one.claim_post(-100, "doc3", T0 + 4, 2) is PostClaim.SEEN
    assert one.claim_post(-200, "doc3", T0 + 5, 2) is PostClaim.POST  # another chat
    assert two.claim_post(-100, "doc4", T0 + 3601, 2) is PostClaim.POST  # an hour later


def utc(hour: int) -> DigestSchedule:
    return DigestSchedule(hour, "UTC")


def chats(digests: list[DueDigest]) -> list[int]:
    return [digest.chat_id for digest in digests]


def test_a_daily_digest_is_claimed_once_a_day_from_its_hour(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    one.schedule_digest(5, utc(12), NOON)  # the hour now: due at once
    one.schedule_digest(6, utc(8), NOON)  # passed: tomorrow
    one.schedule_digest(7, utc(18), NOON)  # later today
    assert two.digest_schedule(5) == utc(12) and two.digest_schedule(9) is None
    assert two.claim_digests(NOON) == [DueDigest(5, DAY)]
    assert one.claim_digests(NOON) == []
    assert chats(one.claim_digests(NOON.replace(hour=18))) == [7]
    tomorrow = NOON + dt.timedelta(days=1)
    assert chats(two.claim_digests(tomorrow)) == [5, 6]
    assert one.cancel_digest(5) and not one.cancel_digest(5)
    two.mute(6)
    later = tomorrow + dt.timedelta(days=1)
    assert one.claim_digests(later) == []  # 7's hour has not come; 6 muted, 5 cancelled
    assert chats(one.claim_digests(later.replace(hour=18))) == [7]


def test_a_digest_comes_at_its_hour_in_the_chats_zone_east_and_west(
    open_state: OpenState,
) -> None:
    """At NOON (12:30 UTC, 30 Jan) it is 13:30 in Berlin, 07:30 in New York, 01:30 on
    31 Jan in Auckland; each digest is of its chat's own date."""
    one, two = open_state(), open_state()
    one.schedule_digest(1, DigestSchedule(13, "Europe/Berlin"), NOON)  # the hour now there
    one.schedule_digest(2, DigestSchedule(8, "America/New_York"), NOON)  # in half an hour
    one.schedule_digest(3, DigestSchedule(1, "Pacific/Auckland"), NOON)  # its 31 Jan's
    one.schedule_digest(4, DigestSchedule(14, "Pacific/Auckland"), NOON)  # 31 Jan, 01:00 UTC
    assert two.digest_schedule(2) == DigestSchedule(8, "America/New_York")
    assert two.claim_digests(NOON) == [DueDigest(1, DAY), DueDigest(3, DAY + ONE_DAY)]
    assert one.claim_digests(NOON + dt.timedelta(minutes=29)) == []
    assert two.claim_digests(NOON + dt.timedelta(minutes=30)) == [DueDigest(2, DAY)]
    # 23:30 UTC: Berlin's and Auckland's next day has begun, their hours not come yet
    assert one.claim_digests(NOON.replace(hour=23)) == []
    next_morning = dt.datetime(2023, 1, 31, 1, 0, tzinfo=dt.UTC)  # 14:00 in Auckland
    assert one.claim_digests(next_morning) == [DueDigest(4, DAY + ONE_DAY)]
    assert two.claim_digests(next_morning.replace(hour=12)) == [
        DueDigest(1, DAY + ONE_DAY),  # 13:00 in Berlin
        DueDigest(3, DAY + 2 * ONE_DAY),  # 01:00 of 1 Feb in Auckland
    ]


def test_an_hour_a_dst_change_skips_or_repeats_gives_one_digest(open_state: OpenState) -> None:
    """Berlin's clocks skip 02:00-03:00 on 26 March 2023 and pass 02:00-03:00 twice on
    29 October: a digest at 2 comes once on each day (at 03:00 on the first), claimed
    every quarter of an hour by two workers."""
    one, two = open_state(), open_state()
    at_two = DigestSchedule(2, "Europe/Berlin")
    claims: list[tuple[dt.datetime, DueDigest]] = []
    for chat, eve in ((7, dt.datetime(2023, 3, 25, 12)), (8, dt.datetime(2023, 10, 28, 12))):
        one.schedule_digest(chat, at_two, eve.replace(tzinfo=dt.UTC))
        for quarter in range(4 * 40):  # the eve, the change's day, the morning after
            now = eve.replace(tzinfo=dt.UTC) + quarter * dt.timedelta(minutes=15)
            for worker in (one, two):
                claims += [(now, digest) for digest in worker.claim_digests(now)]
        one.cancel_digest(chat)
    spring_day, autumn_day = dt.date(2023, 3, 26), dt.date(2023, 10, 29)
    assert [digest for _, digest in claims] == [
        DueDigest(7, spring_day),
        DueDigest(7, spring_day + ONE_DAY),
        DueDigest(8, autumn_day),
        DueDigest(8, autumn_day + ONE_DAY),
    ]
    berlin = ZoneInfo("Europe/Berlin")
    assert [now.astimezone(berlin).strftime("%H:%M %Z") for now, _ in claims] == [
        "03:00 CEST",  # 02:00 did not exist
        "02:00 CEST",
        "02:00 CEST",  # the first 02:00; not again at 02:00 CET
        "02:00 CET",
    ]


def test_a_chat_keeps_its_zone_until_it_names_another(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    one.schedule_digest(5, DigestSchedule(8, "Asia/Tokyo"), NOON)  # 21:30 there: tomorrow
    assert two.claim_digests(NOON) == []
    two.schedule_digest(5, utc(12), NOON)
    assert one.digest_schedule(5) == utc(12)
    assert one.claim_digests(NOON) == [DueDigest(5, DAY)]


def test_workers_posting_at_once_post_once_within_the_hour(open_state: OpenState) -> None:
    workers = [open_state() for _ in range(4)]

    def claim(state: FollowState, round_: int, _: int) -> bool:
        return state.claim_post(-100, f"doc{round_}", T0 + round_, 3) is PostClaim.POST

    outcomes = race(workers, 6, claim)
    assert [won.count(True) for won in outcomes] == [1, 1, 1, 0, 0, 0], outcomes


def test_workers_claiming_digests_at_once_send_each_once(open_state: OpenState) -> None:
    """Ten chats in zones east and west of UTC (and UTC), all due at NOON's hour in their
    zone, claimed by four workers at once on three days: each chat once a day."""
    workers = [open_state() for _ in range(4)]
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
    for chat in range(10):
        zone = zones[chat % len(zones)]
        local_hour = NOON.astimezone(ZoneInfo(zone)).hour
        workers[0].schedule_digest(chat, DigestSchedule(local_hour, zone), NOON)

    claimed: list[list[int]] = [[] for _ in range(3)]

    def claim(state: FollowState, round_: int, _: int) -> bool:
        digests = state.claim_digests(NOON + dt.timedelta(days=round_))
        claimed[round_].extend(chats(digests))
        return bool(digests)

    race(workers, 3, claim)
    assert [sorted(chats) for chats in claimed] == [list(range(10))] * 3  # each chat once


# daily_digests as the SQLite file of the release before time zones made it
OLD_SQLITE_DIGESTS = """
CREATE TABLE daily_digests (
    chat_id INTEGER PRIMARY KEY,
    hour INTEGER NOT NULL,
    last_day TEXT NOT NULL           -- the last day whose digest was sent (or skipped)
);
"""


def test_a_sqlite_file_of_the_release_before_zones_keeps_its_digests(tmp_path: Path) -> None:
    """Its rows become UTC schedules; two processes opening it at once add the column once."""
    path = tmp_path / "feedback.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executescript(OLD_SQLITE_DIGESTS)
        db.executemany(
            "INSERT INTO daily_digests VALUES (?, ?, ?)",
            [(5, 12, "2023-01-29"), (6, 8, "2023-01-30")],
        )
    opened: list[SqliteFollowState] = []
    start = threading.Barrier(2)

    def open_file() -> None:
        start.wait()
        opened.append(SqliteFollowState(path))

    threads = [threading.Thread(target=open_file) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one, two = opened  # both opened
    try:
        assert one.digest_schedule(5) == utc(12) and two.digest_schedule(6) == utc(8)
        assert two.claim_digests(NOON) == [DueDigest(5, DAY)]  # 6's was sent that day
        one.schedule_digest(7, DigestSchedule(13, "Europe/Berlin"), NOON)
        assert two.claim_digests(NOON) == [DueDigest(7, DAY)]
    finally:
        one.close()
        two.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(daily_digests)")]
        assert columns == ["chat_id", "hour", "last_day", "zone"]


def test_a_postgres_database_before_zones_keeps_its_digests(
    database_url: str, postgres_state: StateSettings
) -> None:
    """A database at the migration before time zones: its rows become UTC schedules."""
    with ConnectionPool(database_url, min_size=1, max_size=2, open=True) as raw:
        schema_state(raw)
        with raw.connection() as conn:
            for migration in MIGRATIONS[: ZONE_MIGRATION - 1]:
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            conn.execute(
                "INSERT INTO daily_digests (chat_id, hour, last_day)"
                " VALUES (5, 12, '2023-01-29'), (6, 8, '2023-01-30')"
            )
    pool = open_pool(postgres_state)  # what every qabot process does when it starts
    state = PostgresFollowState(pool)
    try:
        assert schema_state(pool).current == MIGRATIONS[-1].version
        assert state.digest_schedule(5) == utc(12) and state.digest_schedule(6) == utc(8)
        assert state.claim_digests(NOON) == [DueDigest(5, DAY)]
    finally:
        state.close()
        pool.close()
