"""What the operator reads: the last days in numbers, and the questions the bot missed.

Built from the answer log (bot.state.protocols.AnswerLog) for both the bot's /stats and /unanswered
and the terminal's `qabot report`; plain text, which each of them lays out its own way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.state.protocols import AnswerLog, DayCounts, MissedQuestion, UsageStats

REPORT_DAYS = 14
MISSED_SAMPLE = 5_000  # the most recent missed questions considered for grouping
GROUPS_SHOWN = 10
SAME_QUESTION = 85  # rapidfuzz token_sort_ratio from which two wordings count as one question
_NOT_WORD = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class UsageReport:
    """Every day of the window, oldest first, days without questions included."""

    days: list[DayCounts]

    @property
    def questions(self) -> int:
        return sum(day.questions for day in self.days)

    @property
    def refused(self) -> int:
        return sum(day.refused for day in self.days)

    @property
    def thumbs_up(self) -> int:
        return sum(day.thumbs_up for day in self.days)

    @property
    def thumbs_down(self) -> int:
        return sum(day.thumbs_down for day in self.days)

    def summary(self) -> list[str]:
        """The numbers in a few lines (the chart's caption)."""
        share = f" ({self.refused / self.questions:.0%})" if self.questions else ""
        plural = "" if self.questions == 1 else "s"
        return [
            f"Last {len(self.days)} days: {self.questions} question{plural}, "
            f"{self.refused} refused{share}",
            f"Feedback: 👍 {self.thumbs_up} · 👎 {self.thumbs_down}",
        ]

    def table(self) -> list[str]:
        """One line per day, for a terminal."""
        lines = [f"{'day (UTC)':<12}{'questions':>10}{'refused':>9}{'up':>5}{'down':>6}"]
        for day in self.days:
            lines.append(
                f"{day.day.isoformat():<12}{day.questions:>10}{day.refused:>9}"
                f"{day.thumbs_up:>5}{day.thumbs_down:>6}"
            )
        return lines


def latency_line(usage: UsageStats) -> str:
    """The engine's answering time over the latest answers (bot/state/sqlite_answers.py)."""
    latencies = (usage.latency_p50_ms, usage.latency_p90_ms, usage.latency_p99_ms)
    p50, p90, p99 = (f"{value:.0f}" if value is not None else "–" for value in latencies)
    return f"Latency p50 / p90 / p99: {p50} / {p90} / {p99} ms"


def usage_report(log: AnswerLog, today: dt.date, days: int = REPORT_DAYS) -> UsageReport:
    """The `days` days up to `today` (UTC)."""
    first = today - dt.timedelta(days=days - 1)
    counted = {counts.day: counts for counts in log.days(first)}
    window = [first + dt.timedelta(days=offset) for offset in range(days)]
    return UsageReport([counted.get(day, DayCounts(day, 0, 0, 0, 0)) for day in window])


@dataclass(frozen=True)
class QuestionGroup:
    """Near-identical wordings of one question the bot missed, shown by the most asked one."""

    question: str
    asked: int
    refused: int
    downvoted: int

    def line(self) -> str:
        why = []
        if self.refused:
            why.append(f"refused {self.refused}")
        if self.downvoted:
            why.append(f"👎 {self.downvoted}")
        return f"{self.asked}× {self.question} ({', '.join(why)})"


def unanswered(log: AnswerLog, today: dt.date, days: int = REPORT_DAYS) -> list[QuestionGroup]:
    """The questions refused or voted down in the last `days` days, most asked first."""
    since = today - dt.timedelta(days=days - 1)
    return group_questions(log.missed_questions(since, MISSED_SAMPLE))[:GROUPS_SHOWN]


def group_questions(missed: Sequence[MissedQuestion]) -> list[QuestionGroup]:
    """Group wordings that differ only in case, punctuation, word order or a typo.

    Exact matches after normalising are grouped first; then each group joins the first
    bigger one it resembles (rapidfuzz token_sort_ratio >= SAME_QUESTION).
    """
    by_text: dict[str, list[MissedQuestion]] = {}
    for item in missed:
        by_text.setdefault(normalise(item.question), []).append(item)
    clusters: list[tuple[str, list[MissedQuestion]]] = []
    for text, items in sorted(by_text.items(), key=lambda entry: -len(entry[1])):
        similar = next(
            (
                cluster
                for key, cluster in clusters
                if fuzz.token_sort_ratio(text, key) >= SAME_QUESTION
            ),
            None,
        )
        if similar is None:
            clusters.append((text, list(items)))
        else:
            similar.extend(items)
    groups = [_group(items) for _, items in clusters]
    return sorted(groups, key=lambda group: -group.asked)


def normalise(question: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", question.casefold()).split())


def _group(items: list[MissedQuestion]) -> QuestionGroup:
    wording = Counter(item.question.strip() for item in items).most_common(1)[0][0]
    return QuestionGroup(
        question=wording,
        asked=len(items),
        refused=sum(item.refused for item in items),
        downvoted=sum(item.downvoted for item in items),
    )
