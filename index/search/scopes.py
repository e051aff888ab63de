"""Which documents one question reads: its scope (collections, documents) and time words.

A chat reads the shared articles and its own links; "yesterday" reads yesterday's
articles; "the latest" puts the newest relevant one first. Undated documents (most files,
all of SQuAD) are never touched by time: when no document in scope has a date, the
question is searched exactly as written.

What scoping needs of the documents (their collections, their dates) is a `Catalog`,
built once per snapshot: a question then costs a few regular expressions and set
operations, not a pass over every document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from index.api import DocumentInfo, Scope
from index.ingest.dates import TimeFilter, parse_iso_date, time_filter


@dataclass(frozen=True)
class Catalog:
    """The documents of one snapshot as scoping sees them."""

    count: int
    by_collection: Mapping[str, frozenset[str]]
    dates: Mapping[str, dt.date]  # the dated documents' published days

    @classmethod
    def of(cls, documents: Mapping[str, DocumentInfo]) -> Catalog:
        collections: dict[str, set[str]] = {}
        dates: dict[str, dt.date] = {}
        for document in documents.values():
            collections.setdefault(document.collection, set()).add(document.doc_id)
            day = parse_iso_date(document.date)
            if day is not None:
                dates[document.doc_id] = day
        frozen = {name: frozenset(ids) for name, ids in collections.items()}
        return cls(len(documents), frozen, dates)


@dataclass(frozen=True)
class Focus:
    """A question once its scope and time words are applied."""

    text: str  # what is searched: the question without its time words
    doc_ids: frozenset[str] | None  # the documents it may read; None: every one
    newest_first: bool
    time: TimeFilter | None = None
    # the documents of its scope, whatever their dates: what a refusal may name as topics
    in_scope: frozenset[str] | None = None


def focus(question: str, scope: Scope | None, catalog: Catalog) -> Focus:
    scope = scope or Scope()
    in_scope = _in_scope(scope, catalog)
    as_written = Focus(question, in_scope, False, None, in_scope)
    if not catalog.dates:
        return as_written
    text, time = time_filter(question, scope.today or dt.datetime.now(dt.UTC).date())
    if time is None:
        return as_written
    dated = _dated(in_scope, catalog)
    if not dated:
        return as_written
    if not time.has_range:
        return Focus(text, in_scope, time.newest_first, time, in_scope)
    in_range = frozenset(doc_id for doc_id, day in dated if time.admits(day.isoformat()))
    if not in_range and not time.relative:
        # "in September 1939" with no article published then: the words tell what the
        # article is about, not when it came out. Searched as written.
        return as_written
    return Focus(text, in_range, time.newest_first, time, in_scope)


def _in_scope(scope: Scope, catalog: Catalog) -> frozenset[str] | None:
    """The documents of the scope; None when that is every document."""
    ids: frozenset[str] | None = None
    if scope.collections is not None:
        ids = frozenset().union(
            *(catalog.by_collection.get(name, frozenset()) for name in scope.collections)
        )
    if scope.doc_ids is not None:
        wanted = frozenset(scope.doc_ids)
        ids = wanted & ids if ids is not None else wanted & _all(catalog)
    if ids is not None and len(ids) == catalog.count:
        return None
    return ids


def _all(catalog: Catalog) -> frozenset[str]:
    return frozenset().union(*catalog.by_collection.values())


def _dated(in_scope: frozenset[str] | None, catalog: Catalog) -> Iterable[tuple[str, dt.date]]:
    if in_scope is None:
        return list(catalog.dates.items())
    return [(doc_id, catalog.dates[doc_id]) for doc_id in in_scope if doc_id in catalog.dates]
