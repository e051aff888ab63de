"""An operator's existing index keeps working: a chunk store of format 2 (before documents
had an address and a collection) is migrated in place, without re-embedding."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from index.store.sqlite import STORE_FORMAT
from tests.support.engine_support import (
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    CountingEmbedder,
    OpenEngine,
)

pytest_plugins = ("tests.support.engine_fixtures",)


def _as_format_2(store: Path) -> None:
    """Rewrite a store as format 2 wrote it: the documents table without url and
    collection, user_version 2 (the chunks, sentences and vectors are as they were)."""
    with sqlite3.connect(store) as db:
        db.execute("ALTER TABLE documents DROP COLUMN url")
        db.execute("ALTER TABLE documents DROP COLUMN collection")
        db.execute("PRAGMA user_version=2")


def test_a_format_2_store_is_migrated_in_place(
    index_copy: Path, open_engine: OpenEngine, shared_embedder: Embedder
) -> None:
    _as_format_2(index_copy / "chunks.sqlite")
    with sqlite3.connect(index_copy / "chunks.sqlite") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(documents)")}
    assert "collection" not in columns
    counting = CountingEmbedder(shared_embedder)
    engine, _ = open_engine(index_copy, counting)
    documents = engine.documents()
    assert sorted(d.doc_id for d in documents) == sorted(QUESTIONS)
    assert {(d.collection, d.url) for d in documents} == {("shared", None)}
    question, fact = QUESTIONS["moon"]
    assert fact in engine.answer(question).text
    assert len(counting.texts) == 1  # nothing was embedded again: only the question
    with sqlite3.connect(index_copy / "chunks.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == STORE_FORMAT


def test_a_migrated_store_takes_new_documents(index_copy: Path, open_engine: OpenEngine) -> None:
    _as_format_2(index_copy / "chunks.sqlite")
    engine, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE
    engine.add_documents([parse_bytes(name, text.encode())])
    assert EXTRA_QUESTION[1] in engine.answer(EXTRA_QUESTION[0]).text
    assert len(engine.documents()) == 4
