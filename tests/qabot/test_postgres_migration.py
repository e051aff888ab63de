"""Databases that earlier releases of qabot filled are upgraded in place when a worker
opens them: a version-1 one (documents, chunk store, answer log) and a version-2 one (whose
documents also carry their web address and collection). Their rows are kept, the later
columns get their defaults, the later tables arrive empty and usable, and the engine
opened on them answers, within each chat's scope, without embedding again.

An old database is made as its release left it: that release's migrations alone, rows
written through the answer log (whose tables migration 1 fixed) and an index built by the
engine, copied over in that release's columns only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from bot.state.postgres import PostgresAnswerLog, PostgresConversations
from bot.state.postgres_follows import PostgresFollowState
from index import Engine, EngineSettings
from index.api import Answer, Passage, Scope, Turn, chat_collection
from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from index.news.stores.postgres_feeds import PostgresFeedStore
from index.store.postgres import PostgresStorage
from qabot.config import StateSettings
from qabot.database import open_pool, schema_state, upgrade
from qabot.migrations import MIGRATIONS
from tests.support.engine_support import (
    ARTICLES,
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    CountingEmbedder,
    answers_of,
)

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")

# what migration 1 created of the tables later migrations changed, column by column
VERSION_1_COLUMNS = {
    "originals": "doc_id, title, date, source, text, content_hash, saved_at",
    "index_meta": "key, value",
    "documents": "doc_id, title, date, source, content_hash, added_at",
    "chunks": "chunk_id, doc_id, ordinal, start_offset, end_offset, text, vector",
    "sentences": "chunk_id, ordinal, start_offset, end_offset, vector",
}
# migration 2 gave documents their web address and collection
VERSION_2_COLUMNS = {
    table: columns + (", url, collection" if table in ("originals", "documents") else "")
    for table, columns in VERSION_1_COLUMNS.items()
}
# the release each column set is that of
COLUMNS = {1: VERSION_1_COLUMNS, 2: VERSION_2_COLUMNS}
MIGRATION_3_TABLES = (
    "follows",
    "alerts",
    "alert_days",
    "muted_chats",
    "links_read",
    "feeds",
    "feed_items",
)
ORDER = {"index_meta": "key", "chunks": "chunk_id", "sentences": "chunk_id, ordinal"}
PASSAGE = Passage(
    "The Moon orbits the Earth every 27 days.", 0.9, "moon", "Moon", "m", None, 0, 40, 1
)
CHAT = 5
LINK = "https://news.example/glaciers"  # the web address of the chat's own article


def rows(url: str, table: str, version: int) -> list[tuple[Any, ...]]:
    """The rows of `table`, in the columns the release at schema `version` had."""
    with psycopg.connect(url) as conn:
        order = ORDER.get(table, "doc_id")
        query = f"SELECT {COLUMNS[version][table]} FROM {table} ORDER BY {order}"
        return conn.execute(query).fetchall()


def table_rows(pool: ConnectionPool, table: str) -> int:
    with pool.connection() as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def built_index(
    database_url: str,
    pool: ConnectionPool,
    base_settings: EngineSettings,
    shared_embedder: Embedder,
    tmp_path: Path,
) -> str:
    """The address of a database (at the latest schema) holding the index of the three
    articles everyone reads and of one a chat sent as a link."""
    settings = base_settings.with_changes(index={"dir": tmp_path / "builder"})
    engine = Engine(settings, shared_embedder, storage=PostgresStorage(pool, 0.0))
    name, text = EXTRA_ARTICLE
    link = replace(parse_bytes(name, text.encode()), url=LINK, collection=chat_collection(CHAT))
    documents = [parse_bytes(name, text.encode()) for name, text in ARTICLES.items()]
    engine.add_documents([*documents, link])
    engine.close()
    return database_url


@pytest.fixture
def database_at(
    built_index: str,
    new_database: Callable[[], str],
    postgres_state: StateSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[int], str]:
    """database_at(version) -> another database, at that schema version, holding that
    index in that release's columns; it is the one `state:` names."""

    def create(version: int) -> str:
        url = new_database()
        with ConnectionPool(url, min_size=1, max_size=2, open=True) as raw:
            schema_state(raw)  # the schema_version table, as every release creates it
            with raw.connection() as conn:
                for migration in MIGRATIONS[:version]:
                    conn.execute(migration.sql)
                    conn.execute(
                        "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
            with raw.connection() as conn:
                _copy_index(built_index, conn, version)
        monkeypatch.setenv(postgres_state.dsn_env, url)
        return url

    return create


def _copy_index(source: str, conn: psycopg.Connection[Any], version: int) -> None:
    """The index of `source` into `conn`'s database, in the columns of `version`."""
    for table, columns in COLUMNS[version].items():
        placeholders = ", ".join(["%s"] * len(columns.split(",")))
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                rows(source, table, version),
            )
    conn.execute("SELECT setval('chunk_ids', (SELECT max(chunk_id) FROM chunks))")


def test_a_version_1_database_is_upgraded_in_place_keeping_its_rows(
    database_at: Callable[[int], str],
    postgres_state: StateSettings,
    base_settings: EngineSettings,
    shared_embedder: Embedder,
    tmp_path: Path,
) -> None:
    version_1 = database_at(1)
    with ConnectionPool(version_1, min_size=1, max_size=2, open=True) as raw:
        assert schema_state(raw).current == 1
        answer = Answer("How often does the Moon orbit?", "Every 27 days.", True, [PASSAGE])
        answer_id = PostgresAnswerLog(raw).record_answer(
            answer, chat_id=5, user_id=7, latency_ms=12.0
        )
        PostgresAnswerLog(raw).attach_message(answer_id, 5, 100)
        PostgresAnswerLog(raw).record_vote(answer_id, 7, 1)
        PostgresConversations(raw, 3).remember(5, Turn(answer.question, answer.text))
    before = {table: rows(version_1, table, 1) for table in VERSION_1_COLUMNS}
    assert len(before["documents"]) == 4 and before["chunks"] and before["sentences"]

    pool = open_pool(postgres_state)  # what every qabot process does when it starts
    try:
        state = schema_state(pool)
        assert state.current == state.latest == MIGRATIONS[-1].version
        assert upgrade(pool).current == state.latest  # nothing left to apply
        for table, kept in before.items():
            assert rows(version_1, table, 1) == kept, table
        with pool.connection() as conn:
            for table in ("originals", "documents"):
                added = conn.execute(f"SELECT DISTINCT url, collection FROM {table}").fetchall()
                assert added == [(None, "shared")], table
        for table in MIGRATION_3_TABLES:
            assert table_rows(pool, table) == 0, table

        log = PostgresAnswerLog(pool)
        found = log.find_answer(answer_id, 5, 100)
        assert found is not None and found.passages == [PASSAGE]
        assert (log.stats().questions, log.stats().thumbs_up) == (1, 1)
        assert PostgresConversations(pool, 3).history(5) == (Turn(answer.question, answer.text),)

        embedder = CountingEmbedder(shared_embedder)
        settings = base_settings.with_changes(index={"dir": tmp_path / "upgraded"})
        engine = Engine(settings, embedder, storage=PostgresStorage(pool, 0.0))
        try:
            views = answers_of(engine)
            for view, (_, fact) in zip(views, QUESTIONS.values(), strict=True):
                assert fact in view.text
            assert len(embedder.texts) == len(QUESTIONS)  # the questions: no document again
            assert {(d.collection, d.url) for d in engine.documents()} == {("shared", None)}
            question, fact = EXTRA_QUESTION
            in_a_chat = engine.answer(question, scope=Scope(collections=("shared", "chat:6")))
            assert fact in in_a_chat.text  # a version-1 document is everyone's
        finally:
            engine.close()
    finally:
        pool.close()


def test_a_version_2_database_gains_the_news_tables_keeping_links_and_collections(
    database_at: Callable[[int], str],
    postgres_state: StateSettings,
    base_settings: EngineSettings,
    shared_embedder: Embedder,
    tmp_path: Path,
) -> None:
    version_2 = database_at(2)
    before = {table: rows(version_2, table, 2) for table in VERSION_2_COLUMNS}
    with psycopg.connect(version_2) as conn:
        for table in MIGRATION_3_TABLES:
            assert conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,)

    pool = open_pool(postgres_state)
    try:
        assert schema_state(pool).current == MIGRATIONS[-1].version
        for table, kept in before.items():
            assert rows(version_2, table, 2) == kept, table
        for table in MIGRATION_3_TABLES:
            assert table_rows(pool, table) == 0, table
        _news_state_works(pool)

        embedder = CountingEmbedder(shared_embedder)
        settings = base_settings.with_changes(index={"dir": tmp_path / "upgraded"})
        engine = Engine(settings, embedder, storage=PostgresStorage(pool, 0.0))
        try:
            link = {d.url: d for d in engine.documents()}[LINK]
            assert link.collection == chat_collection(CHAT)
            question, fact = EXTRA_QUESTION
            own = engine.answer(question, scope=Scope(collections=("shared", "chat:5")))
            assert own.confident and fact in own.text and own.passages[0].url == LINK
            other = engine.answer(question, scope=Scope(collections=("shared", "chat:6")))
            assert link.doc_id not in {p.doc_id for p in other.passages}
            assert len(embedder.texts) == 2  # the two questions: no document again
        finally:
            engine.close()
    finally:
        pool.close()


def _news_state_works(pool: ConnectionPool) -> None:
    """Migration 3's tables take what the bot and the feed registry write."""
    news = PostgresFollowState(pool)
    news.follow(CHAT, 7, "glaciers")
    assert [f.topic for f in news.followers()] == ["glaciers"]
    day = dt.date(2023, 2, 1)
    assert news.claim_alert(CHAT, "glaciers", day, per_day=1)
    assert not news.claim_alert(CHAT, "moon", day, per_day=1)  # the day's cap
    assert news.claim_link(CHAT, day, per_day=1) and not news.claim_link(CHAT, day, per_day=1)
    feeds = PostgresFeedStore(pool)
    feed = feeds.add("https://news.example/feed.xml", "News")
    feeds.remember(feed.feed_id, "item-1", "fingerprint", "glaciers")
    assert feeds.reporting_feeds("glaciers") == ["News"]
