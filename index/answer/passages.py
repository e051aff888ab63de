"""The passages shown with an answer: the best chunks, near-duplicates dropped, each cut
around its part with the most question terms when it is too long to show whole.

A passage's start and end are the shown part's place in the document, without the ellipses
that mark the cut; a transcript's answer may sit anywhere in a 500-character unit, so the
cut follows the question's terms rather than the chunk's start.
"""

from __future__ import annotations

import re
from collections import Counter

from index.api import DocumentInfo, Passage
from index.ingest.chunking import Span
from index.ingest.terms import tokens
from index.search.fusion import ScoredChunk

_WORD = re.compile(r"\w+")


def passages_of(
    ranked: list[ScoredChunk],
    documents: dict[str, DocumentInfo],
    top_k: int,
    limit: int,
    terms: dict[str, float],
) -> list[Passage]:
    """The first `top_k` distinct passages of documents still indexed."""
    return _passages(_unique(ranked, top_k), documents, limit, terms)


def around_match(text: str, terms: dict[str, float], budget: int) -> Span:
    """The part of `text` to show in `budget` characters, ellipses included: the stretch
    with the most question terms, widened evenly on both sides, cut between words."""
    limit = budget - 2  # room for an ellipsis at either end
    match = _best_match(text, terms, limit)
    room = limit - (match.end - match.start)
    left = min(match.start, room // 2)
    right = min(len(text) - match.end, room - left)
    left = min(match.start, room - right)  # the room the right side could not use
    start, end = match.start - left, match.end + right
    while 0 < start < match.start and not text[start - 1].isspace():
        start += 1  # begin with a whole word
    while match.end < end < len(text) and not text[end].isspace():
        end -= 1  # end with a whole word
    if end <= start:  # a single word longer than the budget: cut it
        end = min(len(text), start + limit)
    while start < end and text[start].isspace():
        start += 1
    while start < end - 1 and end < len(text) and text[end - 1] in ",;: \t\n":
        end -= 1  # no dangling comma before the "…"
    return Span(start, end)


def _best_match(text: str, terms: dict[str, float], limit: int) -> Span:
    """The shortest stretch of at most `limit` characters holding the greatest weight of
    distinct question terms (a window sliding over the words that are question terms);
    empty, at the start, when the text holds none."""
    found: list[tuple[Span, str]] = []
    for match in _WORD.finditer(text):
        stems = tokens(match.group())
        if stems and stems[0] in terms and match.end() - match.start() <= limit:
            found.append((Span(match.start(), match.end()), stems[0]))
    best, best_weight = Span(0, 0), 0.0
    in_window: Counter[str] = Counter()
    first = 0
    for word, term in found:
        in_window[term] += 1
        while word.end - found[first][0].start > limit:
            in_window[found[first][1]] -= 1
            first += 1
        span = Span(found[first][0].start, word.end)
        weight = sum(terms[term] for term, count in in_window.items() if count > 0)
        shorter = span.end - span.start < best.end - best.start
        if weight > best_weight or (weight == best_weight and shorter):
            best, best_weight = span, weight
    return best


def shown(text: str, part: Span) -> str:
    """`part` of `text`, an ellipsis where it was cut."""
    before = "…" if text[: part.start].strip() else ""
    after = "…" if text[part.end :].strip() else ""
    return before + text[part.start : part.end] + after


def _unique(ranked: list[ScoredChunk], limit: int) -> list[ScoredChunk]:
    """The first `limit` passages, near-duplicates (the same text from two sources) dropped."""
    seen: list[set[str]] = []
    unique: list[ScoredChunk] = []
    for item in ranked:
        if len(unique) == limit:
            break
        shingles = _shingles(item.chunk.text)
        if any(_jaccard(shingles, other) >= 0.8 for other in seen):
            continue
        seen.append(shingles)
        unique.append(item)
    return unique


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _passages(
    ranked: list[ScoredChunk],
    documents: dict[str, DocumentInfo],
    limit: int,
    terms: dict[str, float],
) -> list[Passage]:
    passages = []
    for item in ranked:
        document = documents.get(item.chunk.doc_id)
        if document is None:  # removed while we were answering
            continue
        text = item.chunk.text
        part = Span(0, len(text)) if len(text) <= limit else around_match(text, terms, limit)
        passages.append(
            Passage(
                text=shown(text, part),
                score=round(item.score, 4),
                doc_id=document.doc_id,
                title=document.title,
                source=document.source,
                date=document.date,
                start=item.chunk.start + part.start,
                end=item.chunk.start + part.end,
                chunk_id=item.chunk.chunk_id,
                url=document.url,
            )
        )
    return passages
