"""Sentence-aware chunking with character offsets.

A chunk never cuts a sentence, stays inside one paragraph (a short heading line joins the
paragraph after it), and overlaps its neighbour by whole sentences. Offsets point into the
document text so a passage can later be shown with the text around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import blingfire

CHUNKER_VERSION = 2  # bump when a change moves chunk or sentence boundaries
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=\S)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]  # offsets relative to the chunk text


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans (absolute when `offset` is the text's position in its document).

    A line break always ends a sentence, so a heading never runs into the text below it.
    """
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        if not line.group().strip():
            continue
        _, found = blingfire.text_to_sentences_and_offsets(line.group())
        base = offset + line.start()
        spans.extend(Span(base + start, base + end) for start, end in found if end > start)
    return spans


def paragraphs(text: str) -> list[Span]:
    """Paragraph spans; a heading-like line is merged into the paragraph that follows."""
    spans: list[Span] = []
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        if text[start : match.start()].strip():
            spans.append(Span(start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append(Span(start, len(text)))
    merged: list[Span] = []
    pending: Span | None = None
    for span in spans:
        if pending is not None:
            span = Span(pending.start, span.end)
            pending = None
        if _is_heading(text[span.start : span.end]):
            pending = span
        else:
            merged.append(span)
    if pending is not None:
        merged.append(pending)
    return merged


def _is_heading(line: str) -> bool:
    line = line.strip()
    last = line.rstrip("\"'”’»)]")[-1:]
    return "\n" not in line and len(line) <= 120 and last not in ".!?:;,…"


def chunk_text(text: str, max_chars: int = 1000, overlap_sentences: int = 1) -> list[Chunk]:
    """Split a document into chunks of whole sentences, at most `max_chars` where possible."""
    chunks: list[Chunk] = []
    for paragraph in paragraphs(text):
        sentences = split_sentences(text[paragraph.start : paragraph.end], paragraph.start)
        for group in _pack(sentences, max_chars, overlap_sentences):
            start, end = group[0].start, group[-1].end
            relative = tuple(Span(s.start - start, s.end - start) for s in group)
            chunks.append(Chunk(len(chunks), start, end, text[start:end], relative))
    return chunks


def _pack(sentences: list[Span], max_chars: int, overlap: int) -> list[list[Span]]:
    """Greedy packing of consecutive sentences; an over-long sentence stands alone."""
    groups: list[list[Span]] = []
    current: list[Span] = []
    for sentence in sentences:
        if current and sentence.end - current[0].start > max_chars:
            groups.append(current)
            keep = current[-overlap:] if overlap and len(current) > overlap else []
            current = keep if keep and sentence.end - keep[0].start <= max_chars else []
        current.append(sentence)
    if current:
        groups.append(current)
    return groups
