"""Time words in questions, resolved against a fixed "today" (Wednesday 1 February 2023),
and their effect on ranking: date filters, newest first, near-ties, undated untouched."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from index.api import DocumentInfo
from index.ingest.dates import time_filter
from index.search.fusion import ScoredChunk
from index.search.recency import NEAR_TIE, break_near_ties
from index.store.chunks import StoredChunk

TODAY = dt.date(2023, 2, 1)  # a Wednesday
D = dt.date


@pytest.mark.parametrize(
    ("question", "searched", "start", "end", "newest"),
    [
        ("what happened today", "what happened", TODAY, TODAY, False),
        ("news from yesterday?", "news?", D(2023, 1, 31), D(2023, 1, 31), False),
        ("charges this week", "charges", D(2023, 1, 30), TODAY, False),
        ("charges last week", "charges", D(2023, 1, 23), D(2023, 1, 29), False),
        (
            "what did Baldwin say last month",
            "what did Baldwin say",
            D(2023, 1, 1),
            D(2023, 1, 31),
            False,
        ),
        ("storms this month", "storms", D(2023, 2, 1), TODAY, False),
        ("elections last year", "elections", D(2022, 1, 1), D(2022, 12, 31), False),
        ("what happened in January 2023", "what happened", D(2023, 1, 1), D(2023, 1, 31), False),
        ("floods in March", "floods", D(2022, 3, 1), D(2022, 3, 31), False),
        (
            "what happened on 30 January 2023?",
            "what happened?",
            D(2023, 1, 30),
            D(2023, 1, 30),
            False,
        ),
        ("Baldwin January 30, 2023", "Baldwin", D(2023, 1, 30), D(2023, 1, 30), False),
        ("anything since 2023-01-20", "anything", D(2023, 1, 20), TODAY, False),
        ("since Monday, who was charged?", "who was charged?", D(2023, 1, 30), TODAY, False),
        ("fires since Wednesday", "fires", TODAY, TODAY, False),
        ("fires since Thursday", "fires", D(2023, 1, 26), TODAY, False),
        ("since jan 19 what changed", "what changed", D(2023, 1, 19), TODAY, False),
        ("storms in the past 3 days", "storms", D(2023, 1, 29), TODAY, False),
        (
            "What's the latest on the Rust shooting?",
            "What's on the Rust shooting?",
            None,
            None,
            True,
        ),
        ("newest articles about Baldwin", "articles about Baldwin", None, None, True),
        ("recent news on Reed", "news on Reed", None, None, True),
        ("the most recent storm this week", "storm", D(2023, 1, 30), TODAY, True),
    ],
)
def test_time_words(
    question: str, searched: str, start: dt.date | None, end: dt.date | None, newest: bool
) -> None:
    text, found = time_filter(question, TODAY)
    assert found is not None
    assert (text, found.start, found.end, found.newest_first) == (searched, start, end, newest)


@pytest.mark.parametrize(
    "question",
    [
        "When was the Point Reyes lighthouse built?",
        "What charges does Gutierrez Reed face?",
        "Who may be charged?",
        "What did the weekly report say?",
    ],
)
def test_questions_without_time_words_are_left_alone(question: str) -> None:
    assert time_filter(question, TODAY) == (question, None)


def test_an_impossible_day_is_read_as_its_month() -> None:
    _, found = time_filter("what happened on 31 February 2023", TODAY)
    assert found is not None and (found.start, found.end) == (D(2023, 2, 1), D(2023, 2, 28))


def _ranked(*scores_and_docs: tuple[float, str]) -> list[ScoredChunk]:
    return [
        ScoredChunk(StoredChunk(n, doc_id, 0, 0, 10, "text"), 0.5, 0.5, score=score)
        for n, (score, doc_id) in enumerate(scores_and_docs)
    ]


def _documents(**dates: str | None) -> dict[str, DocumentInfo]:
    return {
        doc_id: DocumentInfo(
            doc_id=doc_id, title=doc_id, source=doc_id, date=date, chunks=1, content_hash="hash"
        )
        for doc_id, date in dates.items()
    }


def test_a_near_tie_goes_to_the_newer_article() -> None:
    documents = _documents(old="2023-01-20", new="2023-01-30")
    ranked = _ranked((0.700, "old"), (0.700 - NEAR_TIE / 2, "new"))
    assert [item.chunk.doc_id for item in break_near_ties(ranked, documents)] == ["new", "old"]


def test_a_clearly_better_passage_keeps_its_place() -> None:
    documents = _documents(old="2023-01-20", new="2023-01-30")
    ranked = _ranked((0.700, "old"), (0.700 - 2 * NEAR_TIE, "new"))
    assert [item.chunk.doc_id for item in break_near_ties(ranked, documents)] == ["old", "new"]


def test_undated_documents_never_move() -> None:
    documents = _documents(a=None, b=None, c="2023-01-30")
    ranked = _ranked((0.7, "a"), (0.7, "b"), (0.7, "c"))
    assert [item.chunk.doc_id for item in break_near_ties(ranked, documents)] == ["a", "b", "c"]
    assert np.isfinite([item.score for item in ranked]).all()
