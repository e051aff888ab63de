""" "Who wrote the article?" is answered from the author line, not from the text.

Pages read from the web end with their byline ("By Jane Doe.", index/news/pages.py); the
span reader, asked who wrote a story, picks a person the story names (a politician it
quotes), so a question asking for the author reads that line instead, when there is one.
"""

from __future__ import annotations

import re

from index.search.index_view import IndexView

_ASKS_AUTHOR = re.compile(
    r"\bwho\s+(wrote|writes|has written|authored|reported|is the (author|writer|reporter))\b"
    r"|\b(author|writer|reporter|byline)\s+of\b|\bwritten by whom\b|\bwho\s+is\s+it\s+by\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"(?:^|\n)By ([^\n.]{2,80})\.\s*$")


def asks_author(question: str) -> bool:
    return _ASKS_AUTHOR.search(question) is not None


def byline(view: IndexView, doc_id: str) -> str | None:
    """The author named by the document's closing "By ..." line, if it has one."""
    chunk_ids = view.store.chunk_ids_of(doc_id)
    if not chunk_ids:
        return None
    last = view.store.chunks([chunk_ids[-1]]).get(chunk_ids[-1])
    found = _BYLINE.search(last.text) if last else None
    return found.group(1).strip() if found else None
