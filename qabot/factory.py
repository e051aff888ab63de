"""Build the engine from validated configuration (the one place config meets `index/`)."""

from __future__ import annotations

from pathlib import Path

from index.api import EngineObserver
from index.engine import Engine
from index.news import News
from qabot.config import Config


def open_engine(
    config: Config,
    index_dir: Path | None = None,
    *,
    seed_default_corpus: bool = True,
    observer: EngineObserver | None = None,
) -> Engine:
    """Open (or create) the configured index.

    An empty index gets the default corpus unless `seed_default_corpus` is false (an index
    being filled with `qabot index add`); `observer` is told of every batch answered.
    """
    return Engine(
        config.engine_settings(index_dir),
        seed_default_corpus=seed_default_corpus,
        observer=observer,
    )


def open_news(config: Config, engine: Engine) -> News:
    """Links and feeds over an open engine (its index folder holds the feed state)."""
    return News(engine, engine.settings)
