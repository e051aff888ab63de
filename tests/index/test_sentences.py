"""The snapshot's sentence table: kept in step with the chunk store through every change."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from index import Engine
from index.ingest.documents import parse_bytes
from index.snapshot.sentences import VECTORS_FILE, SentenceTable
from tests.support.engine_support import EXTRA_ARTICLE, EXTRA_QUESTION, QUESTIONS, OpenEngine

pytest_plugins = ("tests.support.engine_fixtures",)


def _table_read_from_the_store(engine: Engine, folder: Path) -> SentenceTable:
    snapshot = engine.current_view().snapshot
    return SentenceTable.write(folder, engine.current_view().store, snapshot.bm25.chunk_ids)


def _assert_same(table: SentenceTable, expected: SentenceTable) -> None:
    np.testing.assert_array_equal(table.chunk_ids, expected.chunk_ids)
    np.testing.assert_array_equal(table.offsets, expected.offsets)
    np.testing.assert_array_equal(table.spans, expected.spans)
    every_row = np.arange(int(expected.offsets[-1]))
    np.testing.assert_array_equal(table.read(every_row), expected.read(every_row))


def test_the_table_matches_the_store_after_adding_and_removing(
    index_copy: Path, open_engine: OpenEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qabot.index")
    engine, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE
    engine.add_documents([parse_bytes(name, text.encode())])  # appended to the table
    after_add = engine.current_view().snapshot.sentences
    assert len(after_add.chunk_ids) == len(engine.current_view().snapshot.bm25.chunk_ids)
    (tmp_path / "add").mkdir()
    _assert_same(after_add, _table_read_from_the_store(engine, tmp_path / "add"))

    engine.remove("bees")  # rows dropped from the middle of the table
    (tmp_path / "remove").mkdir()
    _assert_same(
        engine.current_view().snapshot.sentences,
        _table_read_from_the_store(engine, tmp_path / "remove"),
    )
    answer = engine.answer(EXTRA_QUESTION[0])
    assert EXTRA_QUESTION[1] in answer.text
    assert "reading every sentence" not in caplog.text  # both updates extended the old table


def test_every_sentence_of_every_chunk_is_in_the_table(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(index_copy)
    snapshot = engine.current_view().snapshot
    table = snapshot.sentences
    stored = engine.current_view().store.sentences([int(i) for i in table.chunk_ids])
    for position, chunk_id in enumerate(table.chunk_ids):
        rows, _ = table.rows([position])
        expected = stored[int(chunk_id)]
        assert table.spans[rows].tolist() == [[start, end] for start, end, _ in expected]
        np.testing.assert_array_equal(table.read(rows), np.stack([v for *_, v in expected]))
    assert table.offsets[-1] == sum(len(v) for v in stored.values())


def test_a_truncated_sentence_file_makes_the_index_rebuild(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(index_copy)
    folder = engine.current_view().snapshot.folder
    engine.close()
    vectors = folder / VECTORS_FILE
    vectors.write_bytes(vectors.read_bytes()[:-100])

    reopened, counting = open_engine(index_copy)
    assert reopened.current_view().snapshot.folder != folder
    assert counting.texts == []  # rebuilt from the store, not re-embedded
    question, fact = QUESTIONS["lighthouse"]
    assert fact in reopened.answer(question).text
