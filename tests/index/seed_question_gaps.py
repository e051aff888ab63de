"""Which seed questions today's engine gets wrong, and the rule of issue 24 each breaks.

Kept apart from the cases (tests/index/seed_question_cases.py) so that no case is shaped by
today's output. Each entry becomes `xfail(strict=True, raises=<the breach>)`: the case fails
only on that rule, and once the engine keeps it the unexpected pass fails the run, so the
entry is deleted. Keys are case ids (the question; for a follow-up, the conversation).
"""

from __future__ import annotations

from tests.index.seed_article import (
    Breach,
    DirectNotShown,
    HeadingGlued,
    JoinedSentences,
    NearMissAnswered,
    NoClosestPassage,
    Refused,
    WrongDirect,
    WrongSentence,
)

REASONS: dict[type[Breach], str] = {
    Refused: "issue 24: refused: the article answers it, the engine says it does not",
    HeadingGlued: "issue 24: heading glued: a heading runs into the sentence after it",
    JoinedSentences: "issue 24: joined sentences: the text joins what the article does not",
    DirectNotShown: "issue 24: the bold words are not in the text shown under them",
    WrongSentence: "issue 24: wrong sentence: the text does not begin with the stating one",
    WrongDirect: "issue 24: wrong direct answer: the bold words are not the fact asked for",
    NearMissAnswered: "issue 24: near miss answered: the sentence is about someone else",
    NoClosestPassage: "issue 24: near miss refused without the closest passage",
}

# Today's engine (the int8 reader computes the same on every CPU, issue 22): 139 of the
# 158 cases pass; the others fail on these rules.
GAPS: dict[str, type[Breach]] = {
    "what was hutchins's role on the film": Refused,
    "Which paper talked to Mickey Rourke this week": Refused,
    "What does Rourke call bullshit?": Refused,
    "Why does Rourke say Baldwin is not to blame?": Refused,
    "what is the maximum sentence for each count": Refused,
    "Under what condition would the mandatory minimum apply?": Refused,
    "what charges does Gutierrez Reed face / and what about Halls? / how long?": Refused,
    "What charges does Alec Baldwin face? / who else?": Refused,
    "Who died on the set of Rust? / what was her job?": Refused,
    "who was killed in the rust shooting": WrongSentence,
    "WHO DIED?": WrongSentence,
    "In which state was the Rust set?": WrongSentence,
    "WHERE WAS THE RUST SET?": WrongSentence,
    "Who was the armorer on Rust? / what charges does she face?": WrongSentence,
    "Whose job is it to make sure the gun is not loaded?": WrongDirect,
    "What punishment did Hannah Gutierrez Reed get?": NearMissAnswered,
    "Who does Andrea Reed say is not to blame?": NearMissAnswered,
    "What is Andrea Reed's job on the Rust set?": NearMissAnswered,
    "How many more times would Baldwin dry fire the gun?": NearMissAnswered,
}
