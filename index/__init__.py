"""qabot's retrieval engine: ingest, chunk, embed, store and search documents.

Callers use `Engine` and the dataclasses of `index.api`; nothing here knows about Telegram.
"""

from index.api import Answer, DocumentInfo, IndexStats, Passage, QuestionAnswerer, Turn
from index.engine import Engine, EngineSettings
from index.errors import IndexCorrupt, IngestError, ModelUnavailable, QabotError, UnknownDocument

__all__ = [
    "Answer",
    "DocumentInfo",
    "Engine",
    "EngineSettings",
    "IndexCorrupt",
    "IndexStats",
    "IngestError",
    "ModelUnavailable",
    "Passage",
    "QabotError",
    "QuestionAnswerer",
    "Turn",
    "UnknownDocument",
]
