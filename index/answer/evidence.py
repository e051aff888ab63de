"""What of the question the passage read does not hold: evidence for "I don't know".

SQuAD 2.0's unanswerable questions were written against a paragraph with one thing changed:
a name swapped, a word the paragraph never uses. The reader's no-answer score separates them
little once retrieval has found the paragraph (docs/quality.md); what the question asks
about that the passage read never mentions is a second, independent sign.
"""

from __future__ import annotations

import re

from index.answer.subjects import asked_names, names_all
from index.ingest.terms import term_set

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def missing_terms(question: str, context: str) -> float:
    """The share of the question's terms (stemmed, no stop or question words) the context
    does not hold; 0 for a question with none."""
    asked = term_set(question)
    if not asked:
        return 0.0
    return len(asked - term_set(context)) / len(asked)


def missing_names(question: str, context: str, names: frozenset[str]) -> float:
    """How many of the question's names (index/answer/subjects.py) the context never names."""
    return float(sum(not names_all(context, [name]) for name in asked_names(question, names)))


def missing_numbers(question: str, context: str) -> float:
    """How many numbers of the question ("in 1998") the context never writes."""
    present = set(_NUMBER.findall(context))
    return float(sum(number not in present for number in _NUMBER.findall(question)))
