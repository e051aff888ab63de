"""The engine under faults: damaged files, crashes in the middle of an update, failing
embedders, another process writing, and questions asked while documents come and go.

Whatever happens, the engine either answers from a complete, verified index or repairs it
from the stored documents and says so in the log; it never answers from a torn one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import shutil
import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from index import Answer, Engine, IndexCorrupt, UnknownDocument
from index.ingest.chunking import chunk_text
from index.ingest.documents import Document, parse_bytes
from index.ingest.embedding import Embedder
from index.snapshot.build import POINTER
from index.store import sqlite as store_module
from index.store.sqlite import STORE_FORMAT, SqliteChunkStore
from tests.support.engine_support import (
    ARTICLES,
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    CountingEmbedder,
    OpenEngine,
    answers_of,
)
from tests.support.pausing import kill_at

pytest_plugins = ("tests.support.engine_fixtures",)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def snapshot_folder(index_dir: Path) -> Path:
    return index_dir / (index_dir / POINTER).read_text().strip()


def warnings_of(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name == "qabot.index" and r.levelno >= 30
    )


def expected_texts(document: Document, max_chars: int = 1000, overlap: int = 1) -> list[str]:
    """What embedding one document must encode: its chunks, then their sentences, each
    distinct text once."""
    chunks = chunk_text(document.text, max_chars, overlap)
    texts = [c.text for c in chunks] + [
        c.text[s.start : s.end] for c in chunks for s in c.sentences
    ]
    return list(dict.fromkeys(texts))


def check_consistent(index_dir: Path) -> None:
    """Store, snapshot and stored documents agree, and nothing half-written is left about."""
    manifest = json.loads((snapshot_folder(index_dir) / "manifest.json").read_text())
    with closing(sqlite3.connect(index_dir / "chunks.sqlite")) as db:
        (chunks,) = db.execute("SELECT COUNT(*) FROM chunks").fetchone()
        stored = {doc_id for (doc_id,) in db.execute("SELECT doc_id FROM documents")}
    assert manifest["chunks"] == chunks
    assert stored == {path.stem for path in (index_dir / "documents").glob("*.json")}
    assert [p.name for p in index_dir.glob("snapshot-*")] == [snapshot_folder(index_dir).name]
    assert not list(index_dir.rglob("*.partial"))


# ----- one document in or out re-embeds nothing else ---------------------------------------


def test_adding_or_removing_a_document_embeds_only_that_document(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, embedder = open_engine(index_copy)
    name, text = EXTRA_ARTICLE
    extra = parse_bytes(name, text.encode())

    engine.add_documents([extra])

    assert embedder.texts == expected_texts(extra)
    embedder.texts.clear()
    engine.remove("bees")
    assert embedder.texts == []
    assert {d.doc_id for d in engine.documents()} == {"moon", "lighthouse", "glaciers"}
    question, fact = EXTRA_QUESTION
    assert fact in engine.answer(question).text
    check_consistent(index_copy)


def test_re_adding_a_changed_document_replaces_it(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, embedder = open_engine(index_copy)
    changed = ARTICLES["moon.txt"].replace("27 days", "27.3 days")

    engine.add_bytes("moon.txt", changed.encode())

    assert embedder.texts == expected_texts(parse_bytes("moon.txt", changed.encode()))
    answer = engine.answer(QUESTIONS["moon"][0])
    assert "27.3 days" in answer.text
    assert all("once every 27 days" not in p.text for p in answer.passages)
    assert len(engine.documents()) == 3
    check_consistent(index_copy)


def test_removing_an_unknown_document_says_so(index_copy: Path, open_engine: OpenEngine) -> None:
    engine, _ = open_engine(index_copy)

    with pytest.raises(UnknownDocument, match="no document with id 'nothing'"):
        engine.remove("nothing")


# ----- damaged files on disk are found at start and repaired from the stored documents ---------


def overwrite(path: Path, offset: int, size: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(random.Random(offset).randbytes(size))


def truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


STORE = "chunks.sqlite"
STORE_FAULTS: dict[str, Callable[[Path], object]] = {
    "store missing": lambda d: (d / STORE).unlink(),
    "store empty": lambda d: os.truncate(d / STORE, 0),
    "store truncated": lambda d: truncate_half(d / STORE),
    "store header random": lambda d: overwrite(d / STORE, 0, 100),
    "store page random": lambda d: overwrite(d / STORE, 12 * 4096, 4096),
    "store all random": lambda d: overwrite(d / STORE, 0, (d / STORE).stat().st_size),
}
SNAPSHOT_FAULTS: dict[str, Callable[[Path], object]] = {
    "pointer missing": lambda d: (d / POINTER).unlink(),
    "pointer random": lambda d: overwrite(d / POINTER, 0, 19),
    "pointer elsewhere": lambda d: (d / POINTER).write_text("../../etc"),
    "snapshot missing": lambda d: shutil.rmtree(snapshot_folder(d)),
    "manifest random": lambda d: overwrite(snapshot_folder(d) / "manifest.json", 10, 50),
    "vectors truncated": lambda d: truncate_half(snapshot_folder(d) / "vectors.faiss"),
    "vectors random": lambda d: overwrite(snapshot_folder(d) / "vectors.faiss", 100, 64),
    "vectors missing": lambda d: (snapshot_folder(d) / "vectors.faiss").unlink(),
    "bm25 random": lambda d: overwrite(snapshot_folder(d) / "bm25" / "chunk_ids.npy", 128, 8),
    "lexicon truncated": lambda d: truncate_half(snapshot_folder(d) / "lexicon.json"),
}


@pytest.mark.parametrize("fault", list(SNAPSHOT_FAULTS))
def test_a_damaged_search_index_is_rebuilt_from_the_store_without_embedding(
    fault: str,
    index_copy: Path,
    articles_index: Path,
    open_engine: OpenEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    SNAPSHOT_FAULTS[fault](index_copy)

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        engine, embedder = open_engine(index_copy)

    assert "rebuilding the search index" in warnings_of(caplog)
    assert embedder.texts == []
    check_consistent(index_copy)
    for (question, fact), answer in zip(QUESTIONS.values(), answers_of(engine), strict=True):
        assert fact in answer.text, question


@pytest.mark.parametrize("fault", list(STORE_FAULTS))
def test_a_damaged_chunk_store_is_rebuilt_from_the_stored_documents(
    fault: str, index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    answers, documents = answers_of(engine), set(engine.documents())
    engine.close()
    STORE_FAULTS[fault](index_copy)

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    assert "the chunk store" in warnings_of(caplog)
    assert len(embedder.texts) > 0  # re-embedded from documents/, the source of truth
    assert set(reopened.documents()) == documents
    assert answers_of(reopened) == answers
    check_consistent(index_copy)


def damage_a_chunk_page(index_dir: Path) -> None:
    """Overwrite the last leaf page of the chunks table: not the first page of any table,
    so only a query that reads those chunks (or SQLite's full check) meets it."""
    with closing(sqlite3.connect(index_dir / STORE)) as db:
        (page,) = db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'chunks' AND pagetype = 'leaf' "
            "ORDER BY path DESC LIMIT 1"
        ).fetchone()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
    overwrite(index_dir / STORE, (page - 1) * page_size, page_size)


@pytest.fixture
def large_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store counts as large: opening skips SQLite's full check, as at 1e6 chunks."""
    monkeypatch.setattr(store_module, "QUICK_CHECK_LIMIT", 0)


@pytest.mark.usefixtures("large_store")
def test_opening_a_large_store_skips_the_full_check_but_not_its_format(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(index_copy)
    engine.close()
    damage_a_chunk_page(index_copy)
    store = SqliteChunkStore(index_copy / STORE)
    try:
        store.check()  # the damaged page is not read
        with pytest.raises(IndexCorrupt, match="is damaged"):
            store.check(full=True)
        with pytest.raises(IndexCorrupt, match="is damaged"):  # not a bare sqlite3 error
            store.all_vectors()
        store.set_meta("probe", "1")  # the connection still works for what is intact
    finally:
        store.close()
    with closing(sqlite3.connect(index_copy / STORE)) as db:
        db.execute(f"PRAGMA user_version = {STORE_FORMAT + 1}")
    store = SqliteChunkStore(index_copy / STORE)
    try:
        with pytest.raises(IndexCorrupt, match=f"is format {STORE_FORMAT + 1}"):
            store.check()
    finally:
        store.close()


@pytest.mark.usefixtures("large_store")
def test_damage_in_a_large_store_met_while_opening_sets_it_aside_and_rebuilds(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    answers, documents = answers_of(engine), set(engine.documents())
    engine.close()
    damage_a_chunk_page(index_copy)
    (index_copy / POINTER).unlink()  # the search index is rebuilt: every chunk is read

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        reopened, embedder = open_engine(index_copy)

    assert "is damaged (database disk image is malformed); moving it" in warnings_of(caplog)
    assert list(index_copy.glob("chunks.damaged-*.sqlite"))
    assert len(embedder.texts) > 0  # re-embedded from documents/, the source of truth
    assert set(reopened.documents()) == documents
    assert answers_of(reopened) == answers
    check_consistent(index_copy)


@pytest.mark.usefixtures("large_store")
def test_a_check_finds_damage_that_opening_a_large_store_skipped_and_repairs_it(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    answers, documents = answers_of(engine), set(engine.documents())
    assert engine.check() is True
    engine.close()
    damage_a_chunk_page(index_copy)

    reopened, embedder = open_engine(index_copy)  # the damaged page is not read
    assert embedder.texts == []
    with caplog.at_level(logging.INFO, logger="qabot.index"):
        assert reopened.check() is False

    assert "is damaged" in warnings_of(caplog)
    assert list(index_copy.glob("chunks.damaged-*.sqlite"))
    assert len(embedder.texts) > 0  # re-embedded from documents/
    assert set(reopened.documents()) == documents
    assert answers_of(reopened) == answers
    assert reopened.check() is True
    check_consistent(index_copy)


def test_an_unreadable_stored_document_is_reported_and_its_chunks_kept(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    overwrite(index_copy / "documents" / "moon.json", 0, 40)

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        engine, embedder = open_engine(index_copy)

    assert "moon.json is unreadable" in warnings_of(caplog)
    assert "moon" in {d.doc_id for d in engine.documents()}
    assert QUESTIONS["moon"][1] in engine.answer(QUESTIONS["moon"][0]).text
    assert embedder.texts == [QUESTIONS["moon"][0].rstrip("?")]


def test_a_deleted_stored_document_is_dropped_with_a_warning(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    (index_copy / "documents" / "bees.json").unlink()

    with caplog.at_level(logging.INFO, logger="qabot.index"):
        engine, _ = open_engine(index_copy)

    assert "dropping 1 document(s) whose original is gone: ['bees']" in warnings_of(caplog)
    assert {d.doc_id for d in engine.documents()} == {"moon", "lighthouse"}
    check_consistent(index_copy)


# ----- failures in the middle of an update leave the previous state ---------------------------


class FailingEmbedder(CountingEmbedder):
    """The test embedder, until told to fail like a model out of memory after `budget` texts."""

    budget: int | None = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.budget is not None:
            if len(texts) > self.budget:
                raise MemoryError("the embedder ran out of memory")
            self.budget -= len(texts)
        return super().encode(texts)


def test_a_failed_add_leaves_no_trace_even_after_a_restart(
    index_copy: Path, open_engine: OpenEngine, shared_embedder: Embedder
) -> None:
    embedder = FailingEmbedder(shared_embedder)
    engine, _ = open_engine(index_copy, embedder=embedder)
    documents, answers = set(engine.documents()), answers_of(engine)
    moon_before = (index_copy / "documents" / "moon.json").read_bytes()
    name, text = EXTRA_ARTICLE
    changed_moon = ARTICLES["moon.txt"].replace("27 days", "99 days")

    embedder.budget = 0
    with pytest.raises(MemoryError):
        engine.add_bytes(name, text.encode())
    with pytest.raises(MemoryError):
        engine.add_bytes("moon.txt", changed_moon.encode())
    embedder.budget = None

    assert set(engine.documents()) == documents
    assert answers_of(engine) == answers
    engine.close()
    reopened, _ = open_engine(index_copy)
    assert set(reopened.documents()) == documents  # no ghost of the failed adds
    assert (index_copy / "documents" / "moon.json").read_bytes() == moon_before
    assert answers_of(reopened) == answers
    check_consistent(index_copy)


def test_when_one_file_of_a_batch_fails_the_ones_before_it_are_kept(
    index_copy: Path, open_engine: OpenEngine, shared_embedder: Embedder
) -> None:
    embedder = FailingEmbedder(shared_embedder)
    engine, _ = open_engine(index_copy, embedder=embedder)
    name, text = EXTRA_ARTICLE
    first = parse_bytes(name, text.encode())
    second = parse_bytes("storm.txt", b"A storm closed the harbour of Brest for two days in May.")

    embedder.budget = len(expected_texts(first))
    with pytest.raises(MemoryError):
        engine.add_documents([first, second])
    embedder.budget = None

    assert {d.doc_id for d in engine.documents()} == {*QUESTIONS, "glaciers"}
    assert EXTRA_QUESTION[1] in engine.answer(EXTRA_QUESTION[0]).text
    check_consistent(index_copy)


# ----- a crash (SIGKILL) in the middle of adding a document --------------------------------

# The child adds one article and stops dead at one moment of the add: at that point it says
# so on stdout and waits on stdin, which the parent never writes to, until the parent's
# SIGKILL. No clock decides where the kill lands. The pauses wrap the step they follow (or,
# while embedding, run inside the embedder) and change nothing else.
CHILD = """
import sys
from pathlib import Path
from index import Engine
from index.snapshot import build as snapshot
from index.store import originals, sqlite as sqlite_store
from index.settings import EngineSettings, IndexSettings
from tests.support.pausing import Pauses, PausingEmbedder

index_dir, article, moment = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
pauses = Pauses(moment)

settings = EngineSettings(index=IndexSettings(dir=index_dir, default_corpus=None))
engine = Engine(settings, PausingEmbedder(pauses))
# paused only in the add: opening may build an index too
pauses.after(originals.Originals, "save", "once its original is written")
pauses.after(sqlite_store.SqliteChunkStore, "replace_document", "once the store committed")
pauses.before(snapshot, "build_lexical", "while the index is built")
pauses.before(snapshot, "remove_other_snapshots", "once the new index is current")
engine.add_paths([article])
print("added", flush=True)
"""
MOMENTS = (
    "while embedding",
    "once its original is written",
    "once the store committed",
    "while the index is built",
    "once the new index is current",
)
BIG_QUESTION = ("Where was the aurora seen from?", "Tromsø")


def big_article() -> str:
    """Three chunks of weather-station log (~30 texts to embed), with one fact to ask."""
    lines = ["Weather station log\n\nThe aurora was seen from the station at Tromsø on 3 March."]
    for day in range(1, 31):
        lines.append(
            f"On day {day} the station at post {day % 7} recorded {day * 3 % 17} millimetres "
            f"of rain and a wind of {day * 11 % 60} km/h."
        )
        if day % 10 == 0:
            lines.append("\n\n")
    return " ".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_crash_while_adding_a_document_leaves_the_old_or_the_new_set(
    index_copy: Path, open_engine: OpenEngine, tmp_path: Path, moment: str
) -> None:
    article = tmp_path / "aurora-log.txt"
    article.write_text(big_article(), encoding="utf-8")

    kill_at(CHILD, [str(index_copy), str(article)], moment)
    engine, _ = open_engine(index_copy)

    ids = {d.doc_id for d in engine.documents()}
    # Killed before any write, the old set; once the original is written, the new one
    # (embedded again at the next open if its chunks were not stored yet).
    expected = set(QUESTIONS) if moment == "while embedding" else {*QUESTIONS, "aurora-log"}
    assert ids == expected
    for (question, fact), answer in zip(QUESTIONS.values(), answers_of(engine), strict=True):
        assert fact in answer.text, question
    aurora = engine.answer(BIG_QUESTION[0])
    if "aurora-log" in ids:
        assert BIG_QUESTION[1] in aurora.text
    else:
        assert all(p.doc_id != "aurora-log" for p in aurora.passages)
    check_consistent(index_copy)


# ----- another process (the CLI) writes to the same index ----------------------------------


def test_two_engines_on_one_folder_see_each_others_documents(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    bot, _ = open_engine(index_copy)
    cli, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE

    cli.add_bytes(name, text.encode())
    bot.add_bytes("storm.txt", b"A storm closed the harbour of Brest for two days in May.")

    for engine in (bot, cli):
        assert {d.doc_id for d in engine.documents()} == {*QUESTIONS, "glaciers", "storm"}
        assert EXTRA_QUESTION[1] in engine.answer(EXTRA_QUESTION[0]).text
        assert "two days" in engine.answer("How long was the harbour of Brest closed?").text
    bot.close()
    cli.close()
    with caplog.at_level(logging.INFO, logger="qabot.index"):
        _, embedder = open_engine(index_copy)
    assert warnings_of(caplog) == ""  # what they left is complete: nothing to repair
    assert embedder.texts == []
    check_consistent(index_copy)


# ----- questions keep being answered while documents come and go ------------------------------


def test_a_chunk_id_is_never_reused(index_copy: Path, open_engine: OpenEngine) -> None:
    """A question still running on the previous snapshot looks chunks up by id: a reused id
    would hand it another document's text."""
    engine, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE

    def chunk_ids(doc_id: str) -> set[int]:
        with closing(sqlite3.connect(index_copy / "chunks.sqlite")) as db:
            rows = db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))
            return {chunk_id for (chunk_id,) in rows}

    engine.add_bytes(name, text.encode())  # the newest document holds the highest ids
    removed = chunk_ids("glaciers")
    engine.remove("glaciers")
    engine.add_bytes("storm.txt", b"A storm closed the harbour of Brest for two days in May.")

    assert removed
    assert not removed & chunk_ids("storm")


class Versions:
    """Every text each document id ever had, to check passages against."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.texts: dict[str, list[str]] = {}
        for document in documents:
            self.texts.setdefault(document.doc_id, []).append(document.text)

    def check(self, answer: Answer) -> None:
        assert isinstance(answer, Answer)
        assert answer.text.strip() if answer.confident else answer.topics  # says something
        for passage in answer.passages:
            assert passage.doc_id in self.texts, passage  # never a document never added
            assert any(
                text[passage.start : passage.end] == passage.text
                for text in self.texts[passage.doc_id]
            ), passage  # offsets and text of one and the same version


def churn_documents() -> tuple[list[Document], Versions]:
    name, text = EXTRA_ARTICLE
    changing = [
        parse_bytes(name, text.encode()),
        parse_bytes(name, text.replace("a tenth", "an eighth").encode()),
    ]
    originals = [parse_bytes(n, t.encode()) for n, t in ARTICLES.items()]
    return changing, Versions(originals + changing)


def churn(engine: Engine, changing: list[Document], cycles: int) -> None:
    for cycle in range(cycles):
        engine.add_documents([changing[cycle % 2]])
        engine.add_documents([changing[(cycle + 1) % 2]])  # replaced while questions run
        engine.remove(changing[0].doc_id)


QUESTIONS_ASKED = [q for q, _ in QUESTIONS.values()] + [EXTRA_QUESTION[0], "glacier ice 2021"]


def test_threads_asking_while_documents_are_added_and_removed(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(index_copy)
    changing, versions = churn_documents()
    done = threading.Event()
    failures: list[BaseException] = []
    answered = [0]

    def ask() -> None:
        try:
            while not done.is_set():
                for question in QUESTIONS_ASKED:
                    versions.check(engine.answer(question))
                    answered[0] += 1
                ids = {d.doc_id for d in engine.documents()}
                assert ids in (set(QUESTIONS), {*QUESTIONS, "glaciers"})
                assert engine.stats().documents in (3, 4)
        except BaseException as exc:
            failures.append(exc)

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for thread in askers:
        thread.start()
    try:
        churn(engine, changing, cycles=4)
    finally:
        done.set()
        for thread in askers:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in askers), "an asker is stuck"
    assert failures == []
    assert answered[0] > len(QUESTIONS_ASKED)
    assert {d.doc_id for d in engine.documents()} == set(QUESTIONS)
    check_consistent(index_copy)


async def test_async_questions_while_documents_are_added_and_removed(
    index_copy: Path, open_engine: OpenEngine
) -> None:
    engine, _ = open_engine(index_copy)
    changing, versions = churn_documents()
    writer = asyncio.create_task(asyncio.to_thread(churn, engine, changing, 4))
    rounds = 0
    while not writer.done():
        answers = await asyncio.gather(*(engine.answer_async(q) for q in QUESTIONS_ASKED * 3))
        for answer in answers:
            versions.check(answer)
        rounds += 1
    await writer
    assert rounds > 1
    for (question, fact), final in zip(QUESTIONS.values(), answers_of(engine), strict=True):
        assert fact in final.text, question
