""" "What is the headline of the article?" is answered with the story's headline.

No sentence of a story says what it is called, so retrieval finds nothing to answer with
(the seed article's best sentence scored 0.000 for it) and the reader would pick words of
the text. The headline is the document's title, shown only when it is the story's own:
a line of its text (a heading, as in the shipped article) or the headline of a page read
from the web; a title made from a file's name is no headline.
"""

from __future__ import annotations

import re

from index.api import DocumentInfo
from index.search.index_view import IndexView

_ASKS_HEADLINE = re.compile(
    r"\bheadline\b"
    r"|\b(title|name)\s+of\s+(the|this|that)\s+(article|story|piece|report|post)\b"
    r"|\b(article|story|piece|report)\s+(is\s+|was\s+)?(called|titled|headlined)\b",
    re.IGNORECASE,
)


def asks_headline(question: str) -> bool:
    return _ASKS_HEADLINE.search(question) is not None


def headline(view: IndexView, document: DocumentInfo) -> str | None:
    """The document's title when it is the story's own headline, else None."""
    title = document.title.strip()
    if not title:
        return None
    if document.url:
        return title
    chunk_ids = view.store.chunk_ids_of(document.doc_id)
    chunks = view.store.chunks(chunk_ids).values()
    lines = {line.strip() for chunk in chunks for line in chunk.text.splitlines()}
    return title if title in lines else None
