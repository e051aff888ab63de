"""End to end: the real Application against the Bot API emulator, reading links and feeds
served over real HTTP by a local server. A link sent in a chat is read into that chat
only; followers get one alert per new matching article; feeds are synced by the JobQueue
and their failures shown to admins.

The engine is a real one over the shipped article with the fake embedder (these tests are
about the bot's news features, not the model), so they run in the fast tier. Every test
runs twice: with one process's state (SQLite files in the index folder and beside the
answer log) and with what several workers share in PostgreSQL (the documents, the feed
registry, follows, alerts and link counts; skipped without a test server).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import NewsOptions
from bot.settings import AlertsConfig, LinksConfig
from qabot.config import Config
from tests.support.bot_harness import ADMIN_ID, StartBot, until, visible
from tests.support.news_server import NewsServer, Route, news_server
from tests.support.news_support import STORIES, Desk, serve_feed, serve_story, shipped_article_desk

pytest_plugins = ("tests.support.bot_fixtures", "tests.support.postgres_fixtures")

ANN = {"chat_id": 501, "user_id": 501}
BOB = {"chat_id": 502, "user_id": 502}
ADMIN = {"chat_id": ADMIN_ID, "user_id": ADMIN_ID}
VOLCANO_QUESTION = "Which volcano erupted near Reykjavik?"
SYNC_MINUTES = 0.02  # the JobQueue syncs every 1.2 s in the tests that sync


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


def news_bot(
    start_bot: StartBot,
    desk: Desk,
    *,
    sync_minutes: float | None = None,
    **limits: Any,
) -> Any:
    options = NewsOptions(
        desk=desk.news,
        links=LinksConfig(**limits.get("links", {})),
        alerts=AlertsConfig(**limits.get("alerts", {})),
        sync_minutes=sync_minutes,
    )
    return start_bot(engine=desk.engine, news=options, pool=desk.pool, concurrent_updates=1)


async def test_a_link_is_read_for_its_chat_alone(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    serve_story(server, "/news/volcano")
    async with news_bot(start_bot, desk) as bot:
        read = visible(await bot.ask(server.url("/news/volcano"), **ANN))
        assert read == "Read: Volcano erupts near Reykjavik (29 Jan 2023). Ask me about it!"
        answer = visible(await bot.ask(VOLCANO_QUESTION, **ANN))
        assert "Fagradalsfjall" in answer
        assert "Volcano erupts near Reykjavik · 29 Jan 2023" in answer
        elsewhere = visible(await bot.ask(VOLCANO_QUESTION, **BOB))
        assert "Fagradalsfjall" not in elsewhere and "Volcano" not in elsewhere
        sources = visible(await bot.ask("/sources", **BOB))
        assert "Volcano" not in sources
        assert "Volcano" in visible(await bot.ask("/sources", **ANN))


async def test_a_link_that_cannot_be_read_says_why(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    server.routes["/photo"] = Route(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    async with news_bot(start_bot, desk) as bot:
        refused = visible(await bot.ask(server.url("/photo"), **ANN))
        assert refused.startswith("I couldn't read that link:") and "is an image" in refused
        missing = visible(await bot.ask(server.url("/nowhere"), **ANN))
        assert "HTTP 404" in missing


async def test_links_per_day_and_the_oldest_link_dropped(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    for path in STORIES:
        serve_story(server, path)
    limits = {"links": {"per_chat_per_day": 3, "max_per_chat": 2}}
    async with news_bot(start_bot, desk, **limits) as bot:
        for path in ("/news/volcano", "/news/bees"):
            assert visible(await bot.ask(server.url(path), **ANN)).startswith("Read:")
        assert visible(await bot.ask(server.url("/news/storm"), **ANN)).startswith("Read:")
        dropped = visible(await bot.emulator.wait_for_message(ANN["chat_id"]))
        assert "forgot the oldest" in dropped and "Volcano erupts near Reykjavik" in dropped
        refused = visible(await bot.ask(server.url("/news/volcano"), **ANN))
        assert "3 links today" in refused


async def test_admins_add_links_for_every_chat_and_others_cannot(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    serve_story(server, "/news/bees")
    async with news_bot(start_bot, desk) as bot:
        denied = visible(await bot.ask(f"/add {server.url('/news/bees')}", **ANN))
        assert "only the bot's admins" in denied
        assert server.requests_to("/news/bees") == []
        added = visible(await bot.ask(f"/add {server.url('/news/bees')}", **ADMIN))
        assert added.startswith("Read: Honeybees return to London parks")
        answer = visible(await bot.ask("How much did honeybee colonies in London grow?", **BOB))
        assert "a third" in answer
        latest = visible(await bot.ask("/latest", **BOB))
        assert "Honeybees return to London parks · 30 Jan 2023" in latest


async def test_followers_get_one_alert_per_new_matching_article(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    items = [serve_story(server, "/news/bees")]
    feed = serve_feed(server, "/feed.xml", items, "The Test Times")
    async with news_bot(start_bot, desk, sync_minutes=SYNC_MINUTES) as bot:
        followed = visible(await bot.ask("/follow volcano eruption near Reykjavik", **ANN))
        assert "Following volcano eruption near Reykjavik" in followed
        visible(await bot.ask("/follow honeybee colonies in London", **BOB))
        assert "Following the feed" in visible(await bot.ask(f"/follow_feed {feed}", **ADMIN))

        bees = visible(await bot.emulator.wait_for_message(BOB["chat_id"], timeout=20))
        assert "🔔" in bees and "Honeybees return to London parks · 30 Jan 2023" in bees
        assert "a third" in bees  # the matching sentence, quoted

        items.insert(0, serve_story(server, "/news/volcano"))
        serve_feed(server, "/feed.xml", items, "The Test Times")
        alert = await bot.emulator.wait_for_message(ANN["chat_id"], timeout=20)
        text = visible(alert)
        assert "Volcano erupts near Reykjavik · 29 Jan 2023" in text and "Fagradalsfjall" in text
        links = [e for e in alert.get("entities", []) if e.get("type") == "text_link"]
        assert [e["url"] for e in links] == [server.url("/news/volcano")]

        # More syncs (the feed unchanged, then changed again): no second alert for either.
        syncs = len(server.requests_to("/feed.xml"))
        await until(lambda: len(server.requests_to("/feed.xml")) >= syncs + 2, "two more syncs")
        items.append(serve_story(server, "/news/storm"))
        serve_feed(server, "/feed.xml", items, "The Test Times")
        await until(lambda: len(desk.engine.documents()) == 4, "the storm article")
        syncs = len(server.requests_to("/feed.xml"))
        await until(lambda: len(server.requests_to("/feed.xml")) >= syncs + 1, "one more sync")
        await bot.assert_silent(ANN["chat_id"])
        await bot.assert_silent(BOB["chat_id"])


async def test_a_follower_who_blocked_the_bot_is_muted(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    async with news_bot(start_bot, desk) as bot:
        visible(await bot.ask("/follow honeybee colonies in London", **ANN))
        bot.emulator.user_blocks_bot(ANN["chat_id"])
        serve_story(server, "/news/bees")
        visible(await bot.ask(f"/add {server.url('/news/bees')}", **ADMIN))
        await until(
            lambda: bot.rows("SELECT chat_id FROM muted_chats") == [(ANN["chat_id"],)],
            "the blocked chat muted",
        )
        attempts = [c for c in bot.emulator.calls if c.method == "sendMessage" and c.status == 403]
        serve_story(server, "/news/volcano")
        visible(await bot.ask(f"/add {server.url('/news/volcano')}", **ADMIN))
        later = [c for c in bot.emulator.calls if c.method == "sendMessage" and c.status == 403]
        assert len(later) == len(attempts)  # nothing more was sent to the muted chat


async def test_feeds_show_their_last_error_to_admins(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    feed = serve_feed(server, "/feed.xml", [serve_story(server, "/news/storm")], "Storm Watch")
    async with news_bot(start_bot, desk, sync_minutes=SYNC_MINUTES) as bot:
        assert "only the bot's admins" in visible(await bot.ask("/feeds", **ANN))
        visible(await bot.ask(f"/follow_feed {feed}", **ADMIN))
        await until(lambda: len(desk.engine.documents()) == 2, "the first sync")
        server.routes["/feed.xml"] = Route(b"down for maintenance", status=500)
        await until(lambda: any(f.failures for f in desk.news.feeds()), "a failed sync")
        listed = visible(await bot.ask("/feeds", **ADMIN))
        assert "Storm Watch" in listed and "1 article ·" in listed
        assert "failed 1× in a row" in listed and "HTTP 500" in listed
        gone = visible(await bot.ask(f"/unfollow_feed {feed}", **ADMIN))
        assert "Stopped following Storm Watch" in gone
        assert "don't follow any feeds" in visible(await bot.ask("/feeds", **ADMIN))


async def test_following_lists_and_unfollows(start_bot: StartBot, desk: Desk) -> None:
    async with news_bot(start_bot, desk) as bot:
        assert "don't follow anything" in visible(await bot.ask("/following", **ANN))
        visible(await bot.ask("/follow the Rust shooting trial", **ANN))
        visible(await bot.ask("/follow Alec Baldwin", **ANN))
        listed = visible(await bot.ask("/following", **ANN))
        assert "1. the Rust shooting trial" in listed and "2. Alec Baldwin" in listed
        assert "Stopped following: the Rust shooting trial" in visible(
            await bot.ask("/unfollow 1", **ANN)
        )
        assert "don't follow that" in visible(await bot.ask("/unfollow nothing like it", **ANN))
        assert "Alec Baldwin" in visible(await bot.ask("/following", **ANN))


async def test_questions_are_answered_while_a_slow_feed_syncs(
    start_bot: StartBot, desk: Desk, server: NewsServer
) -> None:
    slow = serve_story(server, "/news/storm")
    server.routes["/news/storm"] = Route(b"<html>" + b" " * 60, drip_seconds=0.1)  # ~6 s
    feed = serve_feed(server, "/feed.xml", [slow], "Slow Times")
    async with news_bot(start_bot, desk, sync_minutes=SYNC_MINUTES) as bot:
        visible(await bot.ask(f"/follow_feed {feed}", **ADMIN))
        await until(lambda: bool(server.requests_to("/news/storm")), "the slow page requested")
        started = time.monotonic()
        answer = visible(await bot.ask("Where did Mickey Rourke first post his opinion?", **ANN))
        assert "Instagram" in answer
        assert time.monotonic() - started < 3  # not after the page (6 s of dripping)
        assert server.requests_to("/news/storm")[-1].body_bytes < 60  # still dripping
