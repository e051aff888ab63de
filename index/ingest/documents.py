"""Turn files (txt, md, html, pdf) into plain-text documents with their metadata.

Only the article text is kept: markup, menus and scripts are dropped by real extractors
(trafilatura for HTML, markdown-it for Markdown, pypdf for PDF), one reader per format in
index/ingest/formats/. Every refusal is an IngestError whose message can be shown to the
person who sent the file.

The text keeps the structure the chunker reads: blocks (headings, paragraphs, whole lists,
whole tables) are separated by a blank line, list items and table rows are lines of their
block. A table row is written with its header cells ("District: District 12 | Votes: 1444
| Winner: Candidate C") so that a row shown alone still reads; the repetition lives in the
document text, which every offset points into, so what is shown maps back exactly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.api import SHARED, SUPPORTED_SUFFIXES
from index.errors import IngestError
from index.ingest.formats.html import parse_html
from index.ingest.formats.limits import (
    MAX_DOCUMENT_CHARS,
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    too_long_once_written_out,
)
from index.ingest.formats.markdown import parse_markdown
from index.ingest.formats.pdf import parse_pdf
from index.ingest.formats.text import headline, parse_text

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "MAX_FILE_BYTES",
    "MAX_TEXT_CHARS",
    "SUPPORTED_SUFFIXES",
    "Document",
    "check_size",
    "clean_text",
    "doc_id_for",
    "iter_supported_files",
    "load_file",
    "make_document",
    "parse_bytes",
]

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
    collection: str = SHARED  # or a chat's own, "chat:<id>" (index.api.chat_collection)


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
        title, date, text = parse_pdf(filename, data)
    elif suffix in (".html", ".htm"):
        title, date, text = parse_html(filename, data)
    elif suffix in (".md", ".markdown"):
        title, date, text = parse_markdown(filename, _decode(filename, data))
    else:
        title, date, text = parse_text(filename, _decode(filename, data))
    text = clean_text(text)
    if len(text) < 20:
        raise IngestError(f"{filename} has no readable article text ({_why_empty(suffix, text)})")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise too_long_once_written_out(filename)
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
    text = clean_text(text)
    if len(text) < 20:
        raise IngestError(f"{name} has no readable article text ({_why_empty('', text)})")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise IngestError(f"{name} has more than {MAX_DOCUMENT_CHARS:,} characters of text")
    return Document(
        doc_id=doc_id,
        title=(title or "").strip() or headline(text) or name,
        date=date,
        source=source,
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        url=url,
        collection=collection,
    )


def clean_text(text: str) -> str:
    """NFC, Unix newlines, no control characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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


def _why_empty(suffix: str, text: str) -> str:
    """Why a file gave less than an article's worth of text, in words its sender knows."""
    found = f"only {len(text)} character{'s' * (len(text) != 1)}" if text else "no text at all"
    if suffix == ".pdf":
        return f"{found}: its pages have no text layer; a scanned PDF needs OCR first"
    if suffix in (".md", ".markdown"):
        return f"{found} once the Markdown markup is removed; a table without rows has none"
    return f"{found}; an article needs at least 20"


def _decode(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{filename} is not UTF-8 text (byte {exc.start}); please save it as UTF-8"
        ) from exc


def _title_from_filename(filename: str) -> str:
    stem = re.sub(r"[-_]+", " ", Path(filename).stem)
    stem = _ISO_DATE.sub("", re.sub(r"(\d{4})\s(\d{2})\s(\d{2})", r"\1-\2-\3", stem)).strip()
    return stem[:1].upper() + stem[1:] if stem else filename
