"""The words and terms lexical matching compares: lower-case words without stop words and
question words, and their Snowball stems.

One tokenizer serves BM25, sentence scoring, the lexicon and typo repair, so a word means the
same thing everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

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
WORD = re.compile(r"(?u)\b\w\w*\b")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case words without stop words (unstemmed: used for typo repair)."""
    return [word for word in WORD.findall(text.lower()) if word not in STOP_WORDS]


def stem_words(found: list[str]) -> list[str]:
    """Each word's term (its Snowball stem)."""
    return list(_stemmer().stemWords(found))


def tokens(text: str) -> list[str]:
    """The terms BM25 and sentence scoring compare: stemmed content words."""
    return stem_words(words(text))


@lru_cache(maxsize=50_000)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a sentence; cached, as popular passages are scored again and again."""
    return frozenset(tokens(text))
