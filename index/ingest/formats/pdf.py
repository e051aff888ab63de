"""PDF (pypdf), within page, text, time and decompression budgets: a crafted PDF must not
hold a worker for minutes."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

from index.errors import IngestError
from index.ingest.formats.limits import MAX_TEXT_CHARS
from index.ingest.formats.text import date_line, headline

if TYPE_CHECKING:
    from pypdf import PdfReader

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


def parse_pdf(filename: str, data: bytes) -> tuple[str | None, str | None, str]:
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
    text_date, text = date_line("\n\n".join(pages))
    date = text_date or (created.date().isoformat() if created is not None else None)
    return title or headline(text), date, text


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
