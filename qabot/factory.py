"""Build the engine from validated configuration (the one place config meets `index/`)."""

from __future__ import annotations

from pathlib import Path

from index.engine import Engine
from qabot.config import Config


def open_engine(config: Config, index_dir: Path | None = None) -> Engine:
    """Open (or create) the configured index; the default corpus is indexed on first use."""
    return Engine(config.engine_settings(index_dir))
