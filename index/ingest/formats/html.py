"""HTML files (trafilatura): the article text without menus, scripts and footers, a block
per paragraph, list or table. The title is trafilatura's unless the page's own title tags
disagree with it (a CMS name such as "escenic" in a JSON-LD `headline`, while og:title and
<title> are right)."""

from __future__ import annotations

import re

from index.errors import IngestError
from index.ingest.formats.limits import check_length
from index.ingest.formats.tables import tables_written_out

# trafilatura writes an HTML list item as "- item" and a table row as "| cell | cell |".
_ITEM_OR_ROW = re.compile(r"^\s*(?:[-*+•]\s|\|)")
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+")
_WORD = re.compile(r"\w+")


def parse_html(filename: str, data: bytes) -> tuple[str | None, str | None, str]:
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
    check_length(filename, text)
    date = getattr(result, "date", None)
    text = tables_written_out(filename, html_blocks(text))
    title = choose_title(getattr(result, "title", None), page_titles(data))
    return title, iso_date(date), text


def html_blocks(text: str) -> str:
    """trafilatura's text has a block per line: a blank line between blocks, except between
    the items of a list or the rows of a table, which stay one block."""
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        if blocks and _ITEM_OR_ROW.match(line) and _ITEM_OR_ROW.match(blocks[-1][-1]):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return "\n\n".join("\n".join(block) for block in blocks)


def iso_date(value: object) -> str | None:
    match = _ISO_DATE.search(str(value)) if value else None
    return match.group(1) if match else None


def page_titles(data: bytes | str) -> list[str]:
    """The titles a page gives itself, most deliberate first: og:title, twitter:title, the
    <title> without its site name, the first <h1>."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = [
        *tree.xpath("//meta[@property='og:title' or @name='og:title']/@content"),
        *tree.xpath("//meta[@name='twitter:title']/@content"),
        *(_without_site_name(title.text_content()) for title in tree.xpath("//title")[:1]),
        *(heading.text_content() for heading in tree.xpath("//h1")[:1]),
    ]
    return [" ".join(str(title).split()) for title in found if str(title).strip()]


def choose_title(extracted: str | None, own: list[str]) -> str | None:
    """trafilatura's title when one of the page's own titles shares most of its words;
    otherwise the page's most deliberate title (`page_titles`)."""
    if not own:
        return extracted
    if extracted and any(_agree(extracted, title) for title in own):
        return extracted
    return own[0]


def _agree(extracted: str, title: str) -> bool:
    words = {word.casefold() for word in _WORD.findall(extracted)}
    theirs = {word.casefold() for word in _WORD.findall(title)}
    return bool(words) and len(words & theirs) >= max(1, len(words) // 2)


def _without_site_name(title: str) -> str:
    """ "Storm floods Lisbon | The Test Times" -> "Storm floods Lisbon" (the longest part)."""
    parts = _TITLE_PARTS.split(" ".join(title.split()))
    return max(parts, key=len) if parts else title
