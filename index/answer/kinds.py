"""What kind of answer a question asks for (a time, a quantity), and whether a span is one.

"How old is Mickey Rourke?" on an article that never gives his age got the reader's best
span "Alec Baldwin", confidently: the reader's no-answer score does not tell an article that
does not say from one that does (docs/quality.md, "I don't know"). A question that asks
*when* or *how many* and whose best span holds no time or quantity at all is not answered
by the passages read, whatever their scores, so answering refuses it as a near miss.

The word lists are deliberately wide (a gold answer "several", "biennial" or "after the
war" must still fit): on the 3,410 answerable questions of squad-dev-a's non-held-out
articles, the gold answers hold none of these words for 1 of the 288 questions that
`asked_kind` takes as asking for a time, and for 6 of the 387 asking for a quantity
("voluminous", "unmanned"). A "when" clause before the ask ("When violence is used, what is it
called?") and "when does/can ..." (a condition) are not taken as asking for a time.
"""

from __future__ import annotations

import enum
import re

from index.ingest.dates import MONTHS, WEEKDAYS


class Kind(enum.Enum):
    TIME = "time"
    QUANTITY = "quantity"
    PERSON = "person"  # or an organisation: "who"
    PLACE = "place"  # "where"


# A span not of these kinds refuses the question; PERSON and PLACE only weigh on whether
# the direct answer is shown (index/answer/direct.py): "who" is often answered by a role
# ("the armorer") and "where" by a thing ("on the set").
REFUSING = frozenset({Kind.TIME, Kind.QUANTITY})


# "When does/can/would X ...?" mostly asks for a condition ("When does immunodeficiency
# occur?" -> "when the immune system is less active"), so only these tenses ask for a time.
_TIME_AUXILIARY = r"(did|was|were|is|are|has|had|have|will)"
_ASKS_TIME = re.compile(
    rf"^\s*(when|until when|since when)\s+{_TIME_AUXILIARY}\b|^\W*(and\s+)?when\W*$"
    r"|\b(what|which|in what|in which) (year|years|date|day|month|century|decade|season|era)\b"
    r"|\bhow long ago\b|\bwhat time\b",
    re.IGNORECASE,
)
_ASKS_QUANTITY = re.compile(
    r"\bhow (many|much|old|long|far|large|big|high|tall|deep|wide|often|fast|heavy)\b"
    r"|\bwhat (percentage|percent|proportion|fraction|number|amount)\b",
    re.IGNORECASE,
)
_ASKS_PERSON = re.compile(
    r"^\s*(who|whom|whose)\b|\b(by whom|which (person|people|man|woman))\b", re.IGNORECASE
)
_ASKS_PLACE = re.compile(
    r"^\s*where\b|\bin (what|which) (city|country|state|town|place)\b", re.IGNORECASE
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*")
_PERSON_WORDS = re.compile(
    r"\b(people|person|man|men|woman|women|king|queen|emperor|president|leader|army|"
    r"government|council|court|church|company|family|members?|armou?rer|director|actor|"
    r"prosecutors?|police|officials?|scientists?|students?|teachers?|soldiers?|children|"
    r"parents?|wife|husband|son|daughter|mother|father|brother|sister|group|party|team)\b",
    re.IGNORECASE,
)
_PLACE_WORDS = re.compile(
    r"\b(city|country|state|town|village|island|river|sea|ocean|mountains?|coast|region|"
    r"province|street|building|house|church|school|university|set|north|south|east|west|"
    r"abroad|home|capital|border|area|land|continent|world)\b",
    re.IGNORECASE,
)
_UNITS = (
    r"centur\w*|decades?|years?|months?|weeks?|days?|hours?|minutes?|seconds?|"
    r"miles?|meters?|metres?|km|feet|foot|inches?|pounds?|dollars?|tons?|percent"
)
_NUMBERS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|trillion|dozens?|half|quarter|"
    r"twice|thrice|double|triple|once|several|few|many|much|some|single|both|all|none|"
    r"no|zero|majority|minority|most|first|second|third|fourth|fifth|sixth|seventh|eighth|"
    r"ninth|tenth"
)
_MONTHS_DAYS_SEASONS = "|".join(
    [*MONTHS, *WEEKDAYS, "spring", "summer", "autumn", "fall", "winter"]
)
_TIME_WORDS = re.compile(
    rf"\d|\b({_MONTHS_DAYS_SEASONS}|{_UNITS}|ago|today|yesterday|tomorrow|tonight|morning|"
    r"evening|night|noon|midnight|during|after|before|until|till|since|era|ages?|period|"
    r"times?|reign|war|present|now|currently|recently|later|earlier|early|late|mid|modern|"
    r"medieval|ancient|antiquity|prehistoric|annually|daily|weekly|yearly|once|when|while|"
    r"ever|never|first|last|end|beginning|start|christmas|easter|eve|weekend|holiday)\b",
    re.IGNORECASE,
)
_QUANTITY_WORDS = re.compile(
    rf"\d|\b({_NUMBERS}|{_UNITS}|old|large|small|long|short|high|low|more|less|little|lot|"
    r"enough|often|rarely|seldom|always|never|sometimes|usually|frequently|biennial|"
    r"annual\w*|daily|weekly|monthly)\b",
    re.IGNORECASE,
)


def asked_kind(question: str) -> Kind | None:
    """TIME for "when did/is ...", "what year"; QUANTITY for "how many/much/old/long";
    None for any other question (a "when" clause before the ask included)."""
    if _ASKS_TIME.search(question):
        return Kind.TIME
    if _ASKS_QUANTITY.search(question):
        return Kind.QUANTITY
    if _ASKS_PERSON.search(question):
        return Kind.PERSON
    if _ASKS_PLACE.search(question):
        return Kind.PLACE
    return None


def fits(kind: Kind, span: str) -> bool:
    """Whether `span` holds a word of that kind (a digit, a month, "years", "several"...)."""
    if kind is Kind.PERSON:
        return _CAPITALISED.search(span) is not None or _PERSON_WORDS.search(span) is not None
    if kind is Kind.PLACE:
        return _CAPITALISED.search(span) is not None or _PLACE_WORDS.search(span) is not None
    words = _TIME_WORDS if kind is Kind.TIME else _QUANTITY_WORDS
    return words.search(span) is not None


def answers_kind(question: str, span: str) -> bool:
    """False when the question asks for a time or a quantity and `span` holds none."""
    kind = asked_kind(question)
    return kind not in REFUSING or fits(kind, span)
