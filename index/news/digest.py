"""Digests: the stories published in a period, newest first, as a news reader lists them.

One item per story: the same wire story from several feeds is one document already
(index/news/syncing.py dedups it, "also reported by"), and articles of different sites
about one event whose titles share most of their words are folded into the first one.
Each item has its first sentence (the lead), the feed that brought it first (else its
site) and the others that carried it. A period with no article says so, with the newest
articles before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from index.api import Digest, DigestItem, DocumentInfo
from index.ingest.dates import parse_iso_date

NEWEST_BEFORE = 3  # the articles an empty digest names instead
SAME_STORY = 0.6  # share of title words two articles about one story have in common
_TITLE_WORD = re.compile(r"\w{4,}")


@dataclass
class _Story:
    document: DocumentInfo
    reporters: list[str]
    words: frozenset[str]
    others: list[str] = field(default_factory=list)


def build_digest(
    documents: Sequence[DocumentInfo],
    start: dt.date | None,
    end: dt.date,
    *,
    limit: int,
    reporters: Callable[[str], list[str]],
    leads: Callable[[Sequence[str]], dict[str, str]],
) -> Digest:
    """`documents` as the store lists them (oldest added first); `reporters(doc_id)` the
    titles of the feeds that carried one, first reporter first; `leads(ids)` their first
    sentences."""
    dated = _newest_first(documents)
    period = [doc for day, doc in dated if (start is None or day >= start) and day <= end]
    stories = _stories(period, reporters)
    shown = stories[:limit]
    before: list[_Story] = []
    if not shown:
        earlier = [doc for day, doc in dated if start is not None and day < start]
        before = _stories(earlier[:NEWEST_BEFORE], reporters)
    found = leads([story.document.doc_id for story in shown + before])
    return Digest(
        start=start,
        end=end,
        items=[_item(story, found) for story in shown],
        more=len(stories) - len(shown),
        newest_before=[_item(story, found) for story in before],
    )


def stories_of(
    documents: Sequence[DocumentInfo],
    *,
    reporters: Callable[[str], list[str]],
    leads: Callable[[Sequence[str]], dict[str, str]],
) -> list[DigestItem]:
    """Each document as a digest item of its own (channel posts: no grouping, no period)."""
    found = leads([document.doc_id for document in documents])
    return [
        _item(_Story(document, reporters(document.doc_id) or [_site(document)], frozenset()), found)
        for document in documents
    ]


def mentions(text: str, keywords: Sequence[str]) -> bool:
    """Whether `text` names one of `keywords` (whole words or phrases, any case)."""
    return any(
        re.search(rf"(?<!\w){re.escape(keyword.casefold())}(?!\w)", text.casefold())
        for keyword in keywords
        if keyword.strip()
    )


def _newest_first(documents: Sequence[DocumentInfo]) -> list[tuple[dt.date, DocumentInfo]]:
    """The dated documents, newest day first; on one day, the last added first."""
    dated = [(parse_iso_date(doc.date), doc) for doc in reversed(documents)]
    kept = [(day, doc) for day, doc in dated if day is not None]
    kept.sort(key=lambda pair: pair[0], reverse=True)
    return kept


def _stories(
    documents: Sequence[DocumentInfo], reporters: Callable[[str], list[str]]
) -> list[_Story]:
    stories: list[_Story] = []
    for document in documents:
        words = frozenset(word.casefold() for word in _TITLE_WORD.findall(document.title))
        carried = reporters(document.doc_id) or [_site(document)]
        same = next((story for story in stories if _same_story(story.words, words)), None)
        if same is None:
            stories.append(_Story(document, carried, words))
        else:
            same.others.extend(carried)
    return stories


def _same_story(one: frozenset[str], other: frozenset[str]) -> bool:
    if not one or not other:
        return False
    return len(one & other) / len(one | other) >= SAME_STORY


def _item(story: _Story, leads: dict[str, str]) -> DigestItem:
    first, *rest = story.reporters
    also = [name for name in dict.fromkeys(rest + story.others) if name != first]
    return DigestItem(story.document, leads.get(story.document.doc_id, ""), first, also)


def _site(document: DocumentInfo) -> str:
    """Where an article no feed brought comes from: its site, else its file's name."""
    if document.url:
        host = urlsplit(document.url).hostname or document.url
        return host.removeprefix("www.")
    return document.source.rsplit("/", 1)[-1]
