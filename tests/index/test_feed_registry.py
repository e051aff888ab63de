"""The feed registry when several syncs run at once: one holds a feed, the others skip it.

With SQLite (one process) two syncs are two threads of one news desk; with PostgreSQL
they are two workers: two engines and two news desks, each on a connection pool of its own,
sharing the documents and the feed registry in the test database (skipped without a test
server, tests/support/postgres_fixtures.py). Either way a feed synced by both at once is fetched
once and each of its items is read and stored once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from index import Engine, EngineSettings
from index.api import FeedSync
from index.news.stores.sqlite_feeds import FEED_STORE_FILE
from qabot.config import Config, StateSettings
from tests.support.fake_embedder import FakeEmbedder
from tests.support.news_server import NewsServer, news_server
from tests.support.news_support import STORIES, NewsDesk, news_desk, serve_feed, serve_story

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")

OpenDesk = Callable[[str], NewsDesk]


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def open_desk(
    request: pytest.FixtureRequest, base_settings: EngineSettings, tmp_path: Path
) -> Iterator[OpenDesk]:
    """open_desk(name) -> a news desk: with SQLite the same one whatever the name (one
    process), with PostgreSQL a worker of its own per name, on its own pool."""
    with contextlib.ExitStack() as stack:
        desks: dict[str, NewsDesk] = {}

        def open_one(name: str) -> NewsDesk:
            if request.param == "sqlite":
                name = "the only process"
            if name not in desks:
                pool = None
                if request.param == "postgres":
                    from qabot.database import open_pool

                    pool = stack.enter_context(
                        contextlib.closing(open_pool(request.getfixturevalue("postgres_state")))
                    )
                folder = tmp_path / name.replace(" ", "-")
                desks[name] = stack.enter_context(news_desk(base_settings, folder, pool))
            return desks[name]

        yield open_one


def in_threads(*calls: Callable[[], list[FeedSync]]) -> list[list[FeedSync]]:
    """Run the calls at the same moment, one thread each; their results, in order."""
    start = threading.Barrier(len(calls))
    results: list[list[FeedSync]] = [[] for _ in calls]
    failures: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = calls[n]()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return results


def test_a_feed_held_by_one_sync_is_skipped_by_another(
    open_desk: OpenDesk, server: NewsServer
) -> None:
    one, two = open_desk("one"), open_desk("two")
    held_url = serve_feed(server, "/held.xml", [serve_story(server, "/news/volcano")], "Held")
    free_url = serve_feed(server, "/free.xml", [serve_story(server, "/news/bees")], "Free")
    held_feed = one.news.add_feed(held_url)
    one.news.add_feed(free_url)
    with one.feeds.claim(held_feed.feed_id) as held:
        assert held is not None and held.url == held_url
        with two.feeds.claim(held_feed.feed_id) as other:
            assert other is None
        results = {result.feed.url: result for result in two.news.sync(due_only=False)}
        assert results[held_url].busy and not results[held_url].new
        assert not results[free_url].busy
        assert [d.title for d in results[free_url].new] == ["Honeybees return to London parks"]
        assert server.requests_to("/news/volcano") == []  # left to the one holding it
    with two.feeds.claim(held_feed.feed_id) as released:
        assert released is not None and released.url == held_url
    with two.feeds.claim(held_feed.feed_id + 100) as missing:
        assert missing is None  # no such feed


def test_a_feed_synced_by_two_at_once_is_fetched_and_stored_once(
    open_desk: OpenDesk, server: NewsServer
) -> None:
    items = [serve_story(server, path) for path in STORIES]
    url = serve_feed(server, "/feed.xml", items, "The Test Times")
    one, two = open_desk("one"), open_desk("two")
    one.news.add_feed(url)
    server.routes["/feed.xml"].delay_seconds = 1.0  # long enough for the syncs to overlap
    fetched_before = len(server.requests_to("/feed.xml"))

    [first], [second] = in_threads(one.news.sync, two.news.sync)

    assert sorted([first.busy, second.busy]) == [False, True]
    synced = second if first.busy else first
    assert sorted(d.title for d in synced.new) == sorted(title for title, *_ in STORIES.values())
    assert len(server.requests_to("/feed.xml")) == fetched_before + 1
    for path in STORIES:
        assert len(server.requests_to(path)) == 1, path  # each article read once
    for desk in (one, two):
        assert len(desk.engine.documents()) == len(STORIES)
        [feed] = desk.news.feeds()
        assert feed.articles == len(STORIES) and feed.last_synced is not None
    # the one that skipped it now finds it synced: not due, nothing fetched again
    assert two.news.sync() == [] and one.news.sync() == []
    assert len(server.requests_to("/feed.xml")) == fetched_before + 1


def test_a_feed_synced_by_another_meanwhile_is_not_synced_again(
    open_desk: OpenDesk, server: NewsServer
) -> None:
    """Both list the two feeds as due; the one that takes the slow first feed reaches the
    second after the other has synced it (and finds it no longer due) or while the other
    syncs it (and finds it busy): never to sync it again."""
    one, two = open_desk("one"), open_desk("two")
    slow = serve_feed(server, "/slow.xml", [serve_story(server, "/news/volcano")], "Slow")
    fast = serve_feed(server, "/fast.xml", [serve_story(server, "/news/bees")], "Fast")
    one.news.add_feed(slow)
    one.news.add_feed(fast)
    server.routes["/slow.xml"].delay_seconds = 1.0

    results = in_threads(one.news.sync, two.news.sync)

    synced = sorted(r.feed.title for done in results for r in done if not r.busy)
    assert synced == ["Fast", "Slow"]  # each once
    assert len(server.requests_to("/slow.xml")) == 2  # added, then synced once
    assert len(server.requests_to("/fast.xml")) == 2


def test_removing_a_feed_waits_for_its_sync_to_end(open_desk: OpenDesk) -> None:
    one, two = open_desk("one"), open_desk("two")
    feed = one.feeds.add("https://news.example/feed.xml", "The Test Times")
    with one.feeds.claim(feed.feed_id) as held:
        assert held is not None
        remover = threading.Thread(target=two.feeds.remove, args=(feed.feed_id,))
        remover.start()
        remover.join(timeout=0.5)
        assert remover.is_alive()  # waiting for the sync
        one.feeds.remember(feed.feed_id, "guid-1", "fingerprint", "doc-1")  # the sync goes on
    remover.join(timeout=30)
    assert not remover.is_alive()
    assert two.feeds.feeds() == [] and two.feeds.feed_documents() == set()


def test_the_composition_gives_workers_the_registry_in_the_database(
    config: Config,
    pool: ConnectionPool,
    base_settings: EngineSettings,
    tmp_path: Path,
    server: NewsServer,
) -> None:
    """`open_news` (qabot serve, qabot feeds ...) over state.backend: postgres: feeds added
    by one worker are listed by another, and no feeds.sqlite is written."""
    from index.store.postgres import PostgresStorage
    from qabot.factory import Backends, open_news

    shared = config.model_copy(update={"state": StateSettings(backend="postgres")})
    workers = []
    for name in ("one", "two"):
        settings = base_settings.with_changes(
            index={"dir": tmp_path / name}, fetch={"allow_private_hosts": True}
        )
        engine = Engine(settings, embedder=FakeEmbedder(), storage=PostgresStorage(pool, 0.0))
        workers.append((engine, open_news(shared, engine, Backends(pool=pool))))
    try:
        (_, one), (_, two) = workers
        url = serve_feed(server, "/feed.xml", [serve_story(server, "/news/bees")], "Bees")
        one.add_feed(url)
        assert [feed.url for feed in two.feeds()] == [url]
        with pool.connection() as conn:
            assert conn.execute("SELECT url, title FROM feeds").fetchall() == [(url, "Bees")]
        assert not list(tmp_path.rglob(FEED_STORE_FILE))
        with pytest.raises(ValueError, match=r"Backends\.open"):
            open_news(shared, workers[0][0])  # a database configured but not opened
    finally:
        for engine, news in workers:
            news.close()
            engine.close()
