"""Hostile uploads: each is refused with a message a person understands, quickly, without
eating memory, and without touching anything already indexed."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from index import Engine
from index.errors import IngestError
from tests.support.engine_support import OpenEngine, answers_of
from tests.support.ingest_samples import (
    deflate_bomb,
    encrypted_pdf,
    operator_bomb,
    page_tree_bomb,
    script_only_page,
    zip_file,
)

pytest_plugins = ("tests.support.engine_fixtures",)

MB = 1 << 20


@dataclass
class Usage:
    seconds: float = 0.0
    peak_growth: int = 0  # bytes of resident memory above where it started


@contextmanager
def measured() -> Iterator[Usage]:
    """Wall time and peak resident-memory growth of this process while the block runs."""
    process = psutil.Process()
    usage = Usage()
    start_rss = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            growth = process.memory_info().rss - start_rss
            usage.peak_growth = max(usage.peak_growth, growth)
            done.wait(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        yield usage
    finally:
        usage.seconds = time.monotonic() - started
        done.set()
        sampler.join()


@dataclass(frozen=True)
class Hostile:
    filename: str
    make: Callable[[], bytes]
    refusal: str  # what the message must say
    seconds: float = 15.0
    memory: int = 250 * MB


HOSTILE = [
    Hostile(
        "latin1.txt", lambda: "Caf\xe9 na pra\xe7a, ol\xe1 ".encode("latin-1") * 50, "not UTF-8"
    ),
    Hostile("noise.txt", lambda: random.Random(7).randbytes(200_000), "not UTF-8"),
    Hostile("pages-bomb.pdf", page_tree_bomb, "too large or too complex"),
    Hostile("deflate-bomb.pdf", lambda: deflate_bomb(200), "too large or too complex"),
    Hostile("operator-bomb.pdf", lambda: operator_bomb(300_000), "too large or too complex"),
    Hostile("locked.pdf", lambda: encrypted_pdf("Secret minutes. " * 5, "s3cret"), "encrypted"),
    Hostile("archive.pdf", lambda: zip_file({"a.txt": "An article. " * 500}), "not a readable PDF"),
    Hostile("scripts.html", script_only_page, "no article text"),
    Hostile("deep.html", lambda: b"<div>" * 100_000 + b"</div>" * 100_000, "article text"),
]


@pytest.fixture
def engine(index_copy: Path, open_engine: OpenEngine) -> Engine:
    return open_engine(index_copy)[0]


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.filename for h in HOSTILE])
def test_a_hostile_upload_is_refused_quickly_and_harms_nothing(
    hostile: Hostile, engine: Engine, index_copy: Path
) -> None:
    data = hostile.make()
    documents, answers = engine.documents(), answers_of(engine)
    files_before = sorted(p.name for p in (index_copy / "documents").iterdir())

    with measured() as usage, pytest.raises(IngestError, match=hostile.refusal) as refused:
        engine.add_bytes(hostile.filename, data)

    assert hostile.filename in str(refused.value)
    assert usage.seconds < hostile.seconds
    assert usage.peak_growth < hostile.memory
    assert engine.documents() == documents
    assert answers_of(engine) == answers
    assert sorted(p.name for p in (index_copy / "documents").iterdir()) == files_before


def test_a_one_gigabyte_file_is_refused_before_it_is_read(
    engine: Engine, index_copy: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"A line of an article that never ends.\n")
    os.truncate(huge, 1 << 30)  # sparse: nothing is written to the disk
    documents = engine.documents()

    with measured() as usage, pytest.raises(IngestError, match="1,073,741,824 bytes; the limit"):
        engine.add_paths([huge])

    assert usage.seconds < 2
    assert usage.peak_growth < 20 * MB
    assert engine.documents() == documents


def test_a_folder_with_one_hostile_file_adds_nothing(
    engine: Engine, index_copy: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "fine.txt").write_text("The harbour of Brest was closed for two days in May.")
    (folder / "locked.pdf").write_bytes(encrypted_pdf("Secret minutes. " * 5, "s3cret"))
    documents = engine.documents()

    with pytest.raises(IngestError, match=r"locked\.pdf is an encrypted PDF"):
        engine.add_paths([folder])

    assert engine.documents() == documents  # every file is read before anything is stored


def test_a_document_as_large_as_allowed_is_refused_by_its_text_size(engine: Engine) -> None:
    documents = engine.documents()
    data = b"Lots of words here. " * 260_000  # 5.2 MB of text: more than an article holds

    with measured() as usage, pytest.raises(IngestError, match="more than 5,000,000 characters"):
        engine.add_bytes("endless.txt", data)

    assert usage.seconds < 10
    assert usage.peak_growth < 250 * MB
    assert engine.documents() == documents
