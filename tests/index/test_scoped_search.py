"""A question limited to some documents (a chat's collections, the articles an alert
checks, a date range: index/search/scopes.py) is answered from them on every backend: the chunk
store in SQLite or PostgreSQL, the candidates from FAISS and BM25 in the process or from a
Qdrant collection (qdrant-client's local mode; no Qdrant server here).

The index is built so that only a scope that reaches the candidate search can answer:
eight articles of another chat say the same thing in the question's very words, so they
fill the few candidates (`retrieval.candidates` at its minimum, 5) of an unscoped search;
filtering the candidates afterwards would leave nothing of the scope to answer from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from index import Engine, EngineSettings
from index.api import SHARED, Scope, chat_collection
from index.ingest.documents import Document, make_document, parse_bytes
from index.ingest.embedding import Embedder
from tests.support.engine_support import ARTICLES

if TYPE_CHECKING:
    from index.search.qdrant import QdrantCollection

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")

QUESTION = "What do workers cover the Rhone glacier with?"
TODAY = dt.date(2023, 2, 1)
OURS, THEIRS = 5, 6  # chat 5 sent the article with the answer, chat 6 the crowd
CROWD_FACTS = ["white", "grey", "wool", "felt", "canvas", "linen", "cotton", "silver"]


def crowd() -> list[Document]:
    """Chat 6's articles: the question's words twice each, with another fact each, dated
    before yesterday."""
    return [
        make_document(
            f"crowd-{n}",
            f"crowd-{n}",
            f"Rhone glacier cover {n}",
            f"2023-01-{20 + n:02d}",
            f"Workers cover the Rhone glacier with {fact} blankets. "
            f"Rhone glacier workers cover it with {fact} blankets.",
            source=f"https://crowd.example/{n}",
            collection=chat_collection(THEIRS),
        )
        for n, fact in enumerate(CROWD_FACTS)
    ]


TARGET = make_document(
    "straw",
    "straw",
    "Straw mats in the Alps",
    "2023-01-31",  # yesterday
    "In a valley of the Alps, workers cover the Rhone glacier with straw mats to slow the "
    "melting. Tourists still visit the ice grotto carved into it every summer.",
    source="https://ours.example/straw",
    url="https://ours.example/straw",
    collection=chat_collection(OURS),
)


@pytest.fixture(
    params=[
        ("sqlite", "faiss"),
        ("postgres", "faiss"),
        ("sqlite", "qdrant"),
        ("postgres", "qdrant"),
    ],
    ids=lambda backends: "+".join(backends),
)
def engine(
    request: pytest.FixtureRequest,
    base_settings: EngineSettings,
    shared_embedder: Embedder,
    tmp_path: Path,
) -> Iterator[Engine]:
    """An engine over the shared articles, the crowd and the target, on one pair of
    backends: the chunk store's and the candidate search's."""
    store, search = request.param
    storage = None
    if store == "postgres":
        from index.store.postgres import PostgresStorage

        storage = PostgresStorage(request.getfixturevalue("pool"), 0.0)
    settings = base_settings.with_changes(
        index={"dir": tmp_path / "index"},
        retrieval={"candidates": 5, "top_k": 5, "backend": search},
        qdrant={"path": tmp_path / "qdrant"},
    )
    with qdrant_collection(search, tmp_path / "qdrant") as collection:
        opened = Engine(settings, shared_embedder, storage=storage, collection=collection)
        shared = [parse_bytes(name, text.encode()) for name, text in ARTICLES.items()]
        opened.add_documents([*shared, *crowd(), TARGET])
        try:
            yield opened
        finally:
            opened.close()


@contextmanager
def qdrant_collection(search: str, folder: Path) -> Iterator[QdrantCollection | None]:
    """The collection of a "qdrant" search, in local mode in `folder`; None for FAISS."""
    if search != "qdrant":
        yield None
        return
    from qdrant_client import QdrantClient

    from index.search.qdrant import QdrantCollection

    client = QdrantClient(path=str(folder))
    try:
        yield QdrantCollection(client, "qabot")
    finally:
        client.close()


def sources(engine: Engine, question: str, scope: Scope | None = None) -> set[str]:
    return {passage.doc_id for passage in engine.answer(question, scope=scope).passages}


def test_unscoped_the_crowd_fills_every_candidate(engine: Engine) -> None:
    """The premise of the tests below: without a scope the target is not found at all."""
    kind = engine.current_view().search.kind  # "flat" (FAISS) or "qdrant"
    assert (kind == "qdrant") == (engine.settings.retrieval.backend == "qdrant")
    answer = engine.answer(QUESTION, scope=Scope(today=TODAY))
    assert answer.confident and "blankets" in answer.text
    assert TARGET.doc_id not in {p.doc_id for p in answer.passages}


def test_a_chat_reads_its_own_link_and_not_another_chat_s(engine: Engine) -> None:
    ours = engine.answer(QUESTION, scope=Scope((SHARED, chat_collection(OURS)), today=TODAY))
    assert ours.confident and "straw mats" in ours.text
    assert ours.passages[0].doc_id == TARGET.doc_id
    assert ours.passages[0].url == TARGET.url
    theirs = sources(engine, QUESTION, Scope((SHARED, chat_collection(THEIRS)), today=TODAY))
    assert theirs and TARGET.doc_id not in theirs
    stranger = engine.answer(QUESTION, scope=Scope((SHARED, chat_collection(7)), today=TODAY))
    assert not stranger.confident
    assert {p.doc_id for p in stranger.passages} <= {"moon", "bees", "lighthouse"}


def test_an_alert_s_question_reads_only_the_articles_it_checks(engine: Engine) -> None:
    """What bot/handlers/news/alerts.py asks: the topic, among some new articles (`doc_ids`)."""
    scope = Scope(collections=(SHARED, chat_collection(OURS)), doc_ids=(TARGET.doc_id,))
    answer = engine.answer(QUESTION, scope=scope)
    assert answer.confident and {p.doc_id for p in answer.passages} == {TARGET.doc_id}
    one_of_the_crowd = sources(engine, QUESTION, Scope(doc_ids=("crowd-3",)))
    assert one_of_the_crowd == {"crowd-3"}
    # documents out of the chat's collections stay out, whatever the ids asked
    hidden = Scope(collections=(SHARED, chat_collection(OURS)), doc_ids=("crowd-3",))
    assert not engine.answer(QUESTION, scope=hidden).passages


def test_yesterday_reads_yesterday_s_articles(engine: Engine) -> None:
    answer = engine.answer(f"{QUESTION[:-1]} yesterday?", scope=Scope(today=TODAY))
    assert answer.confident and "straw mats" in answer.text
    assert {p.date for p in answer.passages} == {"2023-01-31"}
    earlier = engine.answer(f"{QUESTION[:-1]} on January 23, 2023?", scope=Scope(today=TODAY))
    assert {p.doc_id for p in earlier.passages} == {"crowd-3"}
