"""Turn files (txt, md, html, pdf) into plain-text documents with their metadata.

Only the article text is kept: markup, menus and scripts are dropped by real extractors
(trafilatura for HTML, markdown-it for Markdown, pypdf for PDF). Every refusal is an
IngestError whose message can be shown to the person who sent the file.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.api import SUPPORTED_SUFFIXES
from index.errors import IngestError

if TYPE_CHECKING:
    from pypdf import PdfReader

MAX_FILE_BYTES = 200_000_000  # refused before reading, whatever the configured limit says
MAX_TEXT_CHARS = 5_000_000  # a bigger "article" is almost surely not one
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

_DATE_LINE = re.compile(r"^\s*date:?\s+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    date: str | None
    source: str
    text: str
    content_hash: str


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
        title, date, text = _parse_markdown(_decode(filename, data))
    else:
        title, date, text = _parse_text(_decode(filename, data))
    text = _clean(text)
    if len(text) < 20:
        raise IngestError(f"{filename} has no readable article text")
    if len(text) > MAX_TEXT_CHARS:
        raise IngestError(f"{filename} has more than {MAX_TEXT_CHARS:,} characters of text")
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


def _parse_text(text: str) -> tuple[str | None, str | None, str]:
    """Plain text: an optional leading `date YYYY-MM-DD`, an optional headline line."""
    date = None
    match = _DATE_LINE.match(text)
    if match:
        date, text = match.group(1), text[match.end() :]
    return _headline(text), date, text


def _headline(text: str) -> str | None:
    """The first line if it reads like a title, else the first heading-like line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines[:40]:
        words = line.split()
        if 2 <= len(words) <= 20 and len(line) <= 150 and line[-1] not in '.!?"”:;,':
            return line
    return None


def _parse_markdown(text: str) -> tuple[str | None, str | None, str]:
    from markdown_it import MarkdownIt

    title, date, body = _parse_text(text)
    tokens = MarkdownIt("commonmark").parse(body)
    blocks: list[str] = []
    heading: str | None = None
    for position, token in enumerate(tokens):
        if token.type != "inline":
            continue
        plain = (
            "".join(
                child.content
                for child in token.children or []
                if child.type in ("text", "code_inline")
            )
            or token.content
        )
        if position > 0 and tokens[position - 1].type == "heading_open" and heading is None:
            heading = plain
        blocks.append(plain)
    return heading or title, date, "\n\n".join(blocks)


def _parse_html(filename: str, data: bytes) -> tuple[str | None, str | None, str]:
    import trafilatura

    result = trafilatura.bare_extraction(
        data, include_comments=False, include_tables=True, with_metadata=True, favor_recall=True
    )
    text = getattr(result, "text", None) if result is not None else None
    if not text:
        raise IngestError(f"{filename}: no article text found in this HTML page")
    date = getattr(result, "date", None)
    return getattr(result, "title", None), _iso_date(date), text


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
    _, text_date, text = _parse_text("\n\n".join(pages))
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
