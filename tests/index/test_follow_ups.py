"""The one question the span reader reads for a follow-up (index/answer/follow_ups.py)."""

from __future__ import annotations

import pytest

from index.answer.follow_ups import as_read, names_only_whom, reads_as_one


@pytest.mark.parametrize(
    ("follow_up", "earlier", "read"),
    [
        # a bare question word asks the earlier question again with it
        (
            "when?",
            "Where did Mickey Rourke first post his opinion?",
            "when did Mickey Rourke first post his opinion?",
        ),
        ("and where?", "When did Rourke post?", "where did Rourke post?"),
        ("how long?", "What did Halls get?", "how long did Halls get?"),
        # a question word that is the earlier question's subject cannot be swapped
        ("why?", "Who took a plea deal?", "why? took a plea deal?"),
        ("who else?", "What charges does Baldwin face?", "who else? Baldwin face?"),
        # a question of its own comes first, the earlier one says who "he" is, without its
        # question phrase, so that what it asked is not asked again
        (
            "how long could he go to jail?",
            "What charges does Alec Baldwin face?",
            "how long could he go to jail? Alec Baldwin face?",
        ),
        ("did she plead?", "Who was the armorer?", "did she plead? the armorer?"),
        (
            "where was he?",
            "Which newspaper caught up with Rourke?",
            "where was he? newspaper caught up with Rourke?",
        ),
        # only whom it is about: the earlier question says what is asked
        (
            "and what about Halls?",
            "what charges does Gutierrez Reed face",
            "what charges does Gutierrez Reed face and what about Halls?",
        ),
        ("and the armorer?", "Who was the director?", "Who was the director? and the armorer?"),
    ],
)
def test_a_follow_up_is_read_as_one_question(follow_up: str, earlier: str, read: str) -> None:
    assert as_read(follow_up, earlier) == read


def test_a_question_on_its_own_is_read_as_asked() -> None:
    assert as_read("when?", None) == "when?"
    assert as_read("Who took a plea deal?", "") == "Who took a plea deal?"


@pytest.mark.parametrize(
    ("question", "only_whom"),
    [
        ("and what about Halls?", True),
        ("What about Dave Halls", True),
        ("and Baldwin?", True),
        ("and the armorer?", True),
        ("and when?", False),  # a bare question word asks the earlier question again
        ("and how long could he go to jail?", False),  # a question of its own
        ("what charges does Halls face", False),
        ("Halls?", False),
    ],
)
def test_a_question_naming_only_whom_it_is_about(question: str, only_whom: bool) -> None:
    """Such a question is answered by what the article says of that person (a later
    sentence naming them, index/answer/composition.py), not only by a span it reads."""
    assert names_only_whom(question) is only_whom


@pytest.mark.parametrize(
    ("follow_up", "earlier", "one"),
    [
        ("when?", "Where did Rourke post?", True),  # "when did Rourke post?"
        ("what did she say?", "Who is the special prosecutor?", True),
        ("and what about Halls?", "what charges does Gutierrez Reed face", True),
        ("who else?", "What charges does Baldwin face?", False),  # "who else? Baldwin face?"
        ("why?", "Who took a plea deal?", False),
        ("when?", None, False),  # no earlier question: not a follow-up
    ],
)
def test_a_follow_up_reads_as_one_question_only_where_the_reading_is_one(
    follow_up: str, earlier: str | None, one: bool
) -> None:
    """Only such a follow-up may be answered below retrieval's threshold, where the reader
    answers it outright (index/answer/composition.py: `_read_for_few_words`)."""
    assert reads_as_one(follow_up, earlier) is one
