"""Embedding backends side by side: torch (the reference), ONNX fp32 and ONNX int8.

Speed: sentences/s and passages/s in batches of 32, and one question at a time (the
latency a person waits for). Agreement with torch: cosine between the two vectors of the
same sentence, and whether a question's nearest sentence stays the same (top-1).
Answer quality on SQuAD is measured separately (docs/quality.md).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from benchmarks.measure import latencies_ms, percentiles
from benchmarks.synthetic import load_pool
from benchmarks.workload import Plan, settings_for
from index.ingest.embedding import Embedder, create_embedder
from index.store.sqlite import SqliteChunkStore

BACKENDS = ("torch", "onnx", "onnx-int8")


def embedding_backends(plan: Plan) -> dict[str, Any]:
    pool = load_pool(plan.squad_index / "chunks.sqlite")
    step = max(1, len(pool) // plan.embed_sentences)
    sentences = pool.texts[::step][: plan.embed_sentences]
    passages = _passages(plan, 256 if not plan.quick else 16)
    questions = plan.question_texts(300 if not plan.quick else 30)
    runs = 3 if not plan.quick else 1
    cache = settings_for(plan.squad_index).embedding.cache_dir
    results: dict[str, Any] = {}
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for backend in BACKENDS:
        started = time.perf_counter()
        embedder = create_embedder(backend, cache)
        load_seconds = time.perf_counter() - started
        results[backend] = {
            "load_seconds": load_seconds,
            **_speed(embedder, sentences, passages, questions, runs),
        }
        vectors[backend] = (embedder.encode(sentences), embedder.encode(questions))
    reference_sentences, reference_questions = vectors["torch"]
    reference_top = np.argmax(reference_questions @ reference_sentences.T, axis=1)
    for backend, (sentence_vectors, question_vectors) in vectors.items():
        cosines = np.sum(sentence_vectors * reference_sentences, axis=1)
        top = np.argmax(question_vectors @ sentence_vectors.T, axis=1)
        results[backend]["cosine_min"] = float(cosines.min())
        results[backend]["cosine_mean"] = float(cosines.mean())
        results[backend]["top1_agreement"] = float(np.mean(top == reference_top))
    return {
        "backends": results,
        "sentences": len(sentences),
        "passages": len(passages),
        "questions": len(questions),
    }


def _speed(
    embedder: Embedder, sentences: list[str], passages: list[str], questions: list[str], runs: int
) -> dict[str, Any]:
    embedder.encode(sentences[:64])  # warm up
    return {
        "sentences_per_s": _rate(embedder, sentences, runs),
        "passages_per_s": _rate(embedder, passages, runs),
        "question": percentiles(latencies_ms(lambda q: embedder.encode([q]), questions)),
    }


def _rate(embedder: Embedder, texts: list[str], runs: int) -> float:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        embedder.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _passages(plan: Plan, count: int) -> list[str]:
    store = SqliteChunkStore(plan.squad_index / "chunks.sqlite")
    try:
        texts = [text for _, batch in store.iter_texts() for text in batch]
    finally:
        store.close()
    step = max(1, len(texts) // count)
    return texts[::step][:count]
