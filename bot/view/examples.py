"""Example questions offered as buttons by /start."""

from __future__ import annotations

from collections.abc import Sequence

from index.api import DocumentInfo

MAX_EXAMPLES = 3


def example_questions(
    documents: Sequence[DocumentInfo], configured: Sequence[str] = ()
) -> list[str]:
    """Operator-chosen examples when given, else one question per article title.

    The list is recomputed when a button is tapped, so the button's position number maps
    to the same question as long as the articles have not changed.
    """
    if configured:
        return list(configured)[:MAX_EXAMPLES]
    titled = [document.title for document in documents if document.title.strip()]
    return [f"What is “{title}” about?" for title in titled[:MAX_EXAMPLES]]
