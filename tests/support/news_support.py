"""Helpers of the news tests: articles that read like news, and an engine with its news
desk over the fake embedder (these tests are about fetching, feeds and dates, not the
model), pointed at the local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from index import Engine, EngineSettings
from index.news.desk import News
from index.news.stores.sqlite_feeds import FEED_STORE_FILE, FeedStore, SqliteFeedStore
from tests.support.fake_embedder import FakeEmbedder
from tests.support.news_server import NewsServer, Route, article_page, rss

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

# path -> (title, published day, RFC 822 date, paragraphs)
STORIES: dict[str, tuple[str, str, str, list[str]]] = {
    "/news/volcano": (
        "Volcano erupts near Reykjavik",
        "2023-01-29",
        "Sun, 29 Jan 2023 08:00:00 GMT",
        [
            "The Fagradalsfjall volcano erupted on Sunday morning, sending lava across an "
            "empty valley south of Reykjavik.",
            "Scientists at the Icelandic Met Office said the eruption was small and posed no "
            "threat to flights or nearby towns.",
        ],
    ),
    "/news/bees": (
        "Honeybees return to London parks",
        "2023-01-30",
        "Mon, 30 Jan 2023 08:00:00 GMT",
        [
            "Honeybee colonies in London parks grew by a third this year, the city council "
            "said on Monday.",
            "Beekeepers credit the wildflower meadows planted along the Thames since 2020.",
        ],
    ),
    "/news/storm": (
        "Storm floods Lisbon streets",
        "2023-01-31",
        "Tue, 31 Jan 2023 08:00:00 GMT",
        [
            "A winter storm flooded streets in central Lisbon on Tuesday, closing two metro "
            "stations and the Baixa tram line.",
            "The city's mayor asked residents to stay at home until the evening.",
        ],
    ),
}


def serve_story(server: NewsServer, path: str) -> dict[str, str]:
    """Put one story's page on the server; the feed item that links to it."""
    title, day, rfc822, paragraphs = STORIES[path]
    server.routes[path] = Route(article_page(title, paragraphs, date=day))
    return {
        "title": title,
        "link": server.url(path),
        "guid": f"urn:story:{path}",
        "date": rfc822,
        "description": paragraphs[0][:80],
    }


def serve_feed(server: NewsServer, path: str, items: list[dict[str, str]], title: str) -> str:
    server.routes[path] = Route(rss(title, items), content_type="application/rss+xml")
    return server.url(path)


@dataclass
class NewsDesk:
    engine: Engine
    news: News
    feeds: FeedStore  # the feed registry `news` keeps its feeds in


@contextmanager
def news_desk(
    base: EngineSettings, folder: Path, pool: ConnectionPool | None = None, **sections: Any
) -> Iterator[NewsDesk]:
    """An engine over an empty index in `folder` and its news desk, allowed to fetch from
    127.0.0.1; `sections` change settings, e.g. feeds={"keep_days": 7}. With a database
    `pool`, the documents and the feed registry are kept there, as a worker of
    `state.backend: postgres` keeps them (`folder` holds its snapshots only)."""
    changes: dict[str, Any] = {"fetch": {"allow_private_hosts": True}, **sections}
    if "fetch" in sections:
        changes["fetch"] = {"allow_private_hosts": True, **sections["fetch"]}
    settings = base.with_changes(index={"dir": folder}, **changes)
    feeds: FeedStore
    site_lines = None  # feeds.sqlite in the folder
    if pool is None:
        engine = Engine(settings, embedder=FakeEmbedder(), seed_default_corpus=False)
        feeds = SqliteFeedStore(folder / FEED_STORE_FILE)
    else:
        from index.news.stores.postgres_feeds import PostgresFeedStore
        from index.news.stores.postgres_site_lines import PostgresSiteLines
        from index.store.postgres import PostgresStorage

        storage = PostgresStorage(pool, follow_seconds=0.0)
        engine = Engine(
            settings, embedder=FakeEmbedder(), seed_default_corpus=False, storage=storage
        )
        feeds = PostgresFeedStore(pool)
        site_lines = PostgresSiteLines(pool)
    news = News(engine, settings, feed_store=feeds, site_lines=site_lines)
    try:
        yield NewsDesk(engine, news, feeds)
    finally:
        news.close()
        engine.close()


class Desk(NamedTuple):
    """The bot tests' engine over the shipped article and its news desk."""

    engine: Engine
    news: News
    pool: ConnectionPool | None  # the database every piece of state is in, if any


@contextmanager
def shipped_article_desk(
    base: EngineSettings, pool: ConnectionPool | None, sync_minutes: float
) -> Iterator[Desk]:
    """An engine over the shipped article (fake embedder) and its news desk, allowed to
    fetch from 127.0.0.1; a feed is due again `sync_minutes` after its last sync. With a
    database `pool`, the documents and the feed registry are kept there, and a bot started
    over this desk keeps its state there too."""
    settings = base.with_changes(
        fetch={"allow_private_hosts": True, "timeout_seconds": 5},
        feeds={"interval_minutes": sync_minutes},
        answer={"reader": False},  # the real model's, as the embedder is
    )
    if pool is None:
        engine = Engine(settings, embedder=FakeEmbedder())
        news = News(engine, settings)
    else:
        from index.news.stores.postgres_feeds import PostgresFeedStore
        from index.news.stores.postgres_site_lines import PostgresSiteLines
        from index.store.postgres import PostgresStorage

        engine = Engine(settings, embedder=FakeEmbedder(), storage=PostgresStorage(pool, 0.0))
        news = News(
            engine, settings, feed_store=PostgresFeedStore(pool), site_lines=PostgresSiteLines(pool)
        )
    try:
        yield Desk(engine, news, pool)
    finally:
        news.close()
        engine.close()
