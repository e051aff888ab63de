"""Which documents one question reads: its scope (collections, documents) and time words.

A chat reads the shared articles and its own links; "yesterday" reads yesterday's
articles; "the latest" puts the newest relevant one first. Undated documents (most files,
all of SQuAD) are never touched by time: when no document in scope has a date, the
question is searched exactly as written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from index.api import Scope
from index.dates import TimeFilter, parse_iso_date, time_filter
from index.store import StoredDocument


@dataclass(frozen=True)
class Focus:
    """A question once its scope and time words are applied."""

    text: str  # what is searched: the question without its time words
    doc_ids: frozenset[str] | None  # the documents it may read; None: every one
    newest_first: bool
    time: TimeFilter | None = None
    # the documents of its scope, whatever their dates: what a refusal may name as topics
    in_scope: frozenset[str] | None = None


def focus(question: str, scope: Scope | None, documents: Mapping[str, StoredDocument]) -> Focus:
    scope = scope or Scope()
    readable = [doc for doc in documents.values() if _in_scope(doc, scope)]
    in_scope = _ids(readable) if len(readable) < len(documents) else None
    as_written = Focus(question, in_scope, False, None, in_scope)
    dated = [doc for doc in readable if parse_iso_date(doc.date) is not None]
    if not dated:
        return as_written
    text, time = time_filter(question, scope.today or dt.datetime.now(dt.UTC).date())
    if time is None:
        return as_written
    if not time.has_range:
        return Focus(text, in_scope, time.newest_first, time, in_scope)
    in_range = [doc for doc in readable if time.admits(doc.date)]
    if not in_range and not time.relative:
        # "in September 1939" with no article published then: the words tell what the
        # article is about, not when it came out. Searched as written.
        return as_written
    return Focus(text, _ids(in_range), time.newest_first, time, in_scope)


def _in_scope(document: StoredDocument, scope: Scope) -> bool:
    if scope.collections is not None and document.collection not in scope.collections:
        return False
    return scope.doc_ids is None or document.doc_id in scope.doc_ids


def _ids(documents: list[StoredDocument]) -> frozenset[str]:
    return frozenset(doc.doc_id for doc in documents)
