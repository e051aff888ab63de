"""The vector index: flat or HNSW by size, and removals from HNSW without a rebuild."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.snapshot.build
from index.ingest.documents import parse_bytes
from index.ingest.embedding import DIMENSION
from index.snapshot.faiss import FaissIndex
from tests.support.engine_support import EXTRA_ARTICLE, QUESTIONS, OpenEngine, answers_of

pytest_plugins = ("tests.support.engine_fixtures",)


def _unit_vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_index_kind_follows_the_threshold() -> None:
    ids = np.arange(100, dtype=np.int64)
    assert FaissIndex.build(ids, _unit_vectors(100), hnsw_threshold=101).kind == "flat"
    assert FaissIndex.build(ids, _unit_vectors(100), hnsw_threshold=100).kind == "hnsw"


def test_removed_vectors_are_never_found_again_even_after_reloading(tmp_path: Path) -> None:
    vectors = _unit_vectors(500)
    ids = np.arange(1000, 1500, dtype=np.int64)
    hnsw = FaissIndex.build(ids, vectors, hnsw_threshold=1)
    gone = ids[:50]
    hnsw.remove(gone)
    assert len(hnsw) == 450
    hnsw.save(tmp_path / "vectors.faiss")
    reloaded = FaissIndex.load(tmp_path / "vectors.faiss")
    assert len(reloaded) == 450

    for searched in (hnsw, reloaded):
        _, found = searched.search(vectors[:50], 10)  # each removed vector's own query
        assert not np.isin(found, gone).any()
        _, kept = searched.search(vectors[50:100], 1)
        assert (kept[:, 0] == ids[50:100]).mean() >= 0.95  # the rest is still found


def test_removing_a_document_from_an_hnsw_index_leaves_tombstones_until_the_limit(
    index_copy: Path, open_engine: OpenEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = open_engine(index_copy, retrieval={"hnsw_threshold": 1})
    name, text = EXTRA_ARTICLE
    engine.add_documents([parse_bytes(name, text.encode())])  # the publish crosses the threshold
    assert engine.current_view().snapshot.vectors.kind == "hnsw"
    monkeypatch.setattr(index.snapshot.build, "TOMBSTONE_LIMIT", 0.9)
    engine.remove("bees")
    vectors = engine.current_view().snapshot.vectors
    assert len(vectors.removed) > 0  # marked, not rebuilt
    bees_question = QUESTIONS["bees"][0]
    assert all(p.doc_id != "bees" for p in engine.answer(bees_question).passages)
    engine.close()

    reopened, _ = open_engine(index_copy, retrieval={"hnsw_threshold": 1})
    assert all(p.doc_id != "bees" for p in reopened.answer(bees_question).passages)
    monkeypatch.setattr(index.snapshot.build, "TOMBSTONE_LIMIT", 0.0)
    reopened.remove("moon")  # past the limit: rebuilt without any tombstone
    assert len(reopened.current_view().snapshot.vectors.removed) == 0
    answers = dict(zip(QUESTIONS, answers_of(reopened), strict=True))
    assert QUESTIONS["lighthouse"][1] in answers["lighthouse"].text
