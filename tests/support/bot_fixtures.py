"""Fixtures for the bot's end-to-end tests; test modules load them with
`pytest_plugins = ("tests.support.bot_fixtures",)`.

Each test gets a fresh emulator and Application (cheap); the engine is the session's one
real engine over the shipped article (conftest.seed_engine), or a module's private engine
for tests that add or remove articles.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import NewsOptions
from bot.state.protocols import Conversations
from index import Engine
from index.api import QuestionAnswerer
from qabot.config import Config
from tests.support.bot_harness import BotUnderTest, StartBot, running_bot
from tests.support.emulator import BotApiEmulator


@pytest.fixture
def start_bot(request: pytest.FixtureRequest, tmp_path: Path, config: Config) -> StartBot:
    """start_bot(engine=None, conversations=None, emulator=None, news=None, pool=None,
    **telegram_overrides): the bot, as an async context manager; without an engine, the
    session's real one (the model is loaded only then); `conversations` replaces the
    default conversation memory; a started `emulator` (faults planned before the bot
    starts) replaces a new one; `news` switches on links, feeds and alerts; with a
    database `pool` the bot's state is in PostgreSQL."""

    def _seed_engine() -> Engine:
        engine: Engine = request.getfixturevalue("seed_engine")
        return engine

    def start(
        engine: QuestionAnswerer | None = None,
        conversations: Conversations | None = None,
        emulator: BotApiEmulator | None = None,
        news: NewsOptions | None = None,
        pool: Any = None,
        **telegram: Any,
    ) -> contextlib.AbstractAsyncContextManager[BotUnderTest]:
        return running_bot(
            engine or _seed_engine(),
            tmp_path,
            config,
            conversations=conversations,
            emulator=emulator,
            news=news,
            pool=pool,
            **telegram,
        )

    return start


@pytest.fixture
async def bot(start_bot: StartBot) -> AsyncIterator[BotUnderTest]:
    async with start_bot() as running:
        yield running


@pytest.fixture(scope="module")
def module_engine(
    seed_engine: Engine, config: Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine of the module's own over the shipped article, sharing the model."""
    index_dir = tmp_path_factory.mktemp("private-index")
    engine = Engine(config.engine_settings(index_dir), embedder=seed_engine.embedder)
    yield engine
    engine.close()


@pytest.fixture
def private_engine(module_engine: Engine) -> Iterator[Engine]:
    """The module's engine, for tests that add and remove articles: after each test it
    holds the shipped article alone again, whether the test passed or failed, so that one
    failure does not leave an article behind for the tests after it."""
    shipped = {document.doc_id for document in module_engine.documents()}
    yield module_engine
    for document in module_engine.documents():
        if document.doc_id not in shipped:
            module_engine.remove(document.doc_id)
