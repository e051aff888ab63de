"""Lists as messages: the articles (/sources, what an upload added or /remove took out),
the newest ones (/latest), the feeds, the followed topics, and the admins' reports."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot import messages
from bot.view.html import LINE, Span, format_date, pack
from index.api import DocumentInfo, FeedInfo, IndexStats, LatestArticle


def sources_messages(documents: Sequence[DocumentInfo], *, with_ids: bool) -> list[str]:
    """The indexed articles; admins also see the ids that /remove takes."""
    if not documents:
        return pack([Span(messages.NO_SOURCES)])
    spans = [Span(messages.sources_intro(len(documents)), "b"), LINE]
    for document in documents:
        spans += [Span("• "), Span(document.title or document.doc_id, "i")]
        if document.date:
            spans.append(Span(f" · {format_date(document.date)}"))
        if with_ids:
            spans += [Span(" "), Span(document.doc_id, "code")]
        spans.append(LINE)
    return pack(spans)


def added_messages(documents: Sequence[DocumentInfo]) -> list[str]:
    spans = [Span(messages.ADDED_INTRO, "b"), LINE]
    for document in documents:
        spans += [Span("• "), Span(document.title or document.doc_id, "i")]
        spans += [Span(f" · {document.chunks} passages · id "), Span(document.doc_id, "code")]
        spans.append(LINE)
    return pack(spans)


def removed_messages(document: DocumentInfo) -> list[str]:
    return pack([Span("Removed "), Span(document.title or document.doc_id, "i"), Span(".")])


def latest_messages(articles: Sequence[LatestArticle]) -> list[str]:
    """/latest: the newest articles, each with its date, linked when it has an address."""
    if not articles:
        return pack([Span(messages.NO_LATEST)])
    spans = [Span(messages.LATEST_INTRO, "b"), LINE]
    for article in articles:
        document = article.document
        title = document.title or document.doc_id
        spans.append(Span("• "))
        spans.append(Span(title, "a", href=document.url) if document.url else Span(title, "i"))
        if document.date:
            spans.append(Span(f" · {format_date(document.date)}"))
        if article.also_reported_by:
            spans.append(Span(f" (also reported by {', '.join(article.also_reported_by)})"))
        spans.append(LINE)
    return pack(spans)


def feeds_messages(feeds: Sequence[FeedInfo]) -> list[str]:
    """/feeds: each feed, its articles, when it last synced, and its last error."""
    if not feeds:
        return pack([Span(messages.NO_FEEDS)])
    spans = [Span(messages.FEEDS_INTRO, "b"), LINE]
    for feed in feeds:
        synced = (
            f"synced {feed.last_synced[:16].replace('T', ' ')}"
            if feed.last_synced
            else "never synced"
        )
        spans += [Span(f"{feed.feed_id}. "), Span(feed.title, "a", href=feed.url)]
        plural = "s" if feed.articles != 1 else ""
        spans.append(Span(f" · {feed.articles} article{plural} · {synced}"))
        if feed.last_error:
            spans += [LINE, Span(f"   ⚠️ failed {feed.failures}× in a row: {feed.last_error}", "i")]
        spans.append(LINE)
    return pack(spans)


def following_messages(topics: Sequence[str]) -> list[str]:
    if not topics:
        return pack([Span(messages.NOT_FOLLOWING)])
    spans = [Span(messages.FOLLOWING_INTRO, "b"), LINE]
    spans += [Span(f"{number}. {topic}\n") for number, topic in enumerate(topics, 1)]
    return pack(spans)


def unanswered_messages(lines: Sequence[str]) -> list[str]:
    if not lines:
        return pack([Span(messages.NOTHING_UNANSWERED)])
    spans = [Span(messages.UNANSWERED_INTRO, "b"), LINE]
    spans += [Span(f"• {line}\n") for line in lines]
    return pack(spans)


def stats_caption(lines: Sequence[str], index: IndexStats) -> str:
    """The /stats chart's caption (HTML): the report's lines and the index size."""
    size = (
        f"Index: {index.documents} articles, {index.chunks} passages, "
        f"{index.bytes_on_disk / 1e6:.1f} MB on disk"
    )
    return html.escape("\n".join([*lines, size]), quote=False)
