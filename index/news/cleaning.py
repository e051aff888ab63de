"""Dropping the lines a site repeats on its pages before a page is indexed.

Learned from the site's own pages, not from a list: every page read leaves the keys of its
article lines and short blocks (index/news/stores/sqlite_site_lines.py). A line of a new page is its
site's template when `pages.repeated_on_pages` of the site's pages (this one among them)
have it in their article text: subscribe boxes, standards blurbs, newsletter promotions,
copyright lines. A short line is clutter too when the templates of
`pages.common_on_sites` other sites show it ("Advertisement", "Share this:"). A feed sync
learns from all the pages it read before it cleans any (`learn`, then `clean`), so a
site's template is known from its first sync; a page never loses more than three
quarters of its text (a second copy of an article is not a template). Measured in docs/news.md
(benchmarks/clean_pages.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from urllib.parse import urlsplit

from index.ingest.boilerplate import SHORT_BLOCK_CHARS, article_lines, line_key, without_lines
from index.ingest.documents import Document
from index.news.stores.sqlite_site_lines import SiteLines
from index.settings import PageSettings

log = logging.getLogger("qabot.feeds")


class PageCleaner:
    def __init__(self, lines: SiteLines, settings: PageSettings) -> None:
        self._lines = lines
        self._settings = settings

    def learn(
        self, document: Document, blocks: frozenset[str] = frozenset(), text: str | None = None
    ) -> None:
        """Remember the page's lines (of `text`, the page's own: without the byline the
        document adds) and its short `blocks` for its site."""
        site = site_of(document.url)
        if site is None:
            return
        keys = {line_key(line) for line in article_lines(text or document.text)} - {""}
        self._lines.record(site, document.doc_id, keys, blocks, self._settings.pages_kept_per_site)

    def clean(self, document: Document) -> Document:
        """The document without the lines its site (or many sites) repeat."""
        site = site_of(document.url)
        if site is None:
            return document
        lines = article_lines(document.text)
        keys = [key for key in (line_key(line) for line in lines) if key]
        short = [
            key
            for line, key in zip(lines, map(line_key, lines), strict=True)
            if key and len(line.strip()) <= SHORT_BLOCK_CHARS
        ]
        pages = self._settings.repeated_on_pages - 1  # besides this one
        repeated = self._lines.repeated_on_site(site, document.doc_id, keys, pages)
        repeated |= self._lines.common_to_sites(site, short, self._settings.common_on_sites)
        text, dropped = without_lines(document.text, repeated)
        if not dropped:
            return document
        log.info("%s: %d line(s) its site repeats dropped", document.url, dropped)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return dataclasses.replace(document, text=text, content_hash=digest)


def site_of(url: str | None) -> str | None:
    """The site a page belongs to: its host, without "www."."""
    if not url:
        return None
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None
