"""Plain text: an optional leading `date YYYY-MM-DD` line, an optional headline line, and
pipe tables written row by row."""

from __future__ import annotations

import re

from index.ingest.formats.limits import check_length
from index.ingest.formats.tables import tables_written_out

_DATE_LINE = re.compile(r"^\s*date:?\s+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)


def parse_text(filename: str, text: str) -> tuple[str | None, str | None, str]:
    """Plain text: an optional leading `date YYYY-MM-DD`, an optional headline line; pipe
    tables ("| a | b |" over "|---|---|") are written row by row with their header."""
    check_length(filename, text)
    date, text = date_line(text)
    text = tables_written_out(filename, text)
    return headline(text), date, text


def date_line(text: str) -> tuple[str | None, str]:
    """The date of a leading `date YYYY-MM-DD` line, and the text after it."""
    match = _DATE_LINE.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def headline(text: str) -> str | None:
    """The first line if it reads like a title, else the first heading-like line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines[:40]:
        words = line.split()
        if 2 <= len(words) <= 20 and len(line) <= 150 and line[-1] not in '.!?"”:;,':
            return line
    return None
