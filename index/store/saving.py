"""From a parsed document to stored chunks: chunk, embed, then write in one transaction.

Embedding is the slow part and writes nothing, so a document that fails to embed leaves
its previous version in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from index.ingest.chunking import CHUNKER_VERSION, chunk_text
from index.ingest.documents import Document
from index.ingest.embedding import DIMENSION, Embedder
from index.settings import ChunkingSettings, EngineSettings
from index.store.chunks import ChunkStore, NewChunk


def chunk_recipe(settings: EngineSettings) -> dict[str, int]:
    """Everything that decides the stored chunks and their vectors: a change means
    re-chunking and re-embedding. torch and onnx give the same vectors; int8 does not."""
    recipe = {
        "max_chars": settings.chunking.max_chars,
        "overlap_sentences": settings.chunking.overlap_sentences,
        "chunker_version": CHUNKER_VERSION,
    }
    if settings.embedding.backend == "onnx-int8":
        recipe["int8_vectors"] = 1
    return recipe


def embed_document(
    document: Document, chunking: ChunkingSettings, embedder: Embedder
) -> list[NewChunk]:
    """The document's chunks with their vectors and their sentences' vectors."""
    chunks = chunk_text(document.text, chunking.max_chars, chunking.overlap_sentences)
    sentence_texts = [chunk.text[s.start : s.end] for chunk in chunks for s in chunk.sentences]
    vectors = _encode_once(embedder, [chunk.text for chunk in chunks] + sentence_texts)
    chunk_vectors, sentence_vectors = vectors[: len(chunks)], vectors[len(chunks) :]
    new_chunks, offset = [], 0
    for chunk, vector in zip(chunks, chunk_vectors, strict=True):
        count = len(chunk.sentences)
        new_chunks.append(
            NewChunk(
                chunk.ordinal,
                chunk.start,
                chunk.end,
                chunk.text,
                vector,
                [(s.start, s.end) for s in chunk.sentences],
                sentence_vectors[offset : offset + count],
            )
        )
        offset += count
    return new_chunks


def _encode_once(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Vectors of `texts`, each distinct text encoded once: a chunk's overlap sentence is
    also the next chunk's first (4 % of squad-dev-a's texts), a run-on text's 500-character
    units are each in two 1000-character chunks (a third of its texts), and boilerplate
    repeats."""
    first: dict[str, int] = {}
    positions = [first.setdefault(text, len(first)) for text in texts]
    return embedder.encode(list(first))[positions]


def save_document(
    store: ChunkStore, document: Document, chunks: list[NewChunk]
) -> tuple[np.ndarray, np.ndarray]:
    """Store one document's chunks in one transaction; their ids and vectors."""
    ids = store.replace_document(
        document.doc_id,
        document.title,
        document.date,
        document.source,
        document.content_hash,
        chunks,
        url=document.url,
        collection=document.collection,
    )
    vectors = np.asarray([chunk.vector for chunk in chunks], dtype=np.float32)
    return np.asarray(ids, dtype=np.int64), vectors.reshape(-1, DIMENSION)


def with_progress(items: Sequence[Document], enabled: bool) -> Iterable[Document]:
    """Documents as they are embedded, with a progress bar for a person adding several."""
    if not enabled or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="embedding", unit="doc")  # advances as the caller iterates
