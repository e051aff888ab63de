"""Digests as Telegram messages: the period's stories, each its title (linked), source,
date and lead, "also reported by" the others that carried it; a period without any says
so plainly, with the newest articles before it."""

from __future__ import annotations

import datetime as dt

from bot import messages
from bot.view.html import LINE, PARAGRAPH, Span, format_date, pack
from index.api import Digest, DigestItem


def digest_messages(digest: Digest, today: dt.date) -> list[str]:
    period = period_words(digest, today)
    if not digest.items:
        spans = [Span(messages.nothing_new(period))]
        if digest.newest_before:
            spans += [PARAGRAPH, Span(messages.NEWEST_BEFORE, "i"), LINE]
            for item in digest.newest_before:
                spans += [*_title_line(item), LINE]
        return pack(spans)
    count = len(digest.items) + digest.more
    spans = [Span(messages.digest_intro(period, count), "b")]
    for item in digest.items:
        spans += [PARAGRAPH, *story_spans(item)]
    if digest.more:
        spans += [PARAGRAPH, Span(messages.digest_more(digest.more), "i")]
    return pack(spans)


def story_spans(item: DigestItem) -> list[Span]:
    """One story: its linked title, source and date, its lead, who else carried it."""
    spans = _title_line(item)
    if item.lead:
        spans += [LINE, Span(item.lead)]
    if item.also_reported_by:
        spans += [LINE, Span(f"Also reported by {', '.join(item.also_reported_by)}", "i")]
    return spans


def _title_line(item: DigestItem) -> list[Span]:
    document = item.document
    title = document.title or document.doc_id
    spans = [Span("• "), Span(title, "a", href=document.url) if document.url else Span(title, "b")]
    details = [item.source] + ([format_date(document.date)] if document.date else [])
    spans.append(Span(" · " + " · ".join(details)))
    return spans


def period_words(digest: Digest, today: dt.date) -> str:
    """How the period reads: "today", "yesterday (31 Jan 2023)", "since 30 Jan 2023"."""
    start, end = digest.start, digest.end
    if start is None:
        return "lately"
    if start == end == today:
        return f"today ({format_date(today.isoformat())})"
    if start == end == today - dt.timedelta(days=1):
        return f"yesterday ({format_date(start.isoformat())})"
    if start == end:
        return f"on {format_date(start.isoformat())}"
    if end == today:
        return f"since {format_date(start.isoformat())}"
    return f"from {format_date(start.isoformat())} to {format_date(end.isoformat())}"
