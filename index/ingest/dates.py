"""Time words in questions ("yesterday", "in January 2023", "latest") and published dates.

A question's time words become a `TimeFilter`: the days whose articles it asks about and
whether the newest should come first. They are resolved against the day the question is
asked (`today`, given by the caller: a chat message's date), and cut out of the text
that is searched, so "yesterday" never looks for articles containing the word.

A small resolver of our own rather than dateparser: the phrases a news reader uses are
few (docs/news.md has the table), and dateparser brings 3 MB of locale data and regex
rules for 200 languages to guess at phrases we would then have to test anyway.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
MONTHS["sept"] = 9
WEEKDAYS = {calendar.day_name[number].lower(): number for number in range(7)}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_ISO = r"(?P<iso>\d{4}-\d\d-\d\d)"
_NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_COUNT = r"(?P<count>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_UNIT = r"(?P<unit>day|week|month|year)s?"
_LEAD = r"(?:\b(?:in|on|from|during|of|for|over|published|posted)\s+)?"

# Each pattern is tried in order on the lower-cased question; the first match of each kind
# wins. Longer phrases come first, so "last week" is not read as "last" + "week".
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(_LEAD + pattern + r"\b"))
    for kind, pattern in [
        ("since", r"\bsince\s+(?:(?:last|the)\s+)?" + _WEEKDAY),
        ("since", r"\bsince\s+" + _ISO),
        ("since", r"\bsince\s+" + _DAY + r"\s+" + _MONTH + r"(?:,?\s+" + _YEAR + r")?"),
        ("since", r"\bsince\s+" + _MONTH + r"\s+" + _DAY + r"(?:,?\s+" + _YEAR + r")?"),
        ("since", r"\bsince\s+" + _MONTH + r"(?:\s+" + _YEAR + r")?"),
        ("since", r"\bsince\s+(?P<relative>yesterday|last\s+week|last\s+month|last\s+year)"),
        ("day", r"\b" + _ISO),
        ("day", r"\b" + _DAY + r"\s+" + _MONTH + r",?\s+" + _YEAR),
        ("day", r"\b" + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR),
        ("month", r"\b" + _MONTH + r"\s+(?:of\s+)?" + _YEAR),
        ("month", r"(?<=\bin\s)\s*" + _MONTH),
        ("past", r"\b(?:in\s+)?(?:the\s+)?(?:past|last)\s+" + _COUNT + r"\s+" + _UNIT),
        (
            "named",
            r"\b(?P<named>today|yesterday|this\s+week|last\s+week|this\s+month|"
            r"last\s+month|this\s+year|last\s+year)",
        ),
        ("newest", r"\b(?:the\s+)?(?P<newest>latest|newest|most\s+recent(?:ly)?|recent(?:ly)?)"),
    ]
]
_LEFTOVER = re.compile(r"\s+([?.!,])|\s{2,}")


@dataclass(frozen=True)
class TimeFilter:
    """What a question's time words ask for: a range of published days (both ends
    included; None: open) and whether the newest articles come first."""

    start: dt.date | None = None
    end: dt.date | None = None
    newest_first: bool = False
    words: str = ""  # the phrases recognised, as written (shown in docs and logs)
    # Relative to today ("yesterday", "since Monday"): such words can only mean when an
    # article came out. An absolute range ("in January 2023") may be what an article is
    # about instead, so it is applied only when some article was published then.
    relative: bool = False

    @property
    def has_range(self) -> bool:
        return self.start is not None or self.end is not None

    def admits(self, date: str | None) -> bool:
        """Whether an article published on `date` (YYYY-MM-DD, or None) is in range."""
        if not self.has_range:
            return True
        day = parse_iso_date(date)
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def time_filter(question: str, today: dt.date) -> tuple[str, TimeFilter | None]:
    """The question without its time words, and what they ask for (None: there are none)."""
    lowered = question.lower()
    cuts: list[tuple[int, int]] = []
    start: dt.date | None = None
    end: dt.date | None = None
    relative = newest = False
    found_range = False
    for kind, pattern in _PATTERNS:
        match = pattern.search(lowered)
        if match is None or _overlaps(match.span(), cuts):
            continue
        if kind == "newest":
            newest = True
        elif found_range:
            continue
        else:
            resolved = _resolve(kind, match, today)
            if resolved is None:
                continue
            start, end, relative = resolved
            found_range = True
        cuts.append(match.span())
    if not cuts:
        return question, None
    words = ", ".join(question[a:b].strip() for a, b in sorted(cuts))
    kept = question
    for a, b in sorted(cuts, reverse=True):
        kept = kept[:a] + " " + kept[b:]
    kept = _LEFTOVER.sub(lambda m: m.group(1) or " ", kept).strip(" ,;:")
    return kept, TimeFilter(start, end, newest, words, relative)


# What is left of a question asking for the news of a period once its time words are cut
# ("What happened yesterday?", "news from this week", "what's new today", "any news?").
_DIGEST_ASK = re.compile(
    r"(?:so |hey |ok |okay )?(?:please )?(?:"
    r"what(?: is| was|'s| has been| have been)?(?: happening| happened| new| going on| up"
    r"| the (?:news|headlines|latest))?"
    r"|what did i miss|what came out|what was published"
    r"|any(?:thing)?(?: new)?(?: news| stories| articles| headlines)?"
    r"|(?:the )?(?:latest )?(?:news|headlines|stories|articles)"
    r"|(?:the )?latest|new (?:articles|stories)"
    r"|(?:tell|give|show) me(?: the)?(?: news| headlines| latest(?: news)?)?"
    r")(?: please)?"
)
_NOT_WORDS = re.compile(r"[^\w' ]+")
# Without time words, a question is a digest request only if it names the news itself
# ("What happened?" alone may follow up on the conversation).
_NEWS_WORD = re.compile(r"\b(?:news|new|headlines|latest|stories|miss|published)\b")


def digest_period(question: str, today: dt.date) -> TimeFilter | None:
    """The period a question asks the news of, when it asks nothing else ("What happened
    yesterday?", "news from this week"; "Any news?" asks for the newest); None for any
    other question ("What happened to the volcano yesterday?" is asked of the articles)."""
    kept, time = time_filter(question, today)
    rest = " ".join(_NOT_WORDS.sub(" ", kept.casefold().replace("’", "'")).split())
    if not _DIGEST_ASK.fullmatch(rest):
        return None
    if time is not None and (time.has_range or time.newest_first):
        return time
    return TimeFilter(newest_first=True) if _NEWS_WORD.search(rest) else None


def since_day(when: str, today: dt.date) -> dt.date | None:
    """The first day `qabot digest --since WHEN` means: today, yesterday, a weekday, a
    date, a month, "last week", "3 days"; None when WHEN is none of them."""
    words = " ".join(when.casefold().split())
    if words == "today":
        return today
    for phrase in (f"since {words}", words, f"the past {words.removesuffix(' ago')}"):
        _, time = time_filter(phrase, today)
        if time is not None and time.start is not None:
            return time.start
    return None


def _overlaps(span: tuple[int, int], cuts: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in cuts)


Resolved = tuple[dt.date | None, dt.date | None, bool]  # start, end, relative to today


def _resolve(kind: str, match: re.Match[str], today: dt.date) -> Resolved | None:
    """The days a matched phrase means; None when they are no real date (30 February)."""
    groups = {name: value for name, value in match.groupdict().items() if value}
    try:
        if kind == "since":
            return _since(groups, today), today, True
        if kind == "day":
            day = _absolute_day(groups)
            return day, day, False
        if kind == "month":
            year = int(groups["year"]) if "year" in groups else None
            return (*_month(MONTHS[groups["month"]], year, today), "year" not in groups)
        if kind == "past":
            return _past(groups, today), today, True
        return (*_named(" ".join(groups["named"].split()), today), True)
    except ValueError:
        return None


def _since(groups: dict[str, str], today: dt.date) -> dt.date:
    if "weekday" in groups:
        back = (today.weekday() - WEEKDAYS[groups["weekday"]]) % 7
        return today - dt.timedelta(days=back)
    if "relative" in groups:
        return _named(" ".join(groups["relative"].split()), today)[0]
    if "day" in groups or "iso" in groups:
        day = _absolute_day({"year": str(today.year), **groups})
        return day if day <= today else day.replace(year=day.year - 1)
    year = int(groups["year"]) if "year" in groups else None
    return _month(MONTHS[groups["month"]], year, today)[0]


def _absolute_day(groups: dict[str, str]) -> dt.date:
    if "iso" in groups:
        return dt.date.fromisoformat(groups["iso"])
    return dt.date(int(groups["year"]), MONTHS[groups["month"]], int(groups["day"]))


def _month(month: int, year: int | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """A calendar month; without a year, the latest one that has begun."""
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def _past(groups: dict[str, str], today: dt.date) -> dt.date:
    count = _NUMBER_WORDS.get(groups["count"]) or int(groups["count"])
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[groups["unit"]]
    return today - dt.timedelta(days=count * days)


def _named(phrase: str, today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    first = today.replace(day=1)
    if phrase == "today":
        return today, today
    if phrase == "yesterday":
        return (yesterday := today - dt.timedelta(days=1)), yesterday
    if phrase == "this week":
        return monday, today
    if phrase == "last week":
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if phrase == "this month":
        return first, today
    if phrase == "last month":
        end = first - dt.timedelta(days=1)
        return end.replace(day=1), end
    if phrase == "this year":
        return today.replace(month=1, day=1), today
    if phrase == "last year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    raise ValueError(phrase)


def parse_iso_date(value: str | None) -> dt.date | None:
    """YYYY-MM-DD (what documents store) as a date; None for anything else."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
