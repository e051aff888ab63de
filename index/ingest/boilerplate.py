"""Lines a site repeats on its pages: subscribe boxes, standards blurbs, newsletter
promotions, copyright lines. trafilatura keeps the article's container, and such lines
often sit inside it; what gives them away is that the site's other pages carry them too.

Pure functions over text; what was seen is remembered by index/news/stores/sqlite_site_lines.py and
the decision is taken in index/news/cleaning.py. A line is compared by its `line_key`:
case, years ("© 2023" and "© 2024"), spacing and the bullets and bars around it do not
count. Besides the lines a page's article text has (`article_lines`), a page's short
text blocks anywhere in its HTML (`page_blocks`: menus, buttons, widgets) are kept: a
line many sites show in their templates ("Advertisement", "Share this:") is clutter
where it slips into an article.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

SHORT_BLOCK_CHARS = 60  # what a template's widget or label holds at most
# Years only ("© 2023", "© 2024"): lines differing in other numbers are news (a market
# report's figures), not one template line.
_YEARS = re.compile(r"\b(?:19|20)\d\d\b")
_EDGES = " \t-–—|•·*:>»«›‹,;.!?()[]"
_BLOCK_TAGS = (
    *("p", "div", "li", "span", "a", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd"),
    *("dt", "figcaption", "button", "label", "small", "strong", "em", "b", "section"),
    *("aside", "footer", "header", "nav"),
)


def line_key(line: str) -> str:
    """A line's identity across pages: 16 hex digits of its normalised text ("" when the
    line holds no word)."""
    bare = _YEARS.sub("0", " ".join(line.casefold().split())).strip(_EDGES)
    if not any(ch.isalpha() for ch in bare):
        return ""
    return hashlib.sha1(bare.encode("utf-8")).hexdigest()[:16]


def article_lines(text: str) -> list[str]:
    """The lines of a document's text (blocks' lines: paragraphs, items, rows)."""
    return [line for line in text.split("\n") if line.strip()]


def page_blocks(html: bytes | str) -> frozenset[str]:
    """The keys of the page's short text blocks, wherever they are in it."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return frozenset()
    for dropped in tree.xpath("//script|//style|//noscript|//template|//head"):
        dropped.drop_tree()
    keys = set()
    for element in tree.iter(*_BLOCK_TAGS):
        text = " ".join(element.text_content().split())
        if 0 < len(text) <= SHORT_BLOCK_CHARS:
            keys.add(line_key(text))
    keys.discard("")
    return frozenset(keys)


def without_lines(text: str, repeated: Iterable[str], max_share: float = 0.75) -> tuple[str, int]:
    """`text` without its lines whose keys are `repeated`, and how many were dropped; the
    text as it is when they would be more than `max_share` of it (a copy of another page
    of the site, say, rather than its template)."""
    drop = set(repeated)
    if not drop:
        return text, 0
    kept, dropped, dropped_chars = [], 0, 0
    for line in text.split("\n"):
        if line.strip() and line_key(line) in drop:
            dropped += 1
            dropped_chars += len(line)
            continue
        kept.append(line)
    if not dropped or dropped_chars > max_share * len(text):
        return text, 0
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return cleaned, dropped
