"""Shared fixtures: one real engine over the shipped article for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Engine
from qabot.config import Config, load_config
from qabot.factory import open_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_QUESTION = "what charges does Gutierrez Reed face"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(PROJECT_ROOT / "config.yaml")


@pytest.fixture(scope="session")
def seed_engine(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The real model and index, built from corpus/ exactly as a fresh clone does."""
    engine = open_engine(config, tmp_path_factory.mktemp("seed-index"))
    yield engine
    engine.close()
