"""Every chunk's sentence spans and vectors, as arrays a question reads without SQL.

Answering scores the sentences of every candidate chunk of a question, and reading their
vectors from SQLite per question was too slow, so each snapshot keeps them as one float32
matrix in a file, with the spans and per-chunk row ranges beside it in memory. A question
reads its candidates' rows with a few `pread` calls: a chunk's rows are contiguous. They are
read, not memory-mapped, so the rows questions touch stay in the OS page cache, which the
OS can reclaim, instead of piling up in the process (docs/performance.md, "Why the snapshot
keeps the sentence vectors", has the figures). Rows follow chunk-id order, the order of the
BM25 corpus, and new chunks always have the largest ids (the store's AUTOINCREMENT), so an
addition appends rows and a removal drops ranges.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from index.ingest.embedding import DIMENSION
from index.snapshot.ragged import offsets_of
from index.store.chunks import ChunkStore

VECTORS_FILE = "sentence_vectors.f32"
LAYOUT_FILE = "sentences.npz"
_ROW_BYTES = DIMENSION * 4
_COPY_ROWS = 1 << 16  # rows copied at a time (~100 MB): a large index never sits in memory


@dataclass(frozen=True)
class SentenceTable:
    chunk_ids: np.ndarray  # int64, ascending: the chunk at position p has id chunk_ids[p]
    offsets: np.ndarray  # int64, len(chunk_ids) + 1: chunk p owns rows offsets[p]:offsets[p+1]
    spans: np.ndarray  # int32 (rows, 2): start and end, relative to the chunk text
    vectors: BinaryIO  # the float32 (rows, DIMENSION) matrix, read with pread

    def rows(self, positions: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The row numbers of these chunks' sentences, and where each chunk's run starts."""
        chosen = np.asarray(positions, dtype=np.int64)
        starts = self.offsets[chosen]
        lengths = self.offsets[chosen + 1] - starts
        bounds = offsets_of(lengths)
        rows = np.repeat(starts - bounds[:-1], lengths) + np.arange(bounds[-1])
        return rows, bounds

    def read(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of these rows, one read per run of consecutive rows."""
        out = np.empty((len(rows), DIMENSION), dtype=np.float32)
        for first, last, into in _runs(rows):
            out[into : into + last - first] = self._read_run(first, last)
        return out

    def _read_run(self, first: int, last: int) -> np.ndarray:
        size = (last - first) * _ROW_BYTES
        data = os.pread(self.vectors.fileno(), size, first * _ROW_BYTES)
        if len(data) != size:
            raise ValueError(f"{VECTORS_FILE} ends before row {last}")
        return np.frombuffer(data, dtype=np.float32).reshape(-1, DIMENSION)

    @classmethod
    def write(
        cls,
        folder: Path,
        store: ChunkStore,
        chunk_ids: np.ndarray,
        previous: SentenceTable | None = None,
    ) -> SentenceTable:
        """Write the table of `chunk_ids` (ascending, all in the store) into `folder`.

        With `previous` (an earlier snapshot's table), the rows of chunks it has are copied
        from it and only newer chunks are read from the store.
        """
        row_owners: list[np.ndarray] = []  # the chunk id of every row
        spans: list[np.ndarray] = []
        newest_known = -1
        with open(folder / VECTORS_FILE, "wb") as out:
            if previous is not None and len(previous.chunk_ids):
                newest_known = int(previous.chunk_ids[-1])
                kept = np.flatnonzero(np.isin(previous.chunk_ids, chunk_ids))
                rows, bounds = previous.rows(kept)
                row_owners.append(np.repeat(previous.chunk_ids[kept], np.diff(bounds)))
                spans.append(previous.spans[rows])
                _copy_rows(previous, rows, out)
            for batch in store.iter_sentences(after=newest_known):
                row_owners.append(batch.chunk_ids)
                spans.append(batch.spans)
                out.write(np.ascontiguousarray(batch.vectors, dtype=np.float32).tobytes())
        owners = _concat(row_owners, np.int64)
        offsets = np.append(np.searchsorted(owners, chunk_ids), len(owners)).astype(np.int64)
        if not np.array_equal(np.repeat(chunk_ids, np.diff(offsets)), owners):
            raise ValueError("the sentences do not match the chunks (changed while building?)")
        spans_array = _concat(spans, np.int32).reshape(-1, 2)
        np.savez(folder / LAYOUT_FILE, chunk_ids=chunk_ids, offsets=offsets, spans=spans_array)
        return cls._opened(folder, chunk_ids, offsets, spans_array)

    @classmethod
    def load(cls, folder: Path) -> SentenceTable:
        with np.load(folder / LAYOUT_FILE) as layout:
            chunk_ids, offsets = layout["chunk_ids"], layout["offsets"]
            spans = layout["spans"].reshape(-1, 2)
        return cls._opened(folder, chunk_ids, offsets, spans)

    @classmethod
    def _opened(
        cls, folder: Path, chunk_ids: np.ndarray, offsets: np.ndarray, spans: np.ndarray
    ) -> SentenceTable:
        """The table over the vectors file in `folder`, which must hold every row."""
        rows = int(offsets[-1])
        if (folder / VECTORS_FILE).stat().st_size != rows * _ROW_BYTES:
            raise ValueError(f"{VECTORS_FILE} does not hold {rows} sentence vectors")
        # closed when the table is dropped; a snapshot folder deleted meanwhile stays readable
        vectors = open(folder / VECTORS_FILE, "rb", buffering=0)  # noqa: SIM115
        return cls(chunk_ids, offsets, spans, vectors)


def _copy_rows(table: SentenceTable, rows: np.ndarray, out: BinaryIO) -> None:
    for first, last, _ in _runs(rows):
        for begin in range(first, last, _COPY_ROWS):
            out.write(table._read_run(begin, min(begin + _COPY_ROWS, last)).tobytes())


def _runs(rows: np.ndarray) -> list[tuple[int, int, int]]:
    """(first row, row after the last, index in `rows`) of each run of consecutive rows."""
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(rows)]))
    return [(int(rows[a]), int(rows[b - 1]) + 1, int(a)) for a, b in zip(starts, ends, strict=True)]


def _concat(parts: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    arrays: list[np.ndarray] = [np.asarray(part, dtype=dtype) for part in parts]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)
