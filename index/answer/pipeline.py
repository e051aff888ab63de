"""Answering a batch of questions: clean, repair, embed, search, score, compose.

One pass per batch: the questions (and the earlier questions follow-ups lean on) are
embedded together and the vector index is searched once for all; each question is then
scored and answered on its own; the span reader reads each question's best chunks in one
call for the batch, and a second call reads further for those it answered in none
(`SECOND_LOOK`). The pipeline holds no index: every batch reads one
`IndexView`, so a snapshot switched meanwhile never mixes into an answer. Built with other
fitted numbers (`index.fitted.Fitted`), it is what the fitting script and tests measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from index.answer.composition import ANSWER_POOL, AnswerComposer
from index.answer.direct import FEATURES as DIRECT_FEATURES
from index.answer.direct import asks_explanation
from index.answer.follow_ups import as_read, names_only_whom, reads_as_one
from index.answer.reading import (
    PassageReading,
    Reader,
    chunks_past,
    chunks_to_read,
    read_passages,
)
from index.api import Answer, Scope, Turn
from index.fitted import Fitted
from index.ingest.embedding import Embedder, model_vocabulary
from index.search.candidates import Candidates
from index.search.fusion import Query, ScoredChunk, build_terms, is_follow_up, retrieve
from index.search.index_view import IndexView
from index.search.recency import break_near_ties, newest_relevant_first
from index.search.scopes import Catalog, Focus, focus
from index.settings import EngineSettings

FOLLOW_UP_TURNS = 2  # earlier questions a follow-up may lean on
FOLLOW_UP_MIX = 0.5  # weight of the earlier questions' vector in a follow-up's
SECOND_LOOK = 4  # the chunks read at most, when the reader answers none of the first outright


@dataclass(frozen=True)
class Question:
    """One question made ready for search; `text` is the question with typos repaired."""

    asked: str  # as cleaned, what the answer repeats
    text: str  # without time words
    earlier: list[str]  # earlier questions it leans on (empty unless a follow-up)
    query: Query
    candidates: Candidates  # found within the chunks it may read (its scope)
    newest_first: bool = False
    in_scope: frozenset[str] | None = None  # the documents a refusal may name; None: all

    @property
    def follows(self) -> str | None:
        """The earlier question it follows directly (None unless a follow-up)."""
        return self.earlier[-1] if self.earlier else None


class QuestionPipeline:
    def __init__(
        self,
        settings: EngineSettings,
        fitted: Fitted,
        embedder: Embedder,
        reader: Reader | None = None,
    ) -> None:
        """`reader`: the span reader (index/answer/reading.py); None answers with sentences only."""
        self.settings = settings
        self.fitted = fitted
        self._embedder = embedder
        self._reader = reader
        if fitted.direct is not None and len(fitted.direct.weights) != len(DIRECT_FEATURES):
            raise ValueError(
                f"index/fitted.json's direct-answer model has {len(fitted.direct.weights)} "
                f"weights for {len(DIRECT_FEATURES)} features (index/answer/direct.py): "
                "re-fit it with `python -m benchmarks.reading_quality --fit`"
            )
        self._composer = AnswerComposer(
            settings.answer,
            settings.retrieval.top_k,
            fitted.confidence,
            fitted.reading,
            fitted.direct,
        )
        self._catalog: tuple[str, Catalog] | None = None  # of the last snapshot read

    def answer(
        self,
        requests: Sequence[tuple[str, Sequence[Turn]]],
        view: IndexView,
        scopes: Sequence[Scope | None] | None = None,
    ) -> list[Answer]:
        questions = self.prepare(requests, view, scopes)
        ranked = [self.rank(question, view) for question in questions]
        reads = self.read(questions, ranked, view)
        return [
            self._composer.compose(
                question.asked,
                question.query,
                chunks,
                view,
                read=read,
                newest_first=question.newest_first,
                in_scope=question.in_scope,
                follow_up=_read_as_one(question),
            )
            for question, chunks, read in zip(questions, ranked, reads, strict=True)
        ]

    def read(
        self, questions: Sequence[Question], ranked: Sequence[list[ScoredChunk]], view: IndexView
    ) -> list[list[PassageReading]]:
        """Each question's top chunks as the span reader read them, in one batch (the chunk
        the answer would come from, and the first one); none for a question whose answer
        the reader cannot change (`AnswerComposer.needs_reading`). Where the reader answers
        none of them outright, the next chunks, up to `SECOND_LOOK` in all, in a second
        batch: those it answers outright take their place."""
        if self._reader is None:
            return [[] for _ in questions]
        chosen = [
            (chunks[:1] if question.newest_first else chunks_to_read(chunks, ANSWER_POOL))
            if self._composer.needs_reading(
                question.asked,
                chunks,
                view,
                newest_first=question.newest_first,
                in_scope=question.in_scope,
                follow_up=_read_as_one(question),
            )
            else []
            for question, chunks in zip(questions, ranked, strict=True)
        ]
        as_read = [_as_read(question) for question in questions]
        first = read_passages(self._reader, as_read, chosen, view)
        again = [
            chunks_past(chunks, [r.item for r in read], SECOND_LOOK)
            if _looks_again(question, read)
            else []
            for question, chunks, read in zip(questions, ranked, first, strict=True)
        ]
        more = read_passages(self._reader, as_read, again, view)
        return [
            [replace(r, second_look=True) for r in extra if r.answers_outright] or read
            for read, extra in zip(first, more, strict=True)
        ]

    def prepare(
        self,
        requests: Sequence[tuple[str, Sequence[Turn]]],
        view: IndexView,
        scopes: Sequence[Scope | None] | None = None,
    ) -> list[Question]:
        """Clean, repair, embed and search a batch of questions (with their histories),
        each within its scope (None: every document)."""
        limit = self.settings.answer.max_question_chars
        asked = [clean_question(question, limit) for question, _ in requests]
        catalog = self._catalog_of(view)
        focused = [
            focus(q, scope, catalog)
            for q, scope in zip(asked, scopes or [None] * len(asked), strict=True)
        ]
        dictionary = _known_words()
        texts = [
            view.snapshot.lexicon.correct(f.text, dictionary) if f.text else "" for f in focused
        ]
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
        allowed = [_allowed_chunks(focused_on, view) for focused_on in focused]
        found = view.search.find(queries, self.settings.retrieval.candidates, allowed)
        return [
            Question(
                q,
                query.text,
                previous,
                query,
                candidates,
                focused_on.newest_first,
                focused_on.in_scope,
            )
            for q, previous, query, candidates, focused_on in zip(
                asked, earlier, queries, found, focused, strict=True
            )
        ]

    def _catalog_of(self, view: IndexView) -> Catalog:
        """The snapshot's catalog, built once per snapshot (a snapshot never changes)."""
        name = view.snapshot.folder.name
        if self._catalog is None or self._catalog[0] != name:
            self._catalog = (name, Catalog.of(view.documents))
        return self._catalog[1]

    def rank(self, question: Question, view: IndexView) -> list[ScoredChunk]:
        """Candidate chunks from both retrievers, scored with sentence evidence, best first
        (newest first when the question asks for the latest)."""
        if not question.text.strip():
            return []
        ranked = retrieve(question.query, question.candidates, view, self.fitted.weights)
        if question.newest_first:
            return newest_relevant_first(ranked, view.documents, self.fitted.confidence)
        return break_near_ties(ranked, view.documents)


def _read_as_one(question: Question) -> bool:
    """A follow-up the reader reads as one question with the one before it."""
    return reads_as_one(question.text, question.follows)


def _as_read(question: Question) -> str:
    """What the span reader reads as the question (index/answer/follow_ups.py)."""
    return as_read(question.text, question.follows)


def _looks_again(question: Question, read: Sequence[PassageReading]) -> bool:
    """Whether the reader reads the next chunks too: it read, and its span beat its
    no-answer score in none of the chunks, for a question a span answers (not why or how,
    nor one that only names whom it asks about: the best sentence naming them answers),
    and not one asking for the latest (its answer comes from the newest passage)."""
    return (
        bool(read)
        and all(r.reading.margin >= 0 for r in read)
        and not question.newest_first
        and not asks_explanation(question.asked)
        and not names_only_whom(question.asked)
    )


def _allowed_chunks(focused: Focus, view: IndexView) -> np.ndarray | None:
    """The chunk ids a focused question may read; None when it may read every one."""
    if focused.doc_ids is None:
        return None
    if not focused.doc_ids:
        return np.zeros(0, dtype=np.int64)
    return view.store.chunk_ids_of_documents(sorted(focused.doc_ids))


def clean_question(question: str, limit: int) -> str:
    """Printable characters, single spaces, at most `limit` characters."""
    question = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t")
    return " ".join(question.split())[:limit]


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Real words a typo repair must leave alone (read once per process)."""
    return model_vocabulary()
