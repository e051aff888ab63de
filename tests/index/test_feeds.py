"""Feeds over real HTTP: RSS and Atom read, synced incrementally (conditional GET, new and
changed items only), deduplicated across feeds, failures retried with backoff and reported,
hostile feeds ended in bounded time with nothing already indexed lost.

The tests of syncing run on both feed registries: feeds.sqlite in the index folder, and
the workers' shared one in PostgreSQL with the documents there too (skipped without a test
server, tests/support/postgres_fixtures.py)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from index import EngineSettings
from index.api import Scope
from index.news.feed_parsing import parse_feed
from index.news.opml import opml_feed_urls
from tests.support.news_server import NewsServer, Route, article_page, atom, news_server, rss
from tests.support.news_support import STORIES, NewsDesk, news_desk, serve_feed, serve_story

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> ConnectionPool | None:
    """Where the documents and the feed registry are: None for the index folder."""
    return request.getfixturevalue("pool") if request.param == "postgres" else None


@pytest.fixture
def desk(
    base_settings: EngineSettings, tmp_path: Path, database: ConnectionPool | None
) -> Iterator[NewsDesk]:
    with news_desk(base_settings, tmp_path / "index", database) as opened:
        yield opened


def test_an_rss_feed_is_synced_incrementally(desk: NewsDesk, server: NewsServer) -> None:
    items = [serve_story(server, "/news/volcano"), serve_story(server, "/news/bees")]
    url = serve_feed(server, "/feed.xml", items, "The Test Times")
    feed = desk.news.add_feed(url)
    assert feed.title == "The Test Times"

    [first] = desk.news.sync(due_only=False)
    assert sorted(d.title for d in first.new) == [
        "Honeybees return to London parks",
        "Volcano erupts near Reykjavik",
    ]
    answer = desk.engine.answer("Which volcano erupted near Reykjavik?")
    assert answer.confident and "Fagradalsfjall" in answer.text
    assert answer.passages[0].date == "2023-01-29"
    assert answer.passages[0].url == server.url("/news/volcano")

    # Unchanged feed: a conditional GET answered 304, with no body, and no page fetched.
    pages_before = len(server.requests_to("/news/volcano"))
    [second] = desk.news.sync(due_only=False)
    last = server.requests_to("/feed.xml")[-1]
    assert last.headers.get("if-none-match") and last.status == 304 and last.body_bytes == 0
    assert second.not_modified and not second.new
    assert len(server.requests_to("/news/volcano")) == pages_before

    # The feed gains an item: just that one is read and added.
    items.insert(0, serve_story(server, "/news/storm"))
    serve_feed(server, "/feed.xml", items, "The Test Times")
    [third] = desk.news.sync(due_only=False)
    assert [d.title for d in third.new] == ["Storm floods Lisbon streets"]
    assert third.unchanged == 2
    assert len(server.requests_to("/news/volcano")) == pages_before
    assert len(desk.engine.documents()) == 3


def test_an_atom_feed_with_whole_articles_needs_no_page(desk: NewsDesk, server: NewsServer) -> None:
    text = " ".join(STORIES["/news/storm"][3]) * 4  # longer than feeds.min_item_chars
    entry = {
        "title": "Storm floods Lisbon streets",
        "link": server.url("/not-served"),
        "id": "tag:test,2023:storm",
        "updated": "2023-01-31T08:00:00Z",
        "content": f"<p>{text}</p>",
    }
    server.routes["/atom.xml"] = Route(atom("Atom Times", [entry]), "application/atom+xml")
    desk.news.add_feed(server.url("/atom.xml"))
    [result] = desk.news.sync(due_only=False)
    assert [(d.title, d.date) for d in result.new] == [
        ("Storm floods Lisbon streets", "2023-01-31")
    ]
    assert server.requests_to("/not-served") == []


def test_a_changed_item_replaces_its_document(desk: NewsDesk, server: NewsServer) -> None:
    item = serve_story(server, "/news/bees")
    serve_feed(server, "/feed.xml", [item], "Bees Daily")
    desk.news.add_feed(server.url("/feed.xml"))
    [first] = desk.news.sync(due_only=False)
    title, day, _, paragraphs = STORIES["/news/bees"]
    corrected = [paragraphs[0].replace("a third", "a half"), paragraphs[1]]
    server.routes["/news/bees"] = Route(article_page(title, corrected, date=day))
    serve_feed(server, "/feed.xml", [{**item, "description": "Corrected: a half."}], "Bees Daily")
    [second] = desk.news.sync(due_only=False)
    assert [d.doc_id for d in second.updated] == [first.new[0].doc_id] and not second.new
    assert "a half" in desk.engine.answer("How much did the honeybee colonies grow?").text


def test_one_story_in_two_feeds_is_stored_once(desk: NewsDesk, server: NewsServer) -> None:
    story = serve_story(server, "/news/volcano")
    serve_feed(server, "/a.xml", [story], "Agency A")
    # Another feed links the same page through another address (a tracking parameter).
    server.routes["/news/volcano?from=b"] = server.routes["/news/volcano"]
    other = {**story, "guid": "b-1", "link": server.url("/news/volcano?from=b")}
    serve_feed(server, "/b.xml", [other], "Paper B")
    desk.news.add_feed(server.url("/a.xml"))
    desk.news.add_feed(server.url("/b.xml"))
    results = desk.news.sync(due_only=False)
    assert [len(r.new) for r in results] == [1, 0]
    assert results[1].also_reported == 1
    assert len(desk.engine.documents()) == 1
    [latest] = desk.news.latest()
    assert latest.also_reported_by == ["Paper B"]
    answer = desk.engine.answer("Which volcano erupted near Reykjavik?")
    assert len({p.doc_id for p in answer.passages}) == 1


def test_duplicate_guids_keep_the_first_item(desk: NewsDesk, server: NewsServer) -> None:
    first = serve_story(server, "/news/volcano")
    second = {**serve_story(server, "/news/bees"), "guid": first["guid"]}
    serve_feed(server, "/feed.xml", [first, second], "Careless Feed")
    desk.news.add_feed(server.url("/feed.xml"))
    [result] = desk.news.sync(due_only=False)
    assert [d.title for d in result.new] == ["Volcano erupts near Reykjavik"]
    assert any("repeat an earlier GUID" in note for note in result.skipped)


FAILURES = {
    "/404.xml": (Route(b"gone", status=404), "HTTP 404"),
    "/500.xml": (Route(b"oops", status=500), "HTTP 500"),
    "/html.xml": (Route(b"<html><body><p>Just a page</p></body></html>"), "not an RSS or Atom"),
    "/broken.xml": (Route(b"<<<\x00 not xml at all", content_type="text/xml"), "not an RSS"),
    "/laughs.xml": (
        Route(
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">'
            + b"".join(
                f'<!ENTITY {c} "{("&" + p + ";") * 10}">'.encode()
                for p, c in zip("bcdefgh", "cdefghi", strict=True)
            )
            + b']><rss version="2.0"><channel><title>&i;</title></channel></rss>',
            content_type="application/rss+xml",
        ),
        "entity expansion",
    ),
}


def test_failing_feeds_are_reported_retried_later_and_stop_no_other(
    desk: NewsDesk, server: NewsServer
) -> None:
    good = serve_feed(server, "/good.xml", [serve_story(server, "/news/storm")], "Good Feed")
    for path, (route, _) in FAILURES.items():
        server.routes[path] = Route(rss("Was fine", []), content_type="application/rss+xml")
        desk.news.add_feed(server.url(path))
        server.routes[path] = route
    desk.news.add_feed(good)
    results = {r.feed.url: r for r in desk.news.sync(due_only=False)}
    assert [d.title for d in results[good].new] == ["Storm floods Lisbon streets"]
    for path, (_, reason) in FAILURES.items():
        result = results[server.url(path)]
        assert result.failed and reason in (result.error or ""), (path, result.error)
    feeds = {feed.url: feed for feed in desk.news.feeds()}
    broken = feeds[server.url("/500.xml")]
    assert broken.failures == 1 and "HTTP 500" in (broken.last_error or "")
    assert broken.next_attempt is not None  # retried later, not on the next due sync
    assert [r.feed.url for r in desk.news.sync(due_only=True)] == []
    # The failures cost nothing already indexed.
    assert [d.title for d in desk.engine.documents()] == ["Storm floods Lisbon streets"]


def test_a_feed_that_recovers_clears_its_error(desk: NewsDesk, server: NewsServer) -> None:
    url = serve_feed(server, "/feed.xml", [serve_story(server, "/news/bees")], "Flaky")
    desk.news.add_feed(url)
    server.routes["/feed.xml"] = Route(b"down", status=503)
    [failed] = desk.news.sync(due_only=False)
    assert failed.failed
    serve_feed(server, "/feed.xml", [serve_story(server, "/news/bees")], "Flaky")
    [recovered] = desk.news.sync(due_only=False)
    assert recovered.error is None and len(recovered.new) == 1
    [feed] = desk.news.feeds()
    assert feed.failures == 0 and feed.last_error is None and feed.articles == 1


def test_a_feed_of_100000_items_is_read_in_bounded_time(
    base_settings: EngineSettings,
    tmp_path: Path,
    server: NewsServer,
    database: ConnectionPool | None,
) -> None:
    items = "".join(
        f"<item><title>Item {n}</title><guid>g{n}</guid>"
        f"<description>Short note number {n} about the harbour.</description></item>"
        for n in range(100_000)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>{items}'
    server.routes["/huge.xml"] = Route(
        (body + "</channel></rss>").encode(), content_type="application/rss+xml"
    )
    with news_desk(
        base_settings,
        tmp_path / "index",
        database,
        feeds={"max_items": 50, "min_item_chars": 0},
        fetch={"max_bytes": 50_000_000},
    ) as huge:
        huge.news.add_feed(server.url("/huge.xml"))
        started = time.monotonic()
        [result] = huge.news.sync(due_only=False)
        assert time.monotonic() - started < 30
    assert len(result.new) == 50
    assert any("only the first 50 items" in note for note in result.skipped)


def test_old_feed_articles_are_forgotten_after_keep_days(
    base_settings: EngineSettings,
    tmp_path: Path,
    server: NewsServer,
    database: ConnectionPool | None,
) -> None:
    story = serve_story(server, "/news/volcano")  # 2023: long past any keep_days
    serve_feed(server, "/feed.xml", [story], "Old News")
    with news_desk(base_settings, tmp_path / "kept", database) as forever:
        forever.news.add_feed(server.url("/feed.xml"))
        forever.news.sync(due_only=False)
        assert len(forever.engine.documents()) == 1
    with news_desk(base_settings, tmp_path / "kept", database, feeds={"keep_days": 30}) as pruned:
        pruned.news.sync(due_only=False)
        assert pruned.engine.documents() == []
        serve_feed(server, "/feed.xml", [story], "Old News v2")  # listed again: not re-read
        pruned.news.sync(due_only=False)
        assert pruned.engine.documents() == []


def test_parse_feed_reads_rss_1_and_atom_dates() -> None:
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://x/"><title>RDF Times</title><link>http://x/</link>
<description>d</description></channel>
<item rdf:about="http://x/1"><title>One</title><link>http://x/1</link>
<description>First story text.</description><dc:date>2023-01-30T10:00:00Z</dc:date></item>
</rdf:RDF>"""
    parsed = parse_feed(rdf, "rdf", 10)
    assert parsed.title == "RDF Times"
    assert [(i.title, i.date, i.link) for i in parsed.items] == [
        ("One", "2023-01-30", "http://x/1")
    ]


def test_opml_lists_feed_addresses_once() -> None:
    opml = b"""<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
<outline text="News"><outline text="A" type="rss" xmlUrl="http://a.example/rss"/>
<outline text="B" type="rss" xmlUrl="http://b.example/atom"/></outline>
<outline text="A again" xmlUrl="http://a.example/rss"/></body></opml>"""
    assert opml_feed_urls(opml, "mine.opml") == ["http://a.example/rss", "http://b.example/atom"]


def test_questions_read_their_chat_and_dates(desk: NewsDesk, server: NewsServer) -> None:
    items = [serve_story(server, path) for path in STORIES]
    desk.news.add_feed(serve_feed(server, "/feed.xml", items, "The Test Times"))
    desk.news.sync(due_only=False)
    server.routes["/club"] = Route(
        article_page(
            "Chess club opens in Porto",
            ["A chess club opened in Porto's old town, offering free lessons to children."],
            date="2023-01-20",
        )
    )
    club = desk.news.add_url(server.url("/club"), "chat:5").document
    assert club.collection == "chat:5" and club.date == "2023-01-20"
    today = dt.date(2023, 2, 1)  # a Wednesday
    yesterday = desk.engine.answer("storm flooded streets yesterday", scope=Scope(today=today))
    assert yesterday.confident and yesterday.passages[0].date == "2023-01-31"
    # "in January 2023" with no article from 1990: the words are the topic, not the day.
    none_then = desk.engine.answer("what erupted in January 1990", scope=Scope(today=today))
    assert {p.date for p in none_then.passages} <= {"2023-01-29", "2023-01-30", "2023-01-31"}
    since = desk.engine.answer("honeybee colonies since Tuesday", scope=Scope(today=today))
    assert all(p.date == "2023-01-31" for p in since.passages)
    # another chat never sees chat 5's link; chat 5 does
    question = "Where did a chess club open?"
    other = desk.engine.answer(question, scope=Scope(collections=("shared", "chat:6")))
    assert not other.confident and club.doc_id not in {p.doc_id for p in other.passages}
    assert "Chess club opens in Porto" not in other.topics
    own = desk.engine.answer(question, scope=Scope(collections=("shared", "chat:5")))
    assert own.confident and own.passages[0].doc_id == club.doc_id
