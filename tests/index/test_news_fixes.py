"""What a news reader ran into (issue 25), each over real HTTP from the local news server:
empty and malformed feeds, 304 accounting, one line per failure, a feed re-dating a page
added by hand, moved feeds, titles, bylines and charsets of real-world pages, removing by
address, "already indexed", one wording for one refusal, feed discovery and OPML export.

The syncing tests run on both feed registries (feeds.sqlite, and PostgreSQL with the
documents there too; skipped without a test server)."""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import trafilatura
from psycopg_pool import ConnectionPool

from index import EngineSettings
from index.api import Scope
from index.errors import IngestError
from index.news.opml import feeds_opml, opml_feed_urls
from tests.support.news_server import NewsServer, Route, article_page, news_server, rss
from tests.support.news_support import STORIES, NewsDesk, news_desk, serve_feed, serve_story

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TRUNCATED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut Short</title>'
    b"<description>x</description>"
)


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> ConnectionPool | None:
    return request.getfixturevalue("pool") if request.param == "postgres" else None


@pytest.fixture
def desk(
    base_settings: EngineSettings, tmp_path: Path, database: ConnectionPool | None
) -> Iterator[NewsDesk]:
    with news_desk(base_settings, tmp_path / "index", database) as opened:
        yield opened


def test_an_empty_or_malformed_feed_is_refused_and_stops_no_sync(
    desk: NewsDesk, server: NewsServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/empty.xml"] = Route(b"", content_type="application/rss+xml")
    with pytest.raises(IngestError, match="empty body"):
        desk.news.add_feed(server.url("/empty.xml"))
    server.routes["/cut.xml"] = Route(TRUNCATED, content_type="application/rss+xml")
    with pytest.raises(IngestError, match="not well-formed XML"):
        desk.news.add_feed(server.url("/cut.xml"))

    # Feeds that were fine when followed, then broke: every other feed is still synced.
    for path in ("/empty.xml", "/cut.xml"):
        server.routes[path] = Route(rss("Was fine", []), content_type="application/rss+xml")
        desk.news.add_feed(server.url(path))
    server.routes["/empty.xml"] = Route(b"", content_type="application/rss+xml")
    server.routes["/cut.xml"] = Route(TRUNCATED, content_type="application/rss+xml")
    good = serve_feed(server, "/good.xml", [serve_story(server, "/news/storm")], "Good Feed")
    desk.news.add_feed(good)
    with caplog.at_level(logging.INFO):
        results = {r.feed.url: r for r in desk.news.sync(due_only=False)}
    assert [d.title for d in results[good].new] == ["Storm floods Lisbon streets"]
    assert "empty body" in (results[server.url("/empty.xml")].error or "")
    assert "not well-formed XML" in (results[server.url("/cut.xml")].error or "")
    # The caller reports a failure (a CLI line, the bot's log): the syncer logs no warning.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_feed_answering_304_counts_its_items_unchanged(
    desk: NewsDesk, server: NewsServer
) -> None:
    items = [serve_story(server, "/news/volcano"), serve_story(server, "/news/bees")]
    desk.news.add_feed(serve_feed(server, "/feed.xml", items, "The Test Times"))
    desk.news.sync(due_only=False)
    [again] = desk.news.sync(due_only=False)
    assert again.not_modified and again.unchanged == 2 and server.received[-1].status == 304


def test_a_feed_re_dates_a_page_added_by_hand(desk: NewsDesk, server: NewsServer) -> None:
    title, _, _, paragraphs = STORIES["/news/bees"]
    server.routes["/news/bees"] = Route(article_page(title, paragraphs, date="2023-01-10"))
    by_hand = desk.news.add_url(server.url("/news/bees")).document
    assert by_hand.date == "2023-01-10"
    item = {
        "title": title,
        "link": server.url("/news/bees"),
        "guid": "urn:bees",
        "date": "Wed, 01 Feb 2023 07:00:00 GMT",
        "description": paragraphs[0][:80],
    }
    desk.news.add_feed(serve_feed(server, "/feed.xml", [item], "The Test Times"))
    [result] = desk.news.sync(due_only=False)
    assert result.also_reported == 0 and [d.doc_id for d in result.updated] == [by_hand.doc_id]
    [document] = desk.engine.documents()
    assert document.date == "2023-02-01"
    [latest] = desk.news.latest()
    assert latest.document.doc_id == by_hand.doc_id and latest.also_reported_by == []
    digest = desk.news.digest_for("What happened today?", Scope(today=dt.date(2023, 2, 1)))
    assert digest is not None and [i.document.title for i in digest.items] == [title]


def test_a_moved_feed_is_followed_once_at_its_new_address(
    desk: NewsDesk, server: NewsServer
) -> None:
    items = [serve_story(server, "/news/volcano")]
    new = serve_feed(server, "/rss.xml", items, "The Test Times")
    server.routes["/feed"] = Route(status=301, location=new)
    first = desk.news.add_feed(server.url("/feed"))
    again = desk.news.add_feed(new)
    assert first.url == new and again.feed_id == first.feed_id and len(desk.news.feeds()) == 1
    desk.news.sync(due_only=False)
    [latest] = desk.news.latest()
    assert latest.also_reported_by == []  # never "also reported by" itself

    # A feed that moves after it was followed is followed where it went.
    server.routes["/old-atom"] = Route(rss("Paper B", []), content_type="application/rss+xml")
    moved = desk.news.add_feed(server.url("/old-atom"))
    serve_feed(server, "/b.xml", [serve_story(server, "/news/bees")], "Paper B")
    server.routes["/old-atom"] = Route(status=308, location=server.url("/b.xml"))
    results = {r.feed.feed_id: r for r in desk.news.sync(due_only=False)}
    assert results[moved.feed_id].feed.url == server.url("/b.xml")
    assert len(results[moved.feed_id].new) == 1


def test_one_refusal_reads_the_same_for_a_link_and_a_feed(
    desk: NewsDesk, server: NewsServer
) -> None:
    server.routes["/photo"] = Route(PNG, content_type="image/png")
    with pytest.raises(IngestError) as as_feed:
        desk.news.add_feed(server.url("/photo"))
    with pytest.raises(IngestError) as as_link:
        desk.news.add_url(server.url("/photo"))
    assert "is an image (image/png), not an RSS or Atom feed" in str(as_feed.value)
    assert "is an image (image/png), not an article" in str(as_link.value)


def test_a_page_naming_its_feed_is_followed_through_it(desk: NewsDesk, server: NewsServer) -> None:
    feed = serve_feed(server, "/feeds/all.rss", [serve_story(server, "/news/storm")], "Storms")
    server.routes["/"] = Route(
        b'<!DOCTYPE html><html><head><title>Storm Watch</title><link rel="alternate" '
        b'type="application/rss+xml" title="All" href="/feeds/all.rss"></head>'
        b"<body><p>Front page</p></body></html>"
    )
    followed = desk.news.add_feed(server.url("/"))
    assert followed.url == feed and followed.title == "Storms"
    server.routes["/plain"] = Route(b"<!DOCTYPE html><html><body><p>No feed</p></body></html>")
    with pytest.raises(IngestError, match=r"names no feed \(no <link rel=\"alternate\""):
        desk.news.add_feed(server.url("/plain"))


def test_feeds_export_as_opml_and_read_back(desk: NewsDesk, server: NewsServer) -> None:
    for path, title in (("/a.xml", "Agency A & Co"), ("/b.xml", "Paper <B>")):
        desk.news.add_feed(serve_feed(server, path, [], html.escape(title)))
    feeds = desk.news.feeds()
    exported = feeds_opml(feeds)
    assert exported.startswith(b"<?xml") and b"Agency A &amp; Co" in exported
    assert opml_feed_urls(exported, "export.opml") == [feed.url for feed in feeds]


def test_re_adding_a_page_says_already_and_remove_takes_its_address(
    desk: NewsDesk, server: NewsServer
) -> None:
    serve_story(server, "/news/volcano")
    first = desk.news.add_url(server.url("/news/volcano"))
    again = desk.news.add_url(server.url("/news/volcano"))
    assert not first.already and again.already
    assert again.document.doc_id == first.document.doc_id
    removed = desk.engine.remove(server.url("/news/volcano"))
    assert removed.doc_id == first.document.doc_id and desk.engine.documents() == []


def test_a_cms_headline_and_a_byline_without_a_name_are_not_taken(
    desk: NewsDesk, server: NewsServer
) -> None:
    page = (
        b"<html><head><title>Island ferry runs twice a day | Island News</title>"
        b'<meta name="og:title" content="Island ferry runs twice a day">'  # as CMSs write it
        b'<script type="application/ld+json">{"@context": "https://schema.org", '
        b'"@type": "NewsArticle", "headline": "escenic", "datePublished": "2023-01-30", '
        b'"author": {"@type": "Person", "name": "Article by"}}</script></head><body><article>'
        b"<h1>Island ferry runs twice a day</h1><p>The ferry runs twice a day from March.</p>"
        b"<p>The council said so on Monday, after a vote of the island board.</p>"
        b"</article></body></html>"
    )
    extracted = trafilatura.bare_extraction(page, with_metadata=True)
    assert (extracted.title, extracted.author) == ("escenic", "Article by")  # the premise
    server.routes["/ferry"] = Route(page)
    document = desk.news.add_url(server.url("/ferry")).document
    assert document.title == "Island ferry runs twice a day" and document.date == "2023-01-30"
    answer = desk.engine.answer("How often does the ferry run?")
    assert "By Article" not in "".join(p.text for p in answer.passages)


def test_a_windows_1252_page_that_claims_utf8_keeps_its_letters(
    desk: NewsDesk, server: NewsServer
) -> None:
    page = (
        "<html><head><title>Island ferry runs twice a day</title></head><body><article>"
        "<h1>Island ferry runs twice a day</h1>"
        "<p>Ærø og Strynø: ferry runs twice a day from March.</p>"
        "<p>The council said so on Monday, after a vote of the island board.</p>"
        "</article></body></html>"
    ).encode("cp1252")
    guessed = trafilatura.bare_extraction(page).text  # what detection alone makes of it
    assert "Ćrř og Strynř" in guessed  # the premise
    server.routes["/ferry"] = Route(page, "text/html; charset=utf-8")
    desk.news.add_url(server.url("/ferry"))
    answer = desk.engine.answer("How often does the ferry run?")
    assert "Ærø og Strynø" in answer.passages[0].text


TEMPLATE = [  # what the issue found answered as news, inside each page's article element
    "Subscribe now to our eNATION edition and read every page as it was printed.",
    "Our Standards: The Thomson Reuters Trust Principles.",
    "Sign up for our morning newsletter and get the day's top stories in your inbox.",
    "© 2023 The Test Times. All rights reserved.",
]


def templated(path: str) -> Route:
    title, day, _, paragraphs = STORIES[path]
    return Route(
        article_page(title, [paragraphs[0], *TEMPLATE[:2], paragraphs[1], *TEMPLATE[2:]], date=day)
    )


def test_lines_a_site_repeats_on_its_pages_are_not_indexed(
    desk: NewsDesk, server: NewsServer
) -> None:
    items = [serve_story(server, path) for path in STORIES]
    for path in STORIES:
        server.routes[path] = templated(path)
    desk.news.add_feed(serve_feed(server, "/feed.xml", items, "The Test Times"))
    [result] = desk.news.sync(due_only=False)
    assert len(result.new) == 3  # learned from the sync's own pages, before any was stored
    texts = desk.engine.texts([d.doc_id for d in desk.engine.documents()])
    for path, (_, _, _, paragraphs) in STORIES.items():
        text = next(t for t in texts.values() if paragraphs[0][:40] in t)
        assert paragraphs[1] in text, path  # the article stays whole
        for line in TEMPLATE:
            assert line not in text, (path, line)
    # A page of the site read later is cleaned with what its site taught.
    server.routes["/news/club"] = Route(
        article_page(
            "Chess club opens in Porto",
            [
                "A chess club opened in Porto's old town, offering free lessons to children.",
                *TEMPLATE,
            ],
            date="2023-01-31",
        )
    )
    club = desk.news.add_url(server.url("/news/club")).document
    text = desk.engine.texts([club.doc_id])[club.doc_id]
    assert "free lessons to children" in text and "eNATION" not in text


def test_a_page_of_a_site_seen_once_keeps_every_line(desk: NewsDesk, server: NewsServer) -> None:
    server.routes["/news/storm"] = templated("/news/storm")
    document = desk.news.add_url(server.url("/news/storm")).document
    text = desk.engine.texts([document.doc_id])[document.doc_id]
    assert all(line in text for line in TEMPLATE)  # nothing to learn from yet: kept


def test_the_byline_every_page_of_a_site_carries_stays(desk: NewsDesk, server: NewsServer) -> None:
    items = [serve_story(server, path) for path in STORIES]  # all by Jane Reporter
    desk.news.add_feed(serve_feed(server, "/feed.xml", items, "The Test Times"))
    desk.news.sync(due_only=False)
    texts = desk.engine.texts([d.doc_id for d in desk.engine.documents()])
    assert all(text.endswith("By Jane Reporter.") for text in texts.values())


WIDGETS = [  # (markup, its text) as news sites name their widgets inside the article element
    (
        '<div class="subscribe-box"><p>Subscribe now to our eNATION edition and read every '
        "page as it was printed.</p></div>",
        "eNATION edition",
    ),
    (
        '<div class="promo-box"><p>Read the Test Times on our app: two weeks free for new '
        "readers.</p></div>",
        "two weeks free",
    ),
    (
        '<div class="content-form-account-paywall"><h2>To read on and get three free articles '
        "a month, create your account</h2></div>",
        "create your account",
    ),
    (
        '<section class="editorial-disclosure"><p>This post contains references to products '
        "from our advertisers.</p></section>",
        "from our advertisers",
    ),
    ('<p class="copyright">© 2023 The Test Times. All rights reserved.</p>', "rights reserved"),
    (  # no name on it, but its link goes to the newsletter's page
        '<p><i>Do you want our morning briefing? <a href="/newsletter/">Sign up here</a></i></p>',
        "morning briefing",
    ),
]
HARBOURS = ["Porto", "Lisbon", "Faro", "Braga", "Aveiro", "Sines", "Tavira", "Nazare"]


def widget_page() -> bytes:
    """A story of eight paragraphs (over 1,000 characters) in a wrapper whose class names
    a share bar too, as CMSs write it, the widgets between its paragraphs."""
    story = [
        f"<p>The harbour wall in {place} will be raised by a metre before next winter, the "
        f"port authority of {place} said on Monday after the January storms.</p>"
        for place in HARBOURS
    ]
    widgets = [markup for markup, _ in WIDGETS]
    body = "".join(part for pair in zip(story, widgets, strict=False) for part in pair)
    return (
        "<html><head><title>Harbour walls raised | The Test Times</title></head><body>"
        "<nav><a href='/'>Home</a></nav><article><h1>Harbour walls raised</h1>"
        f'<div class="entry-content share-enabled">{body}{"".join(story[len(widgets) :])}'
        "</div></article></body></html>"
    ).encode()


def test_widgets_the_page_markup_names_are_not_indexed(desk: NewsDesk, server: NewsServer) -> None:
    page = widget_page()
    extracted = trafilatura.bare_extraction(page, include_comments=False).text
    assert all(text in extracted for _, text in WIDGETS)  # the premise: trafilatura keeps them
    server.routes["/news/harbours"] = Route(page)
    document = desk.news.add_url(server.url("/news/harbours")).document
    text = desk.engine.texts([document.doc_id])[document.doc_id]
    for _, widget in WIDGETS:
        assert widget not in text, widget  # from the page's own markup: nothing to learn first
    # The story's wrapper, named for its share bar too, is too long to be a widget: kept.
    assert all(f"port authority of {place} said" in text for place in HARBOURS)
