"""BM25 over chunks (bm25s), searched memory-mapped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.chunk_tokens import BATCH, ChunkTokens
from index.ragged import offsets_of

# bm25s adds a chunk's constant (a NumPy float64) to its float32 term counts: float64 under
# NumPy 2's promotion rules, float32 under NumPy 1's; the vectorised build follows suit.
_TFC_DTYPE = (np.float64(1.0) + np.ones(1, dtype=np.float32)).dtype


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
    def build(cls, chunk_ids: Sequence[int], token_lists: list[list[str]]) -> Bm25Index:
        ids = np.asarray(chunk_ids, dtype=np.int64)
        if not token_lists:
            return cls(None, ids)
        retriever = bm25s.BM25()
        retriever.index([tokens or [""] for tokens in token_lists], show_progress=False)
        return cls(retriever, ids)

    @classmethod
    def from_counts(
        cls,
        chunk_tokens: ChunkTokens,
        positions: np.ndarray,
        term_ids: np.ndarray,
        counts: np.ndarray,
    ) -> Bm25Index:
        """`build` of the chunks' token lists, from their term counts (ChunkTokens.term_counts).

        bm25s's own build loops over every chunk in Python; this computes the same score
        matrix with the same float operations (lucene BM25, an empty chunk being the one
        token "", the vocabulary's "" entry) over whole arrays. Only the order of the
        vocabulary's columns may differ, which no score depends on.
        """
        ids = np.asarray(chunk_tokens.chunk_ids, dtype=np.int64)
        chunks = len(ids)
        if not chunks:
            return cls(None, ids)
        retriever = bm25s.BM25()
        if (retriever.method, retriever.idf_method, retriever.csc_backend) != (
            "lucene",
            "lucene",
            "numpy",
        ):
            raise RuntimeError("bm25s's defaults changed: update Bm25Index.from_counts")
        lengths = chunk_tokens.lengths
        empty = np.flatnonzero(lengths == 0)
        freq = np.bincount(term_ids, minlength=len(chunk_tokens.terms))
        used = np.flatnonzero(freq)
        column = np.zeros(len(chunk_tokens.terms), dtype=np.int32)
        column[used] = np.arange(len(used))
        vocab = {chunk_tokens.terms[t]: i for i, t in enumerate(used.tolist())}
        doc_freq = freq[used]
        docs, columns, tf = positions, column[term_ids], counts
        if len(empty):  # an empty chunk is indexed as the one token ""
            vocab[""] = len(used)
            doc_freq = np.append(doc_freq, len(empty))
            docs = np.concatenate([docs, empty.astype(np.int32)])
            columns = np.concatenate([columns, np.full(len(empty), len(used), dtype=np.int32)])
            tf = np.concatenate([tf, np.ones(len(empty), dtype=tf.dtype)])
        width = len(doc_freq)
        # bm25s: idf by math.log per term, stored as float32
        values, inverse = np.unique(doc_freq, return_inverse=True)
        idf = np.asarray(
            [math.log(1 + (chunks - df + 0.5) / (df + 0.5)) for df in values.tolist()]
        ).astype(np.float32)[inverse]
        # bm25s: tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf) * idf, l_d the chunk's length
        doc_len = np.maximum(lengths, 1)
        average = doc_len.mean()
        per_doc = retriever.k1 * ((1 - retriever.b) + retriever.b * doc_len / average)
        per_doc = per_doc.astype(_TFC_DTYPE)
        scores = np.empty(len(docs), dtype=np.float32)
        for begin in range(0, len(docs), BATCH):
            part = slice(begin, begin + BATCH)
            tfc = tf[part].astype(np.float32).astype(_TFC_DTYPE)
            denominator = per_doc[docs[part]]
            denominator += tfc
            tfc /= denominator
            tfc *= idf[columns[part]]
            scores[part] = tfc
        # CSC order: by column, then chunk. The entries are in chunk order, so sorting them
        # by (column, entry number) is that; np.sort of such keys is much faster than argsort.
        entries = len(docs)
        order = columns.astype(np.int64)
        order *= entries
        for begin in range(0, entries, BATCH):
            end = min(begin + BATCH, entries)
            order[begin:end] += np.arange(begin, end)
        order.sort()
        order %= entries
        indptr = offsets_of(np.bincount(columns, minlength=width))
        retriever.scores = {
            "data": scores[order],
            "indices": docs[order].astype(np.int32),
            "indptr": indptr,
            "num_docs": chunks,
        }
        retriever.nonoccurrence_array = None
        vocab.setdefault("", width)  # what bm25s's index(create_empty_token=True) adds
        retriever.vocab_dict = vocab
        retriever.unique_token_ids_set = set(vocab.values())
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
