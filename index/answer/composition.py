"""From scored chunks to what a person reads: a short answer, passages, or "I don't know".

One stage, in one order (`AnswerComposer.compose`):
1. retrieval's evidence: too little refuses (a near miss, above NEAR_MISS or naming a
   person the passages name, shows the closest passage, marked as not the answer), but for
   a follow-up above NEAR_MISS, which the reader may still answer outright; a question
   asking who wrote the story, or its headline, is answered from its author line or its
   headline (index/answer/bylines.py, index/answer/headlines.py);
2. the reader's evidence: its refusal model may refuse as a near miss;
3. choose the sentence (index/answer/reading.py: retrieval's score + the reader's span),
   the best one not about someone else than the person asked about
   (index/answer/subjects.py): past the first, only one the reader answers from outright;
   from chunks read at a second look (index/answer/pipeline.py), or for that follow-up,
   only one holding a span the reader answers outright;
4. check it against the question: none left, a span not of the kind asked
   (index/answer/kinds.py), or, asked what someone said, a sentence reporting nobody's
   words makes the question a near miss;
5. the direct answer: the reader's span, when short, inside the text shown and likely
   right by a calibrated model (index/answer/direct.py);
6. the text: the sentence standing on its own, one stretch of the article
   (index/answer/texts.py), and the passages (index/answer/passages.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from index.answer.bylines import asks_author, byline
from index.answer.direct import DIRECT_MAX_WORDS, direct_answer
from index.answer.evidence import missing_names, missing_numbers, missing_terms
from index.answer.follow_ups import names_only_whom
from index.answer.headlines import asks_headline, headline
from index.answer.kinds import answers_kind
from index.answer.passages import passages_of
from index.answer.reading import Choice, PassageReading, ranked_sentences, surest
from index.answer.subjects import (
    asked_names,
    full_names,
    name_after,
    name_words,
    names_all,
    names_in,
    title_topic,
)
from index.answer.texts import (
    answer_text,
    back_to_referent,
    clean,
    is_heading,
)
from index.api import Answer, DocumentInfo, Passage
from index.fitted import Confidence, DirectConfidence, ReadingConfidence
from index.ingest.terms import term_set
from index.search.fusion import Query, ScoredChunk, ScoredSentence
from index.search.index_view import IndexView
from index.settings import AnswerSettings

ANSWER_POOL = 3  # the first chunks whose sentences compete to be the answer
# A refusal at or above this probability is a near miss (the articles are about the subject
# but do not say) and shows the closest passage: on the seed article off-topic questions
# score <= 0.0003, questions about its people that it does not answer 0.03-0.11.
NEAR_MISS = 0.01

# A yes/no question: no span of a passage is its answer.
_YES_NO = re.compile(
    r"^\s*(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Decision:
    """What answering decided for one question, before it is worded as an `Answer`: no
    `text` = refused (a `near_miss` shows the closest passage)."""

    passages: list[Passage]
    documents: dict[str, DocumentInfo]
    probability: float = 0.0
    near_miss: bool = False
    chunk: ScoredChunk | None = None
    choice: Choice | None = None  # the reader's, when it read
    text: str = ""
    direct: str | None = None
    evidence: tuple[float, ...] | None = None  # the reader refusal model's inputs

    def answer(self, question: str) -> Answer:
        if not self.text:
            if self.near_miss:
                return near_miss(question, self.passages, self.documents, self.probability)
            return refusal(question, self.passages, self.documents, self.probability)
        return Answer(
            question, self.text, True, self.passages, score=self.probability, direct=self.direct
        )


@dataclass(frozen=True)
class AnswerComposer:
    """Turns ranked chunks into an Answer: the sentence, its passages, or a refusal."""

    settings: AnswerSettings
    top_k: int
    confidence: Confidence
    reading: ReadingConfidence | None = None
    direct: DirectConfidence | None = None

    def compose(
        self,
        question: str,
        query: Query,
        ranked: list[ScoredChunk],
        view: IndexView,
        *,
        read: Sequence[PassageReading] = (),
        newest_first: bool = False,
        in_scope: frozenset[str] | None = None,
        follow_up: bool = False,
    ) -> Answer:
        """`read`: the top chunks as the span reader read them (index/answer/reading.py).
        `newest_first`: `ranked` puts the newest answering passage first
        (index/search/recency.py), so the answer comes from it rather than from the best of
        the first three. `in_scope`: the documents the question may read (a refusal names
        no others). `follow_up`: the question follows another and the reader read them as
        one question (index/answer/follow_ups.py: `reads_as_one`)."""
        decision = self.decide(
            question,
            query,
            ranked,
            view,
            read=read,
            newest_first=newest_first,
            in_scope=in_scope,
            follow_up=follow_up,
        )
        return decision.answer(question)

    def decide(
        self,
        question: str,
        query: Query,
        ranked: list[ScoredChunk],
        view: IndexView,
        *,
        read: Sequence[PassageReading] = (),
        newest_first: bool = False,
        in_scope: frozenset[str] | None = None,
        follow_up: bool = False,
    ) -> Decision:
        """The steps of the module docstring, in order; `compose` words the outcome."""
        documents = _readable(view.documents, in_scope)
        ranked = [item for item in ranked if item.chunk.doc_id in documents]  # removed meanwhile
        passages = passages_of(
            ranked, documents, self.top_k, self.settings.passage_max_chars, query.terms
        )
        refused = Decision(passages, documents)
        pool = ranked[: 1 if newest_first else ANSWER_POOL]
        # 1. retrieval's evidence
        best = _best_sentence(pool)
        if best is None:
            return refused
        probability = self._probability(best)
        if (own := _own_line(question, view, documents[best[0].chunk.doc_id])) is not None:
            # the author line or the headline answers, whatever the story's sentences say
            passages.sort(key=lambda p: p.doc_id != best[0].chunk.doc_id)
            text, direct = own
            return Decision(passages, documents, probability, False, best[0], None, text, direct)
        about = _Asked(question, query, view, ranked)
        near_miss = probability >= NEAR_MISS or about.names_a_person()
        near = replace(refused, probability=probability, near_miss=near_miss)
        on_the_reader = probability < self.confidence.threshold
        if on_the_reader and not _read_for_few_words(probability, follow_up):
            return near
        near = replace(near, near_miss=True)
        # 2. the reader's evidence
        reads = [r for r in read if r.item.chunk.doc_id in documents]
        evidence = _reader_evidence(probability, surest(reads), about)
        near = replace(near, evidence=evidence)
        if self._reader_refuses(evidence):
            return near
        # 3 and 4. the sentence, checked against the question
        weight = self.reading.sentence_weight if self.reading else 1.0
        kind_margin = self.reading.kind_margin if self.reading else None
        choice = None
        if reads:
            choice = _about_the_asked(
                ranked_sentences(reads, weight), about, names_only_whom(question)
            )
            if choice is None or not about.of_the_kind_asked(choice, kind_margin):
                return near
            if choice.margin >= 0 and (on_the_reader or choice.read.second_look):
                return near  # only what the reader answers outright (`_read_for_few_words`,
                # the pipeline's second look)
            chunk, chosen, lead = choice.read.item, choice.sentence, choice.lead
        elif on_the_reader:
            return near
        else:
            (chunk, chosen), lead = best, ()
            if about.about_someone_else(chunk, chosen, lead):
                return near  # the answer would belong to someone else than the one asked about
        if choice is not None and about.titles_someone_else(choice):
            return near  # "Rust cinematographer Halyna Hutchins", asked Mickey Rourke's job
        if not about.reports_the_speech_asked(chunk, chosen, lead):
            return near  # what someone said, from sentences reporting no one's words
        # 5 and 6. the text, and the direct answer inside it
        text = answer_text(
            chunk, chosen, view.earlier_sentences, query, self.settings.max_chars, lead
        )
        direct = None
        if choice is not None:
            limit = self.reading.direct_margin if self.reading else float("inf")
            direct = direct_answer(question, choice, text, self.direct, limit)
            if direct is not None and not about.said_of_the_asked(choice):
                direct = None
        # The passage the answer comes from is shown first.
        passages.sort(key=lambda p: p.chunk_id != chunk.chunk.chunk_id)
        return Decision(
            passages, documents, probability, False, chunk, choice, text, direct, evidence
        )

    def needs_reading(
        self,
        question: str,
        ranked: list[ScoredChunk],
        view: IndexView,
        *,
        newest_first: bool = False,
        in_scope: frozenset[str] | None = None,
        follow_up: bool = False,
    ) -> bool:
        """Whether the span reader can change the answer: not for a yes/no question (no span
        answers it: retrieval's sentence, no direct answer), nor for one retrieval already
        refuses (reading would cost a model run for nothing). `compose` gets no readings
        then."""
        if _YES_NO.match(question):
            return False
        documents = _readable(view.documents, in_scope)
        ranked = [item for item in ranked if item.chunk.doc_id in documents]
        sentence = _best_sentence(ranked[: 1 if newest_first else ANSWER_POOL])
        if sentence is None:
            return False
        probability = self._probability(sentence)
        return probability >= self.confidence.threshold or _read_for_few_words(
            probability, follow_up
        )

    def _probability(self, sentence: tuple[ScoredChunk, ScoredSentence]) -> float:
        """Retrieval's probability that the articles answer, from the best sentence."""
        chunk, chosen = sentence
        return self.confidence.probability(chosen.dense, chosen.terms, chunk.dense)

    def _reader_refuses(self, evidence: tuple[float, ...] | None) -> bool:
        if self.reading is None or evidence is None:
            return False
        return self.reading.probability(*evidence) < self.reading.threshold


def _read_for_few_words(probability: float, follow_up: bool) -> bool:
    """Whether a question retrieval would refuse is left to the reader: a follow-up near
    miss ("what did she say?" after "Who is the special prosecutor?" scored 0.010-0.068 on
    the seed article: its own words are too few for retrieval), answered only where the
    reader, reading it with the earlier question, answers outright."""
    return follow_up and probability >= NEAR_MISS


def _own_line(
    question: str, view: IndexView, document: DocumentInfo
) -> tuple[str, str | None] | None:
    """(text, direct answer) for a question about the story itself, from its own lines:
    its author line (bylines.py) or its headline (headlines.py); None for any other."""
    if asks_author(question) and (author := byline(view, document.doc_id)):
        return f"By {author}.", author
    if asks_headline(question) and (title := headline(view, document)):
        return title, title if len(title.split()) <= DIRECT_MAX_WORDS else None
    return None


def _about_the_asked(ranked: Sequence[Choice], about: _Asked, only_whom: bool) -> Choice | None:
    """The best sentence not about someone else than the one asked: the first, or a later
    one the reader answers from outright (its span above its no-answer score). "What was
    Baldwin doing when the gun fired?" read best "As the gun was pointing toward Hutchins, it
    fired." (Hutchins), then "... while Baldwin was rehearsing with a prop gun", the span
    2.6 above no-answer. A later sentence the reader is unsure of is the near miss itself:
    on the shipped article's near misses ("How long is Baldwin's probation?" -> the
    sentence on his 18 months, 2.8 below no-answer) every such one answered wrongly.

    `only_whom`: the question asks nothing but whom it is about ("and what about Halls?"
    after Gutierrez Reed's charges), so the best sentence naming them answers it, at any
    rank, and none other does: the reader, reading it with the question before, finds no
    charges of his in "Dave Halls took a plea deal", which is what the article says of him;
    "and the armorer?" after the first assistant director was read best in that same
    sentence, which does not name her."""
    for number, choice in enumerate(ranked):
        item, sentence, lead = choice.read.item, choice.sentence, choice.lead
        if only_whom:
            if not about.names_them(item, sentence, lead):
                continue
        elif number > 0 and choice.margin >= 0:
            continue
        if not about.about_someone_else(item, sentence, lead):
            return choice
    return None


def _reader_evidence(
    probability: float, read: PassageReading | None, about: _Asked
) -> tuple[float, ...] | None:
    """The refusal model's inputs (`ReadingConfidence.probability`), from the reading whose
    best span beats its no-answer score by the most; None when nothing was read."""
    best = read.reading.best if read else None
    if read is None or best is None:
        return None
    return (probability, read.reading.margin, best.score, *about.missing_in(read.context))


class _Asked:
    """What the question asks for, to check a candidate sentence against (step 4)."""

    def __init__(
        self, question: str, query: Query, view: IndexView, ranked: Sequence[ScoredChunk]
    ) -> None:
        self.question = question
        self._query = query
        self._view = view
        self._words = name_words(item.chunk.text for item in ranked)
        self.names = asked_names(question, self._words)
        self._asked_words = {word for name in self.names for word in name}
        self._surnames = {name[-1] for item in ranked for name in full_names(item.chunk.text)}

    def missing_in(self, context: str) -> tuple[float, float, float]:
        """What of the question `context` does not hold: the share of its terms, how many
        of its names and of its numbers (index/answer/evidence.py)."""
        return (
            missing_terms(self.question, context),
            missing_names(self.question, context, self._words),
            missing_numbers(self.question, context),
        )

    def of_the_kind_asked(self, choice: Choice, max_margin: float | None) -> bool:
        """A time or a quantity when the question asks for one: "How old is Mickey Rourke?"
        -> "Alec Baldwin" is not an age, and the article does not say it. Without the
        reader's span in the sentence, or with one whose margin the reader itself takes for
        "no answer" (above `max_margin`), nothing in it answers such a question ("How much
        bail did Baldwin post?" -> the sentence on his charges, whose "18 months" is no
        bail)."""
        sure = max_margin is None or choice.margin <= max_margin
        span = choice.read.text(choice.span) if choice.span and sure else ""
        return answers_kind(self.question, span)

    def reports_the_speech_asked(
        self, item: ScoredChunk, sentence: ScoredSentence, lead: Sequence[str]
    ) -> bool:
        """False when the question asks what someone said ("What did Gutierrez Reed say about
        Baldwin?") and the sentence, with what it leans on, reports nobody's words: no
        quotation, no "said" or "told" (the charges against both of them are not her words),
        or, asked what they said about someone, does not name them ("What did Andrea Reed say
        about Rourke?": her statement is about the Rust set; Rourke spoke of Baldwin)."""
        asks = _ASKS_SPEECH.search(self.question)
        if asks is None:
            return True
        stretch = self._stretch(item, sentence, lead)
        reports = _REPORTED.search(stretch) is not None or any(q in stretch for q in _QUOTES)
        about = _SAID_ABOUT.search(self.question, asks.end())
        spoken_of = asked_names(about.group(1), self._words) if about else []
        return reports and names_all(stretch, [n for n in spoken_of if self._is_person(n)])

    def said_of_the_asked(self, choice: Choice) -> bool:
        """Whether the sentence holding the bold words, with what it leans on, names each
        full name the question asks about: "When did the Daily Mail catch up with Rourke?"
        gets no "Jan. 19" in bold from the sentence before, on Rourke's own post, though
        the text shown goes on to the Daily Mail."""
        full = [name for name in self.names if len(name) > 1]
        item = choice.read.item
        sentence = clean(item.chunk.text[choice.sentence.start : choice.sentence.end])
        return names_all(" ".join([*choice.lead, sentence]), full)

    def titles_someone_else(self, choice: Choice) -> bool:
        """Whether the question asks something of a person's own ("What was Mickey Rourke's
        job on Rust?") and the reader's span is a title put before another person's name
        ("Rust cinematographer Halyna Hutchins"): the title is theirs, not the one asked."""
        asks_own = _OWN_OF_SOMEONE.search(self.question) is not None and bool(self._people())
        if choice.span is None or not choice.within_one_sentence or not asks_own:
            return False
        titled = name_after(choice.read.context[choice.span.end : choice.span.end + 80])
        return titled is not None and not set(titled) & self._asked_words

    def about_someone_else(
        self, item: ScoredChunk, sentence: ScoredSentence, lead: Sequence[str]
    ) -> bool:
        """Whether the sentence, with what it leans on, leaves out a person the question
        asks about and names another person instead ("He will serve ..." after "Dave Halls
        took a plea deal", asked of Gutierrez Reed); the topic of an encyclopedia-like
        title counts as named."""
        people = self._people()
        if not people:
            return False
        stretch = self._stretch(item, sentence, lead)
        document = self._view.documents.get(item.chunk.doc_id)
        topic = title_topic(document.title if document else "")
        if all(names_all(stretch, [name]) or set(name) <= topic for name in people):
            return False
        asked = self._asked_words
        others = {name for name in full_names(stretch) if not set(name) & (asked | topic)}
        return bool(others) or bool(names_in(stretch, self._surnames) - asked - topic)

    def names_them(self, item: ScoredChunk, sentence: ScoredSentence, lead: Sequence[str]) -> bool:
        """Whether the sentence, with what it leans on, names whom the question asks about:
        each person it names or, naming nobody ("and the armorer?"), each of its words."""
        stretch = self._stretch(item, sentence, lead)
        if people := self._people():
            return names_all(stretch, people)
        wanted = term_set(self.question)
        return bool(wanted) and wanted <= term_set(stretch)

    def names_a_person(self) -> bool:
        """Whether the question names someone the passages name: the articles are about
        them, so a refusal is a near miss ("What did Halyna Hutchins say in her
        statement?" scored 0.0099 on retrieval alone, off-topic questions 0.0003)."""
        return bool(self._people())

    def _people(self) -> list[tuple[str, ...]]:
        """The people the question names."""
        return [name for name in self.names if self._is_person(name)]

    def _is_person(self, name: tuple[str, ...]) -> bool:
        """A name of two words or more, or the last word of one the passages name
        ("Baldwin" of "Alec Baldwin")."""
        return name[-1] in self._surnames or len(name) > 1

    def _stretch(self, item: ScoredChunk, sentence: ScoredSentence, lead: Sequence[str]) -> str:
        """The sentence with what it leans on: its referent, the speaker of a quote."""
        text = clean(item.chunk.text[sentence.start : sentence.end])
        before = list(lead)
        if not before:
            before = back_to_referent(
                text, item.chunk, sentence.start, self._view.earlier_sentences, self._query
            )
        if not before and not self._names_someone(text):
            # "The Daily Mail caught up with the actor as he was leaving ...": a sentence
            # naming nobody is about whom the sentence before it names
            earlier = self._view.earlier_sentences(item.chunk, sentence.start, 1, False)
            before = [clean(found) for found, _ in earlier]
        return " ".join([*before, *self._speaker(item, sentence, text), text])

    def _names_someone(self, text: str) -> bool:
        """Whether `text` names a person: a full name or a known surname."""
        return bool(full_names(text)) or bool(names_in(text, self._surnames))

    def _speaker(self, item: ScoredChunk, sentence: ScoredSentence, text: str) -> list[str]:
        """When `text` is quoted speech, the sentence of its paragraph saying who speaks
        ("“But don’t put the blame on Alec Baldwin.”" after "“I feel so bad ...,” Mickey
        Rourke added."): words a person says are about that person too."""
        earlier = [
            found for found, _ in self._view.earlier_sentences(item.chunk, sentence.start, 3, False)
        ]
        opened = "".join(earlier)
        quoted = text.lstrip().startswith(_OPENING_QUOTES) or (
            opened.count("“") > opened.count("”")
        )
        return [found for found in earlier if _SPEECH.search(found)] if quoted else []


_OPENING_QUOTES = ("“", '"')
# "Mickey Rourke's job", "Halls' sentence": the question asks what is someone's own.
_OWN_OF_SOMEONE = re.compile(r"\w(['’]s|s['’])(?=\s)")
_QUOTES = (*_OPENING_QUOTES, "”")
# Words that report speech even without quotation marks ("added", "shared" attribute a
# quotation too, but "Prosecutors also added an enhancement" reports no one's words).
_REPORTED = re.compile(
    r"\b(said|says|told|tells|replied|stated|announced|wrote|according to)\b", re.IGNORECASE
)
# "What did Andrea Reed say ...?", "what does she tell ...": a question asking for words.
_ASKS_SPEECH = re.compile(
    r"\bwhat\s+(did|does|do|has|have|had|will|would)\s+[\w\s'’.-]{1,40}?\s"
    r"(say|tell|write|share|add|reply|claim|state|announce)\b",
    re.IGNORECASE,
)
# "... say about Rourke?": whom the words asked for are about.
_SAID_ABOUT = re.compile(r"\babout\s+(.+)$", re.IGNORECASE)
# How news articles attribute a quotation ("he said", "Mickey Rourke added").
_SPEECH = re.compile(
    r"\b(said|says|added|adds|continued|replied|shared|told|wrote|explained|insisted)\b"
)


def refusal(
    question: str,
    passages: list[Passage],
    documents: dict[str, DocumentInfo],
    probability: float = 0.0,
) -> Answer:
    """No confident answer: the text is left to the caller, the topics say what is covered."""
    nearest = list(dict.fromkeys(p.title for p in passages))
    others = [doc.title for doc in documents.values() if doc.title not in nearest]
    topics = (nearest + others)[:5]
    return Answer(question, "", False, passages, topics=topics, score=probability)


def _readable(
    documents: dict[str, DocumentInfo], in_scope: frozenset[str] | None
) -> dict[str, DocumentInfo]:
    """The documents a question may read (None: all)."""
    if in_scope is None:
        return documents
    return {doc_id: doc for doc_id, doc in documents.items() if doc_id in in_scope}


def near_miss(
    question: str,
    passages: list[Passage],
    documents: dict[str, DocumentInfo],
    probability: float,
) -> Answer:
    """A refusal on a question the articles are about but do not answer: the closest
    passage comes with it, to be shown as not the answer."""
    refused = refusal(question, passages, documents, probability)
    return replace(refused, closest=passages[0] if passages else None)


def _best_sentence(chunks: list[ScoredChunk]) -> tuple[ScoredChunk, ScoredSentence] | None:
    """The best-scoring sentence of `chunks`, but not a document's title line: the answer's
    source line shows it, and a feed item's title alone answers nothing. A heading inside
    an article may state what is asked ("Mickey Rourke Stands Firm That Alec Baldwin is
    Not to 'Blame'"), chosen on retrieval's evidence alone (index/answer/reading.py)."""
    pairs = [(chunk, s) for chunk in chunks for s in chunk.sentences if not _title(chunk, s)]
    return max(pairs, key=lambda pair: pair[1].score, default=None)


def _title(item: ScoredChunk, sentence: ScoredSentence) -> bool:
    chunk = item.chunk
    opens = chunk.ordinal == 0 and not chunk.text[: sentence.start].strip()
    return opens and is_heading(item, sentence)
