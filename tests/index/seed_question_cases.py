"""Questions about every fact of the shipped article, as people ask them (issue 24, item 4).

Written from the article alone: each case names the words its direct answer must hold and
the sentence of the article that states them (tests/index/seed_article.py). Wordings vary on
purpose: paraphrased, misspelled, SHOUTED, lower case, with and without a question mark.
Which of them today's engine gets wrong is not recorded here but in
tests/index/seed_question_gaps.py, so that no case is shaped by today's output.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import SEED_QUESTION
from tests.index.seed_article import (
    BULLSHIT,
    COLD_GUN,
    DAILY_MAIL,
    DEATH,
    DONT_BLAME,
    DRY_FIRE,
    ENHANCEMENT,
    EVIDENCE,
    FEEL_BAD,
    HANDED_A_GUN,
    HEADLINE,
    INSTAGRAM,
    LIVE_BULLET,
    NO_ROOM,
    NOT_HIS_FAULT,
    NOT_TO_BLAME,
    PLEA_DEAL,
    POINTING,
    PROBATION,
    REHEARSING,
    SAME_CHARGES,
    SO_BLAME,
    TESTED,
    THAT_SIMPLE,
    TWELVE_MORE,
    TWO_COUNTS,
)

# What the direct answer must hold: one wording, or any of several; None in a tuple allows
# no direct answer at all, and None alone demands none (a why or yes/no question).
Fact = str | tuple[str | None, ...] | None
NO_DIRECT: Fact = None


@dataclass(frozen=True)
class Case:
    """A question, the words its direct answer holds, and the sentences that state them.

    `stating`: any one of these states the fact. `needs`: sentences the stating one leans on
    for the fact itself ("the same charges" are Baldwin's "involuntary manslaughter"), which
    the answer must show too.
    """

    question: str
    fact: Fact
    stating: tuple[str, ...]
    needs: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.question

    def wordings(self) -> tuple[str | None, ...]:
        return self.fact if isinstance(self.fact, tuple) else (self.fact,)


@dataclass(frozen=True)
class FollowUp(Case):
    """A question asked after `earlier` ones in the same conversation, each earlier one
    answered by the engine as it goes (the history a chat keeps)."""

    earlier: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return " / ".join((*self.earlier, self.question))


def ask(question: str, fact: Fact, *stating: str, needs: tuple[str, ...] = ()) -> Case:
    return Case(question, fact, stating, needs)


def after(*earlier: str) -> _FollowUpOf:
    return _FollowUpOf(earlier)


@dataclass(frozen=True)
class _FollowUpOf:
    earlier: tuple[str, ...]

    def ask(
        self, question: str, fact: Fact, *stating: str, needs: tuple[str, ...] = ()
    ) -> FollowUp:
        return FollowUp(question, fact, stating, needs, earlier=self.earlier)


MANSLAUGHTER = "involuntary manslaughter"
BALDWIN_CHARGED = (DEATH, TWO_COUNTS)
# Baldwin's jail time: 18 months a count, five more years with the enhancement
JAIL_TIME: Fact = ("18 months", "five years")

CASES: list[Case] = [
    # Mickey Rourke came to Alec Baldwin’s defense for a second time after learning that Balwin
    # will face involuntary manslaughter charges for the death of Rust cinematographer Halyna
    # Hutchins.
    ask("Who died on the set of Rust?", "Hutchins", DEATH),
    ask("who was killed in the rust shooting", "Hutchins", DEATH),
    ask("WHO DIED?", "Hutchins", DEATH),
    ask("What did Halyna Hutchins do on Rust?", "cinematographer", DEATH),
    ask("what was hutchins's role on the film", "cinematographer", DEATH),
    ask("Which film was Halyna Hutchins working on?", "Rust", DEATH),
    ask("How many times has Mickey Rourke defended Alec Baldwin?", "second", DEATH),
    ask("Whom did Mickey Rourke come to the defense of?", "Baldwin", DEATH),
    ask("What will Baldwin be charged with?", MANSLAUGHTER, *BALDWIN_CHARGED),
    ask("what is alec baldwin charged with", MANSLAUGHTER, *BALDWIN_CHARGED),
    ask("WHAT CHARGES WILL ALEC BALDWIN FACE", MANSLAUGHTER, *BALDWIN_CHARGED),
    ask("Wat charges does Baldwn face?", MANSLAUGHTER, *BALDWIN_CHARGED),
    ask("Why did Mickey Rourke defend Baldwin a second time?", NO_DIRECT, DEATH),
    # Rourke first shared his opinions on the matter in an Instagram post on Jan. 19.
    ask("When did Rourke first share his opinion?", "Jan. 19", INSTAGRAM),
    ask("when did mickey rourke first speak out", "Jan. 19", INSTAGRAM),
    ask("On what date did Rourke post on Instagram?", "Jan. 19", INSTAGRAM),
    ask("Where did Mickey Rourke first post his opinion?", "Instagram", INSTAGRAM),
    ask("What social media did Rourke use to share his views", "Instagram", INSTAGRAM),
    ask("WHERE DID ROURKE FIRST SHARE HIS OPINIONS?", "Instagram", INSTAGRAM),
    ask("wher did rourk first post about it", "Instagram", INSTAGRAM),
    # The Daily Mail caught up with the actor as he was leaving a Hollywood dance studio this
    # week and asked if he had any further comments on the matter.
    ask("Which newspaper caught up with Rourke?", "Daily Mail", DAILY_MAIL),
    ask("Which paper talked to Mickey Rourke this week", "Daily Mail", DAILY_MAIL),
    ask("who interviewed rourke", "Daily Mail", DAILY_MAIL),
    ask("Where was Rourke leaving when he was asked for comments?", "dance studio", DAILY_MAIL),
    ask(
        "What was Mickey Rourke leaving when the Daily Mail found him?", "dance studio", DAILY_MAIL
    ),
    ask("In which city was the dance studio?", "Hollywood", DAILY_MAIL),
    ask("When did the Daily Mail catch up with Rourke?", "this week", DAILY_MAIL),
    ask("What did the Daily Mail ask Rourke?", "further comments", DAILY_MAIL),
    # “It is bullshsh** that an actor who is working on the set is handed a gun by somebody
    # else whose job it is to make sure the gun is not loaded,” he replied.
    ask("What does Rourke call bullshit?", "handed a gun", HANDED_A_GUN),
    ask("Whose job is it to make sure the gun is not loaded?", "somebody else", HANDED_A_GUN),
    ask(
        "According to Rourke, what is the job of the person who hands an actor a gun?",
        "not loaded",
        HANDED_A_GUN,
    ),
    # “And Alec, if he doesn’t have experience in guns or whatever… usually they dry fire the
    # gun up to six times in front of you,” he continued.
    ask("How many times do they usually dry fire a gun?", "six", DRY_FIRE),
    ask("how many times is a gun usually dry fired in front of the actor", "six", DRY_FIRE),
    ask("HOW MANY TIMES DO THEY DRY FIRE THE GUN", "six", DRY_FIRE),
    ask("What do they usually do with the gun in front of you?", "dry fire", DRY_FIRE),
    ask("What experience might Alec not have, according to Rourke?", "guns", DRY_FIRE),
    # “If it is me, I will take it and do it 12 more times.
    ask("How many more times would Rourke dry fire the gun?", "12", TWELVE_MORE),
    ask("how many more times would mickey rourke do it himself", "12", TWELVE_MORE),
    ask("If it were him, how many more times would Rourke do it?", "12", TWELVE_MORE),
    # It’s like, he is not to blame.” / “But don’t put the blame on Alec Baldwin. / It is not
    # his fault at all.” / and the article's own heading
    ask(
        "Does Rourke think Baldwin is to blame?",
        NO_DIRECT,
        NOT_TO_BLAME,
        DONT_BLAME,
        NOT_HIS_FAULT,
        HEADLINE,
    ),
    ask(
        "Is Alec Baldwin to blame according to Mickey Rourke?",
        NO_DIRECT,
        NOT_TO_BLAME,
        DONT_BLAME,
        NOT_HIS_FAULT,
        HEADLINE,
    ),
    ask("Who does Rourke say should not be blamed?", "Baldwin", DONT_BLAME, HEADLINE),
    ask("who shouldnt be blamed according to rourke", "Baldwin", DONT_BLAME, HEADLINE),
    ask(
        "Why does Rourke say Baldwin is not to blame?",
        NO_DIRECT,
        HANDED_A_GUN,
        DRY_FIRE,
        TESTED,
        LIVE_BULLET,
    ),
    ask("What is the headline of the article?", "Stands Firm", HEADLINE),
    # “I feel so bad for the girl that died and her family,” Mickey Rourke added.
    ask("Who does Mickey Rourke feel bad for?", "girl", FEEL_BAD),
    ask("how does rourke feel about the girl who died", "bad", FEEL_BAD),
    # “First, the f**king gun should have been tested. / And there is no way a live bullet
    # should have gotten in that gun. / So, you put the blame on Alec Baldwin,” he continued.
    # / “Why? / That is bullsh**.”
    ask("What should have been done to the gun first, according to Rourke?", "tested", TESTED),
    ask("What should never have gotten into the gun?", "live bullet", LIVE_BULLET),
    ask("WHAT SHOULD NOT HAVE GOTTEN IN THAT GUN", "live bullet", LIVE_BULLET),
    # "don’t put the blame on Alec Baldwin" and "you put the blame on Alec Baldwin ... Why?
    # That is bullsh**" both answer it
    ask(
        "What does Rourke say about putting the blame on Baldwin?",
        ("bullsh**", "not his fault", None),
        DONT_BLAME,
        NOT_HIS_FAULT,
        SO_BLAME,
        BULLSHIT,
    ),
    # The shooting happened while Baldwin was rehearsing with a prop gun on the Rust set in
    # New Mexico.
    ask("What was Baldwin doing when the gun fired?", "rehearsing", REHEARSING),
    ask("what was alec baldwin doing when the shooting happened", "rehearsing", REHEARSING),
    ask("In which state was the Rust set?", "New Mexico", REHEARSING),
    ask("Where did the shooting happen?", ("New Mexico", "Rust set"), REHEARSING),
    ask("WHERE WAS THE RUST SET?", "New Mexico", REHEARSING),
    ask("What kind of gun was Baldwin rehearsing with?", "prop gun", REHEARSING),
    ask("what was baldwin rehersing with", "prop gun", REHEARSING),
    # As the gun was pointing toward Hutchins, it fired.
    ask("Who was the gun pointing at when it fired?", "Hutchins", POINTING),
    ask("Which way was the gun pointing?", "Hutchins", POINTING),
    # An armorer told Baldwin the prop was a “cold gun,” meaning there were no live bullets in
    # the chamber.
    ask("What did the armorer tell Baldwin about the gun?", "cold gun", COLD_GUN),
    ask("What does cold gun mean?", "no live bullets", COLD_GUN),
    ask("what is a cold gun", "no live bullets", COLD_GUN),
    ask("Who told Baldwin the prop was a cold gun?", "armorer", COLD_GUN),
    ask("WHAT WAS BALDWIN TOLD ABOUT THE PROP", "cold gun", COLD_GUN),
    ask("Were there live bullets in the chamber, according to the armorer?", NO_DIRECT, COLD_GUN),
    # Alec Baldwin is facing two counts of involuntary manslaughter, which both carry a
    # sentence of up to 18 months in jail.
    ask("How many counts of involuntary manslaughter does Baldwin face?", "two", TWO_COUNTS),
    ask("how many counts is alec baldwin facing", "two", TWO_COUNTS),
    ask("How long could Baldwin spend in jail for each count?", "18 months", TWO_COUNTS),
    ask("what is the maximum sentence for each count", "18 months", TWO_COUNTS),
    ask(
        "What is the longest jail sentence a count of involuntary manslaughter carries here?",
        "18 months",
        TWO_COUNTS,
    ),
    ask("HOW LONG COULD BALDWIN GO TO JAIL", JAIL_TIME, TWO_COUNTS, ENHANCEMENT),
    ask("baldwin jail time", JAIL_TIME, TWO_COUNTS, ENHANCEMENT),
    # Prosecutors also added an enhancement for use of a firearm, which could tack a mandatory
    # minimum of five years to his sentence, if he is found guilty.
    ask("What enhancement did prosecutors add?", "firearm", ENHANCEMENT),
    ask("What mandatory minimum could the firearm enhancement add?", "five years", ENHANCEMENT),
    ask("how many years could the enhancement add to baldwins sentence", "five", ENHANCEMENT),
    ask("Who added the firearm enhancement?", "Prosecutors", ENHANCEMENT),
    ask("What could the enhancement add?", "five years", ENHANCEMENT),
    ask("Under what condition would the mandatory minimum apply?", "found guilty", ENHANCEMENT),
    # Prosecutors are handing Rust armorer Hannah Gutierrez Reed the same charges.
    ask(SEED_QUESTION, MANSLAUGHTER, SAME_CHARGES, needs=(TWO_COUNTS,)),
    ask(
        "What charges is Hannah Gutierrez Reed facing?",
        MANSLAUGHTER,
        SAME_CHARGES,
        needs=(TWO_COUNTS,),
    ),
    ask(
        "WHAT ARE PROSECUTORS CHARGING THE ARMORER WITH?",
        MANSLAUGHTER,
        SAME_CHARGES,
        needs=(TWO_COUNTS,),
    ),
    ask("wat charjes does gutierez reed face", MANSLAUGHTER, SAME_CHARGES, needs=(TWO_COUNTS,)),
    ask("Who was the armorer on Rust?", "Gutierrez Reed", SAME_CHARGES),
    ask("who is the armorer", "Gutierrez Reed", SAME_CHARGES),
    ask("What was Hannah Gutierrez Reed's job on Rust?", "armorer", SAME_CHARGES),
    ask("Who else faces the same charges as Baldwin?", "Gutierrez Reed", SAME_CHARGES),
    # The movie’s first assistant director, Dave Halls, took a plea deal to stay out of jail.
    ask("What did Dave Halls agree to?", "plea deal", PLEA_DEAL),
    ask("Who took a plea deal?", "Halls", PLEA_DEAL),
    ask("who took the plea deal", "Halls", PLEA_DEAL),
    ask("Who was the first assistant director of the movie?", "Halls", PLEA_DEAL),
    ask("WHO WAS THE FIRST ASSISTANT DIRECTOR ON RUST", "Halls", PLEA_DEAL),
    ask("What was Dave Halls' job on the film?", "assistant director", PLEA_DEAL),
    ask("Why did Halls take a plea deal?", NO_DIRECT, PLEA_DEAL),
    ask("what did halls do to stay out of jail", "plea deal", PLEA_DEAL),
    # He will serve six months of probation.
    ask("How long is Halls' probation?", "six months", PROBATION),
    ask("What sentence did Dave Halls get?", "six months", PROBATION),
    ask("how much probation will halls serve", "six months", PROBATION),
    ask("HOW MANY MONTHS OF PROBATION WILL DAVE HALLS SERVE?", "six", PROBATION),
    ask("dave hals probation", "six months", PROBATION),
    # “It’s that simple,” Special Prosecutor Andrea Reed shared in a statement on Jan. 19.
    ask("Who is the special prosecutor?", "Andrea Reed", THAT_SIMPLE),
    ask("who is the special prosecuter in the case", "Andrea Reed", THAT_SIMPLE),
    ask("When did the special prosecutor make her statement?", "Jan. 19", THAT_SIMPLE),
    ask("How did Andrea Reed share her remarks?", "statement", THAT_SIMPLE),
    ask(
        "What did the special prosecutor say?",
        ("that simple", "criminal disregard", "no room", None),
        THAT_SIMPLE,
        EVIDENCE,
        NO_ROOM,
    ),
    # “The evidence clearly shows a pattern of criminal disregard for safety on the Rust film set.
    ask("What does the evidence show according to the prosecutor?", "criminal disregard", EVIDENCE),
    ask("what pattern does the evidence show", "criminal disregard", EVIDENCE),
    ask("What was disregarded on the Rust film set?", "safety", EVIDENCE),
    # In New Mexico, there is no room for film sets that don’t take our state’s commitment to
    # gun safety and public safety seriously.”
    ask("What is there no room for in New Mexico?", "film sets", NO_ROOM),
    ask(
        "What does New Mexico take seriously, according to the prosecutor?",
        ("gun safety", "public safety"),
        NO_ROOM,
    ),
    ask("WHICH STATE HAS NO ROOM FOR UNSAFE FILM SETS?", "New Mexico", NO_ROOM),
]

# Questions whose answer the article gives for the person next to the one asked about: the
# only honest answer is a refusal with the closest passage. (the one it belongs to)
NEAR_MISSES: list[str] = [
    "What did Gutierrez Reed's plea deal say?",  # Halls took the plea deal
    "What punishment did Hannah Gutierrez Reed get?",  # Halls' probation
    "How many months of probation will Gutierrez Reed serve?",  # Halls
    "How long is Baldwin's probation?",  # Halls
    "Which plea deal did Alec Baldwin take?",  # Halls
    "How many counts of involuntary manslaughter does Dave Halls face?",  # Baldwin
    "What mandatory minimum does Dave Halls face?",  # Baldwin
    "What enhancement did prosecutors add to Halls' charges?",  # Baldwin's
    "What is Mickey Rourke charged with?",  # Baldwin
    "How long could Mickey Rourke go to jail?",  # Baldwin
    "What did Andrea Reed say about Rourke?",  # Rourke spoke about Baldwin
    "Who does Andrea Reed say is not to blame?",  # Rourke says it
    "What is Andrea Reed's job on the Rust set?",  # Gutierrez Reed is the armorer
    "What did Gutierrez Reed say about Baldwin?",  # Rourke did
    "When did Alec Baldwin post on Instagram?",  # Rourke
    "When did Hannah Gutierrez Reed share her opinion on Instagram?",  # Rourke
    "Which dance studio was Baldwin leaving?",  # Rourke
    "What did the Daily Mail ask Alec Baldwin?",  # it asked Rourke
    "What did Baldwin say to the Daily Mail?",  # Rourke spoke to it
    "How many more times would Baldwin dry fire the gun?",  # Rourke: 12 more
    "What was Hutchins rehearsing with?",  # Baldwin
    "What did Hutchins tell Baldwin about the gun?",  # an armorer did
    "Who told Rourke the prop was a cold gun?",  # an armorer told Baldwin
    "What did Halyna Hutchins say in her statement?",  # Andrea Reed
    "What did Dave Halls say in his statement on Jan. 19?",  # Andrea Reed
    "What does Mickey Rourke say the evidence shows?",  # the prosecutor
    "How does Dave Halls feel about the girl that died?",  # Rourke
    "What was Mickey Rourke's job on Rust?",  # Hutchins, Gutierrez Reed, Halls had jobs there
]

FOLLOW_UPS: list[FollowUp] = [
    after(SEED_QUESTION).ask("and what about Halls?", ("plea deal", None), PLEA_DEAL),
    after(SEED_QUESTION, "and what about Halls?").ask("how long?", "six months", PROBATION),
    after("Who was the armorer on Rust?").ask(
        "what charges does she face?", MANSLAUGHTER, SAME_CHARGES, needs=(TWO_COUNTS,)
    ),
    after("What charges does Alec Baldwin face?").ask(
        "how long could he go to jail?", JAIL_TIME, TWO_COUNTS, ENHANCEMENT
    ),
    after("What charges does Alec Baldwin face?").ask("who else?", "Gutierrez Reed", SAME_CHARGES),
    after("What did Dave Halls agree to?").ask(
        "how long is his probation?", "six months", PROBATION
    ),
    after("Where did Mickey Rourke first post his opinion?").ask("when?", "Jan. 19", INSTAGRAM),
    after("When did Rourke first share his opinion?").ask("where?", "Instagram", INSTAGRAM),
    after("Who died on the set of Rust?").ask("what was her job?", "cinematographer", DEATH),
    after("Who is the special prosecutor?").ask(
        "when did she make her statement?", "Jan. 19", THAT_SIMPLE
    ),
    after("Who is the special prosecutor?").ask(
        "what did she say?",
        ("that simple", "criminal disregard", "no room", None),
        THAT_SIMPLE,
        EVIDENCE,
        NO_ROOM,
    ),
    after("What enhancement did prosecutors add?").ask(
        "how many years could it add?", "five", ENHANCEMENT
    ),
    after("How many times do they usually dry fire a gun?").ask(
        "and how many more would Rourke do?", "12", TWELVE_MORE
    ),
    after("Which newspaper caught up with Rourke?").ask(
        "where was he?", "dance studio", DAILY_MAIL
    ),
    after("What did the armorer tell Baldwin about the gun?").ask(
        "what does that mean?", "no live bullets", COLD_GUN
    ),
    after("Where did the shooting happen?").ask(
        "what was Baldwin doing?", "rehearsing", REHEARSING
    ),
    after("Who took a plea deal?").ask("why?", NO_DIRECT, PLEA_DEAL),
    after("Who was the first assistant director of the movie?").ask(
        "and the armorer?", "Gutierrez Reed", SAME_CHARGES
    ),
    after("How long is Halls' probation?").ask("and Baldwin?", JAIL_TIME, TWO_COUNTS, ENHANCEMENT),
]
