"""BM25 and the lexicon of a snapshot, from its chunk tokens (which hold no text)."""

from __future__ import annotations

from index.snapshot.bm25 import Bm25Index
from index.snapshot.chunk_tokens import ChunkTokens
from index.snapshot.lexicon import Lexicon


def build_lexical(chunk_tokens: ChunkTokens) -> tuple[Bm25Index, Lexicon]:
    """BM25 and the lexicon of these chunks, equal to those built from their texts (bm25s
    over token lists, words counted one by one: tests/support/lexical_reference.py), without
    reading a text again. The term counts are computed once for both."""
    term_counts = chunk_tokens.term_counts()
    bm25 = Bm25Index.from_counts(chunk_tokens, term_counts)
    return bm25, Lexicon.from_counts(chunk_tokens, term_counts)
