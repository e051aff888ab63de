"""Answering a batch of questions: clean, repair, embed, search, score, compose.

One pass per batch: the questions (and the earlier questions follow-ups lean on) are
embedded together and the vector index is searched once for all; each question is then
scored and answered on its own. The pipeline holds no index: every batch reads one
`IndexView`, so a snapshot switched meanwhile never mixes into an answer. Built with other
fitted numbers (`index.fitted.Fitted`), it is what the fitting script and tests measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.answering import AnswerComposer
from index.api import Answer, Turn
from index.embedding import Embedder, model_vocabulary
from index.fitted import Fitted
from index.retrieval import Query, ScoredChunk, build_terms, is_follow_up, retrieve
from index.search import Candidates
from index.settings import EngineSettings
from index.view import IndexView

FOLLOW_UP_TURNS = 2  # earlier questions a follow-up may lean on
FOLLOW_UP_MIX = 0.5  # weight of the earlier questions' vector in a follow-up's


@dataclass(frozen=True)
class Question:
    """One question made ready for search; `text` is the question with typos repaired."""

    asked: str  # as cleaned, what the answer repeats
    text: str
    earlier: list[str]  # earlier questions it leans on (empty unless a follow-up)
    query: Query
    candidates: Candidates


class QuestionPipeline:
    def __init__(self, settings: EngineSettings, fitted: Fitted, embedder: Embedder) -> None:
        self.settings = settings
        self.fitted = fitted
        self._embedder = embedder
        self._composer = AnswerComposer(
            settings.answer, settings.retrieval.top_k, fitted.confidence
        )

    def answer(
        self, requests: Sequence[tuple[str, Sequence[Turn]]], view: IndexView
    ) -> list[Answer]:
        return [
            self._composer.compose(question.asked, question.query, self.rank(question, view), view)
            for question in self.prepare(requests, view)
        ]

    def prepare(
        self, requests: Sequence[tuple[str, Sequence[Turn]]], view: IndexView
    ) -> list[Question]:
        """Clean, repair, embed and search a batch of questions (with their histories)."""
        limit = self.settings.answer.max_question_chars
        asked = [clean_question(question, limit) for question, _ in requests]
        dictionary = _known_words()
        texts = [view.snapshot.lexicon.correct(q, dictionary) if q else "" for q in asked]
        earlier = [
            [turn.question for turn in history[-FOLLOW_UP_TURNS:]] if is_follow_up(q) else []
            for q, (_, history) in zip(asked, requests, strict=True)
        ]
        vectors = self._embedder.encode(texts + [" ".join(e) for e in earlier if e])
        history_vectors = iter(vectors[len(texts) :])
        query_vectors = []
        for previous, vector in zip(earlier, vectors[: len(texts)], strict=True):
            if previous:
                mixed = vector + FOLLOW_UP_MIX * next(history_vectors)
                vector = mixed / max(float(np.linalg.norm(mixed)), 1e-12)
            query_vectors.append(vector)
        history_weight = self.fitted.weights.history_terms
        queries = [
            Query(text, vector, build_terms(text, previous, history_weight))
            for text, previous, vector in zip(texts, earlier, query_vectors, strict=True)
        ]
        found = view.snapshot.search.find(queries, self.settings.retrieval.candidates)
        return [
            Question(q, query.text, previous, query, candidates)
            for q, previous, query, candidates in zip(asked, earlier, queries, found, strict=True)
        ]

    def rank(self, question: Question, view: IndexView) -> list[ScoredChunk]:
        """Candidate chunks from both retrievers, scored with sentence evidence, best first."""
        if not question.text.strip():
            return []
        return retrieve(question.query, question.candidates, view, self.fitted.weights)


def clean_question(question: str, limit: int) -> str:
    """Printable characters, single spaces, at most `limit` characters."""
    question = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t")
    return " ".join(question.split())[:limit]


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Real words a typo repair must leave alone (read once per process)."""
    return model_vocabulary()
