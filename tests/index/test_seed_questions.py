"""The shipped article, thoroughly (issue 24, item 4): questions about every fact, near misses
whose answer belongs to the person next to the one asked about, and follow-ups.

Every answered question is held to the same contract (tests/index/seed_article.py:
`contract_breaches`): the text is the article's own consecutive sentences (or stretches of
them joined by " … "), no heading glued to the next sentence, the bold words inside the text,
and the text beginning with the sentence that states the fact or the referent it leans on.
Today's failures are listed in tests/index/seed_question_gaps.py, each with the rule it
breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

from index import Answer, Engine, Turn
from tests.index.seed_article import (
    ARTICLE,
    COLD_GUN,
    DEATH,
    ENHANCEMENT,
    GAP,
    HEADLINE,
    PLEA_DEAL,
    POINTING,
    PROBATION,
    REHEARSING,
    SAME_CHARGES,
    SENTENCES,
    THAT_SIMPLE,
    TWO_COUNTS,
    Breach,
    DirectNotShown,
    HeadingGlued,
    JoinedSentences,
    NearMissAnswered,
    NoClosestPassage,
    Refused,
    WrongDirect,
    WrongSentence,
    contract_breaches,
    raise_first,
    read_sentences,
    referents,
)
from tests.index.seed_question_cases import CASES, FOLLOW_UPS, NEAR_MISSES, Case, FollowUp
from tests.index.seed_question_gaps import GAPS, REASONS

MAX_DIRECT_WORDS = 12  # words, not a passage


def answer_breaches(answer: Answer, case: Case) -> list[Breach]:
    """Every rule `answer` breaks for `case`: answered, the contract, the sentences the fact
    needs, and the fact in the direct answer."""
    if not answer.confident:
        return [Refused(f"{case.question!r} refused")]
    breaches = contract_breaches(answer, case.stating)
    breaches += [
        WrongSentence(f"{needed[:50]!r}, which the fact needs, is not shown")
        for needed in case.needs
        if needed not in answer.text
    ]
    direct_breach = _direct_breach(answer.direct, case)
    return breaches + ([direct_breach] if direct_breach else [])


def _direct_breach(direct: str | None, case: Case) -> Breach | None:
    wordings = case.wordings()
    expected = [wording for wording in wordings if wording is not None]
    if direct is None:
        # issue 24: the fact in `direct`, or `direct` null: a bold answer is shown only when
        # likely right, and the sentence stating the fact is checked either way
        return None
    if not expected:
        return WrongDirect(f"{direct!r} in bold where no short answer fits")
    if len(direct.split()) > MAX_DIRECT_WORDS:
        return WrongDirect(f"{direct!r} is a passage, not the words that answer")
    if not any(wording.lower() in direct.lower() for wording in expected):
        return WrongDirect(f"{direct!r} in bold, expected one of {expected}")
    return None


def near_miss_breaches(answer: Answer) -> list[Breach]:
    if answer.confident:
        return [NearMissAnswered(f"answered {answer.direct!r}: {answer.text[:90]!r}")]
    if answer.closest is None:
        return [NoClosestPassage(f"{answer.question!r} refused without the closest passage")]
    return []


def with_gaps(ids: Iterable[tuple[str, object]]) -> list[object]:
    """Parameters, each known gap marked xfail for exactly the rule it breaks."""
    params: list[object] = []
    for case_id, value in ids:
        breach = GAPS.get(case_id)
        marks = (
            [pytest.mark.xfail(strict=True, raises=breach, reason=REASONS[breach])]
            if breach
            else []
        )
        params.append(pytest.param(value, id=case_id, marks=marks))
    return params


def conversation(engine: Engine, earlier: Iterable[str]) -> list[Turn]:
    """The history a chat keeps after asking `earlier` in turn."""
    history: list[Turn] = []
    for question in earlier:
        history.append(Turn(question, engine.answer(question, history).text))
    return history


# --- the expectations themselves (no model) ---


def test_the_article_splits_into_its_sentences_without_losing_a_word() -> None:
    raw = ARTICLE.read_text(encoding="utf-8")
    body = raw.split("2023-01-30", 1)[1]
    assert " ".join(s.text for s in SENTENCES).split() == body.split()
    assert [s.text for s in SENTENCES if s.heading] == [HEADLINE]
    assert len(SENTENCES) == 27
    assert "Jan. 19." in SENTENCES[1].text  # "Jan." does not end a sentence


def test_the_splitter_ends_sentences_at_quotes_and_keeps_headings_apart() -> None:
    sentences = read_sentences(
        "date 2024-01-02\nA Heading Here\n\n“It went. Well,” he said. Yes!\n"
    )
    assert [(s.text, s.heading) for s in sentences] == [
        ("A Heading Here", True),
        ("“It went.", False),
        ("Well,” he said.", False),
        ("Yes!", False),
    ]


def test_there_are_enough_questions_and_each_is_asked_once() -> None:
    assert len(CASES) >= 80 and len(NEAR_MISSES) >= 20 and len(FOLLOW_UPS) >= 15
    ids = [case.id for case in [*CASES, *FOLLOW_UPS]] + NEAR_MISSES
    assert len(ids) == len(set(ids))
    assert not {case.question for case in CASES} & set(NEAR_MISSES)


@pytest.mark.parametrize("case", [*CASES, *FOLLOW_UPS], ids=lambda case: case.id)
def test_each_fact_is_in_the_sentences_named_for_it(case: Case) -> None:
    shown = " ".join((*case.needs, *case.stating)).lower()
    for wording in case.wordings():
        assert wording is None or wording.lower() in shown, (wording, case.stating)


def test_every_known_gap_is_a_case_and_names_a_rule() -> None:
    ids = {case.id for case in [*CASES, *FOLLOW_UPS]} | set(NEAR_MISSES)
    assert set(GAPS) <= ids, set(GAPS) - ids
    assert all(breach in REASONS for breach in GAPS.values())


def answer(text: str, direct: str | None = None) -> Answer:
    return Answer("q", text, True, direct=direct)


def breach_types(found: list[Breach]) -> list[type[Breach]]:
    return [type(breach) for breach in found]


def test_the_contract_refuses_what_issue_24_saw() -> None:
    """The checker catches each answer the issue quotes, and lets the honest ones through."""
    stitched = answer(f"{TWO_COUNTS} {SAME_CHARGES}", "involuntary manslaughter")
    assert breach_types(contract_breaches(stitched, [SAME_CHARGES])) == [JoinedSentences]
    glued = answer(f"{HEADLINE} {REHEARSING}")
    assert breach_types(contract_breaches(glued, [REHEARSING])) == [HeadingGlued]
    elsewhere = answer(PROBATION, "Hannah Gutierrez Reed")
    assert DirectNotShown in breach_types(contract_breaches(elsewhere, [SAME_CHARGES]))
    assert WrongSentence in breach_types(contract_breaches(elsewhere, [SAME_CHARGES]))
    before = answer(f"{SAME_CHARGES} {PLEA_DEAL}", "Dave Halls")
    assert breach_types(contract_breaches(before, [PLEA_DEAL])) == [WrongSentence]
    backwards = answer(f"{PLEA_DEAL}{GAP}{TWO_COUNTS}")
    assert breach_types(contract_breaches(backwards, [PLEA_DEAL])) == [JoinedSentences]
    made_up = answer("Halls will serve six months of probation.")
    assert breach_types(contract_breaches(made_up, [PROBATION])) == [JoinedSentences, WrongSentence]
    skipped_referent = answer(f"{POINTING} {COLD_GUN}")  # COLD_GUN leans on REHEARSING
    assert breach_types(contract_breaches(skipped_referent, [COLD_GUN])) == [WrongSentence]


def test_the_contract_lets_a_referent_lead_with_all_between_or_an_ellipsis() -> None:
    for text, stating in (
        (f"{TWO_COUNTS} {ENHANCEMENT} {SAME_CHARGES}", SAME_CHARGES),
        (f"{TWO_COUNTS}{GAP}{SAME_CHARGES}", SAME_CHARGES),
        (f"{SAME_CHARGES} {PLEA_DEAL}", SAME_CHARGES),
        (f"{HEADLINE}\n{REHEARSING}", HEADLINE),
        (f"{PLEA_DEAL} {PROBATION}", PROBATION),
        (PROBATION, PROBATION),
    ):
        assert contract_breaches(answer(text), [stating]) == [], text
    assert referents(SAME_CHARGES) == [TWO_COUNTS]
    assert referents(DEATH) == [] and referents(THAT_SIMPLE) == []


def test_a_case_fails_on_the_first_rule_in_precedence_listing_all() -> None:
    case = CASES[0]
    found = answer_breaches(answer(f"{HEADLINE} {REHEARSING}", "cold gun"), case)
    with pytest.raises(HeadingGlued, match="WrongDirect"):
        raise_first(found)
    refused = Answer("q", "", False)
    assert breach_types(answer_breaches(refused, case)) == [Refused]
    assert breach_types(near_miss_breaches(answer(DEATH))) == [NearMissAnswered]
    assert breach_types(near_miss_breaches(refused)) == [NoClosestPassage]


# --- the engine (the real model) ---


@pytest.mark.model
@pytest.mark.parametrize("case", with_gaps((case.id, case) for case in CASES))
def test_each_fact_is_answered_from_the_sentence_stating_it(
    seed_engine: Engine, case: Case
) -> None:
    raise_first(answer_breaches(seed_engine.answer(case.question), case))


@pytest.mark.model
@pytest.mark.parametrize("question", with_gaps((question, question) for question in NEAR_MISSES))
def test_a_near_miss_about_the_person_next_door_is_refused_with_the_closest_passage(
    seed_engine: Engine, question: str
) -> None:
    raise_first(near_miss_breaches(seed_engine.answer(question)))


@pytest.mark.model
@pytest.mark.parametrize("follow_up", with_gaps((case.id, case) for case in FOLLOW_UPS))
def test_a_follow_up_is_answered_through_the_conversation(
    seed_engine: Engine, follow_up: FollowUp
) -> None:
    history = conversation(seed_engine, follow_up.earlier)
    raise_first(answer_breaches(seed_engine.answer(follow_up.question, history), follow_up))


_HEADING_GLUED = re.compile(re.escape(HEADLINE) + r"[ \t]+\S")


@pytest.mark.model
def test_no_passage_glues_the_heading_to_the_next_sentence(seed_engine: Engine) -> None:
    """Item 6: the passages shown under answers keep the heading apart too (the questions
    whose answers sit around it)."""
    around = [case.question for case in CASES if {HEADLINE, REHEARSING} & set(case.stating)]
    glued = {
        question: passage.text[:120]
        for question in around
        for passage in seed_engine.answer(question).passages
        if _HEADING_GLUED.search(passage.text)
    }
    assert around and not glued, glued
