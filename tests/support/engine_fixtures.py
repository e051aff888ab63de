"""Fixtures for the engine's reliability tests; test modules load them with
`pytest_plugins = ("tests.support.engine_fixtures",)` (helpers they import live in engine_support).

Every test gets a small engine of its own in its own folder (faults must not leak between
tests), over three short articles, embedded by the fake embedder (tests/support/fake_embedder.py):
these tests are about storing, repairing and serving an index, not about the model, so
they run in the fast tier without loading it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index import Engine, EngineSettings
from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from qabot.config import Config
from tests.support.engine_support import ARTICLES, CountingEmbedder, OpenEngine
from tests.support.fake_embedder import FakeEmbedder


@pytest.fixture(scope="session")
def shared_embedder() -> Embedder:
    """The embedder of every test engine: the fake, deterministic and model-free."""
    return FakeEmbedder()


@pytest.fixture(scope="session")
def base_settings(config: Config, tmp_path_factory: pytest.TempPathFactory) -> EngineSettings:
    """Settings of a test engine: the real defaults, no default corpus, the shared model
    cache, and no span reader (a model like the embedder: the fake tier has neither)."""
    return config.engine_settings(tmp_path_factory.mktemp("unused")).with_changes(
        index={"default_corpus": None},
        embedding={"backend": "onnx", "batch_wait_ms": 1.0},
        answer={"reader": False},
    )


@pytest.fixture
def open_engine(base_settings: EngineSettings, shared_embedder: Embedder) -> Iterator[OpenEngine]:
    """open_engine(index_dir, embedder=None, **sections) -> (engine, its counting embedder),
    closed after the test; sections change settings, e.g. retrieval={"hnsw_threshold": 1}."""
    opened: list[Engine] = []

    def open_at(
        index_dir: Path, embedder: CountingEmbedder | None = None, **overrides: Any
    ) -> tuple[Engine, CountingEmbedder]:
        counting = embedder or CountingEmbedder(shared_embedder)
        settings = base_settings.with_changes(index={"dir": index_dir}, **overrides)
        engine = Engine(settings, embedder=counting)
        opened.append(engine)
        return engine, counting

    yield open_at
    for engine in opened:
        engine.close()


@pytest.fixture(scope="session")
def articles_index(
    base_settings: EngineSettings,
    shared_embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A closed index of the three articles, built once; tests work on copies of it."""
    index_dir = tmp_path_factory.mktemp("articles-index")
    settings = base_settings.with_changes(index={"dir": index_dir})
    engine = Engine(settings, embedder=shared_embedder)
    engine.add_documents([parse_bytes(name, text.encode()) for name, text in ARTICLES.items()])
    engine.close()
    return index_dir


@pytest.fixture
def index_copy(articles_index: Path, tmp_path: Path) -> Path:
    """A private copy of the three-article index."""
    target = tmp_path / "index"
    shutil.copytree(articles_index, target)
    return target
