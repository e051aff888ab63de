"""The bot on a shared PostgreSQL while the database restarts: answers fail politely (the
person is told, nothing hangs), and once it is back the next question is answered without
restarting the bot. The engine here embeds with the fake embedder (no model)."""

from __future__ import annotations

import logging
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
from tests.support.postgres_cluster import cluster

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")


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


@pytest.mark.alone  # stops the PostgreSQL server every PostgreSQL test uses
async def test_an_outage_just_after_the_answer_left_is_one_warning_and_no_apology(
    engine: Engine,
    pool: ConnectionPool,
    config: Config,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The person has the answer; only its bookkeeping is lost, so nothing more is sent and
    the log says so in one line (issue 26's scenario test caught a traceback here)."""
    question, fact = QUESTIONS["moon"]
    async with running_bot(engine, tmp_path, config, pool=pool) as bot:
        bot.emulator.delay_next("sendMessage", 5.0)  # the answer is on its way ...
        bot.emulator.user_sends_text(question, chat_id=CHAT)
        await bot.emulator.wait_for_arrival("sendMessage")
        cluster("stop")  # ... when the database goes out
        try:
            assert fact in visible(await bot.emulator.wait_for_message(CHAT))
            await bot.emulator.wait_until(
                lambda: "database is out after the reply" in caplog.text,
                "the outage after the reply to be logged",
                timeout=30,
            )
        finally:
            cluster("start")
        assert bot.emulator.unconsumed_messages(CHAT) == []  # no apology after the answer
        assert "Traceback" not in caplog.text
        assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
