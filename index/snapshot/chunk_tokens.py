"""Every chunk's words as ids, kept in a snapshot so that the next publish tokenizes only the
chunks added since: BM25 and the lexicon are then computed from these arrays (their term
counts), never from the texts again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.ingest.terms import stem_words, words
from index.snapshot.ragged import offsets_of

TOKENS_FILE = "tokens.npz"
BATCH = 1 << 24  # array elements worked on at a time (bounds the memory used)


@dataclass(frozen=True)
class TermCounts:
    """Each chunk's distinct terms with their counts: what BM25 and the lexicon are computed
    from. Entry i says chunk `positions[i]` holds term `term_ids[i]` `counts[i]` times;
    entries are sorted by chunk position, then term id. All int32."""

    positions: np.ndarray
    term_ids: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class ChunkTokens:
    """Every chunk's words as ids: kept in a snapshot so the next one tokenizes only new chunks.

    Chunk p (`chunk_ids` ascending: the order of `Bm25Index.chunk_ids`) has the words
    `word_ids[offsets[p]:offsets[p + 1]]`, which are `words(text)` of its text, in order, as
    indexes into `vocabulary`; word w's term (its stem: `tokens(text)` is the chunk's words'
    terms) is `terms[stems[w]]`. Only words and terms some chunk uses are listed.
    """

    chunk_ids: np.ndarray  # int64
    offsets: np.ndarray  # int64, len(chunk_ids) + 1
    word_ids: np.ndarray  # int32
    vocabulary: list[str]
    stems: np.ndarray  # int32, len(vocabulary)
    terms: list[str]

    @classmethod
    def empty(cls) -> ChunkTokens:
        none = np.zeros(0, dtype=np.int32)
        return cls(np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), none, [], none, [])

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @property
    def lengths(self) -> np.ndarray:
        """Words per chunk."""
        return np.diff(self.offsets)

    def extend(self, batches: Iterable[tuple[Sequence[int], Sequence[str]]]) -> ChunkTokens:
        """These chunks and the newer ones in `batches` (ids and texts, ascending ids above
        the last one here), whose texts are tokenized; each distinct new word is stemmed once.
        """
        vocabulary = list(self.vocabulary)
        index: dict[str, int] | None = None  # built at the first batch: a removal needs none
        last = int(self.chunk_ids[-1]) if len(self.chunk_ids) else -1
        id_parts, word_parts, length_parts = [self.chunk_ids], [self.word_ids], [self.lengths]
        for batch_ids, texts in batches:
            ids = np.asarray(batch_ids, dtype=np.int64)
            if len(ids) != len(texts) or np.any(np.diff(ids, prepend=last) <= 0):
                raise ValueError("new chunks must come in ascending id order after the known ones")
            if len(ids):
                last = int(ids[-1])
            if index is None:
                index = {word: i for i, word in enumerate(vocabulary)}
            word_ids, lengths = _word_ids(texts, index, vocabulary)
            id_parts.append(ids)
            word_parts.append(word_ids)
            length_parts.append(lengths)
        if len(id_parts) == 1:
            return self
        terms, stems = self._stem(vocabulary[len(self.vocabulary) :])
        return ChunkTokens(
            np.concatenate(id_parts),
            offsets_of(np.concatenate(length_parts)),
            np.concatenate(word_parts),
            vocabulary,
            stems,
            terms,
        )

    def _stem(self, new_words: list[str]) -> tuple[list[str], np.ndarray]:
        """The terms and every word's term id, with `new_words` appended to the vocabulary."""
        if not new_words:
            return self.terms, self.stems
        terms = list(self.terms)
        term_index = {term: i for i, term in enumerate(terms)}
        new_stems: list[int] = []
        for term in stem_words(new_words):
            found = term_index.get(term)
            if found is None:
                found = term_index[term] = len(terms)
                terms.append(term)
            new_stems.append(found)
        return terms, np.concatenate([self.stems, np.asarray(new_stems, dtype=np.int32)])

    def select(self, keep: np.ndarray) -> ChunkTokens:
        """Only the chunks where `keep` (a bool per chunk) is true; unused words dropped."""
        if keep.all():
            return self
        offsets = offsets_of(self.lengths[keep])
        word_ids = self.word_ids[np.repeat(keep, self.lengths)]
        used = np.zeros(len(self.vocabulary), dtype=bool)
        used[word_ids] = True
        stems = self.stems[used]
        used_terms = np.zeros(len(self.terms), dtype=bool)
        used_terms[stems] = True
        return ChunkTokens(
            self.chunk_ids[keep],
            offsets,
            _renumbered(used)[word_ids],
            [word for word, kept in zip(self.vocabulary, used.tolist(), strict=True) if kept],
            _renumbered(used_terms)[stems],
            [term for term, kept in zip(self.terms, used_terms.tolist(), strict=True) if kept],
        )

    def term_counts(self) -> TermCounts:
        """Each chunk's distinct terms with their counts."""
        parts = [self._count_terms(begin, end) for begin, end in self._batches()]
        if not parts:
            none = np.zeros(0, dtype=np.int32)
            return TermCounts(none, none, none)
        if len(parts) == 1:  # up to BATCH words (most corpora): no copy
            return TermCounts(*parts[0])
        return TermCounts(*(np.concatenate(arrays) for arrays in zip(*parts, strict=True)))

    def _batches(self) -> Iterator[tuple[int, int]]:
        """Runs of chunks (begin, end) of at most BATCH words together, or of one longer chunk."""
        begin = 0
        while begin < len(self):
            limit = int(self.offsets[begin]) + BATCH
            end = max(int(np.searchsorted(self.offsets, limit, side="right")) - 1, begin + 1)
            yield begin, end
            begin = end

    def _count_terms(self, begin: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions, term ids and counts of chunks begin..end - 1: one key per word (chunk
        position * terms + term id), sorted, then counted run by run."""
        width = max(len(self.terms), 1)
        low, high = int(self.offsets[begin]), int(self.offsets[end])
        keys = np.repeat(
            np.arange(begin, end, dtype=np.int64), np.diff(self.offsets[begin : end + 1])
        )
        keys *= width
        keys += self.stems[self.word_ids[low:high]]
        keys.sort()
        starts = np.flatnonzero(np.diff(keys, prepend=-1))
        counts = np.diff(np.append(starts, len(keys))).astype(np.int32)
        distinct = keys[starts]
        return (distinct // width).astype(np.int32), (distinct % width).astype(np.int32), counts

    def save(self, folder: Path) -> None:
        np.savez(
            folder / TOKENS_FILE,
            chunk_ids=self.chunk_ids,
            offsets=self.offsets,
            word_ids=self.word_ids,
            stems=self.stems,
            vocabulary=_pack(self.vocabulary),
            terms=_pack(self.terms),
        )

    @classmethod
    def load(cls, folder: Path) -> ChunkTokens:
        """The tokens saved in `folder`; ValueError when they are unreadable or inconsistent."""
        try:
            with np.load(folder / TOKENS_FILE) as saved:
                chunk_ids = np.asarray(saved["chunk_ids"], dtype=np.int64)
                offsets = np.asarray(saved["offsets"], dtype=np.int64)
                word_ids = np.asarray(saved["word_ids"], dtype=np.int32)
                stems = np.asarray(saved["stems"], dtype=np.int32)
                vocabulary, terms = _unpack(saved["vocabulary"]), _unpack(saved["terms"])
        except Exception as exc:  # any numpy, zip or decoding error: the file is unusable
            raise ValueError(f"{TOKENS_FILE} cannot be read ({exc})") from exc
        if (
            len(offsets) != len(chunk_ids) + 1
            or offsets[0] != 0
            or offsets[-1] != len(word_ids)
            or np.any(np.diff(offsets) < 0)
            or np.any(np.diff(chunk_ids) <= 0)
            or len(stems) != len(vocabulary)
            or (len(word_ids) and not 0 <= word_ids.min() <= word_ids.max() < len(vocabulary))
            or (len(stems) and not 0 <= stems.min() <= stems.max() < len(terms))
        ):
            raise ValueError(f"{TOKENS_FILE} is inconsistent")
        return cls(chunk_ids, offsets, word_ids, vocabulary, stems, terms)


def _word_ids(
    texts: Sequence[str], index: dict[str, int], vocabulary: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The texts' words as ids, and their lengths; a new word gets the next id, in order of
    use (added to `index` and `vocabulary`)."""
    found_ids: list[int] = []
    lengths: list[int] = []
    for text in texts:
        found = words(text)
        if not index.keys() >= set(found):
            unseen = [word for word in dict.fromkeys(found) if word not in index]
            index.update({word: len(vocabulary) + i for i, word in enumerate(unseen)})
            vocabulary.extend(unseen)
        found_ids.extend(map(index.__getitem__, found))
        lengths.append(len(found))
    return np.asarray(found_ids, dtype=np.int32), np.asarray(lengths, dtype=np.int64)


def _renumbered(used: np.ndarray) -> np.ndarray:
    """Old id -> new id, when only the `used` ids are kept (in their order)."""
    return (np.cumsum(used, dtype=np.int64) - 1).astype(np.int32)


def _pack(strings: list[str]) -> np.ndarray:
    """Strings as one UTF-8 array ("\\n" never occurs in a word or its stem)."""
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _unpack(packed: np.ndarray) -> list[str]:
    return packed.tobytes().decode("utf-8").split("\n") if packed.size else []
