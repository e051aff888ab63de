"""BM25 over chunks: bm25s's index, built from the chunks' term counts and searched
memory-mapped."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from index.snapshot.chunk_tokens import BATCH, ChunkTokens, TermCounts
from index.snapshot.ragged import offsets_of

# bm25s sets its own logger to DEBUG when imported, so every index build would print
# "Building index from IDs objects" through the application's handlers: back to WARNING.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# bm25s adds a chunk's constant (a NumPy float64) to its float32 term counts: float64 under
# NumPy 2's promotion rules, float32 under NumPy 1's; the vectorised build follows suit.
_TFC_DTYPE = (np.float64(1.0) + np.ones(1, dtype=np.float32)).dtype
# the settings whose float operations and array types CountedBM25 reproduces (bm25s's defaults)
_REPRODUCED = {
    "method": "lucene",
    "idf_method": "lucene",
    "dtype": "float32",
    "int_dtype": "int32",
    "csc_backend": "numpy",
}


class Bm25Index:
    """BM25 over chunk texts; position i of the bm25s corpus is chunk `chunk_ids[i]`.

    Chunk ids are ascending, so a position is a binary search (a dict of 1e6 ids cost
    ~100 MB and a second to build at every open). A loaded index is memory-mapped: a
    question reads only its terms' columns.
    """

    def __init__(self, retriever: bm25s.BM25 | None, chunk_ids: np.ndarray) -> None:
        self._retriever = retriever
        self.chunk_ids = chunk_ids

    @classmethod
    def from_counts(cls, chunk_tokens: ChunkTokens, term_counts: TermCounts) -> Bm25Index:
        """The BM25 bm25s builds from the chunks' token lists, from their term counts; built by
        bm25s's own `index`, which then sets the retriever's attributes as for any build."""
        ids = np.asarray(chunk_tokens.chunk_ids, dtype=np.int64)
        if not len(ids):
            return cls(None, ids)
        vocabulary, entries = _matrix_entries(chunk_tokens, term_counts)
        retriever = CountedBM25()
        retriever.index(Tokenized(ids=entries, vocab=vocabulary), show_progress=False)
        return cls(retriever, ids)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (aligned with `chunk_ids`); zeros when nothing matches."""
        known = (
            [t for t in query_tokens if t in self._retriever.vocab_dict] if self._retriever else []
        )
        if not known or self._retriever is None:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def positions(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Position of each chunk id, -1 for ids this index does not hold."""
        if not len(self.chunk_ids):
            return np.full(len(chunk_ids), -1, dtype=np.int64)
        found = np.minimum(np.searchsorted(self.chunk_ids, chunk_ids), len(self.chunk_ids) - 1)
        return np.where(self.chunk_ids[found] == chunk_ids, found, -1)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "chunk_ids.npy", self.chunk_ids)
        if self._retriever is not None:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        ids = np.load(folder / "chunk_ids.npy")
        if len(ids) == 0:
            return cls(None, ids)
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False), ids)


@dataclass(frozen=True)
class MatrixEntries:
    """The nonzero entries of the BM25 matrix before scoring: chunk `docs[i]` holds the term
    of column `columns[i]` `tf[i]` times; a column's entries come in chunk order. `lengths`
    are the chunks' lengths in words, `doc_freq` each column's number of chunks."""

    lengths: np.ndarray
    docs: np.ndarray
    columns: np.ndarray
    tf: np.ndarray
    doc_freq: np.ndarray


def _matrix_entries(
    chunk_tokens: ChunkTokens, term_counts: TermCounts
) -> tuple[dict[str, int], MatrixEntries]:
    """bm25s's vocabulary (a column per term some chunk uses) and the matrix entries.

    An empty chunk is indexed as the one token "" (the vocabulary's "" entry), as bm25s
    indexes it from token lists. Only the order of the columns may differ from bm25s's own
    build, which no score depends on.
    """
    lengths = chunk_tokens.lengths
    empty = np.flatnonzero(lengths == 0)
    freq = np.bincount(term_counts.term_ids, minlength=len(chunk_tokens.terms))
    used = np.flatnonzero(freq)
    column = np.zeros(len(chunk_tokens.terms), dtype=np.int32)
    column[used] = np.arange(len(used))
    vocabulary = {chunk_tokens.terms[t]: i for i, t in enumerate(used.tolist())}
    doc_freq = freq[used]
    docs, columns = term_counts.positions, column[term_counts.term_ids]
    tf = term_counts.counts
    if len(empty):
        vocabulary[""] = len(used)
        doc_freq = np.append(doc_freq, len(empty))
        docs = np.concatenate([docs, empty.astype(np.int32)])
        columns = np.concatenate([columns, np.full(len(empty), len(used), dtype=np.int32)])
        tf = np.concatenate([tf, np.ones(len(empty), dtype=tf.dtype)])
    return vocabulary, MatrixEntries(lengths, docs, columns, tf, doc_freq)


class CountedBM25(bm25s.BM25):
    """bm25s's BM25, built from term counts (`MatrixEntries`) instead of token lists.

    bm25s's own build loops over every chunk in Python; this computes the same score matrix
    with the same float operations (lucene BM25) over whole arrays, `BATCH` elements at a
    time. It overrides `build_index_from_ids`, which bm25s documents for this: `index`
    passes it the corpus's `ids` and stores what it returns.
    """

    def build_index_from_ids(
        self,
        unique_token_ids: list[int],
        corpus_token_ids: MatrixEntries,
        show_progress: bool = True,
        leave_progress: bool = False,
    ) -> dict[str, Any]:
        settings = {name: getattr(self, name) for name in _REPRODUCED}
        if settings != _REPRODUCED:
            raise ValueError(f"CountedBM25 builds only {_REPRODUCED}, not {settings}")
        entries = corpus_token_ids
        chunks = len(entries.lengths)
        self.nonoccurrence_array = None  # lucene BM25 has none
        scores = self._scores(entries, _idf(entries.doc_freq, chunks))
        data, indices, indptr = _csc(scores, entries.docs, entries.columns, len(unique_token_ids))
        return {"data": data, "indices": indices, "indptr": indptr, "num_docs": chunks}

    def _scores(self, entries: MatrixEntries, idf: np.ndarray) -> np.ndarray:
        """bm25s: tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf) * idf, l_d the chunk's
        length (an empty chunk's is 1: its token "")."""
        doc_len = np.maximum(entries.lengths, 1)
        average = doc_len.mean()
        per_doc = self.k1 * ((1 - self.b) + self.b * doc_len / average)
        per_doc = per_doc.astype(_TFC_DTYPE)
        scores = np.empty(len(entries.docs), dtype=np.float32)
        for begin in range(0, len(entries.docs), BATCH):
            part = slice(begin, begin + BATCH)
            tfc = entries.tf[part].astype(np.float32).astype(_TFC_DTYPE)
            denominator = per_doc[entries.docs[part]]
            denominator += tfc
            tfc /= denominator
            tfc *= idf[entries.columns[part]]
            scores[part] = tfc
        return scores


def _idf(doc_freq: np.ndarray, chunks: int) -> np.ndarray:
    """bm25s: lucene idf by math.log per term, stored as float32 (computed once per distinct
    document frequency)."""
    values, inverse = np.unique(doc_freq, return_inverse=True)
    return np.asarray(
        [math.log(1 + (chunks - df + 0.5) / (df + 0.5)) for df in values.tolist()]
    ).astype(np.float32)[inverse]


def _csc(
    scores: np.ndarray, docs: np.ndarray, columns: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrix in bm25s's CSC arrays: by column, then chunk. A column's entries are in
    chunk order, so sorting them by (column, entry number) is that; np.sort of such keys is
    much faster than argsort."""
    entries = len(docs)
    order = columns.astype(np.int64)
    order *= entries
    for begin in range(0, entries, BATCH):
        end = min(begin + BATCH, entries)
        order[begin:end] += np.arange(begin, end)
    order.sort()
    order %= entries
    indptr = offsets_of(np.bincount(columns, minlength=width))
    return scores[order], docs[order].astype(np.int32), indptr
