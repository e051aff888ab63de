"""Questions people ask about the shipped article, answered through the real model.

Each expected fact must appear in the short `answer` (what a person reads first), not
merely somewhere in the passages.
"""

from __future__ import annotations

import pytest

from index import Engine, Turn
from tests.conftest import SEED_QUESTION

pytestmark = pytest.mark.model  # what the real model answers about the shipped article

Fact = str | tuple[str, ...]  # a tuple: any of these wordings


def states(text: str, fact: Fact) -> bool:
    wordings = (fact,) if isinstance(fact, str) else fact
    return any(wording.lower() in text.lower() for wording in wordings)


QUESTIONS: list[tuple[str, Fact]] = [
    (SEED_QUESTION, "involuntary manslaughter"),
    ("What is Alec Baldwin charged with?", "involuntary manslaughter"),
    ("How many counts of involuntary manslaughter does Baldwin face?", "two counts"),
    ("How long could Baldwin spend in jail for each count?", "18 months"),
    ("What enhancement did prosecutors add?", "firearm"),
    ("What mandatory minimum could the firearm enhancement add?", "five years"),
    ("Who died in the shooting on the Rust set?", "Hutchins"),
    ("What was Halyna Hutchins' job?", "cinematographer"),
    ("Who was the armorer on Rust?", "Gutierrez Reed"),
    ("What did Dave Halls agree to?", "plea deal"),
    ("How long is Halls' probation?", "six months"),
    ("Who was the first assistant director of the movie?", "Dave Halls"),
    ("In which state was the Rust set?", "New Mexico"),
    ("What did the armorer tell Baldwin about the gun?", "cold gun"),
    ("What does cold gun mean?", "no live bullets"),
    ("When did Rourke first share his opinion?", "Jan. 19"),
    ("Where did Mickey Rourke first post his opinion?", "Instagram"),
    ("Which newspaper caught up with Rourke?", "Daily Mail"),
    ("Where was Rourke leaving when he was asked for comments?", "dance studio"),
    ("How many times do they usually dry fire a gun?", "six times"),
    ("How many more times would Rourke dry fire the gun?", "12 more times"),
    ("Who is the special prosecutor?", "Andrea Reed"),
    ("What was Baldwin doing when the gun fired?", "rehearsing"),
    (
        "Does Rourke think Baldwin is to blame?",
        ("not to blame", "not to ‘blame’", "don’t put the blame", "not his fault"),
    ),
    ("What does the evidence show according to the prosecutor?", "criminal disregard"),
]

ROUGH_QUESTIONS: list[tuple[str, Fact]] = [
    ("wat charjes does gutierez reed face", "involuntary manslaughter"),
    ("WHAT CHARGES DOES GUTIERREZ REED FACE", "involuntary manslaughter"),
    ("what charges does gutierrez reed face", "involuntary manslaughter"),
    ("baldwin jail time", "18 months"),
    ("halls probation", "six months"),
    ("armorer name", "Gutierrez Reed"),
]

OFF_TOPIC = [
    "Who won the 2022 World Cup?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "What is the boiling point of water at sea level?",
    "Who is the CEO of Tesla?",
    "Explain quantum entanglement",
]


@pytest.mark.parametrize(("question", "fact"), QUESTIONS + ROUGH_QUESTIONS)
def test_answer_states_the_fact(seed_engine: Engine, question: str, fact: Fact) -> None:
    answer = seed_engine.answer(question)
    assert answer.confident, f"refused: {question!r}"
    assert states(answer.text, fact), answer.text
    assert len(answer.text) <= 300
    assert answer.passages and answer.passages[0].title
    assert answer.passages[0].date == "2023-01-30"


def test_headline_question_resolves_the_same_charges(seed_engine: Engine) -> None:
    answer = seed_engine.answer(SEED_QUESTION)
    assert "involuntary manslaughter" in answer.text
    assert "Gutierrez Reed" in answer.text  # the sentence that says "the same charges"


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_refused(seed_engine: Engine, question: str) -> None:
    answer = seed_engine.answer(question)
    assert not answer.confident, answer.text
    assert answer.text == "", "the wording of a refusal is the caller's"
    assert answer.topics, "a refusal names what the articles do cover"


def test_follow_up_uses_the_conversation(seed_engine: Engine) -> None:
    history = [Turn(SEED_QUESTION, seed_engine.answer(SEED_QUESTION).text)]
    answer = seed_engine.answer("and what about Halls?", history)
    assert answer.confident
    assert "plea deal" in answer.text
    alone = seed_engine.answer("and what about Halls?")
    assert "Halls" in alone.text  # without history it still finds Halls, the topic differs


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "?!?"])
def test_empty_questions_get_a_refusal_not_an_error(seed_engine: Engine, question: str) -> None:
    answer = seed_engine.answer(question)
    assert not answer.confident


def test_batched_answers_match_single_answers(seed_engine: Engine) -> None:
    questions = [q for q, _ in QUESTIONS[:6]]
    batched = seed_engine.answer_many([(q, ()) for q in questions])
    assert [a.text for a in batched] == [seed_engine.answer(q).text for q in questions]


async def test_concurrent_async_questions_are_all_answered(seed_engine: Engine) -> None:
    import asyncio

    questions = [q for q, _ in QUESTIONS] * 3
    answers = await asyncio.gather(*(seed_engine.answer_async(q) for q in questions))
    assert [a.question for a in answers] == questions
    for answer, (_, fact) in zip(answers, QUESTIONS * 3, strict=True):
        assert states(answer.text, fact)


def test_an_independent_question_is_not_pulled_by_earlier_turns(seed_engine: Engine) -> None:
    history = [
        Turn("How long is Halls' probation?"),
        Turn("Which newspaper caught up with Rourke?"),
    ]
    answer = seed_engine.answer(SEED_QUESTION, history)
    assert "involuntary manslaughter" in answer.text
    answer = seed_engine.answer("What was Halyna Hutchins' job?", history)
    assert "cinematographer" in answer.text
