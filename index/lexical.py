"""Lexical matching: BM25 over chunks (bm25s), word statistics and typo repair.

The same tokenizer (lower-case words, stop words and question words dropped, Snowball
stems) serves chunk search, sentence scoring and query correction, so a word means the
same thing everywhere.

Each snapshot keeps every chunk's words as ids (`ChunkTokens`), so publishing a change
tokenizes only the new chunks: BM25 and the lexicon are then computed from those arrays,
exactly as bm25s and `Lexicon.build` compute them from the texts.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.ragged import offsets_of

QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
        "done",
        "has",
        "have",
        "had",
        "were",
        "been",
        "being",
        "am",
        "can",
        "could",
        "would",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "about",
        "from",
        "than",
        "also",
        "any",
        "some",
        "many",
        "much",
        "tell",
        "me",
        "my",
        "our",
        "your",
        "you",
        "we",
        "i",
        "he",
        "she",
        "his",
        "her",
        "its",
        "him",
        "them",
        "us",
        "know",
        "name",
        "kind",
        "type",
    ]
)
STOP_WORDS = frozenset(STOPWORDS_EN) | QUESTION_WORDS
_WORD = re.compile(r"(?u)\b\w\w*\b")
# bm25s adds a chunk's constant (a NumPy float64) to its float32 term counts: float64 under
# NumPy 2's promotion rules, float32 under NumPy 1's; the vectorised build follows suit.
_TFC_DTYPE = (np.float64(1.0) + np.ones(1, dtype=np.float32)).dtype


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case words without stop words (unstemmed: used for typo repair)."""
    return [word for word in _WORD.findall(text.lower()) if word not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    """The terms BM25 and sentence scoring compare: stemmed content words."""
    return list(_stemmer().stemWords(words(text)))


@lru_cache(maxsize=50_000)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a sentence; cached, as popular passages are scored again and again."""
    return frozenset(tokens(text))


TOKENS_FILE = "tokens.npz"
_BATCH = 1 << 24  # array elements worked on at a time (bounds the memory used)


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

    def token_lists(self) -> list[list[str]]:
        """Each chunk's `tokens(text)`, as strings (for tests and small corpora only)."""
        terms = self.stems[self.word_ids]
        return [
            [self.terms[t] for t in terms[start:end].tolist()]
            for start, end in itertools.pairwise(self.offsets.tolist())
        ]

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
            found_ids: list[int] = []
            lengths: list[int] = []
            for text in texts:
                found = words(text)
                if not index.keys() >= set(found):  # a new word: numbered in order of use
                    unseen = [word for word in dict.fromkeys(found) if word not in index]
                    index.update({word: len(vocabulary) + i for i, word in enumerate(unseen)})
                    vocabulary.extend(unseen)
                found_ids.extend(map(index.__getitem__, found))
                lengths.append(len(found))
            id_parts.append(ids)
            word_parts.append(np.asarray(found_ids, dtype=np.int32))
            length_parts.append(np.asarray(lengths, dtype=np.int64))
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
        for term in _stemmer().stemWords(new_words):
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

    def term_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each chunk's distinct terms with their counts, as three int32 arrays sorted by
        chunk position and then term id: position, term id, count (its term frequency)."""
        width = max(len(self.terms), 1)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        lengths = self.lengths
        begin = 0
        while begin < len(self):  # chunks of at most _BATCH words (or one chunk) at a time
            limit = int(self.offsets[begin]) + _BATCH
            end = max(int(np.searchsorted(self.offsets, limit, side="right")) - 1, begin + 1)
            low, high = int(self.offsets[begin]), int(self.offsets[end])
            keys = np.repeat(np.arange(begin, end, dtype=np.int64), lengths[begin:end])
            keys *= width
            keys += self.stems[self.word_ids[low:high]]
            keys.sort()
            starts = np.flatnonzero(np.diff(keys, prepend=-1))
            counts = np.diff(np.append(starts, len(keys))).astype(np.int32)
            distinct = keys[starts]
            parts.append(
                ((distinct // width).astype(np.int32), (distinct % width).astype(np.int32), counts)
            )
            begin = end
        if not parts:
            none = np.zeros(0, dtype=np.int32)
            return none, none, none
        positions, term_ids, counts = (
            np.concatenate(arrays) for arrays in zip(*parts, strict=True)
        )
        return positions, term_ids, counts

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


def build_lexical(chunk_tokens: ChunkTokens) -> tuple[Bm25Index, Lexicon]:
    """BM25 and the lexicon of these chunks, equal to `Bm25Index.build` and `Lexicon.build`
    over their texts, without reading a text again."""
    positions, term_ids, counts = chunk_tokens.term_counts()
    bm25 = Bm25Index.from_counts(chunk_tokens, positions, term_ids, counts)
    return bm25, Lexicon.from_counts(chunk_tokens, term_ids)


def _renumbered(used: np.ndarray) -> np.ndarray:
    """Old id -> new id, when only the `used` ids are kept (in their order)."""
    return (np.cumsum(used, dtype=np.int64) - 1).astype(np.int32)


def _pack(strings: list[str]) -> np.ndarray:
    """Strings as one UTF-8 array ("\\n" never occurs in a word or its stem)."""
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _unpack(packed: np.ndarray) -> list[str]:
    return packed.tobytes().decode("utf-8").split("\n") if packed.size else []


class Lexicon:
    """Document frequencies of terms and frequencies of surface words in the corpus."""

    def __init__(self, doc_freq: dict[str, int], documents: int, surface: dict[str, int]):
        self.doc_freq = doc_freq
        self.documents = documents
        self.surface = surface
        self._by_initial: dict[str, list[str]] = {}
        for word in surface:
            self._by_initial.setdefault(word[:1], []).append(word)

    @classmethod
    def build(cls, token_lists: Iterable[list[str]], texts: Iterable[str]) -> Lexicon:
        doc_freq: Counter[str] = Counter()
        count = 0
        for token_list in token_lists:
            doc_freq.update(set(token_list))
            count += 1
        surface: Counter[str] = Counter()
        for text in texts:
            surface.update(words(text))
        return cls(dict(doc_freq), count, dict(surface))

    @classmethod
    def from_counts(cls, chunk_tokens: ChunkTokens, term_ids: np.ndarray) -> Lexicon:
        """`build` of the chunks' texts, from their words (`term_ids`: a chunk's distinct
        terms, see ChunkTokens.term_counts). Surface words come in the order of their first
        use, as in `build`: `correct` breaks ties in that order."""
        frequency = np.bincount(term_ids, minlength=len(chunk_tokens.terms))
        used_terms = np.flatnonzero(frequency)
        doc_freq = dict(
            zip(
                [chunk_tokens.terms[t] for t in used_terms.tolist()],
                frequency[used_terms].tolist(),
                strict=True,
            )
        )
        word_ids = chunk_tokens.word_ids
        uses = np.bincount(word_ids, minlength=len(chunk_tokens.vocabulary))
        first = np.full(len(uses), len(word_ids), dtype=np.int64)
        for begin in range(0, len(word_ids), _BATCH):
            end = min(begin + _BATCH, len(word_ids))
            np.minimum.at(first, word_ids[begin:end], np.arange(begin, end, dtype=np.int64))
        order = np.flatnonzero(uses)
        order = order[np.argsort(first[order], kind="stable")]
        surface = dict(
            zip(
                [chunk_tokens.vocabulary[w] for w in order.tolist()],
                uses[order].tolist(),
                strict=True,
            )
        )
        return cls(doc_freq, len(chunk_tokens), surface)

    def idf(self, term: str) -> float:
        """BM25's idf; unseen terms weigh as the rarest ones."""
        freq = self.doc_freq.get(term, 0)
        return math.log(1 + (self.documents - freq + 0.5) / (freq + 0.5))

    def correct(self, text: str, dictionary: frozenset[str] = frozenset()) -> str:
        """Replace misspelt words by the closest word the corpus uses.

        A word is left alone when the corpus uses it, when it is a real word (`dictionary`,
        e.g. the embedding model's vocabulary: "France" must not become "face"), or when it
        is too short to correct safely.
        """
        fixed = []
        for word in _WORD.findall(text):
            lower = word.lower()
            if (
                len(lower) < 4
                or lower in self.surface
                or lower in STOP_WORDS
                or lower in dictionary
                or not lower.isalpha()
            ):
                fixed.append(word)
                continue
            fixed.append(self._closest(lower) or word)
        return " ".join(fixed)

    def _closest(self, word: str) -> str | None:
        """Same first letter, edit distance 1 (2 for words of 8+ letters), most frequent."""
        limit = 1 if len(word) < 8 else 2
        candidates = self._by_initial.get(word[:1], [])
        matches = process.extract(
            word, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=8
        )
        if not matches:
            return None
        best = min(matches, key=lambda match: (match[1], -self.surface[match[0]]))
        return str(best[0])

    def to_json(self) -> str:
        return json.dumps(
            {"doc_freq": self.doc_freq, "documents": self.documents, "surface": self.surface}
        )

    @classmethod
    def from_json(cls, text: str) -> Lexicon:
        data = json.loads(text)
        return cls(data["doc_freq"], int(data["documents"]), data["surface"])


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
        for begin in range(0, len(docs), _BATCH):
            part = slice(begin, begin + _BATCH)
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
        for begin in range(0, entries, _BATCH):
            end = min(begin + _BATCH, entries)
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
