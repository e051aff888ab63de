"""Sentence-aware chunking with character offsets.

A paragraph is the text between blank lines; a line break always ends a sentence, so a
heading, a list item or a table row never runs into the text next to it. A chunk holds
whole sentences of one paragraph (a short heading paragraph joins the paragraph after it),
is at most `max_chars` long, and overlaps its neighbour by whole sentences. Offsets point
into the document text so a passage can later be shown with the text around it.

Every unit is bounded, so every part of a document can be found: a "sentence" longer than
MAX_SENTENCE_CHARS (a transcript without punctuation, a list run together, a scraped page
that lost its full stops) is cut at the best boundary it has, and a chunk never exceeds
`max_chars`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import blingfire

CHUNKER_VERSION = 3  # bump when a change moves chunk or sentence boundaries
# The model (all-MiniLM-L6-v2) was trained on texts of up to 128 word pieces, about 500
# characters of English, and reads at most 256: a longer unit is blurred or cut off. Prose
# rarely gets there, so only run-on text is cut (docs/quality.md, "Chunks and sentences").
MAX_SENTENCE_CHARS = 500
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LINE = re.compile(r"[^\n]+")
# Where a clause ends: after , ; : or a closing bracket before a space, after a dash between
# spaces, or after an ideographic comma or colon (no space follows those).
_CLAUSE_END = re.compile(r"[,;:)\]](?=\s)|\s[-–—](?=\s)|[、，；：]")
_SPACE = re.compile(r"\s")


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


def split_sentences(text: str, offset: int = 0, max_chars: int = MAX_SENTENCE_CHARS) -> list[Span]:
    """Sentence spans of at most `max_chars` (absolute when `offset` is the text's position
    in its document).

    A line break always ends a sentence. Blingfire's sentence ends are used as cut points,
    so every visible character belongs to a sentence, whatever it makes of the text.
    """
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        _, found = blingfire.text_to_sentences_and_offsets(line.group())
        length = len(line.group())
        ends = sorted({min(max(end, 0), length) for _, end in found} | {length})
        start = line.start()
        for end in ends:
            spans.extend(_bounded(text, start, line.start() + end, max_chars))
            start = line.start() + end
    return [Span(offset + span.start, offset + span.end) for span in spans]


def _bounded(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    """The non-blank text of [start, end) in pieces of at most `limit` characters."""
    span = _stripped(text, start, end)
    while span is not None and span.end - span.start > limit:
        cut = _cut_point(text, span.start, span.end, limit)
        piece = _stripped(text, span.start, cut)
        if piece is not None:  # always: the piece holds the span's first character
            yield piece
        span = _stripped(text, cut, span.end)
    if span is not None:
        yield span


def _cut_point(text: str, start: int, end: int, limit: int) -> int:
    """Where to end a piece of [start, end): pieces of even length (501 characters make two
    of ~250, not 500 and 1), ended after the last clause mark of the piece's second half,
    else at its last space, else before a long word; a word longer than the piece is cut."""
    pieces = -(-(end - start) // limit)
    size = -(-(end - start) // pieces)
    half, full = start + size // 2, start + size
    clause = _last_match(_CLAUSE_END, text, half, full)
    if clause is not None:
        return clause.end()
    space = _last_match(_SPACE, text, start + 1, full)
    return space.start() if space is not None else full


def _last_match(pattern: re.Pattern[str], text: str, pos: int, end: int) -> re.Match[str] | None:
    """The last match of `pattern` ending at most at `end` (the character after `end` is
    visible to a lookahead)."""
    last = None
    for match in pattern.finditer(text, pos, end + 1):
        if match.end() <= end:
            last = match
    return last


def _stripped(text: str, start: int, end: int) -> Span | None:
    """[start, end) without its leading and trailing white space; None when blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if start < end else None


def paragraphs(text: str) -> list[Span]:
    """Paragraph spans; a heading-like paragraph is merged into the one that follows."""
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


_BLANK_LINE_AFTER = re.compile(r"[ \t]*\n[ \t]*\n")


def is_heading_in(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` (a sentence of `text`) is a heading: a paragraph of one short
    line without final punctuation, which chunking keeps with the paragraph after it."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        return False
    return _BLANK_LINE_AFTER.match(text, end) is not None and _is_heading(text[start:end])


def chunk_text(text: str, max_chars: int = 1000, overlap_sentences: int = 1) -> list[Chunk]:
    """Split a document into chunks of whole sentences, each at most `max_chars` long."""
    sentence_limit = min(MAX_SENTENCE_CHARS, max_chars)
    chunks: list[Chunk] = []
    for paragraph in paragraphs(text):
        body = text[paragraph.start : paragraph.end]
        sentences = split_sentences(body, paragraph.start, sentence_limit)
        for group in _pack(sentences, max_chars, overlap_sentences):
            start, end = group[0].start, group[-1].end
            relative = tuple(Span(s.start - start, s.end - start) for s in group)
            chunks.append(Chunk(len(chunks), start, end, text[start:end], relative))
    return chunks


def _pack(sentences: list[Span], max_chars: int, overlap: int) -> list[list[Span]]:
    """Greedy packing of consecutive sentences (each is at most `max_chars` long)."""
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
