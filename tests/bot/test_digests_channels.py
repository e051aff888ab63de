"""Digests and channels end to end: the real Application against the Bot API emulator,
feeds and pages served over real HTTP by the local news server.

"What happened yesterday?" and /today list the period's stories, and say so plainly when
there are none; /digest HOUR [ZONE] has them sent daily at that hour in the chat's zone
(the JobQueue job); a channel's admins /subscribe it to a feed and its new items are
posted there, once each across feeds, at most N an hour with the rest folded into one
message, and stay answerable. Stories are
dated relative to the real today, as the bot reads message dates; the shipped article
(2023) is there too, as a fresh index has it.

Every test runs with one process's state (SQLite) and with the workers' shared one in
PostgreSQL (skipped without a test server)."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.services import NewsOptions
from bot.settings import ChannelsConfig
from qabot.config import Config
from tests.support.bot_harness import ADMIN_ID, StartBot, until, visible
from tests.support.news_server import NewsServer, Route, article_page, news_server, rss
from tests.support.news_support import Desk, shipped_article_desk

pytest_plugins = ("tests.support.bot_fixtures", "tests.support.postgres_fixtures")

ANN = {"chat_id": 601, "user_id": 601}
GROUP = -100_777
CHANNEL = -1_001_234_567_890
SYNC_MINUTES = 0.02  # the JobQueue syncs every 1.2 s
TODAY = dt.datetime.now(dt.UTC).date()

# path -> (title, days ago, paragraphs)
NEWS: dict[str, tuple[str, int, list[str]]] = {
    "/news/ferry": (
        "Night ferry to Aero starts in March",
        0,
        [
            "A night ferry to the island of Aero will sail from March, the harbour office "
            "said, after islanders asked for a late crossing for years.",
            "The ferry leaves Svendborg at 23:00 and arrives at midnight.",
        ],
    ),
    "/news/bridge": (
        "Old bridge in Porto closes for repairs",
        1,
        [
            "The Luis I bridge in Porto closed to cars on Tuesday for six weeks of repairs "
            "to its upper deck, the city said.",
            "Trams and people on foot may still cross it.",
        ],
    ),
    "/news/owls": (
        "Snowy owls seen in Scotland",
        3,
        [
            "Two snowy owls were seen on the Cairngorm plateau, the first in Scotland for "
            "five winters, birdwatchers said.",
            "The owls are thought to have flown from Greenland.",
        ],
    ),
    "/news/trains": (
        "Night trains return to Lisbon",
        0,
        [
            "A night train from Madrid to Lisbon will run again from May, the rail company "
            "said, six years after the last one.",
            "Sleeper cars will be added in the summer.",
        ],
    ),
}


def serve(server: NewsServer, path: str) -> dict[str, str]:
    """One story's page, dated as NEWS says; the feed item that links to it."""
    title, days_ago, paragraphs = NEWS[path]
    day = TODAY - dt.timedelta(days=days_ago)
    server.routes[path] = Route(article_page(title, paragraphs, date=day.isoformat()))
    moment = dt.datetime.combine(day, dt.time(6), dt.UTC).timestamp()
    return {
        "title": title,
        "link": server.url(path),
        "guid": f"urn:{path}",
        "date": email.utils.formatdate(moment, usegmt=True),
        "description": paragraphs[0][:80],
    }


def feed(server: NewsServer, path: str, stories: list[str], title: str) -> str:
    server.routes[path] = Route(
        rss(title, [serve(server, story) for story in stories]), "application/rss+xml"
    )
    return server.url(path)


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def desk(request: pytest.FixtureRequest, config: Config, tmp_path: Path) -> Iterator[Desk]:
    """tests/support/news_support.py: shipped_article_desk, on SQLite or in the test database."""
    pool = request.getfixturevalue("pool") if request.param == "postgres" else None
    base = config.engine_settings(tmp_path / "news-index")
    with shipped_article_desk(base, pool, SYNC_MINUTES) as opened:
        yield opened


def news_bot(start_bot: StartBot, desk: Desk, *, per_hour: int = 5, **options: Any) -> Any:
    news = NewsOptions(
        desk=desk.news,
        channels=ChannelsConfig(max_posts_per_hour=per_hour),
        sync_minutes=options.get("sync_minutes"),
        digest_check_seconds=options.get("digest_check_seconds", 60.0),
    )
    return start_bot(engine=desk.engine, news=news, pool=desk.pool, concurrent_updates=1)


async def test_period_questions_and_today_list_the_stories(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    desk.news.add_feed(feed(server, "/feed.xml", list(NEWS), "Island News"))
    desk.news.sync(due_only=False)
    async with news_bot(start_bot, desk) as bot:
        yesterday = visible(await bot.ask("What happened yesterday?", **ANN))
        assert yesterday.startswith("📰 1 story yesterday")
        assert "Old bridge in Porto closes for repairs · Island News" in yesterday
        assert "The Luis I bridge in Porto closed to cars" in yesterday
        assert "Snowy owls" not in yesterday and "ferry" not in yesterday

        days = visible(await bot.ask("What happened in the past 3 days?", **ANN))
        assert days.startswith("📰 4 stories since")
        order = [days.index(NEWS[p][0]) for p in ("/news/bridge", "/news/owls")]
        assert order == sorted(order)  # newest first

        today = visible(await bot.ask("/today", **ANN))
        assert "Night ferry to Aero starts in March" in today and "Night trains" in today
        assert "Old bridge" not in today

        # Nothing from that period: said plainly, with the newest before it.
        week_ago = visible(await bot.ask("What happened last year?", **ANN))
        assert week_ago.startswith("Nothing new from") or week_ago.startswith("Nothing new")
        assert "no article I have was published then" in week_ago
        # Any other question is answered from the articles.
        answer = visible(await bot.ask("When does the night ferry leave Svendborg?", **ANN))
        assert "23:00" in answer


async def test_a_daily_digest_comes_at_the_chosen_hour(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    desk.news.add_feed(feed(server, "/feed.xml", ["/news/ferry", "/news/bridge"], "Island News"))
    desk.news.sync(due_only=False)
    hour = dt.datetime.now(dt.UTC).hour
    async with news_bot(start_bot, desk, digest_check_seconds=0.5) as bot:
        assert "no daily digest" in visible(await bot.ask("/digest", **ANN))
        assert "0-23" in visible(await bot.ask("/digest 25", **ANN))
        scheduled = visible(await bot.ask(f"/digest {hour}", **ANN))
        assert f"Every day at {hour:02d}:00 (UTC)" in scheduled
        digest = visible(await bot.emulator.wait_for_message(ANN["chat_id"], timeout=10))
        assert digest.startswith("📰 2 stories since")
        assert "Night ferry to Aero" in digest and "Old bridge in Porto" in digest
        await bot.assert_silent(ANN["chat_id"])  # once a day, however often the job runs
        assert "No more daily digests" in visible(await bot.ask("/digest off", **ANN))


async def test_a_daily_digest_comes_at_the_hour_of_the_chats_zone(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    """Berlin's hour is never UTC's: the digest comes only if the hour is read as Berlin's.
    An unknown zone is refused and changes nothing; /digest says the zone."""
    desk.news.add_feed(feed(server, "/feed.xml", ["/news/ferry"], "Island News"))
    desk.news.sync(due_only=False)
    async with news_bot(start_bot, desk, digest_check_seconds=0.5) as bot:
        unknown = visible(await bot.ask("/digest 8 Mars/Olympus", **ANN))
        assert "I don't know the time zone “Mars/Olympus”" in unknown
        assert "/digest 8 Europe/Berlin" in unknown and "Nothing was changed" in unknown
        assert "no daily digest" in visible(await bot.ask("/digest", **ANN))

        hour = dt.datetime.now(ZoneInfo("Europe/Berlin")).hour
        scheduled = visible(await bot.ask(f"/digest {hour} Europe/Berlin", **ANN))
        assert f"Every day at {hour:02d}:00 (Europe/Berlin)" in scheduled
        digest = visible(await bot.emulator.wait_for_message(ANN["chat_id"], timeout=10))
        assert digest.startswith("📰") and "Night ferry to Aero" in digest
        await bot.assert_silent(ANN["chat_id"])  # once a day, however often the job runs

        assert "I don't know the time zone" in visible(await bot.ask("/digest 9 Berlin", **ANN))
        status = visible(await bot.ask("/digest", **ANN))
        assert f"Every day at {hour:02d}:00 (Europe/Berlin)" in status  # unchanged
        # Hours two ahead are not due now (later today, or tomorrow if past midnight).
        later = (hour + 2) % 24
        kept = visible(await bot.ask(f"/digest {later}:00", **ANN))
        assert f"Every day at {later:02d}:00 (Europe/Berlin)" in kept  # no zone: the chat's
        west = (dt.datetime.now(ZoneInfo("America/New_York")).hour + 2) % 24
        spelled = visible(await bot.ask(f"/digest {west} america/new_york", **ANN))
        assert f"Every day at {west:02d}:00 (America/New_York)" in spelled
        await bot.assert_silent(ANN["chat_id"])


async def test_today_is_the_day_in_the_chats_zone(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    """A chat that set its digest's zone asks /today of its own day: a zone where it is
    already tomorrow (UTC+14) or still yesterday (UTC-11), whichever differs from UTC's date
    now, gets another day's stories than UTC's today (the ferry, dated today)."""
    desk.news.add_feed(feed(server, "/feed.xml", ["/news/ferry", "/news/bridge"], "Island News"))
    desk.news.sync(due_only=False)
    ahead = dt.datetime.now(dt.UTC).hour >= 10  # then it is tomorrow in Kiritimati
    zone = "Pacific/Kiritimati" if ahead else "Pacific/Pago_Pago"
    later = (dt.datetime.now(ZoneInfo(zone)).hour + 2) % 24  # not due during the test
    async with news_bot(start_bot, desk) as bot:
        assert "Night ferry to Aero" in visible(await bot.ask("/today", **ANN))  # UTC's day
        assert zone in visible(await bot.ask(f"/digest {later} {zone}", **ANN))
        today = visible(await bot.ask("/today", **ANN))
        if ahead:
            assert today.startswith("Nothing new today")
        else:
            assert today.startswith("📰 1 story") and "Old bridge in Porto" in today
            assert "Night ferry to Aero" not in today


async def test_a_channel_gets_each_new_item_once_within_its_hourly_posts(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    first = feed(server, "/a.xml", ["/news/ferry"], "Island News")
    async with news_bot(start_bot, desk, per_hour=1, sync_minutes=SYNC_MINUTES) as bot:
        bot.emulator.channel_posts_text(f"/subscribe {first}", chat_id=CHANNEL)
        subscribed = visible(await bot.emulator.wait_for_message(CHANNEL))
        assert subscribed.startswith("Subscribed to Island News")
        assert "at most 1 an hour" in subscribed
        post = await bot.emulator.wait_for_message(CHANNEL, timeout=20)
        text = visible(post)
        assert text.startswith("Night ferry to Aero starts in March")
        assert f"{TODAY.day} {TODAY:%b %Y} · Island News" in text
        assert "A night ferry to the island of Aero will sail from March" in text
        links = [e["url"] for e in post.get("entities", []) if e.get("type") == "text_link"]
        assert links == [server.url("/news/ferry")]

        # Three more items, the hour's one post made: the two new ones in one message; the
        # owls, three days old, older than the subscription, are not news here.
        feed(
            server,
            "/a.xml",
            ["/news/ferry", "/news/bridge", "/news/trains", "/news/owls"],
            "Island News",
        )
        folded = visible(await bot.emulator.wait_for_message(CHANNEL, timeout=20))
        assert folded.startswith("➕ 2 more new articles this hour:")
        assert NEWS["/news/trains"][0] in folded and NEWS["/news/bridge"][0] in folded
        assert "Snowy owls" not in folded

        # Another feed carrying stories already posted here: nothing is posted again.
        second = feed(server, "/b.xml", ["/news/ferry", "/news/trains"], "Paper B")
        bot.emulator.channel_posts_text(f"/subscribe {second}", chat_id=CHANNEL)
        assert visible(await bot.emulator.wait_for_message(CHANNEL)).startswith("Subscribed")
        await until(lambda: bool(server.requests_to("/b.xml")[1:]), "the second feed synced")
        syncs = len(server.requests_to("/b.xml"))
        await until(lambda: len(server.requests_to("/b.xml")) >= syncs + 1, "one more sync")
        assert bot.emulator.unconsumed_messages(CHANNEL) == []

        # What was posted is answerable afterwards.
        answer = visible(await bot.ask("When does the Luis I bridge reopen to cars?", **ANN))
        assert "six weeks" in answer


async def test_only_a_groups_admins_subscribe_it_and_keywords_filter(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    url = feed(server, "/a.xml", ["/news/ferry", "/news/trains"], "Island News")
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    async with news_bot(start_bot, desk, sync_minutes=SYNC_MINUTES) as bot:
        bot.emulator.chat_has_admins(GROUP, 700)
        refused = visible(await bot.ask(f"/subscribe {url}", user_id=701, **group))
        assert "only this chat's admins" in refused
        assert server.requests_to("/a.xml") == []
        done = visible(await bot.ask(f"/subscribe {url} trains", user_id=700, **group))
        assert "naming trains" in done
        post = visible(await bot.emulator.wait_for_message(GROUP, timeout=20))
        assert post.startswith("Night trains return to Lisbon")
        listed = visible(await bot.ask("/subscriptions", user_id=701, **group))
        assert f"1. {url} (naming trains)" in listed
        syncs = len(server.requests_to("/a.xml"))
        await until(lambda: len(server.requests_to("/a.xml")) >= syncs + 2, "two more syncs")
        assert bot.emulator.unconsumed_messages(GROUP) == []  # the ferry names no train
        assert "only this chat's admins" in visible(
            await bot.ask("/unsubscribe 1", user_id=701, **group)
        )
        gone = visible(await bot.ask("/unsubscribe all", user_id=ADMIN_ID, **group))
        assert gone == f"Unsubscribed: {url}"
