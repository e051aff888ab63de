"""Whom a question is about, and whether a sentence names them (index/answer/subjects.py)."""

from __future__ import annotations

import pytest

from index.answer.subjects import asked_names, name_after, name_words, names_all

ARTICLE = (
    "Prosecutors are handing Rust armorer Hannah Gutierrez Reed the same charges. "
    "The movie’s first assistant director, Dave Halls, took a plea deal. "
    "“It’s that simple,” Special Prosecutor Andrea Reed shared in a statement.\n\n"
    "Mickey Rourke Stands Firm That Alec Baldwin is Not to ‘Blame’\n\n"
    "The shooting happened while Baldwin was rehearsing."
)
NAMES = name_words([ARTICLE])


def test_names_are_the_words_written_capitalised_inside_sentences() -> None:
    assert {"hannah", "gutierrez", "reed", "dave", "halls", "andrea", "baldwin"} <= NAMES
    assert "prosecutors" not in NAMES  # capitalised only at the start of its sentence
    assert "stands" not in NAMES and "firm" not in NAMES  # a heading capitalises every word


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What charges does Gutierrez Reed face?", [("gutierrez", "reed")]),
        ("what charges does gutierrez reed face", [("gutierrez", "reed")]),  # typed lower-case
        ("What did Dave Halls' lawyer say?", [("dave", "halls")]),
        ("Who is the armorer?", []),
        ("Did Baldwin talk to Andrea Reed?", [("baldwin",), ("andrea", "reed")]),
    ],
)
def test_the_names_a_question_asks_about(question: str, names: list[tuple[str, ...]]) -> None:
    assert asked_names(question, NAMES) == names


@pytest.mark.parametrize(
    ("sentence", "name", "named"),
    [
        (
            "Prosecutors are handing Rust armorer Hannah Gutierrez Reed the charges.",
            ("gutierrez", "reed"),
            True,
        ),
        ("Special Prosecutor Andrea Reed shared a statement.", ("gutierrez", "reed"), False),
        ("Special Prosecutor Andrea Reed shared a statement.", ("reed",), True),
        ("The shooting happened while Baldwin was rehearsing.", ("alec", "baldwin"), True),
        ("Alec Baldwin is facing two counts.", ("baldwin",), True),
        ("He will serve six months of probation.", ("dave", "halls"), False),
    ],
)
def test_a_sentence_names_someone_by_whole_name_or_last_name(
    sentence: str, name: tuple[str, ...], named: bool
) -> None:
    assert names_all(sentence, [name]) is named


@pytest.mark.parametrize(
    ("after", "name"),
    [
        (" Halyna Hutchins.", ("halyna", "hutchins")),  # "Rust cinematographer Halyna Hutchins"
        (", Dave Halls, took a plea deal", ("dave", "halls")),  # "first assistant director, ..."
        (" to his sentence, if he is found guilty", None),
        (" on the Rust set in New Mexico", None),  # a name further on titles nobody here
        (" New Mexico", ("new", "mexico")),
    ],
)
def test_a_title_belongs_to_the_name_right_after_it(
    after: str, name: tuple[str, ...] | None
) -> None:
    """What the span is followed by says whose title it is (index/answer/composition.py:
    asked Mickey Rourke's job, "cinematographer" is Halyna Hutchins')."""
    assert name_after(after) == name
