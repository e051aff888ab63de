"""What the span reader reads as the question when a question follows another.

The reader learned from single questions, so a follow-up is turned into one question it
can read (measured on the shipped article's follow-ups, tests/index/seed_question_cases.py):
- a bare question word ("when?", "who else?") asks the earlier question again with it:
  after "Where did Rourke first post his opinion?", "when?" is read as "when did Rourke
  first post his opinion?" (the reader's span: "Jan. 19" at 13.8, where the two questions
  side by side gave "Jan. 19" 8.8 against "Instagram" 8.4);
- a question of its own ("how long could he go to jail?") comes first and the earlier one
  after it, to say who "he" is ("18 months" at 12.4; behind the earlier question the
  reader hesitated between "18 months" 8.5 and the charges 8.3), without its question
  phrase, so that what it asked is not asked again: "where was he?" after "Which
  newspaper caught up with Rourke?" is read as "where was he? newspaper caught up with
  Rourke?" (with the whole earlier question the reader answered it: "Daily Mail");
- anything else ("and what about Halls?", "and the armorer?") says only whom it is about,
  so the earlier question comes first and says what is asked.
"""

from __future__ import annotations

import re

_WH = r"(what|which|who|whom|whose|when|where|why|how(\s+(much|many|long|old|often))?)"
_BARE_WH = re.compile(rf"^\W*(and\s+)?(?P<wh>{_WH}(\s+else)?)\W*$", re.IGNORECASE)
_AUXILIARY = r"(is|are|was|were|do|does|did|can|could|will|would|has|have|had|should)"
# "Where did ...": the question word is not the subject, so another can take its place
# ("Who took a plea deal?" cannot become "why took ...").
_WH_FIRST = re.compile(rf"^\W*{_WH}\s+(?P<rest>{_AUXILIARY}\s.*)$", re.IGNORECASE)
_OWN_QUESTION = re.compile(rf"^\W*({_WH}\b(?!\s+about\b)|{_AUXILIARY}\b)", re.IGNORECASE)
# "Which newspaper caught up ...", "What charges does ...", "Who is ...": what it asked.
_QUESTION_PHRASE = re.compile(rf"^\W*{_WH}((\s+\w+)?\s+{_AUXILIARY}\b)?\s+", re.IGNORECASE)


_ONLY_WHOM = re.compile(r"^\W*(and|but|what about|how about)\b", re.IGNORECASE)
_CONJUNCTION = re.compile(r"^\W*(and|but)\s+", re.IGNORECASE)


def names_only_whom(question: str) -> bool:
    """Whether `question` asks nothing of its own but whom it is about ("and what about
    Halls?", "and Baldwin?"): what the article says of that person is the answer."""
    rest = _CONJUNCTION.sub("", question)
    return (
        _ONLY_WHOM.match(question) is not None
        and not _BARE_WH.match(question)
        and not _OWN_QUESTION.match(rest)
    )


def reads_as_one(question: str, earlier: str | None) -> bool:
    """Whether `as_read` makes one question the reader can answer of `question` after
    `earlier`: not a bare question word after a question it cannot take the place of
    ("who else?" after "What charges does Alec Baldwin face?" was read as "who else? Alec
    Baldwin face?", and the reader answered "Mickey Rourke")."""
    if not earlier:
        return False
    return not _BARE_WH.match(question) or _WH_FIRST.match(earlier.strip()) is not None


def as_read(question: str, earlier: str | None) -> str:
    """The one question the reader reads for `question` asked after `earlier`."""
    if not earlier:
        return question
    bare = _BARE_WH.match(question)
    again = _WH_FIRST.match(earlier.strip())
    if bare and again:
        return f"{bare.group('wh')} {again.group('rest')}"
    if _OWN_QUESTION.match(question):
        return f"{question} {_QUESTION_PHRASE.sub('', earlier.strip())}"
    return f"{earlier} {question}"
