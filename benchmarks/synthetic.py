"""A large stand-in corpus made from real sentences and their real embeddings.

Embedding a million chunks with the model would take days here, so the stand-in is built
directly in the engine's on-disk format: each chunk is a shuffled combination of real
SQuAD sentences (its number of sentences drawn from the real chunks), each sentence vector is
that sentence's real embedding plus a little noise, and the chunk vector is the normalised
mean of its sentence vectors plus noise. Texts, BM25 statistics and vector geometry stay
realistic while the build costs minutes, not days.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.engine import EngineSettings
from index.errors import IndexCorrupt
from index.ingest.documents import Document
from index.snapshot.build import Snapshot, build_snapshot, load_snapshot
from index.store.chunks import NewChunk
from index.store.originals import Originals
from index.store.saving import chunk_recipe
from index.store.sqlite import SqliteChunkStore

SENTENCE_NOISE = 0.25  # norm of the noise added to a sentence vector (cosine to it ~0.97)
CHUNK_NOISE = 0.10
CHUNKS_PER_DOCUMENT = 10  # a news article of ~8,000 characters
RECIPE = "synthetic-recipe.json"  # how the corpus in a folder was made


@dataclass(frozen=True)
class SentencePool:
    """Real sentences with their real embeddings, and how many sentences real chunks hold."""

    texts: list[str]
    vectors: np.ndarray
    sentences_per_chunk: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


def load_pool(store_path: Path) -> SentencePool:
    """Every distinct sentence of an engine-built chunk store (overlaps counted once)."""
    store = SqliteChunkStore(store_path)
    try:
        seen: dict[str, np.ndarray] = {}
        counts = []
        for ids, texts in store.iter_texts():
            spans = store.sentences(ids)
            for chunk_id, text in zip(ids, texts, strict=True):
                sentences = spans.get(chunk_id, [])
                counts.append(len(sentences))
                for start, end, vector in sentences:
                    seen.setdefault(" ".join(text[start:end].split()), vector)
    finally:
        store.close()
    texts = [text for text in seen if text]
    vectors = np.stack([seen[text] for text in texts]).astype(np.float32)
    return SentencePool(texts, vectors, np.asarray([c for c in counts if c], dtype=np.int64))


def corpus_is_current(
    index_dir: Path, pool: SentencePool, chunks: int, settings: EngineSettings
) -> bool:
    """A stand-in built earlier from the same pool and size that the engine still accepts.

    Opening a stale one would make the engine re-embed every synthetic document with the
    real model (hours at 1e6), so anything doubtful means "build it again".
    """
    try:
        recorded = json.loads((index_dir / RECIPE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if recorded != _recipe(pool, chunks):
        return False
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    try:
        if store.get_meta("chunking") != json.dumps(chunk_recipe(settings)):
            return False
        store.check()  # what Engine() checks first: damage or another store format
        load_snapshot(index_dir, store, chunk_recipe(settings))
        return store.counts()[1] == chunks
    except IndexCorrupt:
        return False
    finally:
        store.close()


def _recipe(pool: SentencePool, chunks: int) -> dict[str, object]:
    digest = hashlib.sha256(pool.vectors.tobytes()).hexdigest()[:16]
    return {
        "chunks": chunks,
        "pool": digest,
        "noise": [SENTENCE_NOISE, CHUNK_NOISE],
        "chunks_per_document": CHUNKS_PER_DOCUMENT,
    }


def finish_corpus(
    index_dir: Path, pool: SentencePool, chunks: int, settings: EngineSettings
) -> tuple[BuildTimes, Snapshot] | None:
    """Build only the snapshot when an earlier build stored every chunk and then stopped.

    The store's time is then read from the stored documents' file times (first to last
    write), since the process that wrote them is gone. None: nothing to resume.
    """
    if (index_dir / RECIPE).is_file() or not (index_dir / "chunks.sqlite").is_file():
        return None
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    try:
        expected = -(-chunks // CHUNKS_PER_DOCUMENT)
        if store.get_meta("chunking") != json.dumps(chunk_recipe(settings)) or store.counts() != (
            expected,
            chunks,
        ):
            return None
        times = [p.stat().st_mtime for p in (index_dir / "documents").glob("*.json")]
        started = time.perf_counter()
        snapshot = build_snapshot(
            index_dir, store, chunk_recipe(settings), settings.retrieval.hnsw_threshold
        )
        snapshot_seconds = time.perf_counter() - started
        (index_dir / RECIPE).write_text(json.dumps(_recipe(pool, chunks)), encoding="utf-8")
    finally:
        store.close()
    store_seconds = max(times) - min(times)
    kind = snapshot.manifest.vector_kind
    return BuildTimes(chunks, expected, store_seconds, snapshot_seconds, kind), snapshot


@dataclass(frozen=True)
class BuildTimes:
    chunks: int
    documents: int
    store_seconds: float  # writing documents, chunks and sentence vectors
    snapshot_seconds: float  # FAISS + BM25 + lexicon
    vector_kind: str


def build_corpus(
    index_dir: Path, pool: SentencePool, chunks: int, settings: EngineSettings, seed: int = 7
) -> tuple[BuildTimes, Snapshot]:
    """Write `chunks` synthetic chunks as an engine index that `Engine` opens as its own."""
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    originals = Originals(index_dir / "documents")  # for its folder; files written below
    try:
        store.set_meta("initialized", "1")
        store.set_meta("chunking", json.dumps(chunk_recipe(settings)))
        started = time.perf_counter()
        documents = 0
        for document, new_chunks in synthesize(pool, chunks, np.random.default_rng(seed)):
            _save_original(originals, document)
            store.replace_document(
                document.doc_id,
                document.title,
                document.date,
                document.source,
                document.content_hash,
                new_chunks,
            )
            documents += 1
        stored = time.perf_counter()
        snapshot = build_snapshot(
            index_dir, store, chunk_recipe(settings), settings.retrieval.hnsw_threshold
        )
        done = time.perf_counter()
        (index_dir / RECIPE).write_text(json.dumps(_recipe(pool, chunks)), encoding="utf-8")
    finally:
        store.close()
    times = BuildTimes(
        chunks, documents, stored - started, done - stored, snapshot.manifest.vector_kind
    )
    return times, snapshot


def _save_original(originals: Originals, document: Document) -> None:
    """What Originals.save writes, without its per-file fsync (a million fsyncs take hours)."""
    path = originals.folder / f"{document.doc_id}.json"
    path.write_text(json.dumps(dataclasses.asdict(document)), encoding="utf-8")


def synthesize(
    pool: SentencePool, chunks: int, rng: np.random.Generator
) -> Iterator[tuple[Document, list[NewChunk]]]:
    """Documents of CHUNKS_PER_DOCUMENT chunks until `chunks` chunks exist."""
    made = 0
    number = 0
    while made < chunks:
        count = min(CHUNKS_PER_DOCUMENT, chunks - made)
        yield _document(pool, number, count, rng)
        made += count
        number += 1


def _document(
    pool: SentencePool, number: int, count: int, rng: np.random.Generator
) -> tuple[Document, list[NewChunk]]:
    sizes = rng.choice(pool.sentences_per_chunk, size=count)
    picks = rng.integers(0, len(pool), size=int(sizes.sum()))
    sentence_vectors = _noisy(pool.vectors[picks], SENTENCE_NOISE, rng)
    parts, new_chunks, offset, used = [], [], 0, 0
    for ordinal, size in enumerate(sizes):
        chosen = picks[used : used + size]
        vectors = sentence_vectors[used : used + size]
        used += size
        text, spans = _join([pool.texts[i] for i in chosen])
        chunk_vector = _noisy(vectors.mean(axis=0, keepdims=True), CHUNK_NOISE, rng)[0]
        new_chunks.append(
            NewChunk(ordinal, offset, offset + len(text), text, chunk_vector, spans, vectors)
        )
        parts.append(text)
        offset += len(text) + 2
    body = "\n\n".join(parts)
    title = f"Synthetic {number}: {' '.join(parts[0].split()[:6])}"
    document = Document(
        doc_id=f"synthetic-{number:07d}",
        title=title,
        date=None,
        source="synthetic",
        text=body,
        content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )
    return document, new_chunks


def _join(sentences: list[str]) -> tuple[str, list[tuple[int, int]]]:
    spans, position = [], 0
    for sentence in sentences:
        spans.append((position, position + len(sentence)))
        position += len(sentence) + 1
    return " ".join(sentences), spans


def _noisy(vectors: np.ndarray, norm: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near `vectors`: Gaussian noise of about `norm` length, renormalised."""
    dimension = vectors.shape[1]
    noise = rng.standard_normal(vectors.shape, dtype=np.float32) * (norm / np.sqrt(dimension))
    moved = vectors / np.linalg.norm(vectors, axis=1, keepdims=True) + noise
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)
