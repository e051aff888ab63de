"""What kind of answer a question asks for, and whether a span is one (index/answer/kinds.py)."""

from __future__ import annotations

import pytest

from index.answer.kinds import Kind, answers_kind, asked_kind, fits


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When is Baldwin's trial date?", Kind.TIME),
        ("when did the shooting happen", Kind.TIME),
        ("In what year did Warsaw join the EU?", Kind.TIME),
        ("What century was the castle built in?", Kind.TIME),
        ("How old is Mickey Rourke?", Kind.QUANTITY),
        ("How many counts does Baldwin face?", Kind.QUANTITY),
        ("how long is halls probation", Kind.QUANTITY),
        ("What percentage of teachers are women?", Kind.QUANTITY),
        ("Who is the special prosecutor?", Kind.PERSON),
        ("Where was the Rust set?", Kind.PLACE),
        ("What charges does Gutierrez Reed face?", None),
        # A "when" clause before the ask does not ask for a time.
        ("When violence is used, what is civil disobedience called?", None),
        ("When John Fox left, who replaced him?", None),
    ],
)
def test_the_kind_a_question_asks_for(question: str, kind: Kind | None) -> None:
    assert asked_kind(question) is kind


@pytest.mark.parametrize(
    ("kind", "span"),
    [
        (Kind.TIME, "Jan. 19"),
        (Kind.TIME, "1948"),
        (Kind.TIME, "last weekend of September"),
        (Kind.TIME, "after the end of the Mexican War"),
        (Kind.TIME, "the 14th century"),
        (Kind.QUANTITY, "six"),
        (Kind.QUANTITY, "18 months"),
        (Kind.QUANTITY, "$1.2 billion"),
        (Kind.QUANTITY, "several"),
        (Kind.QUANTITY, "biennial"),
    ],
)
def test_spans_of_the_kind_fit(kind: Kind, span: str) -> None:
    assert fits(kind, span)


@pytest.mark.parametrize(
    ("question", "span"),
    [
        ("How old is Mickey Rourke?", "Alec Baldwin"),
        ("When is Baldwin's trial date?", "two counts of involuntary manslaughter"),
        ("How much was Baldwin paid for Rust?", "prop gun"),
        ("When will Gutierrez Reed be sentenced?", "Rust armorer"),
    ],
)
def test_a_span_of_another_kind_does_not_answer(question: str, span: str) -> None:
    assert not answers_kind(question, span)


def test_who_and_where_weigh_on_bold_answers_but_never_refuse() -> None:
    """A person or a place is often a role or a thing ("the armorer", "on the set"): their
    kind only weighs on whether a direct answer is shown (index/answer/direct.py)."""
    assert fits(Kind.PERSON, "Andrea Reed") and fits(Kind.PERSON, "the armorer")
    assert not fits(Kind.PERSON, "six months of probation")
    assert fits(Kind.PLACE, "New Mexico") and not fits(Kind.PLACE, "a prop gun")
    assert answers_kind("Who is the special prosecutor?", "six months of probation")
    assert answers_kind("Where was the Rust set?", "a prop gun")


def test_a_question_asking_for_no_kind_takes_any_span() -> None:
    assert answers_kind("Who is the special prosecutor?", "Andrea Reed")
    assert answers_kind("What charges does Gutierrez Reed face?", "the same charges")
