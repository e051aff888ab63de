"""A page read from the web: an HTML file's reading plus what the web adds.

- its canonical address (`<link rel=canonical>`, og:url), which names the document;
- its author, cleaned of what bylines drag along ("By CBS News February", "Article by");
- its text decoded right when the server names the wrong charset (`decode_page`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.errors import IngestError
from index.ingest.dates import MONTHS, WEEKDAYS
from index.ingest.formats.html import choose_title, html_blocks, iso_date, page_titles
from index.ingest.formats.limits import check_length
from index.ingest.formats.page_clutter import clutter_xpaths
from index.ingest.formats.tables import tables_written_out

# Byline words that are not a name: what is left after them is the author, or nobody.
_BYLINE_FILLER = frozenset(
    {"by", "article", "posted", "updated", "published", "written", "on", "at", "am", "pm", "and"}
    | set(MONTHS)
    | set(WEEKDAYS)
)
_BYLINE_TOKEN = re.compile(r"[^\s,;|·•/]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# A character as UTF-8 writes it: some pages that claim UTF-8 are windows-1252 instead.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class WebPage:
    """What trafilatura found in a page read from the web."""

    title: str | None
    date: str | None
    text: str
    url: str | None  # canonical (<link rel=canonical>, og:url), else the address read
    author: str | None


def parse_html_page(
    name: str,
    data: bytes | str,
    url: str,
    *,
    favor_recall: bool = False,
    prune_clutter: bool = True,
) -> WebPage:
    """An HTML page from the web with the metadata the web adds: the canonical address and
    the author. trafilatura's balanced extraction: on the 200 pages of
    benchmarks/clean_pages.py it keeps more article text and lets in less clutter than its
    `favor_recall` (which the benchmark measures beside it), docs/news.md. The widgets the
    page's markup names (newsletter boxes, paywalls, share bars: page_clutter.py) are
    pruned first unless `prune_clutter` is off (the benchmark's row without it)."""
    import trafilatura

    result = trafilatura.bare_extraction(
        data,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        favor_recall=favor_recall,
        prune_xpath=clutter_xpaths() if prune_clutter else None,
    )
    text = getattr(result, "text", None) if result is not None else None
    if not text:
        raise IngestError(
            f"{name}: no article text found in this page "
            "(only scripts, styles, menus or too little text)"
        )
    check_length(name, text)
    return WebPage(
        title=choose_title(getattr(result, "title", None), page_titles(data)),
        date=iso_date(getattr(result, "date", None)),
        text=tables_written_out(name, html_blocks(text)),
        url=getattr(result, "url", None) or url,
        author=clean_byline(getattr(result, "author", None)),
    )


def clean_byline(author: str | None) -> str | None:
    """The author's name without the byline's other words at either end ("By CBS News
    February" -> "CBS News"); None when nothing like a name is left ("Article by")."""
    if not author:
        return None
    tokens = _BYLINE_TOKEN.findall(author)
    while tokens and _is_filler(tokens[0]):
        tokens.pop(0)
    while tokens and _is_filler(tokens[-1]):
        tokens.pop()
    name = " ".join(tokens).strip(" .:-")
    return name if sum(ch.isalpha() for ch in name) >= 2 else None


def decode_page(body: bytes, declared: str | None) -> bytes | str:
    """The body as text in its declared charset. A declared UTF-8 that the bytes break is
    read as the page's own <meta charset> if that works, else as windows-1252 when most of
    its non-ASCII bytes form no UTF-8 character (the usual mislabelling: "Ærø" would
    otherwise be guessed as "Ćrř"). Undeclared or unknown: the bytes themselves, which
    trafilatura decodes by detection."""
    if not declared:
        return body
    try:
        return body.decode(declared)
    except LookupError:
        return body
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(body[:4096])
    if meta is not None:
        try:
            return body.decode(meta.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    if declared.replace("-", "").replace("_", "").lower() != "utf8":
        return body
    high = len(_HIGH_BYTE.findall(body))
    as_utf8 = sum(len(sequence) for sequence in _UTF8_SEQUENCE.findall(body))
    if as_utf8 > high - as_utf8:  # UTF-8 with a few stray bytes
        return body.decode("utf-8", "replace")
    return body.decode("cp1252", "replace")


def _is_filler(token: str) -> bool:
    bare = token.strip(".:-()[]").casefold()
    return not bare or bare in _BYLINE_FILLER or not any(ch.isalpha() for ch in bare)
