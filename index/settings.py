"""The engine's settings, one typed section per concern; each default is written here once.

`config.yaml` shows these defaults (a test keeps the two equal) and `qabot/config.py`
composes them with the bot's sections. Paths may be relative: the configuration anchors
them to the config file's folder as it reads the file, before the engine sees them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    """A settings section: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexSettings(Section):
    dir: Path = Path("data/index")
    # indexed when a question meets an empty default index (None: never)
    default_corpus: Path | None = Path("corpus")
    max_document_bytes: int = Field(20_000_000, ge=1000, le=2_000_000_000)


class ChunkingSettings(Section):
    max_chars: int = Field(1000, ge=100, le=4000)
    overlap_sentences: int = Field(1, ge=0, le=5)


class EmbeddingSettings(Section):
    backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    batch_size: int = Field(32, ge=1, le=1024)
    cache_dir: Path = Path("data/models")
    batch_wait_ms: float = Field(2.0, ge=0, le=100)


class RetrievalSettings(Section):
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(40, ge=5, le=1000)
    hnsw_threshold: int = Field(50_000, ge=1)
    # faiss: vectors and BM25 in each process's snapshot; qdrant: both in a Qdrant collection
    backend: Literal["faiss", "qdrant"] = "faiss"


class QdrantSettings(Section):
    """Where the collection lives with `retrieval.backend: qdrant`: a server (`url`, its
    API key from the environment variable `api_key_env`) or local mode (`path`, one process)."""

    url: str | None = None
    path: Path | None = None
    collection: str = Field("qabot", pattern=r"^[A-Za-z0-9_-]{1,200}$")
    api_key_env: str = "QDRANT_API_KEY"


class AnswerSettings(Section):
    max_chars: int = Field(300, ge=80, le=1000)
    passage_max_chars: int = Field(1200, ge=200, le=4000)
    # None: the calibrated threshold of index/fitted.json (docs/quality.md)
    min_confidence: float | None = Field(None, ge=0.0, le=1.0)
    max_question_chars: int = Field(1000, ge=10, le=4096)
    conversation_turns: int = Field(4, ge=0, le=50)
    # The span reader (index/answer/span_reader.py): direct answers, the sentence that holds
    # the answer, and "I don't know" when the passages do not say. Off: sentences chosen by
    # retrieval.
    reader: bool = True


class FetchSettings(Section):
    """Reading web pages and feeds (index/news/fetch.py)."""

    # Loopback, private, link-local and multicast addresses are refused unless this is set
    # (a bot that fetches what strangers send must not reach the machines around it).
    allow_private_hosts: bool = False
    timeout_seconds: float = Field(20.0, gt=0, le=300)  # a whole fetch, redirects included
    max_bytes: int = Field(10_000_000, ge=10_000, le=200_000_000)  # a page, a PDF or a feed
    user_agent: str = "qabot/0.1 (news question-answering bot)"


class FeedSettings(Section):
    """Following RSS and Atom feeds (index/news/feed_parsing.py, index/news/syncing.py)."""

    interval_minutes: float = Field(30, gt=0, le=7 * 24 * 60)  # how often `serve` syncs
    keep_days: int = Field(0, ge=0)  # feed articles older than this are forgotten; 0: never
    max_items: int = Field(200, ge=1, le=10_000)  # a feed's first items read per sync
    # An item whose own text is shorter than this is read from its page (when robots.txt
    # allows): most feeds carry a summary, not the article.
    min_item_chars: int = Field(600, ge=0)


class EngineSettings(Section):
    index: IndexSettings = IndexSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    qdrant: QdrantSettings = QdrantSettings()
    fetch: FetchSettings = FetchSettings()
    feeds: FeedSettings = FeedSettings()

    @model_validator(mode="after")
    def _check_candidates(self) -> EngineSettings:
        if self.retrieval.candidates < self.retrieval.top_k:
            raise ValueError("retrieval.candidates must be at least retrieval.top_k")
        return self

    @model_validator(mode="after")
    def _check_qdrant(self) -> EngineSettings:
        if self.retrieval.backend == "qdrant" and (self.qdrant.url is None) == (
            self.qdrant.path is None
        ):
            raise ValueError("retrieval.backend qdrant needs one of qdrant.url and qdrant.path")
        return self

    def with_changes(self, **sections: dict[str, object]) -> EngineSettings:
        """A copy with some fields of some sections changed, e.g. retrieval={"top_k": 3}."""
        update = {}
        for name, fields in sections.items():
            section = getattr(self, name)
            update[name] = type(section).model_validate({**section.model_dump(), **fields})
        return self.model_copy(update=update)
