"""Build the engine from validated configuration (the one place config meets `index/`)."""

from __future__ import annotations

from pathlib import Path

from index import Engine, EngineSettings
from index.answering import Confidence
from qabot.config import Config


def engine_settings(config: Config, index_dir: Path | None = None) -> EngineSettings:
    return EngineSettings(
        index_dir=index_dir or config.path(config.index.dir),
        default_corpus=config.path(config.index.default_corpus),
        max_chars=config.chunking.max_chars,
        overlap_sentences=config.chunking.overlap_sentences,
        backend=config.embedding.backend,
        batch_size=config.embedding.batch_size,
        model_cache=config.path(config.embedding.cache_dir),
        batch_wait_ms=config.embedding.batch_wait_ms,
        top_k=config.retrieval.top_k,
        candidates=config.retrieval.candidates,
        hnsw_threshold=config.retrieval.hnsw_threshold,
        answer_chars=config.answer.max_chars,
        passage_chars=config.answer.passage_max_chars,
        confidence=Confidence(threshold=config.answer.min_confidence),
        max_document_bytes=config.telegram.max_document_bytes,
    )


def open_engine(config: Config, index_dir: Path | None = None) -> Engine:
    """Open (or create) the configured index; the default corpus is indexed on first use."""
    return Engine(engine_settings(config, index_dir))
