"""qabot's retrieval engine: ingest, chunk, embed, store and search documents.

Callers use `index.engine.Engine` and the dataclasses of `index.api`; nothing here knows
about Telegram. `Engine` is imported lazily: importing `index.api` (what the bot uses)
must not load FAISS, bm25s or onnxruntime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from index.api import *  # noqa: F403
from index.api import __all__ as _api_names

if TYPE_CHECKING:
    from index.engine import Engine
    from index.settings import EngineSettings

__all__ = [*_api_names, "Engine", "EngineSettings"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from index.engine import Engine

        return Engine
    if name == "EngineSettings":
        from index.settings import EngineSettings

        return EngineSettings
    raise AttributeError(f"module 'index' has no attribute {name!r}")
