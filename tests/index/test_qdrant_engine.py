"""The engine with its vectors and BM25 in a Qdrant collection (`retrieval.backend: qdrant`).

qdrant-client's local mode runs the same client calls (collections, upserts, deletes, the
Query API with prefetches, fusion and the IDF modifier) in this process; no Qdrant server
is exercised here (docs/scaling.md says what a server changes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models

from index import Engine, EngineSettings
from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from index.search.qdrant import DENSE, SPARSE, QdrantCollection, document_weights, term_index
from tests.support.engine_support import (
    ARTICLES,
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    CountingEmbedder,
    answers_of,
)

pytest_plugins = ("tests.support.engine_fixtures",)
OpenQdrantEngine = Callable[..., tuple[Engine, QdrantCollection, CountingEmbedder]]


@pytest.fixture
def open_qdrant_engine(
    base_settings: EngineSettings, shared_embedder: Embedder, tmp_path: Path
) -> Iterator[OpenQdrantEngine]:
    """open_qdrant_engine(name="index") -> (engine, its collection, counting embedder), the
    collection in local mode under tmp_path/qdrant; closing the previous one first (local
    mode allows one client per folder)."""
    opened: list[tuple[Engine, QdrantClient]] = []

    def close_all() -> None:
        while opened:
            engine, client = opened.pop()
            engine.close()
            client.close()

    def open_one(name: str = "index") -> tuple[Engine, QdrantCollection, CountingEmbedder]:
        close_all()
        client = QdrantClient(path=str(tmp_path / "qdrant"))
        collection = QdrantCollection(client, "qabot")
        settings = base_settings.with_changes(
            index={"dir": tmp_path / name},
            retrieval={"backend": "qdrant"},
            qdrant={"path": tmp_path / "qdrant"},
        )
        embedder = CountingEmbedder(shared_embedder)
        engine = Engine(settings, embedder=embedder, collection=collection)
        opened.append((engine, client))
        return engine, collection, embedder

    yield open_one
    close_all()


def add_articles(engine: Engine) -> None:
    engine.add_documents([parse_bytes(name, text.encode()) for name, text in ARTICLES.items()])


def point_ids(collection: QdrantCollection) -> set[int]:
    records, _ = collection.client.scroll(collection.name, limit=10_000, with_payload=False)
    return {int(record.id) for record in records}


def stored_ids(engine: Engine) -> set[int]:
    return set(engine.current_view().store.chunk_ids().tolist())


def test_it_answers_from_the_collection_and_keeps_no_vector_index_of_its_own(
    open_qdrant_engine: OpenQdrantEngine, open_engine
) -> None:
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    for view, (_, fact) in zip(answers_of(engine), QUESTIONS.values(), strict=True):
        assert fact in view.text
    snapshot = engine.current_view().snapshot
    assert snapshot.vectors is None and snapshot.bm25 is None
    assert engine.current_view().search.kind == "qdrant"
    assert not (snapshot.folder / "vectors.faiss").exists()
    assert point_ids(collection) == stored_ids(engine)
    faiss_engine, _ = open_engine(engine.index_dir.parent / "faiss")
    add_articles(faiss_engine)
    assert answers_of(engine) == answers_of(faiss_engine)  # same candidates, same answers


def test_each_point_has_both_vectors_and_its_payload(open_qdrant_engine: OpenQdrantEngine) -> None:
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    chunk = next(iter(engine.current_view().store.chunks(sorted(stored_ids(engine))).values()))
    [point] = collection.client.retrieve(collection.name, [chunk.chunk_id], with_vectors=True)
    assert point.payload == {
        "doc_id": chunk.doc_id,
        "collection": "shared",
        "date": None,
        "start": chunk.start,
        "end": chunk.end,
    }
    assert isinstance(point.vector, dict) and len(point.vector[DENSE]) == 384
    sparse = point.vector[SPARSE]
    assert isinstance(sparse, models.SparseVector)
    expected = document_weights(chunk.text)
    assert dict(zip(sparse.indices, sparse.values, strict=True)) == pytest.approx(expected)


def test_the_server_scores_bm25_with_the_lexicon_s_idf(
    open_qdrant_engine: OpenQdrantEngine,
) -> None:
    """The sparse prefetch alone ranks by Σ idf · value, the score retrieval recomputes."""
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    lexicon = engine.current_view().snapshot.lexicon
    term = "lighthous"  # the stem of "lighthouse"
    hits = collection.client.query_points(
        collection.name,
        query=models.SparseVector(indices=[term_index(term)], values=[1.0]),
        using=SPARSE,
        with_vectors=[SPARSE],
        limit=5,
    ).points
    assert hits
    for hit in hits:
        assert isinstance(hit.vector, dict)
        values = dict(zip(hit.vector[SPARSE].indices, hit.vector[SPARSE].values, strict=True))
        assert hit.score == pytest.approx(lexicon.idf(term) * values[term_index(term)], rel=1e-4)


def test_adds_and_removals_update_points_in_place(open_qdrant_engine: OpenQdrantEngine) -> None:
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    before = point_ids(collection)
    name, text = EXTRA_ARTICLE
    engine.add_bytes(name, text.encode())
    question, fact = EXTRA_QUESTION
    assert fact in engine.answer(question).text
    after = point_ids(collection)
    assert before < after and after == stored_ids(engine)
    engine.remove("glaciers")
    assert point_ids(collection) == before
    assert fact not in engine.answer(question).text


@pytest.mark.parametrize("damage", ["deleted", "points lost", "emptied"])
def test_a_deleted_or_diverged_collection_is_refilled_from_the_store(
    open_qdrant_engine: OpenQdrantEngine, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    expected = answers_of(engine)
    ids = sorted(point_ids(collection))
    if damage == "deleted":
        collection.client.delete_collection(collection.name)
    else:
        lost = ids[:2] if damage == "points lost" else ids
        collection.client.delete(collection.name, points_selector=models.PointIdsList(points=lost))
    engine, collection, embedder = open_qdrant_engine()  # a restart notices
    assert "refilling it from the store" in caplog.text
    assert embedder.texts == []  # from stored vectors, nothing embedded again
    assert point_ids(collection) == set(ids)
    assert answers_of(engine) == expected


def test_rebuild_refills_the_collection_with_the_new_chunks(
    open_qdrant_engine: OpenQdrantEngine,
) -> None:
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    old = point_ids(collection)
    engine.rebuild()
    assert point_ids(collection) == stored_ids(engine)
    assert not old & point_ids(collection)  # re-embedded chunks have new ids
    for view, (_, fact) in zip(answers_of(engine), QUESTIONS.values(), strict=True):
        assert fact in view.text


def test_a_collection_deleted_while_serving_is_refilled_within_the_check_interval(
    open_qdrant_engine: OpenQdrantEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.snapshot.reconcile

    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    expected = answers_of(engine)
    monkeypatch.setattr(index.snapshot.reconcile, "REMOTE_CHECK_SECONDS", 0.0)
    collection.client.delete_collection(collection.name)
    assert answers_of(engine) == expected  # the next question found it gone and refilled it
    assert point_ids(collection) == stored_ids(engine)


def test_index_check_reports_and_refills_a_diverged_collection(
    open_qdrant_engine: OpenQdrantEngine,
) -> None:
    engine, collection, _ = open_qdrant_engine()
    add_articles(engine)
    assert engine.check()
    some = sorted(point_ids(collection))[:1]
    collection.client.delete(collection.name, points_selector=models.PointIdsList(points=some))
    assert not engine.check()
    assert engine.check()
    assert point_ids(collection) == stored_ids(engine)
