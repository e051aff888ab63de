"""One web address read into a document: an article page, a PDF, or plain text.

What the server sends decides how it is read (its Content-Type, or the first bytes when
that says nothing useful): a PDF link is read as a PDF document, an image or a feed is
refused with a word on what it is instead. The article's canonical address (from the
page) names the document, so the same story reached through two addresses (tracking
parameters, a feed's redirect) is one document.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata

from index.api import SHARED
from index.errors import FetchError, IngestError
from index.ingest.boilerplate import page_blocks
from index.ingest.documents import Document, make_document, parse_bytes
from index.ingest.formats.web_page import decode_page, parse_html_page
from index.news.cleaning import PageCleaner
from index.news.fetch import Fetched, Fetcher, checked_url

ACCEPT = "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,text/plain;q=0.5"
_MAGIC = {b"%PDF-": "pdf", b"\x89PNG": "image", b"\xff\xd8\xff": "image", b"GIF8": "image"}
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html|head|body)", re.I)
_FEED_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:rdf)\b", re.IGNORECASE
)


def read_url(
    fetcher: Fetcher, url: str, collection: str = SHARED, cleaner: PageCleaner | None = None
) -> Document:
    """Fetch `url` (if the site's robots.txt allows) and read it into a document."""
    checked_url(url)
    if not fetcher.robots_allow(url):
        raise FetchError(f"{url}: the site's robots.txt asks bots not to read this page")
    return page_document(fetcher.get(url, accept=ACCEPT), collection, cleaner=cleaner)


def page_document(
    fetched: Fetched,
    collection: str = SHARED,
    *,
    title: str | None = None,
    date: str | None = None,
    cleaner: PageCleaner | None = None,
) -> Document:
    """The document a fetched page holds; `title` and `date` (a feed item's) win over the
    page's own. A web page's lines are left with `cleaner` to learn its site's template
    from (the caller cleans it, once the pages read with it are learned too)."""
    kind = page_kind(fetched)
    name = fetched.url
    if kind == "pdf":
        document = parse_bytes(f"{_slug(fetched.url)}.pdf", fetched.body, source=fetched.url)
        return dataclasses.replace(
            document,
            doc_id=url_doc_id(fetched.url, collection),
            title=title or document.title,
            date=date or document.date,
            url=fetched.url,
            collection=collection,
        )
    if kind == "html":
        html = decode_page(fetched.body, fetched.charset)
        page = parse_html_page(name, html, fetched.url)
        address = page.url if page.url and _is_web_address(page.url) else fetched.url
        text = page.text
        if page.author and page.author not in text:
            # After the text: a byline first would be a chunk of its own with the headline.
            text = f"{text}\n\nBy {page.author}."  # "who wrote ..." can then be answered
        document = make_document(
            name,
            url_doc_id(address, collection),
            title or page.title,
            date or page.date,
            text,
            source=address,
            url=address,
            collection=collection,
        )
        if cleaner is not None:
            cleaner.learn(document, page_blocks(html), page.text)
        return document
    if kind == "text":
        return make_document(
            name,
            url_doc_id(fetched.url, collection),
            title,
            date,
            _plain_text(fetched),
            source=fetched.url,
            url=fetched.url,
            collection=collection,
        )
    raise IngestError(_not_an_article(fetched, kind))


def page_kind(fetched: Fetched) -> str:
    """html, pdf, text, image, feed or other: by the first bytes, then by Content-Type."""
    head = fetched.body[:512]
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    media = fetched.content_type
    if _FEED_START.match(head) or media in ("application/rss+xml", "application/atom+xml"):
        return "feed"
    if media in ("text/html", "application/xhtml+xml") or _HTML_START.match(head):
        return "html"
    if media == "application/pdf":
        return "pdf"
    if media.startswith("image/"):
        return "image"
    if media == "text/plain":
        return "text"
    return "other"


def url_doc_id(url: str, collection: str = SHARED) -> str:
    """A readable, stable id: the address as a slug, and a hash of it (with the
    collection: two chats sending one link get a document each)."""
    digest = hashlib.sha1(f"{collection}\n{url}".encode()).hexdigest()[:10]
    return f"{_slug(url)[:60]}-{digest}"


def _slug(url: str) -> str:
    bare = re.sub(r"^https?://(www\.)?", "", url.lower())
    ascii_only = unicodedata.normalize("NFKD", bare).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-") or "page"


def _plain_text(fetched: Fetched) -> str:
    """A text/plain body: its charset (UTF-8 if none), bytes it cannot decode replaced."""
    try:
        return fetched.body.decode(fetched.charset or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return fetched.body.decode("utf-8", "replace")


def _is_web_address(url: str) -> bool:
    return re.match(r"https?://[^\s/]+", url) is not None


def what_it_is(fetched: Fetched, kind: str) -> str:
    """What a fetched address holds, in the words every refusal uses ("is an image
    (image/png)"), whether a link or a feed was expected."""
    shown = fetched.content_type or "of an unknown type"
    return {
        "image": f"is an image ({shown})",
        "feed": "is a news feed",
        "pdf": "is a PDF",
        "html": "is a web page",
        "text": "is plain text",
    }.get(kind, f"is {shown}")


def feed_body(fetched: Fetched) -> bytes:
    """The body of what should be a feed; refused, saying what it is, when it is an image,
    a PDF or a web page (anything else is left to the feed parser to judge)."""
    kind = page_kind(fetched)
    if kind in ("html", "image", "pdf"):
        raise IngestError(f"{fetched.url} {what_it_is(fetched, kind)}, not an RSS or Atom feed")
    return fetched.body


def _not_an_article(fetched: Fetched, kind: str) -> str:
    if kind == "feed":
        return (
            f"{fetched.url} is a news feed, not an article: follow it with /follow_feed "
            "(or `qabot feeds add`)"
        )
    if kind == "image":
        return f"{fetched.url} {what_it_is(fetched, kind)}, not an article"
    return f"{fetched.url} {what_it_is(fetched, kind)}, not a web page, a PDF or text"
