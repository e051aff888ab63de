"""Reference builds of the lexical structures, straight from the texts: bm25s's own build
over token lists and the lexicon counted word by word. The product computes both from
cached term counts instead (index/snapshot/lexical_build.py); the tests check it gets the same."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence

import bm25s
import numpy as np

from index.ingest.terms import words
from index.snapshot.bm25 import Bm25Index
from index.snapshot.chunk_tokens import ChunkTokens
from index.snapshot.lexicon import Lexicon


def bm25_of_token_lists(chunk_ids: Sequence[int], token_lists: list[list[str]]) -> Bm25Index:
    """bm25s's build from token lists, an empty chunk being the one token ""."""
    ids = np.asarray(chunk_ids, dtype=np.int64)
    if not token_lists:
        return Bm25Index(None, ids)
    retriever = bm25s.BM25()
    retriever.index([tokens or [""] for tokens in token_lists], show_progress=False)
    return Bm25Index(retriever, ids)


def lexicon_of_texts(token_lists: Iterable[list[str]], texts: Iterable[str]) -> Lexicon:
    doc_freq: Counter[str] = Counter()
    count = 0
    for token_list in token_lists:
        doc_freq.update(set(token_list))
        count += 1
    surface: Counter[str] = Counter()
    for text in texts:
        surface.update(words(text))
    return Lexicon(dict(doc_freq), count, dict(surface))


def token_lists_of(chunk_tokens: ChunkTokens) -> list[list[str]]:
    """Each chunk's `tokens(text)`, as strings."""
    terms = chunk_tokens.stems[chunk_tokens.word_ids]
    return [
        [chunk_tokens.terms[t] for t in terms[start:end].tolist()]
        for start, end in itertools.pairwise(chunk_tokens.offsets.tolist())
    ]
