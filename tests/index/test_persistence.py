"""Persistence: what was indexed survives a restart unchanged and without re-embedding, writes
are atomic, and a stale index is rebuilt with a log message, never used silently."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict
from pathlib import Path

import pytest

from index.ingest.documents import Document, parse_bytes
from index.snapshot.build import FORMAT_VERSION, POINTER
from index.store.atomic import write_text_atomic
from index.store.originals import Originals
from index.store.saving import chunk_recipe
from index.store.sqlite import STORE_FORMAT
from tests.support.engine_support import (
    ARTICLES,
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    OpenEngine,
    answers_of,
)

pytest_plugins = ("tests.support.engine_fixtures",)

ALL_QUESTIONS = [question for question, _ in QUESTIONS.values()] + [EXTRA_QUESTION[0]]


def manifest_of(index_dir: Path) -> dict[str, object]:
    folder = index_dir / (index_dir / POINTER).read_text().strip()
    manifest: dict[str, object] = json.loads((folder / "manifest.json").read_text())
    return manifest


def edit_manifest(index_dir: Path, **changes: object) -> None:
    folder = index_dir / (index_dir / POINTER).read_text().strip()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def run_sql(index_dir: Path, statement: str) -> list[tuple[object, ...]]:
    """Change the chunk store behind the engine's back, as a crash or an old version would."""
    with closing(sqlite3.connect(index_dir / "chunks.sqlite")) as db, db:
        return db.execute(statement).fetchall()


def stored_chunk_texts(index_dir: Path) -> list[str]:
    return [str(text) for (text,) in run_sql(index_dir, "SELECT text FROM chunks")]


def index_warnings(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name == "qabot.index" and r.levelno >= 30
    )


def test_a_reopened_index_has_the_same_documents_and_answers_without_embedding(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE
    engine.add_bytes(name, text.encode())
    documents, answers = engine.documents(), answers_of(engine, ALL_QUESTIONS)
    pointer = (index_copy / POINTER).read_text()
    engine.close()

    reopened, embedder = open_engine(index_copy)

    assert embedder.texts == []  # nothing re-embedded to open it
    assert reopened.documents() == documents
    assert (index_copy / POINTER).read_text() == pointer  # the same snapshot, not a rebuild
    assert answers_of(reopened, ALL_QUESTIONS) == answers
    assert len(embedder.texts) == len(ALL_QUESTIONS)  # only the questions were embedded
    for answer, (_, fact) in zip(answers, [*QUESTIONS.values(), EXTRA_QUESTION], strict=True):
        assert fact in answer.text


def test_an_empty_index_opens_and_refuses_politely(tmp_path: Path, open_engine: OpenEngine) -> None:
    engine, _ = open_engine(tmp_path / "empty")

    answer = engine.answer("How often does the Moon orbit the Earth?")

    assert engine.documents() == []
    assert not answer.confident
    assert answer.passages == []


def test_atomic_write_replaces_the_whole_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "CURRENT"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")

    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


def test_a_failed_atomic_write_keeps_the_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "CURRENT"
    write_text_atomic(target, "old")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(target, "new content that never fully reached the disk")

    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


def test_leftovers_of_an_interrupted_update_are_cleaned_at_start(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    current = (index_copy / POINTER).read_text()
    orphan = index_copy / "snapshot-99-0123abcd"
    orphan.mkdir()
    (orphan / "vectors.faiss").write_bytes(b"half written")
    partial = index_copy / "documents" / ".moon.json.4242.partial"
    partial.write_text('{"doc_id": "mo')

    _engine, embedder = open_engine(index_copy)

    assert not orphan.exists()
    assert not partial.exists()
    assert (index_copy / POINTER).read_text() == current
    assert (index_copy / current / "manifest.json").is_file()
    assert embedder.texts == []


# ----- stale indexes are rebuilt, loudly -----------------------------------------------------


def test_an_index_behind_its_chunk_store_is_rebuilt_without_embedding(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    answers = answers_of(engine)
    engine.close()
    run_sql(index_copy, "UPDATE meta SET value = value + 1 WHERE key = 'generation'")  # unseen
    (generation,) = run_sql(
        index_copy, "SELECT CAST(value AS INT) FROM meta WHERE key='generation'"
    )

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    assert "an update was interrupted" in index_warnings(caplog)
    assert manifest_of(index_copy)["store_generation"] == generation[0]
    assert embedder.texts == []
    assert answers_of(reopened) == answers


def test_an_index_of_an_older_format_is_rebuilt_without_embedding(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    answers = answers_of(engine)
    engine.close()
    edit_manifest(index_copy, format_version=FORMAT_VERSION - 1, layout="an older one")

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    assert f"the index is format {FORMAT_VERSION - 1}" in index_warnings(caplog)
    assert manifest_of(index_copy)["format_version"] == FORMAT_VERSION
    assert embedder.texts == []
    assert answers_of(reopened) == answers


def test_an_index_built_by_another_model_is_rebuilt(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    edit_manifest(index_copy, model="some/other-model")

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        open_engine(index_copy)

    assert "built with some/other-model" in index_warnings(caplog)
    assert manifest_of(index_copy)["model"] != "some/other-model"


def test_a_chunk_store_of_an_older_format_is_set_aside_and_rebuilt_from_the_documents(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    answers, documents = answers_of(engine), engine.documents()
    engine.close()
    old = STORE_FORMAT - 2  # format 2 is migrated in place (tests/index/test_store_migration.py)
    run_sql(index_copy, f"PRAGMA user_version = {old}")

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    warnings = index_warnings(caplog)
    assert f"is format {old}; this qabot uses {STORE_FORMAT}" in warnings
    assert list(index_copy.glob("chunks.damaged-*.sqlite"))  # kept aside, never used again
    assert set(stored_chunk_texts(index_copy)) <= set(embedder.texts)  # all embedded anew
    assert set(reopened.documents()) == set(documents)
    assert answers_of(reopened) == answers


def test_changed_chunking_settings_re_chunk_every_document(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="qabot.index"):
        engine, embedder = open_engine(
            index_copy, chunking={"max_chars": 120, "overlap_sentences": 0}
        )

    assert "chunking settings (or int8 embedding) changed" in index_warnings(caplog)
    assert manifest_of(index_copy)["chunking"] == chunk_recipe(engine.settings)
    chunks = stored_chunk_texts(index_copy)
    assert max(len(text) for text in chunks) <= 120
    assert set(chunks) <= set(embedder.texts)  # every document was chunked and embedded anew
    for (question, fact), answer in zip(QUESTIONS.values(), answers_of(engine), strict=True):
        assert fact in answer.text, question


def test_switching_to_int8_vectors_and_back_re_embeds_every_document(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """int8 vectors differ from fp32 ones (cosine ~0.993): the two must never mix."""
    with caplog.at_level(logging.INFO, logger="qabot.index"):
        engine, embedder = open_engine(index_copy, embedding={"backend": "onnx-int8"})
    assert "re-embedding every document" in index_warnings(caplog)
    assert set(stored_chunk_texts(index_copy)) <= set(embedder.texts)
    engine.close()

    back, embedder = open_engine(index_copy, embedding={"backend": "onnx"})
    assert set(stored_chunk_texts(index_copy)) <= set(embedder.texts)
    assert manifest_of(index_copy)["chunking"] == chunk_recipe(back.settings)
    for (question, fact), answer in zip(QUESTIONS.values(), answers_of(back), strict=True):
        assert fact in answer.text, question


# ----- reopening trusts an unchanged documents folder, and only that ------------------------


@pytest.fixture
def full_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per call of Originals.load_all: every stored document parsed."""
    calls: list[int] = []
    load_all = Originals.load_all

    def counting(self: Originals) -> dict[str, Document]:
        found = load_all(self)
        calls.append(len(found))
        return found

    monkeypatch.setattr(Originals, "load_all", counting)
    return calls


def test_reopening_an_unchanged_index_parses_no_stored_document(
    index_copy: Path, open_engine: OpenEngine, full_parses: list[int]
) -> None:
    engine, _ = open_engine(index_copy)  # a copy (new inodes and ctimes): compared in full
    answers = answers_of(engine, ALL_QUESTIONS[:-1])
    engine.close()
    assert full_parses == [3]

    reopened, embedder = open_engine(index_copy)

    assert full_parses == [3]  # the folder is as the store last matched it
    assert embedder.texts == []
    assert answers_of(reopened, ALL_QUESTIONS[:-1]) == answers


def test_after_an_add_the_next_open_compares_every_document_once(
    index_copy: Path,
    open_engine: OpenEngine,
    full_parses: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE
    engine.add_bytes(name, text.encode())
    engine.close()
    full_parses.clear()

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)
        reopened.close()
        _, embedder_again = open_engine(index_copy)

    assert full_parses == [4]  # after the add, once; the open after that, not at all
    assert embedder.texts == embedder_again.texts == []
    assert index_warnings(caplog) == ""  # the add left everything complete


def rewrite_moon(documents: Path) -> None:
    """A new version of moon.json: another fact, written atomically."""
    changed = ARTICLES["moon.txt"].replace("27 days", "28 days")
    Originals(documents).save(parse_bytes("moon.txt", changed.encode()))


def rewrite_moon_in_place(documents: Path) -> None:
    """The same change written into the same file, its size and mtime put back: only its
    ctime tells (as an editor or a restore tool that keeps times might leave it)."""
    path = documents / "moon.json"
    before = path.stat()
    changed = ARTICLES["moon.txt"].replace("27 days", "28 days")
    data = json.dumps(asdict(parse_bytes("moon.txt", changed.encode()))).encode()
    assert len(data) == before.st_size
    with open(path, "r+b") as handle:
        handle.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_ino == before.st_ino


ON_DISK_CHANGES: dict[str, Callable[[Path], object]] = {
    "rewritten": rewrite_moon,
    "rewritten in place, same size and mtime": rewrite_moon_in_place,
    "removed": lambda documents: (documents / "moon.json").unlink(),
}


@pytest.mark.parametrize("change", list(ON_DISK_CHANGES))
def test_a_stored_document_changed_while_closed_is_seen_at_reopen(
    change: str,
    index_copy: Path,
    open_engine: OpenEngine,
    full_parses: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, _ = open_engine(index_copy)  # records the folder as the store matches it
    engine.close()
    ON_DISK_CHANGES[change](index_copy / "documents")
    full_parses.clear()

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    assert len(full_parses) == 1
    moon = reopened.answer(QUESTIONS["moon"][0])
    if change == "removed":
        assert "dropping 1 document(s) whose original is gone: ['moon']" in index_warnings(caplog)
        assert {d.doc_id for d in reopened.documents()} == {"bees", "lighthouse"}
        assert all(p.doc_id != "moon" for p in moon.passages)
    else:
        assert "embedding 1 stored document(s) missing" in index_warnings(caplog)
        assert "28 days" in moon.text
        assert all("27 days" not in p.text for p in moon.passages)
        assert len(embedder.texts) > 1  # the new version's chunks and sentences, then the question


def test_a_document_written_but_never_stored_is_embedded_at_reopen(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """What a crash between writing a document and storing its chunks leaves behind."""
    engine, _ = open_engine(index_copy)
    engine.close()
    name, text = EXTRA_ARTICLE
    Originals(index_copy / "documents").save(parse_bytes(name, text.encode()))

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    assert "embedding 1 stored document(s) missing" in index_warnings(caplog)
    assert {d.doc_id for d in reopened.documents()} == {*QUESTIONS, "glaciers"}
    assert embedder.texts  # its chunks and sentences
    assert EXTRA_QUESTION[1] in reopened.answer(EXTRA_QUESTION[0]).text
