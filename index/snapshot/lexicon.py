"""The corpus's word statistics: document frequencies of terms (the idf that weighs a
question's terms) and the surface words typo repair corrects towards.
"""

from __future__ import annotations

import json
import math

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.ingest.terms import STOP_WORDS, WORD
from index.snapshot.chunk_tokens import BATCH, ChunkTokens, TermCounts


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
    def from_counts(cls, chunk_tokens: ChunkTokens, term_counts: TermCounts) -> Lexicon:
        """The lexicon of the chunks' texts, from their words and term counts."""
        doc_freq = _doc_freq(chunk_tokens, term_counts)
        return cls(doc_freq, len(chunk_tokens), _surface(chunk_tokens))

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
        for word in WORD.findall(text):
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


def _doc_freq(chunk_tokens: ChunkTokens, term_counts: TermCounts) -> dict[str, int]:
    """Chunks per term (a chunk's term appears once in its term counts)."""
    frequency = np.bincount(term_counts.term_ids, minlength=len(chunk_tokens.terms))
    used = np.flatnonzero(frequency)
    terms = [chunk_tokens.terms[t] for t in used.tolist()]
    return dict(zip(terms, frequency[used].tolist(), strict=True))


def _surface(chunk_tokens: ChunkTokens) -> dict[str, int]:
    """Uses per word, in the order of the words' first use in the texts: `correct` breaks
    ties in that order."""
    word_ids = chunk_tokens.word_ids
    uses = np.bincount(word_ids, minlength=len(chunk_tokens.vocabulary))
    first = np.full(len(uses), len(word_ids), dtype=np.int64)
    for begin in range(0, len(word_ids), BATCH):
        end = min(begin + BATCH, len(word_ids))
        np.minimum.at(first, word_ids[begin:end], np.arange(begin, end, dtype=np.int64))
    order = np.flatnonzero(uses)
    order = order[np.argsort(first[order], kind="stable")]
    found = [chunk_tokens.vocabulary[w] for w in order.tolist()]
    return dict(zip(found, uses[order].tolist(), strict=True))
