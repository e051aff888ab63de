"""What an answer looks like: the direct answer, its sentence, the passage and its source;
a refusal with the closest passage and the articles' topics; "More"; an alert."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.view.html import LINE, PARAGRAPH, Span, clean_text, format_date, pack
from index.api import Answer, Passage

MAX_TOPICS = 10


def answer_messages(answer: Answer) -> list[str]:
    """The direct answer in bold (when there is one), the sentence, then the best passage
    as a quote and its source; a refusal says what the articles cover instead."""
    if not answer.confident or not answer.passages:
        return not_found_messages(answer.topics, answer.closest)
    if answer.direct:
        lead = [Span(answer.direct, "b"), LINE, Span(answer.text)]
    else:
        lead = [Span(answer.text, "b")]
    spans = [*lead, PARAGRAPH, *passage_spans(answer.passages[0])]
    return pack(spans) or not_found_messages(answer.topics)


def more_messages(passage: Passage, index: int, total: int) -> list[str]:
    """One further passage, shown when "More" is tapped."""
    heading = Span(f"More from the articles ({index + 1}/{total})", "i")
    return pack([heading, LINE, *passage_spans(passage)]) or [messages.NOTHING_MORE]


def passage_spans(passage: Passage) -> list[Span]:
    return [Span(passage.text, "blockquote"), LINE, *source_spans(passage)]


def source_spans(passage: Passage) -> list[Span]:
    title = passage.title.strip() or "Untitled article"
    spans = [Span("📰 "), Span(title, "a", href=passage.source)]
    if passage.date:
        spans.append(Span(f" · {format_date(passage.date)}"))
    return spans


def not_found_messages(topics: Sequence[str], closest: Passage | None = None) -> list[str]:
    """ "I couldn't find that", the passage nearest to a near miss (marked as not the answer,
    so a person can judge), and the articles' topics."""
    spans = [Span(messages.NOT_FOUND)]
    if closest is not None:
        spans += [PARAGRAPH, Span(messages.CLOSEST, "i"), LINE, *passage_spans(closest)]
    shown = [topic for topic in topics if clean_text(topic).strip()][:MAX_TOPICS]
    if shown:
        spans += [PARAGRAPH, Span(messages.TOPICS_INTRO), LINE]
        spans += [Span(f"• {topic}\n") for topic in shown]
    return pack(spans)


def alert_messages(topic: str, sentence: str, passage: Passage, also: Sequence[str]) -> list[str]:
    """An alert: what it is about, the article's title and date, the matching sentence
    quoted, and the link."""
    spans = [Span(f"{messages.ALERT_INTRO}: "), Span(topic, "b"), PARAGRAPH]
    spans += [Span(passage.title or "Untitled article", "b")]
    if passage.date:
        spans.append(Span(f" · {format_date(passage.date)}"))
    spans += [LINE, Span(sentence, "blockquote")]
    link = passage.url or passage.source
    if link:
        spans += [LINE, Span("📰 "), Span("Read the article", "a", href=link)]
    if also:
        spans.append(Span(f" (also reported by {', '.join(also)})"))
    return pack(spans)
