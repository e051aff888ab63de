"""Feed discovery: the feeds a web page advertises, as feed readers find them.

A site names its feeds in its pages' heads: `<link rel="alternate"
type="application/rss+xml" href="...">` (or atom+xml, rdf+xml). `qabot feeds add PAGE_URL`
and /follow_feed follow the first one a page names.
"""

from __future__ import annotations

from urllib.parse import urljoin

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})


def advertised_feeds(page: bytes | str, page_url: str) -> list[str]:
    """The absolute addresses of the feeds the page names, in its order, each once."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(page)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            found.append(urljoin(page_url, href))
    return list(dict.fromkeys(found))


def no_feed_named(page_url: str) -> str:
    return (
        f"{page_url} is a web page, not an RSS or Atom feed, and it names no feed "
        '(no <link rel="alternate" type="application/rss+xml"> in its head)'
    )
