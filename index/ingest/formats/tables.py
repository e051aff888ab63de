"""Tables written as lines of text, each row with its header cells ("District: District 12 |
Votes: 1444 | Winner: Candidate C"), so that a row shown alone still reads. Shared by the
text, Markdown and HTML readers (pipe tables, however they were written)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from index.errors import IngestError
from index.ingest.formats.limits import MAX_DOCUMENT_CHARS, too_long_once_written_out

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# A delimiter row of a pipe table ("|---|:--:|"): plain text is only searched for tables,
# with markdown-it, when it has one.
TABLE_DELIMITER = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*\|", re.MULTILINE)


def markdown_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def inline_text(inline: Token) -> str:
    """An inline token's text without markup; a soft line break is a space."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts).strip()


class TableText:
    """Writes tables as lines of text, each row with its header cells.

    markdown-it holds about 1 KB per table cell while it parses (the 600,000 cells of the
    200,000-row benchmark table took 1 GB at once), so a table of more than
    CELLS_PER_PARSE cells is read a slice of rows at a time (~20 MB each), each slice under
    the table's header and delimiter lines. A file whose tables would grow its text past
    MAX_DOCUMENT_CHARS (a long header over tiny cells) is refused as it is written.
    """

    CELLS_PER_PARSE = 20_000

    def __init__(self, filename: str) -> None:
        self._filename = filename
        self._written = 0

    def long_ones_apart(self, text: str) -> list[str | list[str]]:
        """`text` in parts: text to parse, and the written-out rows of each long table."""
        lines = text.split("\n")
        parts: list[str | list[str]] = []
        copied = 0  # lines of `text` in `parts`
        for first, end in _runs_of_lines(lines):
            if sum(line.count("|") for line in lines[first:end]) <= self.CELLS_PER_PARSE:
                continue
            header = _table_header(lines, first, end)
            if header is not None:
                rows, table_end = self._rows_in_slices(lines, header, end)
                parts += ["\n".join(lines[copied:header]), rows]
                copied = table_end
        parts.append("\n".join(lines[copied:]))
        return parts

    def _rows_in_slices(self, lines: list[str], header: int, end: int) -> tuple[list[str], int]:
        """The rows of the table whose header is `lines[header]`, read a slice at a time,
        and the line where the table ends (at `end` or where another block starts)."""
        head = lines[header : header + 2]
        if sum(line.count("|") for line in head) > self.CELLS_PER_PARSE:
            raise IngestError(f"{self._filename} has a table too wide to read")
        rows: list[str] = []
        start = header + 2
        while start < end:
            stop, cells = start, 0
            while stop < end and cells < self.CELLS_PER_PARSE:
                cells += lines[stop].count("|")
                stop += 1
            read = self._slice_rows(head, lines[start:stop], rows)
            if read < stop - start:  # another block starts inside this slice
                return rows, start + read
            start = stop
        return rows, end

    def _slice_rows(self, head: list[str], body: list[str], rows: list[str]) -> int:
        """Add the rows of a slice of a table's body to `rows`; how many of its lines are
        in the table. (Its tokens are freed on return, before the next slice is parsed.)"""
        tokens = markdown_parser().parse("\n".join(head + body))
        opened = next(i for i, token in enumerate(tokens) if token.type == "table_open")
        rows += self.rows(tokens, opened)[0]
        return (tokens[opened].map or [0, 0])[1] - len(head)

    def rows(self, tokens: list[Token], opened: int) -> tuple[list[str], int]:
        """The body rows of the table opened at `opened`, and where the table closes."""
        header: list[str] = []
        cells: list[str] = []
        rows: list[str] = []
        in_header = False
        position = opened
        for position in range(opened, len(tokens)):
            token = tokens[position]
            if token.type == "inline":
                cells.append(inline_text(token))
            elif token.type in ("thead_open", "thead_close"):
                in_header = token.type == "thead_open"
            elif token.type == "tr_close":
                if in_header:
                    header = cells
                elif row := _row_text(header, cells):
                    self._count(len(row))
                    rows.append(row)
                cells = []
            elif token.type == "table_close":
                break
        return rows, position

    def _count(self, chars: int) -> None:
        self._written += chars
        if self._written > MAX_DOCUMENT_CHARS:
            raise too_long_once_written_out(self._filename)


def _runs_of_lines(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(first, end) of each run of non-blank lines: a table never crosses a blank line."""
    first = None
    for number, line in enumerate(lines):
        if line.strip() and first is None:
            first = number
        elif not line.strip() and first is not None:
            yield first, number
            first = None
    if first is not None:
        yield first, len(lines)


def _table_header(lines: list[str], first: int, end: int) -> int | None:
    """The line of the run [first, end) where a table starts (its header row), if any."""
    for number in range(first, end - 1):
        if TABLE_DELIMITER.match(lines[number + 1]):
            tokens = markdown_parser().parse("\n".join(lines[number : number + 2]))
            if any(token.type == "table_open" for token in tokens):
                return number
    return None


def _row_text(header: list[str], cells: list[str]) -> str:
    """A table row that reads alone: each cell after its column's name ("Votes: 1444")."""
    names = header + [""] * (len(cells) - len(header))
    named = [
        f"{name}: {cell}" if name else cell
        for name, cell in zip(names, cells, strict=False)  # a header may have more cells
        if cell
    ]
    return " | ".join(named)


def tables_written_out(filename: str, text: str) -> str:
    """Plain text with each pipe table replaced by its rows, each with its header cells."""
    if not TABLE_DELIMITER.search(text):
        return text
    tables = TableText(filename)
    return "\n".join(
        "\n".join(part) if isinstance(part, list) else _short_tables_written_out(part, tables)
        for part in tables.long_ones_apart(text)
    )


def _short_tables_written_out(text: str, tables: TableText) -> str:
    """`text` with each of its tables (none of them long) replaced by its rows."""
    if not TABLE_DELIMITER.search(text):
        return text
    lines = text.split("\n")
    tokens = markdown_parser().parse(text)
    out: list[str] = []
    copied = 0  # lines of `text` dealt with
    for position, token in enumerate(tokens):
        if token.type == "table_open" and token.map is not None:
            first, end = token.map
            out.extend(lines[copied:first])
            out.extend(tables.rows(tokens, position)[0])
            copied = end
    out.extend(lines[copied:])
    return "\n".join(out)
