"""The bot on a shared PostgreSQL while the database restarts: answers fail politely (the
person is told, nothing hangs), and once it is back the next question is answered without
restarting the bot. The engine here embeds with the fake embedder (no model)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from bot import messages
from index import Engine, EngineSettings
from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from index.store.postgres import PostgresStorage
from qabot.config import Config
from tests.support.bot_harness import CHAT, running_bot, visible
from tests.support.engine_support import ARTICLES, QUESTIONS

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")


def cluster(action: str) -> None:
    """pg_ctlcluster on the test server (tests/support/postgres/start.sh named it)."""
    name = os.environ.get("QABOT_TEST_POSTGRES_CLUSTER")
    if not name:
        pytest.skip(
            "QABOT_TEST_POSTGRES_CLUSTER is not set (tests/support/postgres/start.sh sets it)"
        )
    version, cluster_name = name.split("/")
    subprocess.run(["pg_ctlcluster", version, cluster_name, action], check=True, timeout=120)


@pytest.fixture
def engine(
    pool: ConnectionPool, base_settings: EngineSettings, shared_embedder: Embedder, tmp_path: Path
):
    settings = base_settings.with_changes(index={"dir": tmp_path / "index"})
    opened = Engine(settings, shared_embedder, storage=PostgresStorage(pool, 0.0))
    opened.add_documents([parse_bytes(name, text.encode()) for name, text in ARTICLES.items()])
    yield opened
    opened.close()


@pytest.mark.alone  # restarts the PostgreSQL server every PostgreSQL test uses
async def test_a_database_restart_fails_answers_politely_then_they_resume(
    engine: Engine, pool: ConnectionPool, config: Config, tmp_path: Path
) -> None:
    question, fact = QUESTIONS["moon"]
    async with running_bot(engine, tmp_path, config, pool=pool) as bot:
        assert fact in visible(await bot.ask(question))
        cluster("stop")
        try:
            started = time.monotonic()
            apology = await bot.ask(question)
            assert visible(apology) == messages.ERROR
            assert time.monotonic() - started < 30  # the pool's wait, not a hang
        finally:
            cluster("start")
        deadline = time.monotonic() + 60
        while True:
            reply = visible(await bot.ask(question, chat_id=CHAT + 1, user_id=CHAT + 1))
            if fact in reply or time.monotonic() > deadline:
                break
            assert reply == messages.ERROR  # still reconnecting: polite meanwhile
        assert fact in reply
