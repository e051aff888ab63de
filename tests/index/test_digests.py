"""Digests over real HTTP: "What happened yesterday?" lists yesterday's stories (title,
source, date, lead, link), one per story, and says plainly when a period has none; other
questions with time words are left to the answer pipeline.

Run on both feed registries (feeds.sqlite; PostgreSQL with the documents there too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from index import EngineSettings
from index.api import Scope
from tests.support.news_server import NewsServer, Route, article_page, news_server
from tests.support.news_support import STORIES, NewsDesk, news_desk, serve_feed, serve_story

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")

WEDNESDAY = Scope(today=dt.date(2023, 2, 1))  # the day after the storm


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def desk(
    request: pytest.FixtureRequest,
    base_settings: EngineSettings,
    tmp_path: Path,
    server: NewsServer,
) -> Iterator[NewsDesk]:
    pool: ConnectionPool | None = (
        request.getfixturevalue("pool") if request.param == "postgres" else None
    )
    with news_desk(base_settings, tmp_path / "index", pool) as opened:
        items = [serve_story(server, path) for path in STORIES]
        opened.news.add_feed(serve_feed(server, "/feed.xml", items, "The Test Times"))
        opened.news.sync(due_only=False)
        yield opened


def test_yesterday_lists_yesterdays_story(desk: NewsDesk, server: NewsServer) -> None:
    digest = desk.news.digest_for("What happened yesterday?", WEDNESDAY)
    assert digest is not None
    assert (digest.start, digest.end) == (dt.date(2023, 1, 31), dt.date(2023, 1, 31))
    [storm] = digest.items
    assert storm.document.title == "Storm floods Lisbon streets"
    assert storm.document.url == server.url("/news/storm")
    assert storm.source == "The Test Times" and storm.document.date == "2023-01-31"
    assert storm.lead.startswith("A winter storm flooded streets in central Lisbon")


def test_a_range_lists_its_stories_newest_first(desk: NewsDesk) -> None:
    for question in ("What happened in the past 3 days?", "news from this week", "Any news?"):
        digest = desk.news.digest_for(question, WEDNESDAY)
        assert digest is not None, question
        titles = [item.document.title for item in digest.items]
        expected = ["Storm floods Lisbon streets", "Honeybees return to London parks"]
        if "this week" not in question:  # this week began on Monday 30 January
            expected.append("Volcano erupts near Reykjavik")
        assert titles == expected, question


def test_a_period_without_articles_says_so_and_names_the_newest(desk: NewsDesk) -> None:
    digest = desk.news.digest_for("what happened today", WEDNESDAY)
    assert digest is not None and digest.items == []
    assert [item.document.date for item in digest.newest_before] == [
        "2023-01-31",
        "2023-01-30",
        "2023-01-29",
    ]


def test_other_questions_are_for_the_answer_pipeline(desk: NewsDesk) -> None:
    for question in (
        "What happened to the volcano yesterday?",
        "storm flooded streets yesterday",
        "Which volcano erupted near Reykjavik?",
    ):
        assert desk.news.digest_for(question, WEDNESDAY) is None, question


def test_one_story_from_two_sites_is_one_item(desk: NewsDesk, server: NewsServer) -> None:
    server.routes["/b/storm"] = Route(
        article_page(
            "Storm floods Lisbon streets, metro closed",
            [
                "Two metro stations in Lisbon were shut on Tuesday as floodwater filled the "
                "streets of the Baixa after a night of heavy rain.",
                "Firefighters pumped water out of dozens of shops, the civil protection said.",
            ],
            date="2023-01-31",
        )
    )
    item = {
        "title": "Storm floods Lisbon streets, metro closed",
        "link": server.url("/b/storm"),
        "guid": "b-storm",
        "date": "Tue, 31 Jan 2023 10:00:00 GMT",
    }
    desk.news.add_feed(serve_feed(server, "/b.xml", [item], "Paper B"))
    desk.news.sync(due_only=False)
    assert len(desk.engine.documents()) == 4  # two articles, one story
    digest = desk.news.digest_for("What happened yesterday?", WEDNESDAY)
    assert digest is not None
    [story] = digest.items
    assert story.source == "Paper B" and story.also_reported_by == ["The Test Times"]


def test_a_chats_links_are_in_its_digest_only(desk: NewsDesk, server: NewsServer) -> None:
    server.routes["/club"] = Route(
        article_page(
            "Chess club opens in Porto",
            ["A chess club opened in Porto's old town, offering free lessons to children."],
            date="2023-01-31",
        )
    )
    desk.news.add_url(server.url("/club"), "chat:5")
    scope = Scope(collections=("shared", "chat:5"), today=dt.date(2023, 2, 1))
    mine = desk.news.digest_for("What happened yesterday?", scope)
    other = Scope(collections=("shared", "chat:6"), today=dt.date(2023, 2, 1))
    theirs = desk.news.digest_for("What happened yesterday?", other)
    assert mine is not None and theirs is not None
    assert [i.source for i in mine.items] == ["127.0.0.1", "The Test Times"]
    assert [i.document.title for i in theirs.items] == ["Storm floods Lisbon streets"]
