"""The one typed interface between the engine and its callers (CLI, bot, benchmarks).

Everything a caller needs to show an answer is in these dataclasses; callers never
touch FAISS, BM25 or SQLite directly. Importing this module loads none of them either
(a test keeps it so), so the bot and `qabot --help` start fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from index.errors import IndexCorrupt, IngestError, ModelUnavailable, QabotError, UnknownDocument

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Answer",
    "DocumentInfo",
    "EngineLimits",
    "EngineObserver",
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

# The file types documents are read from (index/documents.py has a reader for each).
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, so follow-ups can be understood."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with where it came from, ready to be shown to a person."""

    text: str
    score: float
    doc_id: str
    title: str
    source: str
    date: str | None
    start: int  # character offsets of the chunk inside its document's text
    end: int
    chunk_id: int


@dataclass(frozen=True)
class Answer:
    """What the engine says about one question.

    `text` is the short answer a person reads first (at most ~300 chars). When
    `confident` is false the articles do not answer the question: `text` is empty (the
    caller says so in its own words) and `topics` lists what the articles do cover.
    """

    question: str
    text: str
    confident: bool
    passages: list[Passage] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    score: float = 0.0


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document as listed by `qabot index list` or the bot's /sources."""

    doc_id: str
    title: str
    source: str
    date: str | None
    chunks: int
    content_hash: str


@dataclass(frozen=True)
class IndexStats:
    documents: int
    chunks: int
    bytes_on_disk: int


@dataclass(frozen=True)
class EngineLimits:
    """What the engine accepts, so a caller can refuse politely before asking."""

    max_question_chars: int
    max_document_bytes: int
    conversation_turns: int  # earlier turns worth keeping for follow-ups


class EngineObserver(Protocol):
    """Told of each batch of questions the engine answers, so a caller can export metrics
    (the engine knows nothing of Prometheus). Called on the engine's worker threads: it
    must be quick and thread-safe."""

    def batch_answered(self, questions: int, seconds: float) -> None: ...


class QuestionAnswerer(Protocol):
    """What the bot needs from the engine; `index.engine.Engine` implements it."""

    @property
    def limits(self) -> EngineLimits: ...

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    async def answer_async(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    def documents(self) -> list[DocumentInfo]: ...

    def add_paths(self, paths: Sequence[str]) -> list[DocumentInfo]: ...

    def add_bytes(self, filename: str, data: bytes) -> list[DocumentInfo]: ...

    def remove(self, doc_id: str) -> DocumentInfo: ...

    def stats(self) -> IndexStats: ...
