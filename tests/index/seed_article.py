"""The shipped article as its reader sees it, and the contract every answer on it keeps.

The sentences come from the file itself (paragraphs between blank lines, sentences at their
final punctuation), not from the engine's splitter: the expectation must not inherit the
engine's mistakes. A paragraph without final punctuation is a heading.

The contract (issue 24), checked by `contract_breaches` for every answered question:
(a) `text` is one stretch of consecutive sentences of the article, in its order, or several
    such stretches joined by " … "; a heading is never glued to the sentence after it;
(b) `direct`, when present, appears verbatim in `text`;
(c) the stating sentence is in `text`, and the text begins with it or with the sentences
    before it that it leans on ("He", "the same charges"), back to its referent.
Each broken rule is its own exception class, so an xfail names exactly the rule it waits on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.api import Answer
from tests.conftest import PROJECT_ROOT

ARTICLE = PROJECT_ROOT / "corpus" / "rust-shooting-rourke-baldwin-2023-01-30.txt"
GAP = " … "  # what joins two stretches that are not adjacent in the article

_DATE_LINE = re.compile(r"^\s*date:?\s+\d{4}-\d{2}-\d{2}\s*", re.IGNORECASE)
_PARAGRAPHS = re.compile(r"\n\s*\n")
# A sentence ends at . ? or ! (and the quote closing it) before a space and a capital or an
# opening quote; "Jan. 19" is not an end (a digit follows).
_SENTENCE_END = re.compile(r"(?<=[.?!])[”’\"]?(?=\s+[“\"A-Z])")
_FINAL = re.compile(r"[.?!…][”’\"]?$")


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    paragraph: int
    heading: bool


def read_sentences(raw: str) -> tuple[Sentence, ...]:
    """The article's sentences in order, whitespace collapsed."""
    sentences: list[Sentence] = []
    body = _DATE_LINE.sub("", raw, count=1)
    for number, paragraph in enumerate(p for p in _PARAGRAPHS.split(body) if p.strip()):
        flat = " ".join(paragraph.split())
        heading = _FINAL.search(flat) is None
        start = 0
        for end in [m.end() for m in _SENTENCE_END.finditer(flat)] + [len(flat)]:
            piece = flat[start:end].strip()
            if piece:
                sentences.append(Sentence(len(sentences), piece, number, heading))
            start = end
    return tuple(sentences)


SENTENCES = read_sentences(ARTICLE.read_text(encoding="utf-8"))


def sentence(fragment: str) -> str:
    """The one sentence of the article holding `fragment` (an error if not exactly one)."""
    found = [s.text for s in SENTENCES if fragment in s.text]
    if len(found) != 1:
        raise LookupError(f"{fragment!r} is in {len(found)} sentences of the article")
    return found[0]


def position(text: str) -> int:
    return next(s.index for s in SENTENCES if s.text == text)


# The article's sentences, by what they say.
DEATH = sentence("second time after learning")
INSTAGRAM = sentence("Instagram post")
DAILY_MAIL = sentence("Daily Mail caught up")
HANDED_A_GUN = sentence("handed a gun by somebody else")
DRY_FIRE = sentence("dry fire the gun")
TWELVE_MORE = sentence("12 more times")
NOT_TO_BLAME = sentence("he is not to blame")
HEADLINE = sentence("Stands Firm")
REHEARSING = sentence("rehearsing with a prop gun")
POINTING = sentence("pointing toward Hutchins")
COLD_GUN = sentence("cold gun")
FEEL_BAD = sentence("feel so bad")
DONT_BLAME = sentence("don’t put the blame")
NOT_HIS_FAULT = sentence("not his fault")
TESTED = sentence("should have been tested")
LIVE_BULLET = sentence("no way a live bullet")
SO_BLAME = sentence("So, you put the blame")
WHY = sentence("“Why?")
BULLSHIT = sentence("That is bullsh**")
TWO_COUNTS = sentence("two counts")
ENHANCEMENT = sentence("enhancement for use of a firearm")
SAME_CHARGES = sentence("the same charges")
PLEA_DEAL = sentence("plea deal")
PROBATION = sentence("six months of probation")
THAT_SIMPLE = sentence("that simple")
EVIDENCE = sentence("criminal disregard")
NO_ROOM = sentence("no room for film sets")

# What a sentence refers back to: the speaker of a quote ("he continued"), a pronoun ("He
# will serve"), "the same charges", "also", "that gun". The answer may begin there.
LEANS_ON: dict[str, str] = {
    INSTAGRAM: DEATH,  # "the matter"
    DAILY_MAIL: INSTAGRAM,  # "the actor", "the matter"
    HANDED_A_GUN: DAILY_MAIL,  # "he replied"
    DRY_FIRE: HANDED_A_GUN,  # "he continued"
    TWELVE_MORE: DRY_FIRE,  # "do it 12 more times"
    NOT_TO_BLAME: TWELVE_MORE,  # "It’s like, he ..."
    POINTING: REHEARSING,  # "the gun"
    COLD_GUN: REHEARSING,  # "the prop"
    DONT_BLAME: FEEL_BAD,  # "But", the speaker
    NOT_HIS_FAULT: DONT_BLAME,  # "his"
    LIVE_BULLET: TESTED,  # "And", "that gun"
    SO_BLAME: LIVE_BULLET,  # "So"
    WHY: SO_BLAME,
    BULLSHIT: WHY,  # "That"
    ENHANCEMENT: TWO_COUNTS,  # "also", "his sentence"
    SAME_CHARGES: TWO_COUNTS,  # "the same charges": Baldwin's
    PROBATION: PLEA_DEAL,  # "He": Halls
    EVIDENCE: THAT_SIMPLE,  # the speaker
    NO_ROOM: EVIDENCE,  # the speaker, "our state"
}


def referents(text: str) -> list[str]:
    """What `text` leans on, nearest first, back to the end of the chain."""
    chain: list[str] = []
    while text in LEANS_ON:
        text = LEANS_ON[text]
        chain.append(text)
    return chain


class Breach(AssertionError):
    """An answer breaks a rule of issue 24; the subclass says which."""


class Refused(Breach):
    """An answerable question got "I couldn't find that"."""


class HeadingGlued(Breach):
    """A heading of the article runs into the sentence after it."""


class JoinedSentences(Breach):
    """The text joins sentences the article does not join (or is not the article's text)."""


class DirectNotShown(Breach):
    """The bold words do not appear in the text shown under them."""


class WrongSentence(Breach):
    """The stating sentence is missing, or the text does not begin with it (or its referent)."""


class WrongDirect(Breach):
    """The bold words are not the fact asked for (or there are bold words where none fit)."""


class NearMissAnswered(Breach):
    """A question the article does not answer got an answer."""


class NoClosestPassage(Breach):
    """A near miss was refused without the closest passage."""


# The order a case's breaches are reported in: the first one names the case's failure.
PRECEDENCE: tuple[type[Breach], ...] = (
    Refused,
    HeadingGlued,
    JoinedSentences,
    DirectNotShown,
    WrongSentence,
    WrongDirect,
    NearMissAnswered,
    NoClosestPassage,
)


def raise_first(breaches: Sequence[Breach]) -> None:
    """Raise the breach first in PRECEDENCE, its message listing all of them."""
    if not breaches:
        return
    first = min(breaches, key=lambda breach: PRECEDENCE.index(type(breach)))
    message = "; ".join(f"{type(b).__name__}: {b}" for b in breaches)
    raise type(first)(message)


def stretches(text: str) -> list[list[int]] | Breach:
    """The sentence positions of each " … "-separated part of `text`, or the breach."""
    parts: list[list[int]] = []
    for part in text.split(GAP):
        shown = _stretch(part)
        if isinstance(shown, Breach):
            return shown
        if parts and shown[0] <= parts[-1][-1]:
            return JoinedSentences(f"not in the article's order: {part[:60]!r}")
        parts.append(shown)
    return parts


def _stretch(part: str) -> list[int] | Breach:
    """The consecutive sentences `part` consists of."""
    rest = part.strip()
    starting = [s for s in SENTENCES if rest.startswith(s.text)]
    start = max(starting, key=lambda s: len(s.text), default=None)
    if start is None:
        return JoinedSentences(f"does not begin with a sentence of the article: {rest[:80]!r}")
    shown = [start.index]
    rest = rest[len(start.text) :]
    while rest.strip():
        previous = SENTENCES[shown[-1]]
        following = SENTENCES[shown[-1] + 1] if shown[-1] + 1 < len(SENTENCES) else None
        gap, rest = rest[: len(rest) - len(rest.lstrip())], rest.lstrip()
        if following is None or not rest.startswith(following.text):
            return JoinedSentences(
                f"after {previous.text[-40:]!r} comes {rest[:60]!r}, "
                f"not the article's next sentence"
            )
        if previous.heading and "\n" not in gap:
            return HeadingGlued(f"{previous.text!r} runs into {following.text[:40]!r}")
        if not gap:
            return JoinedSentences(f"{previous.text[-30:]!r} and the next share no space")
        shown.append(following.index)
        rest = rest[len(following.text) :]
    return shown


def contract_breaches(answer: Answer, stating: Iterable[str] = ()) -> list[Breach]:
    """What an answered question breaks of rules (a), (b) and (c) (module docstring);
    `stating`: the sentences any one of which states the fact asked for."""
    breaches: list[Breach] = []
    parts = stretches(answer.text)
    if isinstance(parts, Breach):
        breaches.append(parts)
    if answer.direct is not None and answer.direct not in answer.text:
        breaches.append(DirectNotShown(f"{answer.direct!r} not in {answer.text[:80]!r}"))
    stating = tuple(stating)
    if stating and not isinstance(parts, Breach):
        breach = _opening_breach(parts, stating)
        if breach is not None:
            breaches.append(breach)
    elif stating and not any(s in answer.text for s in stating):
        breaches.append(WrongSentence(f"none of {_short(stating)} in {answer.text[:80]!r}"))
    return breaches


def _opening_breach(parts: list[list[int]], stating: tuple[str, ...]) -> Breach | None:
    shown = {index for part in parts for index in part}
    present = [s for s in stating if position(s) in shown]
    if not present:
        first = SENTENCES[parts[0][0]].text
        return WrongSentence(f"none of {_short(stating)} shown; it begins {first[:60]!r}")
    first = SENTENCES[parts[0][0]].text
    if any(first == s or first in referents(s) for s in present):
        return None
    return WrongSentence(f"begins {first[:60]!r}, not with {_short(present)} or its referent")


def _short(texts: Iterable[str]) -> list[str]:
    return [text[:50] for text in texts]
