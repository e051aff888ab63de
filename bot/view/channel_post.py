"""Posts to a subscribed chat or channel: one message per new item (its title, date,
source, lead and link), and the items beyond the hour's posts folded into one message."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.view.html import LINE, Span, format_date, pack
from index.api import DigestItem


def channel_post_messages(item: DigestItem) -> list[str]:
    document = item.document
    spans = [Span(document.title or document.doc_id, "b"), LINE]
    details = ([format_date(document.date)] if document.date else []) + [item.source]
    spans.append(Span(" · ".join(details), "i"))
    if item.lead:
        spans += [LINE, Span(item.lead)]
    if document.url:
        spans += [LINE, Span("📰 "), Span("Read the article", "a", href=document.url)]
    if item.also_reported_by:
        spans.append(Span(f" (also reported by {', '.join(item.also_reported_by)})"))
    return pack(spans)


def folded_messages(items: Sequence[DigestItem]) -> list[str]:
    """The items of an hour that had its posts already, in one message (or as few as fit)."""
    spans = [Span(messages.folded_intro(len(items)), "b"), LINE]
    for item in items:
        document = item.document
        title = document.title or document.doc_id
        spans.append(Span("• "))
        spans.append(Span(title, "a", href=document.url) if document.url else Span(title))
        if document.date:
            spans.append(Span(f" · {format_date(document.date)}"))
        spans.append(LINE)
    return pack(spans)
