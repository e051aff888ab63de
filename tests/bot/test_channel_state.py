"""Channel subscriptions, posts and daily digests (`bot.state.protocols.Channels`,
`DailyDigests`), on both implementations: SQLite (bot/state/sqlite_channels.py) and
PostgreSQL (bot/state/postgres_channels.py; skipped without a test server). Each test
opens the state as several workers would; claims made through all at once are decided as
if one after the other."""

from __future__ import annotations

import datetime as dt

from bot.state.protocols import FollowState, PostClaim
from tests.bot.test_news_state import OpenState, open_state, race

pytest_plugins = ("tests.support.postgres_fixtures",)
__all__ = ["open_state"]  # the fixture, shared with test_news_state

DAY = dt.date(2023, 1, 30)
NOON = dt.datetime(2023, 1, 30, 12, 30, tzinfo=dt.UTC)
T0 = 1_675_080_000.0  # a Unix time


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


def test_a_daily_digest_is_claimed_once_a_day_from_its_hour(open_state: OpenState) -> None:
    one, two = open_state(), open_state()
    one.schedule_digest(5, 12, NOON)  # the hour now: due at once
    one.schedule_digest(6, 8, NOON)  # passed: tomorrow
    one.schedule_digest(7, 18, NOON)  # later today
    assert two.digest_hour(5) == 12 and two.digest_hour(9) is None
    assert two.claim_digests(NOON) == [5]
    assert one.claim_digests(NOON) == []
    assert one.claim_digests(NOON.replace(hour=18)) == [7]
    tomorrow = NOON + dt.timedelta(days=1)
    assert two.claim_digests(tomorrow) == [5, 6]
    assert one.cancel_digest(5) and not one.cancel_digest(5)
    two.mute(6)
    later = tomorrow + dt.timedelta(days=1)
    assert one.claim_digests(later) == []  # 7's hour has not come; 6 muted, 5 cancelled
    assert one.claim_digests(later.replace(hour=18)) == [7]


def test_workers_posting_at_once_post_once_within_the_hour(open_state: OpenState) -> None:
    workers = [open_state() for _ in range(4)]

    def claim(state: FollowState, round_: int, _: int) -> bool:
        return state.claim_post(-100, f"doc{round_}", T0 + round_, 3) is PostClaim.POST

    outcomes = race(workers, 6, claim)
    assert [won.count(True) for won in outcomes] == [1, 1, 1, 0, 0, 0], outcomes


def test_workers_claiming_digests_at_once_send_each_once(open_state: OpenState) -> None:
    workers = [open_state() for _ in range(4)]
    for chat in range(10):
        workers[0].schedule_digest(chat, 12, NOON)

    claimed: list[list[int]] = [[] for _ in range(3)]

    def claim(state: FollowState, round_: int, _: int) -> bool:
        chats = state.claim_digests(NOON + dt.timedelta(days=round_))
        claimed[round_].extend(chats)
        return bool(chats)

    race(workers, 3, claim)
    assert [sorted(chats) for chats in claimed] == [list(range(10))] * 3  # each chat once
