"""Questions people ask about the shipped article, answered through the real model.

Each case names the sentence of the article that states its fact, copied exactly: the
answer a person reads first must *begin* with that sentence. A wording check alone passes
on a neighbouring sentence that happens to carry the words (the prosecutor's "In New
Mexico, ..." for "In which state was the Rust set?"), and several questions get the same
two-sentence answer, so only the first sentence tells which one the engine chose.

Where today's answer does not begin with the stating sentence, the case is kept as strict
as the others and marked `xfail(strict=True, raises=WrongFirstSentence)`, with the reason:
it fails only on that check (a refusal or a missing fact fails it for real), and once the
engine gets it right, the unexpected pass fails the run so that the mark is removed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from index import Answer, Engine, Turn
from index.ingest.chunking import split_sentences
from index.ingest.documents import load_file
from tests.conftest import PROJECT_ROOT, SEED_QUESTION

ARTICLE = PROJECT_ROOT / "corpus" / "rust-shooting-rourke-baldwin-2023-01-30.txt"

# The article's sentences that the cases below need, exactly as written in it.
HUTCHINS_DEATH = (
    "Mickey Rourke came to Alec Baldwin’s defense for a second time after learning that "
    "Balwin will face involuntary manslaughter charges for the death of Rust cinematographer "
    "Halyna Hutchins."
)
INSTAGRAM = "Rourke first shared his opinions on the matter in an Instagram post on Jan. 19."
DAILY_MAIL = (
    "The Daily Mail caught up with the actor as he was leaving a Hollywood dance studio this "
    "week and asked if he had any further comments on the matter."
)
DRY_FIRE = (
    "“And Alec, if he doesn’t have experience in guns or whatever… usually they dry fire the "
    "gun up to six times in front of you,” he continued."
)
TWELVE_MORE = "“If it is me, I will take it and do it 12 more times."
NOT_TO_BLAME = "It’s like, he is not to blame.”"
HEADLINE = "Mickey Rourke Stands Firm That Alec Baldwin is Not to ‘Blame’"
REHEARSING = (
    "The shooting happened while Baldwin was rehearsing with a prop gun on the Rust set in "
    "New Mexico."
)
COLD_GUN = (
    "An armorer told Baldwin the prop was a “cold gun,” meaning there were no live bullets in "
    "the chamber."
)
DONT_BLAME = "“But don’t put the blame on Alec Baldwin."
NOT_HIS_FAULT = "It is not his fault at all.”"
TWO_COUNTS = (
    "Alec Baldwin is facing two counts of involuntary manslaughter, which both carry a sentence "
    "of up to 18 months in jail."
)
ENHANCEMENT = (
    "Prosecutors also added an enhancement for use of a firearm, which could tack a mandatory "
    "minimum of five years to his sentence, if he is found guilty."
)
SAME_CHARGES = "Prosecutors are handing Rust armorer Hannah Gutierrez Reed the same charges."
PLEA_DEAL = (
    "The movie’s first assistant director, Dave Halls, took a plea deal to stay out of jail."
)
PROBATION = "He will serve six months of probation."
SPECIAL_PROSECUTOR = (
    "“It’s that simple,” Special Prosecutor Andrea Reed shared in a statement on Jan. 19."
)
EVIDENCE = (
    "“The evidence clearly shows a pattern of criminal disregard for safety on the Rust film set."
)


Fact = str | tuple[str, ...]  # a tuple: any of these wordings


@dataclass(frozen=True)
class Case:
    """A question, its fact, and the sentence that states it.

    `stating`: that sentence; a tuple when the article states the fact in more than one
    (either may come first). `leans_on`: for a sentence that states the fact only through
    what it refers back to ("the same charges"), that earlier sentence, which must then
    come first, followed by every sentence the article has between them, or, when that is
    too long to show, by an ellipsis and the stating one: never as if adjacent.
    """

    question: str
    fact: Fact
    stating: str | tuple[str, ...]
    leans_on: str | None = None

    @property
    def openings(self) -> tuple[str, ...]:
        """What the answer may begin with."""
        stating = (self.stating,) if isinstance(self.stating, str) else self.stating
        if self.leans_on is None:
            return stating
        return tuple(
            opening
            for sentence in stating
            for opening in (stretch(self.leans_on, sentence), f"{self.leans_on} … {sentence}")
        )

    @property
    def sentences(self) -> tuple[str, ...]:
        stating = (self.stating,) if isinstance(self.stating, str) else self.stating
        return stating if self.leans_on is None else (self.leans_on, *stating)


class WrongFirstSentence(AssertionError):
    """The answer states the fact but does not begin with the sentence that states it."""


# Why today's answer begins with another sentence; each names the limitation to lift.
RANKED_BELOW = (
    "ranking: another sentence of the passage outscores the one stating the fact, "
    "and the answer is built around it"
)
REFERENT_FIRST = (
    "composition: the stating sentence ranks first but leans on the one before it ('He', "
    "'also', 'the same', 'It’s'), and the answer puts that sentence first"
)
NEIGHBOUR_FIRST = (
    "composition: the stating sentence ranks first, but its better-scoring neighbour is the "
    "sentence before it, which the answer puts first"
)
MISREAD = (
    "reading: the span reader is surer of a span in another sentence ('cold gun', 'firearm') "
    "than of the answer in the stating one, and the answer is built around its sentence"
)


def stretch(first: str, last: str) -> str:
    """The article's text from sentence `first` to sentence `last`, spaces normalised."""
    text = " ".join(load_file(ARTICLE).text.split())
    start = text.index(first)
    return text[start : text.index(last, start) + len(last)]


def case(
    question: str,
    fact: Fact,
    stating: str | tuple[str, ...],
    leans_on: str | None = None,
) -> Case:
    return Case(question, fact, stating, leans_on)


def plain(item: object) -> Case:
    """The Case of a parameter, with or without its xfail mark."""
    value = item.values[0] if hasattr(item, "values") else item
    assert isinstance(value, Case)
    return value


def known_gap(item: Case, reason: str, raises: type[AssertionError] = WrongFirstSentence) -> object:
    return pytest.param(
        item, marks=pytest.mark.xfail(strict=True, raises=raises, reason=reason), id=item.question
    )


def misread(item: Case) -> object:
    """A case whose fact the answer misses: the span reader is wrongly sure elsewhere."""
    return known_gap(item, MISREAD, raises=AssertionError)


# "the same charges" are Baldwin's, stated in the sentence it refers back to
HEADLINE_CASE = case(SEED_QUESTION, "involuntary manslaughter", SAME_CHARGES, TWO_COUNTS)
CASES: list[object] = [
    HEADLINE_CASE,
    case(
        "What is Alec Baldwin charged with?",
        "involuntary manslaughter",
        (HUTCHINS_DEATH, TWO_COUNTS),
    ),
    case(
        "How many counts of involuntary manslaughter does Baldwin face?", "two counts", TWO_COUNTS
    ),
    case("How long could Baldwin spend in jail for each count?", "18 months", TWO_COUNTS),
    known_gap(
        case("What enhancement did prosecutors add?", "firearm", ENHANCEMENT), REFERENT_FIRST
    ),
    known_gap(
        case(
            "What mandatory minimum could the firearm enhancement add?", "five years", ENHANCEMENT
        ),
        REFERENT_FIRST,
    ),
    known_gap(
        case("Who died in the shooting on the Rust set?", "Hutchins", HUTCHINS_DEATH), RANKED_BELOW
    ),
    case("What was Halyna Hutchins' job?", "cinematographer", HUTCHINS_DEATH),
    known_gap(case("Who was the armorer on Rust?", "Gutierrez Reed", SAME_CHARGES), REFERENT_FIRST),
    case("What did Dave Halls agree to?", "plea deal", PLEA_DEAL),
    known_gap(case("How long is Halls' probation?", "six months", PROBATION), REFERENT_FIRST),
    case("Who was the first assistant director of the movie?", "Dave Halls", PLEA_DEAL),
    known_gap(case("In which state was the Rust set?", "New Mexico", REHEARSING), RANKED_BELOW),
    known_gap(
        case("What did the armorer tell Baldwin about the gun?", "cold gun", COLD_GUN),
        NEIGHBOUR_FIRST,
    ),
    known_gap(case("What does cold gun mean?", "no live bullets", COLD_GUN), NEIGHBOUR_FIRST),
    case("When did Rourke first share his opinion?", "Jan. 19", INSTAGRAM),
    case("Where did Mickey Rourke first post his opinion?", "Instagram", INSTAGRAM),
    known_gap(
        case("Which newspaper caught up with Rourke?", "Daily Mail", DAILY_MAIL), NEIGHBOUR_FIRST
    ),
    known_gap(
        case(
            "Where was Rourke leaving when he was asked for comments?", "dance studio", DAILY_MAIL
        ),
        NEIGHBOUR_FIRST,
    ),
    case("How many times do they usually dry fire a gun?", "six times", DRY_FIRE),
    known_gap(
        case("How many more times would Rourke dry fire the gun?", "12 more times", TWELVE_MORE),
        RANKED_BELOW,
    ),
    case("Who is the special prosecutor?", "Andrea Reed", SPECIAL_PROSECUTOR),
    case("What was Baldwin doing when the gun fired?", "rehearsing", REHEARSING),
    case(
        "Does Rourke think Baldwin is to blame?",
        ("not to blame", "not to ‘blame’", "don’t put the blame", "not his fault"),
        # the article's own headline states it too, in the middle of the text
        (NOT_TO_BLAME, DONT_BLAME, NOT_HIS_FAULT, HEADLINE),
    ),
    known_gap(
        case(
            "What does the evidence show according to the prosecutor?",
            "criminal disregard",
            EVIDENCE,
        ),
        NEIGHBOUR_FIRST,
    ),
]

ROUGH_CASES: list[object] = [
    case(
        "wat charjes does gutierez reed face", "involuntary manslaughter", SAME_CHARGES, TWO_COUNTS
    ),
    case(
        "WHAT CHARGES DOES GUTIERREZ REED FACE",
        "involuntary manslaughter",
        SAME_CHARGES,
        TWO_COUNTS,
    ),
    case(
        "what charges does gutierrez reed face",
        "involuntary manslaughter",
        SAME_CHARGES,
        TWO_COUNTS,
    ),
    case("baldwin jail time", "18 months", TWO_COUNTS),
    misread(case("halls probation", "six months", PROBATION)),
    known_gap(case("armorer name", "Gutierrez Reed", SAME_CHARGES), REFERENT_FIRST),
]

# (question, fact) of every case, for benchmarks/load_bot.py
QUESTIONS: list[tuple[str, Fact]] = [(plain(item).question, plain(item).fact) for item in CASES]

OFF_TOPIC = [
    "Who won the 2022 World Cup?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "What is the boiling point of water at sea level?",
    "Who is the CEO of Tesla?",
    "Explain quantum entanglement",
]


def _is_misread(item: object) -> bool:
    return any(getattr(mark, "kwargs", {}).get("reason") == MISREAD for mark in _marks(item))


def _marks(item: object) -> tuple[object, ...]:
    return tuple(getattr(item, "marks", ()))


def states(text: str, fact: Fact) -> bool:
    wordings = (fact,) if isinstance(fact, str) else fact
    return any(wording.lower() in text.lower() for wording in wordings)


def check_answer(answer: Answer, item: Case) -> None:
    """Answered, the fact in the short answer, and the answer begins with its sentence."""
    assert answer.confident, f"refused: {item.question!r}"
    assert states(answer.text, item.fact), answer.text
    if not answer.text.startswith(item.openings):
        raise WrongFirstSentence(
            f"{item.question!r}: the answer begins {answer.text[:90]!r}..., "
            f"not with {item.openings[0][:90]!r}"
        )


def article_sentences() -> list[str]:
    document = load_file(ARTICLE)
    return [document.text[s.start : s.end].strip() for s in split_sentences(document.text)]


@pytest.mark.parametrize(
    "checked", [plain(item) for item in CASES + ROUGH_CASES], ids=lambda item: item.question
)
def test_each_expected_opening_is_the_articles_own_sentence_and_holds_the_fact(
    checked: Case,
) -> None:
    """The expectations themselves: real sentences of the article (as the engine splits it),
    each holding the fact it is the answer for."""
    sentences = article_sentences()
    assert all(sentence in sentences for sentence in checked.sentences), checked.sentences
    for opening in checked.openings:
        assert states(opening, checked.fact), (checked.fact, opening)
    if checked.leans_on is not None:  # only for a sentence that cannot state it alone
        assert not states(checked.openings[0][len(checked.leans_on) :], checked.fact)


@pytest.mark.model
@pytest.mark.parametrize("item", CASES + ROUGH_CASES, ids=lambda item: plain(item).question)
def test_the_answer_begins_with_the_sentence_stating_the_fact(
    seed_engine: Engine, item: Case
) -> None:
    answer = seed_engine.answer(item.question)
    check_answer(answer, item)
    assert len(answer.text) <= 300
    assert answer.passages and answer.passages[0].title
    assert answer.passages[0].date == "2023-01-30"


@pytest.mark.model
def test_headline_question_resolves_the_same_charges(seed_engine: Engine) -> None:
    """'the same charges' is about Gutierrez Reed: the charges themselves come with it."""
    answer = seed_engine.answer(SEED_QUESTION)
    assert answer.confident
    # the enhancement sentence between them is left out, and the ellipsis says so
    assert answer.text == f"{TWO_COUNTS} … {SAME_CHARGES}"


@pytest.mark.model
@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_refused(seed_engine: Engine, question: str) -> None:
    answer = seed_engine.answer(question)
    assert not answer.confident, answer.text
    assert answer.text == "", "the wording of a refusal is the caller's"
    assert answer.topics, "a refusal names what the articles do cover"


BALDWIN_QUESTION = "What charges does Alec Baldwin face?"
FOLLOW_UP = "how long could he go to jail?"  # "he": only the conversation says who


@pytest.mark.model
def test_a_follow_up_is_understood_through_the_conversation_and_not_without_it(
    seed_engine: Engine,
) -> None:
    first = seed_engine.answer(BALDWIN_QUESTION)
    assert first.confident and "18 months" not in first.text  # the follow-up must find it
    answer = seed_engine.answer(FOLLOW_UP, [Turn(BALDWIN_QUESTION, first.text)])
    assert answer.confident
    assert answer.text.startswith(TWO_COUNTS)  # "... up to 18 months in jail."
    alone = seed_engine.answer(FOLLOW_UP)
    assert "18 months" not in alone.text, "without the conversation 'he' is nobody"


@pytest.mark.model
def test_the_follow_up_needs_the_earlier_question_not_just_any_history(
    seed_engine: Engine,
) -> None:
    """History about someone else does not make 'he' Baldwin."""
    about_halls = [Turn("What did Dave Halls agree to?", PLEA_DEAL)]
    answer = seed_engine.answer(FOLLOW_UP, about_halls)
    assert "18 months" not in answer.text, answer.text


@pytest.mark.model
@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "?!?"])
def test_empty_questions_get_a_refusal_not_an_error(seed_engine: Engine, question: str) -> None:
    answer = seed_engine.answer(question)
    assert not answer.confident


@pytest.mark.model
def test_batched_answers_match_single_answers(seed_engine: Engine) -> None:
    questions = [plain(item).question for item in CASES[:6]]
    batched = seed_engine.answer_many([(q, ()) for q in questions])
    singles = [seed_engine.answer(q) for q in questions]
    assert [a.text for a in batched] == [a.text for a in singles]
    assert all(a.confident for a in batched)


@pytest.mark.model
async def test_concurrent_async_questions_are_all_answered(seed_engine: Engine) -> None:
    cases = [plain(item) for item in CASES if not _is_misread(item)] * 3
    answers = await asyncio.gather(*(seed_engine.answer_async(c.question) for c in cases))
    assert [a.question for a in answers] == [c.question for c in cases]
    for answer, item in zip(answers, cases, strict=True):
        assert answer.confident, item.question
        assert states(answer.text, item.fact), item.question
    single = {c.question: seed_engine.answer(c.question).text for c in cases}
    assert [a.text for a in answers] == [single[c.question] for c in cases]


@pytest.mark.model
def test_an_independent_question_is_not_pulled_by_earlier_turns(seed_engine: Engine) -> None:
    history = [
        Turn("How long is Halls' probation?"),
        Turn("Which newspaper caught up with Rourke?"),
    ]
    answer = seed_engine.answer(SEED_QUESTION, history)
    # the referent, the gap marked, then the stating sentence (issue 24: never joined)
    assert answer.confident and answer.text == f"{TWO_COUNTS} … {SAME_CHARGES}"
    answer = seed_engine.answer("What was Halyna Hutchins' job?", history)
    assert answer.confident and answer.text.startswith(HUTCHINS_DEATH)


# (question, words its direct answer must hold): answers inside a quote, asked in other
# words than the article's ("spoke to" for "caught up with"), or leaning on a referent.
DIRECT_CASES = [
    (SEED_QUESTION, "involuntary manslaughter"),  # "the same charges": two sentences back
    ("Which newspaper spoke to Rourke?", "Daily Mail"),  # the article: "caught up with"
    ("How many times do they usually dry fire a gun?", "six"),  # inside a quote: "up to six"
    ("Who was the first assistant director of the movie?", "Dave Halls"),
    ("When did Rourke first share his opinion?", "Jan. 19"),
    ("How long could Baldwin spend in jail for each count?", "18 months"),
    ("Where did Mickey Rourke first post his opinion?", "Instagram"),
    ("What was Halyna Hutchins' job?", "cinematographer"),
]


@pytest.mark.model
@pytest.mark.parametrize(("question", "words"), DIRECT_CASES, ids=[q for q, _ in DIRECT_CASES])
def test_a_factual_question_gets_the_words_that_answer_it(
    seed_engine: Engine, question: str, words: str
) -> None:
    answer = seed_engine.answer(question)
    assert answer.confident, question
    assert words.lower() in answer.text.lower(), answer.text
    if answer.direct is None:
        return  # in bold only when the calibrated model says likely right (issue 24)
    assert words.lower() in answer.direct.lower(), answer.direct
    assert len(answer.direct.split()) <= 12  # words, not a passage
    assert answer.direct.lower() in answer.text.lower()  # shown above its sentence


@pytest.mark.model
@pytest.mark.xfail(
    strict=True,
    reason="issue 24: the reader moves the answer from the headline to the sentence after it, "
    "on the shooting, which names neither Rourke nor what he says: the subject check refuses it",
)
def test_a_question_asking_why_gets_its_sentence_but_no_direct_answer(seed_engine: Engine) -> None:
    answer = seed_engine.answer("Why does Rourke say Baldwin is not to blame?")
    assert answer.confident and answer.direct is None


# The reader's no-answer score does not separate these from answerable questions at the
# refusal rate people accept (docs/quality.md, "I don't know": 6 % of unanswerable
# questions refused at 2 % of answerable ones), and they ask for no time or quantity that
# index/answer/kinds.py could miss: they are answered, confidently and wrongly.
ANSWERED_NEAR_MISS = (
    "answered: the reader finds a plausible span ('involuntary manslaughter', 'Hannah "
    "Gutierrez') and its no-answer score stays below it"
)


def answered_near_miss(question: str) -> object:
    mark = pytest.mark.xfail(strict=True, raises=AssertionError, reason=ANSWERED_NEAR_MISS)
    return pytest.param(question, marks=mark, id=question)


# About the article's people and events, but the article does not say (issue 15).
NEAR_MISSES = [
    answered_near_miss("What charges does Baldwin's wife face?"),
    answered_near_miss("Who is the director of Rust?"),
    "How much bail did Baldwin post?",
    "Which studio produced Rust?",
    "What did Hutchins' family say about Baldwin?",
    # Asking for a time or a quantity the article does not give: the reader's best span is
    # none ("Alec Baldwin", "two counts of involuntary manslaughter", "prop gun").
    "When is Baldwin's trial date?",
    "How old is Mickey Rourke?",
    "When did the shooting happen?",
    "How many people were injured in the shooting?",
    "How much was Baldwin paid for Rust?",
    "When will Gutierrez Reed be sentenced?",
    "How long has Rourke known Baldwin?",
]


@pytest.mark.model
@pytest.mark.parametrize("question", NEAR_MISSES)
def test_a_near_miss_is_refused_with_the_closest_passage(
    seed_engine: Engine, question: str
) -> None:
    answer = seed_engine.answer(question)
    assert not answer.confident, (answer.direct, answer.text)
    assert answer.closest is not None and answer.closest in answer.passages


@pytest.mark.model
def test_a_direct_answer_never_runs_across_sentences(seed_engine: Engine) -> None:
    """Before this rule, "who died" got "Mickey Rourke added. “But don’t put the blame on
    Alec Baldwin" (two sentences of a quote): no direct answer is better than that."""
    questions = ["who died"] + [plain(item).question for item in CASES + ROUGH_CASES]
    sentences = article_sentences()
    for question in questions:
        direct = seed_engine.answer(question).direct
        assert direct is None or any(direct in sentence for sentence in sentences), (
            question,
            direct,
        )
    assert seed_engine.answer("who died").direct is None
