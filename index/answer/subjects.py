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
    """Lower-cased words the texts capitalise inside a sentence (not after a full stop, and
    not in a heading, which capitalises every word)."""
    found: set[str] = set()
    for line in (line for text in texts for line in text.splitlines()):
        if line.strip().rstrip("\"'”’»)]")[-1:] not in ".!?…":
            continue  # a heading or a table row, which capitalise for other reasons
        text = line
        for match in _WORD.finditer(text):
            word = match.group()
            before = text[: match.start()].rstrip()
            starts_sentence = not before or before[-1] in ".!?“\"‘'(:\n"
            if word[0].isupper() and not starts_sentence:
                found.add(_plain(word))
    return frozenset(found - _NOT_NAMES)


def asked_names(question: str, names: frozenset[str]) -> list[tuple[str, ...]]:
    """The names of `question` (as lower-cased word tuples), in order."""
    asked: list[tuple[str, ...]] = []
    current: list[str] = []
    for match in _WORD.finditer(question):
        word = _plain(match.group())
        if word in names:
            current.append(word)
            continue
        if current:
            asked.append(tuple(current))
            current = []
    if current:
        asked.append(tuple(current))
    return asked


def names_all(text: str, asked: Iterable[tuple[str, ...]]) -> bool:
    """Whether `text` names every one of `asked`."""
    return all(_names(text, name) for name in asked)


def _names(text: str, name: tuple[str, ...]) -> bool:
    words = [(_plain(m.group()), m.group()[0].isupper()) for m in _WORD.finditer(text)]
    last = name[-1]
    for at, (word, _) in enumerate(words):
        if word != last:
            continue
        if len(name) == 1 or at == 0:
            return True
        previous, capitalised = words[at - 1]
        if not capitalised or previous == name[-2] or previous in _NOT_NAMES:
            return True
    return False


def _plain(word: str) -> str:
    return _POSSESSIVE.sub("", word).lower()
