"""Lexical matching: BM25 over chunks (bm25s), word statistics and typo repair.

The same tokenizer (lower-case words, stop words and question words dropped, Snowball
stems) serves chunk search, sentence scoring and query correction, so a word means the
same thing everywhere.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

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
    """BM25 over chunk texts; position i of the bm25s corpus is chunk `chunk_ids[i]`."""

    def __init__(self, retriever: bm25s.BM25 | None, chunk_ids: np.ndarray) -> None:
        self._retriever = retriever
        self.chunk_ids = chunk_ids
        self._position = {int(chunk_id): i for i, chunk_id in enumerate(chunk_ids)}

    @classmethod
    def build(cls, chunk_ids: Sequence[int], token_lists: list[list[str]]) -> Bm25Index:
        ids = np.asarray(chunk_ids, dtype=np.int64)
        if not token_lists:
            return cls(None, ids)
        retriever = bm25s.BM25()
        retriever.index([tokens or [""] for tokens in token_lists], show_progress=False)
        return cls(retriever, ids)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (aligned with `chunk_ids`); zeros when nothing matches."""
        known = (
            [t for t in query_tokens if t in self._retriever.vocab_dict] if self._retriever else []
        )
        if not known or self._retriever is None:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def position(self, chunk_id: int) -> int | None:
        return self._position.get(chunk_id)

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
        return cls(bm25s.BM25.load(str(folder), show_progress=False), ids)
