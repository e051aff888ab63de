"""The one typed interface between the engine and its callers (CLI, bot, benchmarks).

Everything a caller needs to show an answer is in these dataclasses; callers never
touch FAISS, BM25 or SQLite directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


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

    `text` is the short answer a person reads first (at most ~300 chars); when
    `confident` is false it is a plain "I couldn't find that" and `topics` lists
    what the articles do cover.
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


class QuestionAnswerer(Protocol):
    """What the bot needs from the engine; `index.Engine` implements it."""

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    async def answer_async(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    def documents(self) -> list[DocumentInfo]: ...

    def add_paths(self, paths: Sequence[str]) -> list[DocumentInfo]: ...

    def remove(self, doc_id: str) -> DocumentInfo: ...

    def stats(self) -> IndexStats: ...
