"""Turn files (txt, md, html, pdf) into plain-text documents with their metadata.

Only the article text is kept: markup, menus and scripts are dropped by real extractors
(trafilatura for HTML, markdown-it for Markdown, pypdf for PDF). Every refusal is an
IngestError whose message can be shown to the person who sent the file.

The text keeps the structure the chunker reads: blocks (headings, paragraphs, whole lists,
whole tables) are separated by a blank line, list items and table rows are lines of their
block. A table row is written with its header cells ("District: District 12 | Votes: 1444
| Winner: Candidate C") so that a row shown alone still reads; the repetition lives in the
document text, which every offset points into, so what is shown maps back exactly.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.api import SHARED, SUPPORTED_SUFFIXES
from index.errors import IngestError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from pypdf import PdfReader

MAX_FILE_BYTES = 200_000_000  # refused before reading, whatever the configured limit says
MAX_TEXT_CHARS = 5_000_000  # as written: a bigger "article" is almost surely not one
# Repeating a table's header in each of its rows about doubles a real table (the 4 MB,
# 180,000-row benchmark table becomes 7.8 M characters); a table whose header is far longer
# than its cells would grow without bound, so the document text has its own limit.
MAX_DOCUMENT_CHARS = 3 * MAX_TEXT_CHARS
MAX_PDF_PAGES = 2_000
PDF_SECONDS = 30.0  # a PDF that takes longer to read is hostile or broken
# pypdf's defaults allow 75 MB per stream and 2M tokens per content stream (~15 s of parsing):
# far beyond any article, so a crafted PDF could hold a worker for minutes.
_PDF_LIMITS: dict[str, Any] = {
    "zlib_maximum_output_length": 10_000_000,
    "lzw_maximum_output_length": 10_000_000,
    "run_length_maximum_output_length": 10_000_000,
    "brotli_maximum_output_length": 10_000_000,
    "array_based_stream_maximum_output_length": 10_000_000,
    "stream_decoding_work_maximum_length": 40_000_000,
    "stream_parsing_work_maximum_count": 500_000,
    "page_tree_maximum_entries": 10_000,
    "page_tree_maximum_page_entries": 200_000,
    "xform_maximum_invocations_per_extraction": 500,
}

# A delimiter row of a pipe table ("|---|:--:|"): plain text is only searched for tables,
# with markdown-it, when it has one.
_TABLE_DELIMITER = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*\|", re.MULTILINE)
# trafilatura writes an HTML list item as "- item" and a table row as "| cell | cell |".
_ITEM_OR_ROW = re.compile(r"^\s*(?:[-*+•]\s|\|)")
_DATE_LINE = re.compile(r"^\s*date:?\s+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    date: str | None  # published, YYYY-MM-DD
    source: str
    text: str
    content_hash: str
    url: str | None = None  # canonical web address, for documents read from the web
    collection: str = SHARED  # or a chat's own, "chat:<id>" (index/collections.py)


def load_file(path: Path, max_bytes: int | None = None) -> Document:
    """Read one supported file from disk."""
    if not path.is_file():
        raise IngestError(f"{path} is not a file")
    limit = min(max_bytes or MAX_FILE_BYTES, MAX_FILE_BYTES)
    check_size(path.name, path.stat().st_size, limit)
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)  # the file may have grown since stat()
    check_size(path.name, len(data), limit)
    return parse_bytes(path.name, data, source=str(path))


def check_size(filename: str, size: int, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse a file by its size alone, before any parser spends time or memory on it."""
    if size > limit:
        raise IngestError(f"{filename} is {size:,} bytes; the limit is {limit:,}")


def parse_bytes(filename: str, data: bytes, source: str | None = None) -> Document:
    """Parse a file's bytes by its extension; the bot uses this for uploads."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"{filename}: unsupported file type; send .txt, .md, .html or .pdf")
    check_size(filename, len(data))
    if not data.strip():
        raise IngestError(f"{filename} is empty")
    if suffix == ".pdf":
        title, date, text = _parse_pdf(filename, data)
    elif suffix in (".html", ".htm"):
        title, date, text = _parse_html(filename, data)
    elif suffix in (".md", ".markdown"):
        title, date, text = _parse_markdown(filename, _decode(filename, data))
    else:
        title, date, text = _parse_text(filename, _decode(filename, data))
    text = _clean(text)
    if len(text) < 20:
        raise IngestError(f"{filename} has no readable article text ({_why_empty(suffix, text)})")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise _too_long_once_written_out(filename)
    return Document(
        doc_id=doc_id_for(filename),
        title=title or _title_from_filename(filename),
        date=date,
        source=source or filename,
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def doc_id_for(filename: str) -> str:
    """A stable, readable id: the file's stem as a slug (re-adding a file replaces it)."""
    stem = unicodedata.normalize("NFKD", Path(filename).stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug[:80] or hashlib.sha1(filename.encode()).hexdigest()[:12]


def _why_empty(suffix: str, text: str) -> str:
    """Why a file gave less than an article's worth of text, in words its sender knows."""
    found = f"only {len(text)} character{'s' * (len(text) != 1)}" if text else "no text at all"
    if suffix == ".pdf":
        return f"{found}: its pages have no text layer; a scanned PDF needs OCR first"
    if suffix in (".md", ".markdown"):
        return f"{found} once the Markdown markup is removed; a table without rows has none"
    return f"{found}; an article needs at least 20"


def _check_length(filename: str, text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise IngestError(f"{filename} has more than {MAX_TEXT_CHARS:,} characters of text")


def _decode(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{filename} is not UTF-8 text (byte {exc.start}); please save it as UTF-8"
        ) from exc


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _parse_text(filename: str, text: str) -> tuple[str | None, str | None, str]:
    """Plain text: an optional leading `date YYYY-MM-DD`, an optional headline line; pipe
    tables ("| a | b |" over "|---|---|") are written row by row with their header."""
    _check_length(filename, text)
    date, text = _date_line(text)
    text = _tables_written_out(filename, text)
    return _headline(text), date, text


def _date_line(text: str) -> tuple[str | None, str]:
    """The date of a leading `date YYYY-MM-DD` line, and the text after it."""
    match = _DATE_LINE.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def _headline(text: str) -> str | None:
    """The first line if it reads like a title, else the first heading-like line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines[:40]:
        words = line.split()
        if 2 <= len(words) <= 20 and len(line) <= 150 and line[-1] not in '.!?"”:;,':
            return line
    return None


def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def _parse_markdown(filename: str, text: str) -> tuple[str | None, str | None, str]:
    """Headings and paragraphs are blocks; a whole list or table is one block whose lines
    are its items or rows."""
    _check_length(filename, text)
    date, body = _date_line(text)
    tables = _TableText(filename)
    blocks: list[str] = []
    heading: str | None = None
    for part in tables.long_ones_apart(body):
        if isinstance(part, list):  # a long table's rows, written out
            blocks.append("\n".join(part))
            continue
        tokens = _markdown().parse(part)
        heading = heading or _first_heading(tokens)
        blocks.extend(_markdown_blocks(tokens, tables))
    text = "\n\n".join(block for block in blocks if block)
    return heading or _headline(text), date, text


def _markdown_blocks(tokens: list[Token], tables: _TableText) -> list[str]:
    blocks: list[str] = []
    lines: list[str] = []  # the items and rows of the outermost list or table being read
    lists = 0  # lists open around the current token
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token.type == "table_open":
            rows, position = tables.rows(tokens, position)
            lines.extend(rows)
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type == "inline" and _plain(token):
            if lists:
                lines.append(_plain(token))
            else:
                blocks.append(_plain(token))
        if lines and not lists:
            blocks.append("\n".join(lines))
            lines = []
        position += 1
    return blocks


def _first_heading(tokens: list[Token]) -> str | None:
    for before, token in itertools.pairwise(tokens):
        if before.type == "heading_open":
            return _plain(token) or None
    return None


def _plain(inline: Token) -> str:
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


class _TableText:
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
        tokens = _markdown().parse("\n".join(head + body))
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
                cells.append(_plain(token))
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
            raise _too_long_once_written_out(self._filename)


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
        if _TABLE_DELIMITER.match(lines[number + 1]):
            tokens = _markdown().parse("\n".join(lines[number : number + 2]))
            if any(token.type == "table_open" for token in tokens):
                return number
    return None


def _too_long_once_written_out(filename: str) -> IngestError:
    return IngestError(
        f"{filename} has more than {MAX_DOCUMENT_CHARS:,} characters of text once each "
        "table row repeats its header"
    )


def _row_text(header: list[str], cells: list[str]) -> str:
    """A table row that reads alone: each cell after its column's name ("Votes: 1444")."""
    names = header + [""] * (len(cells) - len(header))
    named = [
        f"{name}: {cell}" if name else cell
        for name, cell in zip(names, cells, strict=False)  # a header may have more cells
        if cell
    ]
    return " | ".join(named)


def _tables_written_out(filename: str, text: str) -> str:
    """Plain text with each pipe table replaced by its rows, each with its header cells."""
    if not _TABLE_DELIMITER.search(text):
        return text
    tables = _TableText(filename)
    return "\n".join(
        "\n".join(part) if isinstance(part, list) else _short_tables_written_out(part, tables)
        for part in tables.long_ones_apart(text)
    )


def _short_tables_written_out(text: str, tables: _TableText) -> str:
    """`text` with each of its tables (none of them long) replaced by its rows."""
    if not _TABLE_DELIMITER.search(text):
        return text
    lines = text.split("\n")
    tokens = _markdown().parse(text)
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


def _parse_html(filename: str, data: bytes) -> tuple[str | None, str | None, str]:
    import trafilatura

    result = trafilatura.bare_extraction(
        data, include_comments=False, include_tables=True, with_metadata=True, favor_recall=True
    )
    text = getattr(result, "text", None) if result is not None else None
    if not text:
        raise IngestError(
            f"{filename}: no article text found in this HTML page "
            "(only scripts, styles, menus or too little text)"
        )
    _check_length(filename, text)
    date = getattr(result, "date", None)
    text = _tables_written_out(filename, _html_blocks(text))
    return getattr(result, "title", None), _iso_date(date), text


def _html_blocks(text: str) -> str:
    """trafilatura's text has a block per line: a blank line between blocks, except between
    the items of a list or the rows of a table, which stay one block."""
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        if blocks and _ITEM_OR_ROW.match(line) and _ITEM_OR_ROW.match(blocks[-1][-1]):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return "\n\n".join("\n".join(block) for block in blocks)


def _parse_pdf(filename: str, data: bytes) -> tuple[str | None, str | None, str]:
    import pypdf

    try:
        with pypdf.apply_configuration(**_PDF_LIMITS):
            reader = pypdf.PdfReader(io.BytesIO(data))
            _refuse_if_locked(filename, reader)
            if len(reader.pages) > MAX_PDF_PAGES:
                raise IngestError(f"{filename} has more than {MAX_PDF_PAGES} pages")
            pages = _pdf_pages(filename, reader)
            meta = reader.metadata
            title = meta.title if meta is not None and meta.title else None
            created = meta.creation_date if meta is not None else None
    except IngestError:
        raise
    except pypdf.errors.LimitReachedError as exc:
        raise IngestError(f"{filename} is too large or too complex a PDF to read") from exc
    except Exception as exc:  # pypdf raises many types on malformed input; none is our bug
        raise IngestError(f"{filename} is not a readable PDF ({type(exc).__name__})") from exc
    text_date, text = _date_line("\n\n".join(pages))
    date = text_date or (created.date().isoformat() if created is not None else None)
    return title or _headline(text), date, text


def _refuse_if_locked(filename: str, reader: PdfReader) -> None:
    """pypdf already tried the empty password; anything else needs one we don't have."""
    import pypdf

    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED
    except (pypdf.errors.DependencyError, pypdf.errors.PdfReadError):
        unlocked = False
    if not unlocked:
        raise IngestError(f"{filename} is an encrypted PDF; please send an unlocked copy")


def _pdf_pages(filename: str, reader: PdfReader) -> list[str]:
    """Each page's text, within the text and time budgets."""
    deadline = time.monotonic() + PDF_SECONDS
    pages: list[str] = []
    total = 0
    for page in reader.pages:
        page_text = page.extract_text() or ""
        total += len(page_text)
        if total > MAX_TEXT_CHARS:
            raise IngestError(f"{filename} has more than {MAX_TEXT_CHARS:,} characters of text")
        if time.monotonic() > deadline:
            raise IngestError(f"{filename} took more than {PDF_SECONDS:.0f} s to read; giving up")
        pages.append(page_text)
    return pages


def _iso_date(value: object) -> str | None:
    match = _ISO_DATE.search(str(value)) if value else None
    return match.group(1) if match else None


def _title_from_filename(filename: str) -> str:
    stem = re.sub(r"[-_]+", " ", Path(filename).stem)
    stem = _ISO_DATE.sub("", re.sub(r"(\d{4})\s(\d{2})\s(\d{2})", r"\1-\2-\3", stem)).strip()
    return stem[:1].upper() + stem[1:] if stem else filename


def iter_supported_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the supported files they hold, sorted for repeatable ids."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class WebPage:
    """What trafilatura found in a page read from the web."""

    title: str | None
    date: str | None
    text: str
    url: str | None  # canonical (<link rel=canonical>, og:url), else the address read
    author: str | None


def parse_html_page(name: str, data: bytes | str, url: str) -> WebPage:
    """An HTML page from the web, read like an .html file, with the metadata the web adds:
    the canonical address and the author."""
    import trafilatura

    result = trafilatura.bare_extraction(
        data,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        favor_recall=True,
    )
    text = getattr(result, "text", None) if result is not None else None
    if not text:
        raise IngestError(
            f"{name}: no article text found in this page "
            "(only scripts, styles, menus or too little text)"
        )
    _check_length(name, text)
    return WebPage(
        title=getattr(result, "title", None),
        date=_iso_date(getattr(result, "date", None)),
        text=_tables_written_out(name, _html_blocks(text)),
        url=getattr(result, "url", None) or url,
        author=getattr(result, "author", None),
    )


def make_document(
    name: str,
    doc_id: str,
    title: str | None,
    date: str | None,
    text: str,
    *,
    source: str,
    url: str | None = None,
    collection: str = SHARED,
) -> Document:
    """A document from text found elsewhere (a web page, a feed item), checked as a file's."""
    text = _clean(text)
    if len(text) < 20:
        raise IngestError(f"{name} has no readable article text ({_why_empty('', text)})")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise IngestError(f"{name} has more than {MAX_DOCUMENT_CHARS:,} characters of text")
    return Document(
        doc_id=doc_id,
        title=(title or "").strip() or _headline(text) or name,
        date=date,
        source=source,
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        url=url,
        collection=collection,
    )
