"""Whom a question is about, and whether a sentence is about them.

"What will Gutierrez Reed serve?" was answered with "He will serve six months of probation.":
"He" is Dave Halls, named in the sentence before. A question that names someone is answered
only from a sentence that names them too, itself or through the sentences it leans on;
otherwise the answer belongs to the person next to the one asked about, a near miss.

A name is a word the articles write capitalised inside a sentence (so "gutierrez reed", as
typed, is found too); consecutive such words of the question make one name. A sentence
names "Gutierrez Reed" when it holds the whole name or its last word, unless another
capitalised word stands before that last word ("Andrea Reed" is someone else); "Baldwin"
alone matches "Alec Baldwin".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s?$")
# Words capitalised for other reasons than being a name.
_NOT_NAMES = frozenset(
    re.findall(
        r"\w+",
        "i the a an and or but if in on at of to for by with from as is was are were be he she "
        "it they we you his her its their this that these those there what who whom whose "
        "which when where why how mr mrs ms dr",
    )
)


def name_words(texts: Iterable[str]) -> frozenset[str]:
    """Lower-cased words the texts always capitalise inside a sentence (never after a full
    stop, nor in a heading or table row, which capitalise for other reasons): "Warsaw", but
    not "University" when the texts also write "university"."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for line in (line for text in texts for line in text.splitlines()):
        if line.strip().rstrip("\"'”’»)]")[-1:] not in ".!?…":
            continue  # a heading or a table row
        for match in _WORD.finditer(line):
            word = match.group()
            before = line[: match.start()].rstrip()
            if not before or before[-1] in ".!?“\"‘'(:":
                continue  # a sentence's first word is capitalised whatever it is
            (capitalised if word[0].isupper() else lower).add(_plain(word))
    # shorter words are acronyms and numerals ("EU", "II"), written out elsewhere
    return frozenset(word for word in capitalised - lower - _NOT_NAMES if len(word) >= 4)


def asked_names(question: str, names: frozenset[str]) -> list[tuple[str, ...]]:
    """The names of `question` (as lower-cased word tuples), in order. A question typed with
    capitals names with them; one in lower case (or shouted) is read against `names` alone."""
    cased = question[1:] != question[1:].lower() and question != question.upper()
    asked: list[tuple[str, ...]] = []
    current: list[str] = []
    for match in _WORD.finditer(question):
        word = _plain(match.group())
        if word in names and (not cased or match.group()[0].isupper()):
            current.append(word)
            continue
        if current:
            asked.append(tuple(current))
            current = []
    if current:
        asked.append(tuple(current))
    return asked


def full_names(text: str) -> list[tuple[str, ...]]:
    """Runs of two or more capitalised words, one space apart, inside sentences ("Dave
    Halls", "Hannah Gutierrez Reed"): how articles name people, and the names most worth
    telling apart. A run after "the" names a thing ("the Daily Mail", "the Rust set")."""
    runs: list[tuple[str, list[str]]] = []  # (the word before the run, the run)
    previous = ""
    run_end = -1  # where the last capitalised word ended
    for match in _WORD.finditer(text):
        word = match.group()
        if word[0].isupper() and _plain(word) not in _NOT_NAMES:
            if not runs or text[run_end : match.start()] != " ":
                runs.append((previous, []))
            runs[-1][1].append(_plain(word))
            run_end = match.end()
        previous = word.lower()
    return [tuple(run) for before, run in runs if len(run) >= 2 and before != "the"]


def names_in(text: str, names: Iterable[str]) -> set[str]:
    """Which of `names` (lower-cased words) `text` holds."""
    wanted = set(names)
    return {_plain(m.group()) for m in _WORD.finditer(text)} & wanted


def names_all(text: str, asked: Iterable[tuple[str, ...]]) -> bool:
    """Whether `text` names every one of `asked`."""
    return all(_names(text, name) for name in asked)


def _names(text: str, name: tuple[str, ...]) -> bool:
    words = [(_plain(m.group()), m.group()[0].isupper()) for m in _WORD.finditer(text)]
    last = name[-1]
    for at, (word, _) in enumerate(words):
        if not _same_word(word, last):
            continue
        if len(name) == 1 or at == 0:
            return True
        previous, capitalised = words[at - 1]
        if not capitalised or _same_word(previous, name[-2]) or previous in _NOT_NAMES:
            return True
    return False


def _same_word(word: str, asked: str) -> bool:
    """The same word, or one of its forms: "Catholics" for "Catholic", "German" for
    "Germany" (a shared start of five letters, or all of a shorter one)."""
    if word == asked:
        return True
    shared = 0
    for a, b in zip(word, asked, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= 5 or (shared >= 4 and shared == min(len(word), len(asked)))


def title_topic(title: str) -> set[str]:
    """The name an encyclopedia-like title is ("Black Death", "Genghis Khan"): an article
    about it need not repeat it in every sentence. A headline that says more than a name
    ("Mickey Rourke Stands Firm That ...") names no topic."""
    words = [word for word in _WORD.findall(title.lower()) if len(word) > 3]
    return set(words) if 0 < len(words) <= 3 else set()


def _plain(word: str) -> str:
    return _POSSESSIVE.sub("", word).lower()


def name_after(text: str) -> tuple[str, ...] | None:
    """The full name `text` begins with, past a comma ("Halyna Hutchins" of " Halyna
    Hutchins."; ", Dave Halls, took"): the person a title just before it belongs to."""
    rest = text.lstrip(" ,")
    names = full_names(rest)
    return names[0] if names and _plain(rest.split(" ", 1)[0]) == names[0][0] else None
