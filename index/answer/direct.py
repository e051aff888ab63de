"""The direct answer: the reader's span in bold above the sentence, only when likely right.

A wrong answer in bold is worse than the sentence alone, so the span is shown only when it
is short, answers a question asking for a fact, lies inside one sentence of the text shown
(bold words always come from that text) and a calibrated model of the reader's own signals
says it is likely right (index/fitted.py, `DirectConfidence`; fitted and measured in
docs/quality.md, "Nothing wrong in bold").
"""

from __future__ import annotations

import math
import re

from index.answer.kinds import asked_kind, fits
from index.answer.reading import Choice
from index.fitted import DirectConfidence

DIRECT_MAX_WORDS = 12  # a longer span is a passage, not a direct answer
NO_RIVAL = 10.0  # the gap to the runner-up when the reader found no other span
# Questions that want an explanation, not a fact: no direct answer.
_EXPLANATION = re.compile(
    r"\b(why|how (do|does|did|is|are|was|were|can|could|should|would)|explain|describe|"
    r"what (happens|happened) (when|if|after))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
# Asked what something means, the words a passage goes on to explain ("a 'cold gun,'
# meaning there were no live bullets") are what is asked about, not what it means.
_ASKS_MEANING = re.compile(
    r"\bwhat (do|does|did|is|was) \b.*\bmean\b|\bwhat is meant by\b|\bthe meaning of\b",
    re.IGNORECASE,
)
_EXPLAINED_NEXT = re.compile(
    r"^\W*(meaning\b|which means\b|that is to say\b|i\.\s?e\.)", re.IGNORECASE
)
# The reader's own signals about its span. Retrieval's evidence and what the passage lacks
# of the question decide whether to answer at all (the refusal model); beside them here,
# they learned SQuAD's habits (a Wikipedia question repeats few of its paragraph's words)
# and kept sure spans of news articles out of bold (docs/quality.md).
FEATURES = (
    "span score",
    "margin (no-answer - span)",
    "gap to the runner-up span elsewhere",
    "kind asked: +1 fits, -1 does not, 0 none asked",
    "span words (log)",
    "share of the span's words the question has",
    "span in the sentence before the one chosen",
)


def asks_explanation(question: str) -> bool:
    """Why or how something is, not a fact a span can be."""
    return _EXPLANATION.search(question) is not None


def candidate(question: str, choice: Choice, text: str) -> str | None:
    """The span as a person would read it, if it may be a direct answer at all."""
    if choice.span is None or asks_explanation(question) or not choice.within_one_sentence:
        return None
    words = choice.read.text(choice.span).strip(" ,;:.\"'“”‘’()")
    if not words or len(words.split()) > DIRECT_MAX_WORDS or words not in text:
        return None
    if _ASKS_MEANING.search(question) and _EXPLAINED_NEXT.match(
        choice.read.context[choice.span.end :]
    ):
        return None  # the term explained, not its meaning
    return words


def features(question: str, choice: Choice) -> tuple[float, ...]:
    """What `DirectConfidence` weighs, in the order of FEATURES."""
    span = choice.span
    assert span is not None
    rivals = [
        other.score
        for other in choice.read.reading.spans
        if other.end <= span.start or other.start >= span.end
    ]
    kind = asked_kind(question)
    shown = choice.read.text(span)
    asked_words = {word.lower() for word in _WORD.findall(question)}
    span_words = [word.lower() for word in _WORD.findall(shown)] or [""]
    return (
        span.score,
        min(max(choice.margin, -20.0), 50.0),
        span.score - max(rivals) if rivals else NO_RIVAL,
        0.0 if kind is None else (1.0 if fits(kind, shown) else -1.0),
        math.log(len(span_words)),
        sum(word in asked_words for word in span_words) / len(span_words),
        1.0 if choice.lead else 0.0,
    )


def direct_answer(
    question: str,
    choice: Choice,
    text: str,
    model: DirectConfidence | None,
    max_margin: float = math.inf,
) -> str | None:
    """The span in bold, or None: the sentence is shown alone."""
    words = candidate(question, choice, text)
    if words is None or choice.margin > max_margin:
        return None
    if model is not None:
        likely = model.probability(features(question, choice))
        if likely < model.threshold:
            return None
    return words
