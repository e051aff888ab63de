"""A deterministic stand-in for the sentence-embedding model, for the fast test tier.

What it is for: the tests of storing, snapshots, persistence, repair, concurrency and
answering need vectors that behave like embeddings (texts about the same thing are near,
others far) but not the model's semantics. all-MiniLM-L6-v2 takes seconds to load and
~30 ms a text on a busy 2-core machine; this takes ~60 µs a text and loads nothing.

How: feature hashing. Each content word of a text (lower-cased, stop words dropped,
Snowball-stemmed, as the engine's lexical side sees words) adds 1 to one of `DIMENSION`
coordinates, and each character trigram of the unstemmed word adds a little, so a typo
("Gutierez") stays nearer its word than unrelated words are. The coordinate and a sign
come from blake2b, stable across processes and runs (Python's `hash()` is salted per
process).

What it cannot do: it knows no meaning beyond shared words. A paraphrase without common
words ("jail" / "prison"), a question that needs its answer's *kind* ("who" -> a name) or
telling an off-topic question apart from an on-topic one with the same words are beyond
it; tests of such things (answer quality, refusals, the seed article's questions) run on
the real model and are marked `model`.

The refusal model in index/fitted.json was fitted on the real model's cosines. With the
fake's (0.3-0.8 between a question and the sentence answering it when they share most
content words, ~0 between unrelated texts) the engine tests' questions stay confident
(probability 0.4-1.0 against a threshold of 0.077) and off-topic ones are refused (< 0.01),
so the engines built on it keep the fitted numbers. A question sharing only one word with
its answer falls below the threshold: such a test needs the real model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import Stemmer

from index.ingest.embedding import DIMENSION
from index.ingest.terms import STOP_WORDS

TRIGRAM_WEIGHT = 0.35  # a misspelt word keeps a cosine of ~0.4 with its spelling; unrelated ~0
_WORD = re.compile(r"\w+")
_STEMMER = Stemmer.Stemmer("english")


class FakeEmbedder:
    """Feature-hashed bag of words and trigrams; follows index.embedding.Embedder.

    Its own tokenizer, not index.terms': tests that count the engine's tokenizer calls
    must not count the embedding's.
    """

    name = "fake-hashed-words"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in _features(text):
                coordinate, sign = _slot(feature)
                vectors[row, coordinate] += sign * weight
            norm = float(np.linalg.norm(vectors[row]))
            if norm == 0.0:  # no words at all, or features that cancelled out
                vectors[row, _slot("<no words>")[0]] = norm = 1.0
            vectors[row] /= norm
        return vectors


def _features(text: str) -> list[tuple[str, float]]:
    """Stemmed content words (every word, if all are stop words) and their trigrams."""
    words = _WORD.findall(text.lower())
    content = [word for word in words if word not in STOP_WORDS] or words
    features = [("w:" + stem, 1.0) for stem in _STEMMER.stemWords(content)]
    for word in content:
        padded = f" {word} "
        features += [("t:" + padded[i : i + 3], TRIGRAM_WEIGHT) for i in range(len(padded) - 2)]
    return features


@lru_cache(maxsize=100_000)
def _slot(feature: str) -> tuple[int, float]:
    """The coordinate a feature adds to, and with which sign (collisions then cancel out
    on average instead of piling up)."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return digest % DIMENSION, 1.0 if (digest >> 32) & 1 else -1.0
