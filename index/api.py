"""The one typed interface between the engine and its callers (CLI, bot, benchmarks).

Everything a caller needs to show an answer is in these dataclasses; callers never
touch FAISS, BM25 or SQLite directly. Importing this module loads none of them either
(a test keeps it so), so the bot and `qabot --help` start fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from index.errors import (
    FetchError,
    IndexCorrupt,
    IngestError,
    ModelUnavailable,
    QabotError,
    UnknownDocument,
    UnknownFeed,
)

__all__ = [
    "SHARED",
    "SUPPORTED_SUFFIXES",
    "AddedLink",
    "Answer",
    "Digest",
    "DigestItem",
    "DocumentInfo",
    "EngineLimits",
    "EngineObserver",
    "FeedInfo",
    "FeedSync",
    "FetchError",
    "IndexCorrupt",
    "IndexStats",
    "IngestError",
    "LatestArticle",
    "ModelUnavailable",
    "NewsDesk",
    "Passage",
    "QabotError",
    "QuestionAnswerer",
    "Scope",
    "Turn",
    "UnknownDocument",
    "UnknownFeed",
    "chat_collection",
]

# The file types documents are read from (index/ingest/documents.py has a reader for each).
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
SHARED = "shared"  # the collection every question reads (index/store/chunks.py writes it so too)


def chat_collection(chat_id: int) -> str:
    """The collection of the links one chat sent: only that chat's questions read it."""
    return f"chat:{chat_id}"


@dataclass(frozen=True)
class Scope:
    """Which documents a question reads, and the day it is asked.

    `collections` None reads every collection (the operator's command line); a chat reads
    (SHARED, chat_collection(id)). `doc_ids` limits a question to some documents (a topic
    checked against newly read articles). `today` resolves "yesterday" or "this week"
    (None: today in UTC).
    """

    collections: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None
    today: dt.date | None = None


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
    url: str | None = None  # the article's web address, when it was read from the web


@dataclass(frozen=True)
class Answer:
    """What the engine says about one question.

    `text` is the short answer a person reads first (at most ~300 chars). When
    `confident` is false the articles do not answer the question: `text` is empty (the
    caller says so in its own words) and `topics` lists what the articles do cover;
    `closest` is set when the articles are about the question's subject but do not say
    (a near miss): the passage nearest to it, to be shown as not the answer. `direct` is
    the words that answer a factual question ("two counts of involuntary manslaughter"),
    or None when the reader is unsure or the question wants an explanation.
    """

    question: str
    text: str
    confident: bool
    passages: list[Passage] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    score: float = 0.0
    direct: str | None = None
    closest: Passage | None = None


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document as listed by `qabot index list` or the bot's /sources."""

    doc_id: str
    title: str
    source: str
    date: str | None
    chunks: int
    content_hash: str
    url: str | None = None
    collection: str = SHARED


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

    def answer(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer: ...

    async def answer_async(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer: ...

    def documents(self) -> list[DocumentInfo]: ...

    def add_paths(self, paths: Sequence[str]) -> list[DocumentInfo]: ...

    def add_bytes(self, filename: str, data: bytes) -> list[DocumentInfo]: ...

    def remove(self, doc_id: str) -> DocumentInfo: ...

    def stats(self) -> IndexStats: ...


@dataclass(frozen=True)
class AddedLink:
    """A page read from a link: the document it became, and the oldest links of its
    collection forgotten to keep the collection within its bound."""

    document: DocumentInfo
    dropped: list[DocumentInfo] = field(default_factory=list)
    already: bool = False  # the page was indexed as it is: nothing changed


@dataclass(frozen=True)
class FeedInfo:
    """A followed feed, as `qabot feeds list` and /feeds show it."""

    feed_id: int
    url: str
    title: str
    articles: int  # documents that came from it
    last_synced: str | None  # ISO time of the last successful fetch
    last_error: str | None  # why the last attempt failed (None: it did not)
    failures: int  # attempts failed in a row; retried with backoff
    next_attempt: str | None  # ISO time of the next scheduled attempt


@dataclass(frozen=True)
class FeedSync:
    """What one sync of one feed did."""

    feed: FeedInfo
    new: list[DocumentInfo] = field(default_factory=list)
    updated: list[DocumentInfo] = field(default_factory=list)
    unchanged: int = 0  # items already stored as they are (or a 304: the feed is unchanged)
    also_reported: int = 0  # items another feed brought first: stored once
    reported: list[DocumentInfo] = field(default_factory=list)  # those documents
    skipped: list[str] = field(default_factory=list)  # items not read, and why
    error: str | None = None  # the feed itself failed
    not_modified: bool = False  # the server said so (304): nothing was read
    busy: bool = False  # another worker was syncing it: left to that one

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class LatestArticle:
    document: DocumentInfo
    also_reported_by: list[str] = field(default_factory=list)  # other feeds' titles


@dataclass(frozen=True)
class DigestItem:
    """One story of a digest: its article, where it came from, its first sentence."""

    document: DocumentInfo
    lead: str  # the article's first sentence
    source: str  # the feed that brought it first, else its site (or file)
    also_reported_by: list[str] = field(default_factory=list)  # other feeds and sites


@dataclass(frozen=True)
class Digest:
    """The articles published in a period (both ends included; `start` None: the newest
    articles, whenever published), newest first, one item per story."""

    start: dt.date | None
    end: dt.date
    items: list[DigestItem] = field(default_factory=list)
    more: int = 0  # further stories of the period, beyond the digest's limit
    # When the period has none: the newest articles published before it (to say so plainly).
    newest_before: list[DigestItem] = field(default_factory=list)


class NewsDesk(Protocol):
    """Following the news: links, feeds and the newest articles; `index.news.desk.News`
    implements it. Every method does network or disk work: call it off the event loop."""

    def add_url(self, url: str, collection: str = SHARED, keep: int | None = None) -> AddedLink:
        """Read one web page (or PDF) into `collection`; with `keep`, the collection's
        oldest documents beyond that many are forgotten."""
        ...

    def feeds(self) -> list[FeedInfo]: ...

    def add_feed(self, url: str) -> FeedInfo:
        """Follow a feed (fetched once to check that it is one)."""
        ...

    def remove_feed(self, url_or_id: str) -> FeedInfo: ...

    def sync(self, due_only: bool = True) -> list[FeedSync]:
        """Fetch the feeds (those due, or all) and index their new or changed items."""
        ...

    def latest(
        self, limit: int = 10, collections: tuple[str, ...] | None = None
    ) -> list[LatestArticle]:
        """The newest dated documents, newest first."""
        ...

    def digest(
        self,
        start: dt.date | None,
        end: dt.date,
        collections: tuple[str, ...] | None = None,
        limit: int = 20,
    ) -> Digest:
        """The stories published from `start` to `end` (None: the newest), newest first."""
        ...

    def stories(self, doc_ids: Sequence[str]) -> list[DigestItem]:
        """These documents as digest items (lead, source, who else carried them)."""
        ...

    def mentioning(self, doc_ids: Sequence[str], keywords: Sequence[str]) -> set[str]:
        """The documents whose title or text names one of `keywords` (whole words, any
        case)."""
        ...

    def digest_for(self, question: str, scope: Scope | None = None) -> Digest | None:
        """The digest a question asks for ("What happened yesterday?"), or None when it
        asks something else (then it is for the answer pipeline)."""
        ...
