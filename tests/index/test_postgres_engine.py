"""The engine on a shared PostgreSQL store (`state.backend: postgres`), against a real server.

Each engine here plays one worker: its own snapshot folder, the database shared. Documents
added through one are answered by the others once they follow the store's generation; a
worker that starts later builds its index from the database without embedding anything.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg_pool import ConnectionPool

from index import Engine, EngineSettings
from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from index.store.postgres import PostgresStorage
from qabot.config import StateSettings
from qabot.database import DatabaseUnavailable, open_pool, schema_state, upgrade
from qabot.migrations import MIGRATIONS
from tests.conftest import PROJECT_ROOT
from tests.support.engine_support import (
    ARTICLES,
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    CountingEmbedder,
    answers_of,
)

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")


@pytest.fixture
def open_worker(
    pool: ConnectionPool, base_settings: EngineSettings, shared_embedder: Embedder, tmp_path
):
    """open_worker(name, follow_seconds=0.0) -> (engine, its counting embedder): a worker
    with its own snapshot folder on the shared database; closed after the test."""
    opened: list[Engine] = []

    def open_as(name: str, follow_seconds: float = 0.0) -> tuple[Engine, CountingEmbedder]:
        embedder = CountingEmbedder(shared_embedder)
        settings = base_settings.with_changes(index={"dir": tmp_path / name})
        engine = Engine(settings, embedder=embedder, storage=PostgresStorage(pool, follow_seconds))
        opened.append(engine)
        return engine, embedder

    yield open_as
    for engine in opened:
        engine.close()


def add_articles(engine: Engine) -> None:
    engine.add_documents([parse_bytes(name, text.encode()) for name, text in ARTICLES.items()])


def test_the_schema_is_created_once_and_a_newer_one_is_refused(
    pool: ConnectionPool, database_url: str
) -> None:
    state = schema_state(pool)
    assert state.current == state.latest == MIGRATIONS[-1].version
    assert upgrade(pool).current == state.latest  # nothing left to apply
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version, name) VALUES (999, 'from the future')")
    with pytest.raises(DatabaseUnavailable, match="newer than this qabot"):
        upgrade(pool)


def test_an_unreachable_database_is_reported_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QABOT_DATABASE_URL", "postgresql://qabot:s3cret-pw@127.0.0.1:1/qabot")
    with pytest.raises(DatabaseUnavailable) as caught:
        open_pool(StateSettings(backend="postgres"))
    assert "s3cret-pw" not in str(caught.value)
    monkeypatch.delenv("QABOT_DATABASE_URL")
    with pytest.raises(DatabaseUnavailable, match="QABOT_DATABASE_URL is not set"):
        open_pool(StateSettings(backend="postgres"))


def test_documents_and_their_texts_live_in_the_database(open_worker, database_url: str) -> None:
    engine, _ = open_worker("one")
    add_articles(engine)
    for view, (_, fact) in zip(answers_of(engine), QUESTIONS.values(), strict=True):
        assert fact in view.text
    with psycopg.connect(database_url) as conn:
        texts = dict(conn.execute("SELECT doc_id, text FROM originals").fetchall())
        chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()
    assert set(texts) == set(QUESTIONS)
    assert "waggle dance" in texts["bees"]
    assert chunks is not None and chunks[0] == engine.stats().chunks > 0
    assert not (engine.index_dir / "documents").exists()  # no file is the source of truth


def test_a_new_worker_builds_its_index_from_the_database_without_embedding(open_worker) -> None:
    first, _ = open_worker("first")
    add_articles(first)
    second, embedder = open_worker("second")
    assert embedder.texts == []
    assert answers_of(second) == answers_of(first)


def test_an_article_added_through_one_worker_is_answered_by_the_other(open_worker) -> None:
    one, _ = open_worker("one")
    add_articles(one)
    other, other_embedder = open_worker("other")
    name, text = EXTRA_ARTICLE
    question, fact = EXTRA_QUESTION
    assert fact not in other.answer(question).text

    one.add_bytes(name, text.encode())

    assert fact in other.answer(question).text  # followed at once (follow_seconds 0)
    # its chunks' vectors came from the store: only the questions were embedded here
    assert not any("Switzerland" in embedded for embedded in other_embedder.texts)
    one.remove("glaciers")
    assert fact not in other.answer(question).text
    assert {d.doc_id for d in other.documents()} == set(QUESTIONS)


def test_a_worker_checks_the_generation_only_every_so_often(open_worker) -> None:
    one, _ = open_worker("one")
    add_articles(one)
    slow, _ = open_worker("slow", follow_seconds=3600)
    slow.answer("warm up")  # its last look at the store was now
    name, text = EXTRA_ARTICLE
    one.add_bytes(name, text.encode())
    question, fact = EXTRA_QUESTION
    assert fact not in slow.answer(question).text  # not looked again within the hour
    assert "glaciers" in {d.doc_id for d in slow.documents()}  # listing reads the store


def snapshot_state(folder: Path) -> tuple[str, int, list[str]]:
    """The folder's CURRENT pointer (text and time) and its snapshot folders."""
    pointer = folder / "CURRENT"
    snapshots = sorted(path.name for path in folder.glob("snapshot-*"))
    return pointer.read_text(encoding="utf-8"), pointer.stat().st_mtime_ns, snapshots


def test_a_command_beside_a_live_worker_leaves_its_folder_alone(
    open_worker, database_url: str, tmp_path: Path
) -> None:
    """`qabot index list` run with a live worker's configuration (its folder, the shared
    database) while another worker's change left that worker's snapshot behind the store:
    a snapshot behind a shared store is followed when a question needs it, not damage. So
    the command neither rebuilds the worker's folder nor warns of an interrupted update."""
    worker, _ = open_worker("worker", follow_seconds=3600)
    add_articles(worker)
    worker.answer("warm up")
    other, _ = open_worker("other")
    name, text = EXTRA_ARTICLE
    other.add_bytes(name, text.encode())
    before = snapshot_state(worker.index_dir)
    config = tmp_path / "config.yaml"
    settings = {
        "index": {"dir": str(worker.index_dir), "default_corpus": None},
        "answer": {"reader": False},
        "state": {"backend": "postgres"},
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")

    listed = subprocess.run(
        [sys.executable, "-m", "qabot.cli", "index", "list", "--config", str(config)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "QABOT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == ""  # no warning: nothing was damaged
    assert "glaciers" in listed.stdout  # the store's documents, the other worker's included
    assert snapshot_state(worker.index_dir) == before  # not rebuilt, not replaced
    assert all(
        fact in view.text
        for view, (_, fact) in zip(answers_of(worker), QUESTIONS.values(), strict=True)
    )


def test_a_process_opening_a_snapshot_behind_the_shared_store_follows_it_quietly(
    open_worker, caplog: pytest.LogCaptureFixture
) -> None:
    """Another engine on a worker's folder (`qabot ask` with its configuration): the
    snapshot it finds is behind the store; its first question follows the store, however
    long the worker's check interval, and nothing is called damage."""
    worker, _ = open_worker("worker", follow_seconds=3600)
    add_articles(worker)
    other, _ = open_worker("other")
    name, text = EXTRA_ARTICLE
    other.add_bytes(name, text.encode())
    caplog.set_level(logging.INFO, logger="qabot.index")
    caplog.clear()

    beside, embedder = open_worker("worker", follow_seconds=3600)
    question, fact = EXTRA_QUESTION

    assert fact in beside.answer(question).text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "following the shared index" in caplog.text
    assert not any("Switzerland" in embedded for embedded in embedder.texts)  # from the store


def test_writes_from_two_workers_interleave_without_losing_either(open_worker) -> None:
    one, _ = open_worker("one")
    two, _ = open_worker("two")
    add_articles(one)
    name, text = EXTRA_ARTICLE
    two.add_bytes(name, text.encode())
    one.add_bytes("storm.txt", b"A storm closed the harbour of Brest for two days in May.")
    for engine in (one, two):
        assert {d.doc_id for d in engine.documents()} == {*QUESTIONS, "glaciers", "storm"}
        assert EXTRA_QUESTION[1] in engine.answer(EXTRA_QUESTION[0]).text
        assert "two days" in engine.answer("How long was the harbour of Brest closed?").text


def test_two_workers_share_one_database_and_one_qdrant_collection(
    pool: ConnectionPool, base_settings: EngineSettings, shared_embedder: Embedder, tmp_path
) -> None:
    """As with a Qdrant server: the writer updates the collection, the other worker only
    follows the store (local mode stands in, shared by two engines of one process)."""
    from qdrant_client import QdrantClient

    from index.search.qdrant import QdrantCollection

    client = QdrantClient(path=str(tmp_path / "qdrant"))
    collection = QdrantCollection(client, "qabot")
    engines = []
    for name in ("one", "two"):
        settings = base_settings.with_changes(
            index={"dir": tmp_path / name},
            retrieval={"backend": "qdrant"},
            qdrant={"path": tmp_path / "qdrant"},
        )
        storage = PostgresStorage(pool, follow_seconds=0.0)
        engines.append(
            Engine(settings, embedder=shared_embedder, storage=storage, collection=collection)
        )
    one, two = engines
    try:
        add_articles(one)
        name, text = EXTRA_ARTICLE
        two.add_bytes(name, text.encode())
        question, fact = EXTRA_QUESTION
        assert fact in one.answer(question).text
        for view, (_, known) in zip(answers_of(two), QUESTIONS.values(), strict=True):
            assert known in view.text
        records, _ = client.scroll("qabot", limit=1000)
        assert len(records) == one.stats().chunks == two.stats().chunks
    finally:
        for engine in engines:
            engine.close()
        client.close()
