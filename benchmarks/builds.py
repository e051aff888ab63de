"""Index build rate and memory: the real SQuAD articles and the synthetic stand-ins.

Each function runs in its own worker process (benchmarks.worker) so that its peak RSS is
its own. The naive builds index the same chunks the naive way (torch embeddings of the
chunk texts only, an exact FAISS index, BM25) and keep nothing on disk.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from benchmarks.measure import peak_rss_bytes
from benchmarks.synthetic import build_corpus, corpus_is_current, finish_corpus, load_pool
from benchmarks.workload import Plan, settings_for
from index import Engine
from index.ingest.embedding import TorchEmbedder
from index.ingest.terms import tokens
from index.store.saving import chunk_recipe
from index.store.sqlite import SqliteChunkStore


def squad_build(plan: Plan, reuse: bool) -> dict[str, Any]:
    """Index squad-dev-a through the engine: parse, chunk, embed chunks and sentences, store."""
    if reuse and _squad_is_current(plan):
        return {"reused": True}
    index_dir = _fresh(plan.squad_index)
    started = time.perf_counter()
    engine = Engine(settings_for(index_dir))
    opened = time.perf_counter()
    engine.add_paths(plan.article_files())
    seconds = time.perf_counter() - opened
    stats = engine.stats()
    engine.close()
    sentences = _count(index_dir / "chunks.sqlite", "sentences")
    return {
        "documents": stats.documents,
        "chunks": stats.chunks,
        "sentences": sentences,
        "seconds": seconds,
        "open_seconds": opened - started,
        "chunks_per_s": stats.chunks / seconds,
        "texts_per_s": (stats.chunks + sentences) / seconds,
        "peak_rss": peak_rss_bytes(),
        "bytes_on_disk": stats.bytes_on_disk,
    }


def squad_build_naive(plan: Plan) -> dict[str, Any]:
    """The same chunk texts, embedded with torch (chunks only) into a flat index + BM25."""
    texts = _chunk_texts(plan.squad_index)
    started = time.perf_counter()
    embedder = TorchEmbedder()
    loaded = time.perf_counter()
    vectors = embedder.encode(texts)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _bm25(texts)
    seconds = time.perf_counter() - loaded
    return {
        "chunks": len(texts),
        "seconds": seconds,
        "open_seconds": loaded - started,
        "chunks_per_s": len(texts) / seconds,
        "peak_rss": peak_rss_bytes(),
    }


def synthetic_build(plan: Plan, chunks: int, reuse: bool) -> dict[str, Any]:
    """Write the stand-in corpus through SqliteChunkStore, then build its snapshot."""
    pool = load_pool(plan.squad_index / "chunks.sqlite")
    index_dir = plan.synthetic_index(chunks)
    if reuse and corpus_is_current(index_dir, pool, chunks, settings_for(index_dir)):
        return {"reused": True}
    settings = settings_for(index_dir)
    resumed = finish_corpus(index_dir, pool, chunks, settings) if reuse else None
    times, snapshot = resumed or build_corpus(_fresh(index_dir), pool, chunks, settings)
    return {
        "chunks": times.chunks,
        "documents": times.documents,
        "resumed": resumed is not None,  # store time from file times, snapshot measured
        "pool_sentences": len(pool),
        "store_seconds": times.store_seconds,
        "snapshot_seconds": times.snapshot_seconds,
        "vector_kind": times.vector_kind,
        "chunks_per_s": times.chunks / (times.store_seconds + times.snapshot_seconds),
        "snapshot_chunks_per_s": times.chunks / times.snapshot_seconds,
        "peak_rss": peak_rss_bytes(),
        "bytes_on_disk": sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()),
        "snapshot_bytes": sum(p.stat().st_size for p in snapshot.folder.rglob("*")),
    }


def synthetic_build_naive(plan: Plan, chunks: int) -> dict[str, Any]:
    """The stand-in's vectors and texts into an in-memory flat index + BM25 (no embedding)."""
    index_dir = plan.synthetic_index(chunks)
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    try:
        started = time.perf_counter()
        _, vectors = store.all_vectors()
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(np.ascontiguousarray(vectors))
        del vectors
        texts = [text for _, batch in store.iter_texts() for text in batch]
        _bm25(texts)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {
        "chunks": chunks,
        "seconds": seconds,
        "chunks_per_s": chunks / seconds,
        "peak_rss": peak_rss_bytes(),
    }


def _bm25(texts: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    retriever.index([tokens(text) or [""] for text in texts], show_progress=False)
    return retriever


def _chunk_texts(index_dir: Path) -> list[str]:
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    try:
        return [text for _, batch in store.iter_texts() for text in batch]
    finally:
        store.close()


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _squad_is_current(plan: Plan) -> bool:
    """The squad index holds exactly the planned articles and its snapshot loads."""
    from index.errors import IndexCorrupt
    from index.ingest.documents import doc_id_for
    from index.snapshot.build import load_snapshot

    if not (plan.squad_index / "chunks.sqlite").is_file():
        return False
    settings = settings_for(plan.squad_index)
    store = SqliteChunkStore(plan.squad_index / "chunks.sqlite")
    try:
        wanted = {doc_id_for(path.name) for path in plan.article_files()}
        if {doc.doc_id for doc in store.documents()} != wanted:
            return False
        if store.get_meta("chunking") != json.dumps(chunk_recipe(settings)):
            return False
        store.check()  # what Engine() checks first: damage or another store format
        load_snapshot(plan.squad_index, store, chunk_recipe(settings))
        return True
    except IndexCorrupt:
        return False
    finally:
        store.close()


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def incremental_add(plan: Plan, chunks: int) -> dict[str, Any]:
    """Add one real article to a large index and remove it again, vs rebuilding the snapshot."""
    import cProfile
    import pstats

    from index.snapshot.build import build_snapshot

    index_dir = plan.synthetic_index(chunks)
    settings = settings_for(index_dir)
    article = plan.article_files()[0]
    engine = Engine(settings)
    try:
        engine.embedder.encode(["warm up the model"])
        started = time.perf_counter()
        (added,) = engine.add_paths([article])
        add_seconds = time.perf_counter() - started
        # The removal republishes like the add, without embedding: profiled, it shows
        # where both spend their time (its own time is inflated by the profiler).
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        engine.remove(added.doc_id)
        profiler.disable()
        remove_seconds = time.perf_counter() - started
    finally:
        engine.close()
    store = SqliteChunkStore(index_dir / "chunks.sqlite")
    try:
        started = time.perf_counter()
        build_snapshot(index_dir, store, chunk_recipe(settings), settings.retrieval.hnsw_threshold)
        rebuild_seconds = time.perf_counter() - started
    finally:
        store.close()
    own = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    top = sorted(
        (
            (f"{Path(f).name}:{n}", cumulative)
            for (f, _, n), (_, _, _, cumulative, _) in own.items()
        ),
        key=lambda item: -item[1],
    )
    return {
        "chunks": chunks,
        "article": article.name,
        "article_chunks": added.chunks,
        "add_seconds": add_seconds,
        "remove_seconds": remove_seconds,
        "rebuild_seconds": rebuild_seconds,
        "profile_cumulative_s": [
            [name, seconds] for name, seconds in top if not name.startswith("~")
        ][:25],
    }
