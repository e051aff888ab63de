"""What the bot remembers, each kind behind a small protocol the handlers are written against.

By default they are kept by one process: the answer log in a SQLite file
(`bot/state/sqlite_answers.py`), follows, alerts and link counts in the same file
(`bot/state/sqlite_follows.py`), conversations, rate limits and seen updates in RAM
(`bot/state/memory.py`). Several bot workers share them in PostgreSQL
(`bot/state/postgres.py`). The composition (`qabot/serve.py`) chooses which to pass in;
nothing else in bot/ knows.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

from index.api import Answer, Passage, Turn


class StateUnavailable(Exception):
    """The store behind the bot's state cannot be reached now (a database outage).

    Nothing about the update is wrong: with the durable inbox it is handled again once the
    store answers (bot/transport/inbox.py), so the person gets the answer late rather than
    an apology now. The composition's stores raise it (qabot/database.py's pool does).
    """


P = ParamSpec("P")
T = TypeVar("T")

INLINE_QUERIES_PER_QUESTION = 5  # Telegram sends an inline query as the person types
REFUSALS_PER_MINUTE = 2


@dataclass(frozen=True)
class StoredAnswer:
    """A logged answer, as a pressed button finds it again."""

    answer_id: str
    chat_id: int | None
    question: str
    answer: str
    passages: list[Passage]
    passages_shown: int


@dataclass(frozen=True)
class UsageStats:
    questions: int
    confident: int
    thumbs_up: int
    thumbs_down: int
    latency_p50_ms: float | None
    latency_p90_ms: float | None
    latency_p99_ms: float | None


@dataclass(frozen=True)
class DayCounts:
    """One day (UTC) of questions asked in chats, and the votes cast that day."""

    day: dt.date
    questions: int
    refused: int  # answered "I couldn't find that"
    thumbs_up: int
    thumbs_down: int


@dataclass(frozen=True)
class MissedQuestion:
    """A question asked in a chat that the bot refused, or whose answer got a 👎."""

    question: str
    refused: bool
    downvoted: bool


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: float = 0.0  # seconds until the next event would be allowed
    first_refusal: bool = False  # warn once per burst instead of answering every message


class AnswerLog(Protocol):
    """Every answer given, the messages carrying its buttons, and the votes on it.

    Buttons carry only an answer id; `find_answer` also checks the message, so a forged
    button finds nothing. `claim_next_passage` must be atomic: two taps on "More" never
    get the same passage.
    """

    def record_answer(
        self, answer: Answer, *, chat_id: int | None, user_id: int | None, latency_ms: float
    ) -> str: ...

    def attach_message(self, answer_id: str, chat_id: int, message_id: int) -> None: ...

    def find_answer(self, answer_id: str, chat_id: int, message_id: int) -> StoredAnswer | None: ...

    def claim_next_passage(self, answer_id: str) -> int | None: ...

    def record_vote(self, answer_id: str, user_id: int, vote: int) -> None: ...

    def stats(self) -> UsageStats: ...

    def days(self, since: dt.date) -> list[DayCounts]:
        """The days from `since` on that saw a question or a vote, oldest first."""
        ...

    def missed_questions(self, since: dt.date, limit: int) -> list[MissedQuestion]:
        """Refused or 👎 questions from `since` on, newest first, at most `limit`."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Follow:
    """A topic (or question) a person follows in a chat; alerts go to that chat."""

    follow_id: int
    chat_id: int
    user_id: int
    topic: str


def named_follows(current: list[Follow], which: str) -> list[Follow]:
    """The follows `/unfollow WHICH` names: "all", a number from the list, or a topic."""
    wanted = which.strip()
    if wanted.casefold() == "all":
        return current
    if wanted.isdigit() and 1 <= int(wanted) <= len(current):
        return [current[int(wanted) - 1]]
    return [f for f in current if f.topic.casefold() == wanted.casefold()]


class Follows(Protocol):
    """Who follows what, which alerts were sent, and the chats that blocked the bot.

    `claim_alert` must be atomic: it records the alert only when this chat never had one
    for the document and had fewer than `per_day` alerts on `day`.
    """

    def follow(self, chat_id: int, user_id: int, topic: str) -> Follow: ...

    def following(self, chat_id: int) -> list[Follow]: ...

    def unfollow(self, chat_id: int, which: str) -> list[Follow]:
        """Stop following by number (as /following lists them), by topic, or "all"."""
        ...

    def followers(self) -> list[Follow]:
        """Every follow, except in chats that blocked the bot."""
        ...

    def claim_alert(self, chat_id: int, doc_id: str, day: dt.date, per_day: int) -> bool: ...

    def mute(self, chat_id: int) -> None:
        """The chat blocked the bot (Telegram said Forbidden): no more alerts to it."""
        ...

    def unmute(self, chat_id: int) -> None: ...


class LinkQuota(Protocol):
    """How many links each chat had read today."""

    def claim_link(self, chat_id: int, day: dt.date, per_day: int) -> bool:
        """Count one link for the chat if it had fewer than `per_day` on `day`."""
        ...


class Conversations(Protocol):
    """The last few exchanges of each chat, so follow-up questions can be understood."""

    def history(self, chat_id: int) -> Sequence[Turn]: ...

    def remember(self, chat_id: int, turn: Turn) -> None: ...


class SeenUpdates(Protocol):
    """The updates already handled, so one delivered twice (webhook mode) is answered once."""

    def is_repeat(self, update_id: int) -> bool:
        """Whether `update_id` was seen before; remembers it either way."""
        ...


@dataclass(frozen=True)
class Claim:
    """One worker's hold on one update of the inbox. `attempt` numbers the claims of the
    update: a worker whose claim was taken over changes nothing with the old number."""

    update_id: int
    attempt: int


@dataclass(frozen=True)
class ClaimedUpdate:
    """An update taken over from a worker whose lease ran out."""

    claim: Claim
    payload: dict[str, Any]  # the Update's JSON as Telegram sent it
    previous_worker: str | None
    reply_started: bool  # the previous worker began sending the reply: never sent again


class Inbox(Protocol):
    """Every update received in webhook mode, stored before Telegram gets its 200, and
    held by one worker at a time under a lease (bot/transport/inbox.py).

    `take_over` must be atomic across workers (SELECT ... FOR UPDATE SKIP LOCKED): two
    workers never claim one update at once. Every mark names its claim, so a worker whose
    claim was taken over marks nothing.
    """

    def accept(
        self, update_id: int, payload: dict[str, Any], worker: str, lease: float
    ) -> Claim | None:
        """Store the update, held by `worker` for `lease` seconds; None when it was stored
        before (Telegram delivered it again), whoever holds it."""
        ...

    def take_over(self, worker: str, lease: float, limit: int) -> list[ClaimedUpdate]:
        """Claim up to `limit` unfinished updates whose lease ran out, oldest first."""
        ...

    def renew(self, claims: Sequence[Claim], lease: float) -> None: ...

    def start_reply(self, claim: Claim, lease: float) -> bool:
        """Record that the reply to the update starts; False when the claim was lost."""
        ...

    def finish(self, claim: Claim) -> None: ...

    def release(self, claim: Claim, after: float) -> None:
        """Let the update go unfinished: any worker takes it over `after` seconds from now."""
        ...


class FloodSlots(Protocol):
    """When the bot may send its next message, for all workers together: at most `limit`
    messages in any `window` seconds per scope (the bot, one group)."""

    def reserve(self, scopes: Sequence[tuple[str, int, float]]) -> float:
        """Book the earliest moment every scope (name, limit, window) allows; the seconds
        to wait until it."""
        ...

    def pause(self, seconds: float) -> None:
        """Telegram asked the bot to wait (a 429): no worker sends for `seconds`."""
        ...


class RateLimiter(Protocol):
    """At most so many events per key in a window of time."""

    def check(self, key: Hashable) -> RateDecision:
        """Record an event for `key` if it is within the limit."""
        ...


@dataclass(frozen=True)
class RateLimiters:
    """The bot's three budgets; each is its own limiter, so they never share counts."""

    questions: RateLimiter  # per person (or per chat for anonymous senders)
    inline_queries: RateLimiter  # inline queries arrive per keystroke: a budget of their own
    refusals: RateLimiter  # strangers are told "private" rarely, not per message

    @classmethod
    def per_minute(cls, questions: int, limiter: Callable[[str, int], RateLimiter]) -> RateLimiters:
        """The budgets for `questions` per person per minute; `limiter(name, n)` allows n a
        minute (the name keeps the budgets apart in a shared store)."""
        return cls(
            questions=limiter("questions", questions),
            inline_queries=limiter("inline_queries", questions * INLINE_QUERIES_PER_QUESTION),
            refusals=limiter("refusals", REFUSALS_PER_MINUTE),
        )


@dataclass(frozen=True)
class Subscription:
    """A chat or channel that has a feed's new items posted to it (/subscribe URL)."""

    subscription_id: int
    chat_id: int
    feed_url: str
    keywords: tuple[str, ...]  # none: every item; else items naming one of them
    since: dt.date  # the day it subscribed: older items are not news to it


class PostClaim(enum.Enum):
    POST = "post"  # post it as a message of its own
    FOLD = "fold"  # the chat had its posts this hour: into the one folded message
    SEEN = "seen"  # posted (or folded) to this chat before, from this feed or another


def named_subscriptions(current: list[Subscription], which: str) -> list[Subscription]:
    """The subscriptions `/unsubscribe WHICH` names: "all", a number from the list, or an
    address."""
    wanted = which.strip()
    if wanted.casefold() == "all":
        return current
    if wanted.isdigit() and 1 <= int(wanted) <= len(current):
        return [current[int(wanted) - 1]]
    return [s for s in current if s.feed_url.rstrip("/") == wanted.rstrip("/")]


class Channels(Protocol):
    """Which chats have which feeds posted to them, and what was posted.

    `claim_post` must be atomic: one post per document per chat, whichever feed or worker
    brings it, and at most `per_hour` posts (not folded) in any hour.
    """

    def subscribe(
        self, chat_id: int, feed_url: str, keywords: Sequence[str], since: dt.date
    ) -> Subscription:
        """Subscribe (again: its keywords replaced); the chat is unmuted."""
        ...

    def subscriptions(self, chat_id: int) -> list[Subscription]: ...

    def subscribers(self) -> list[Subscription]:
        """Every subscription, except of chats that blocked the bot."""
        ...

    def unsubscribe(self, chat_id: int, which: str) -> list[Subscription]: ...

    def claim_post(self, chat_id: int, doc_id: str, now: float, per_hour: int) -> PostClaim: ...


@dataclass(frozen=True)
class DigestSchedule:
    """A chat's daily digest: every day at `hour` o'clock in the IANA zone `zone`."""

    hour: int
    zone: str


@dataclass(frozen=True)
class DueDigest:
    """A digest claimed for sending: the chat's, of `day` (the chat's local date)."""

    chat_id: int
    day: dt.date


class DailyDigests(Protocol):
    """Chats that get the day's stories every day at an hour they chose, in their zone.

    `claim_digests` must be atomic: each chat's digest of a (local) day is claimed once,
    whichever worker asks.
    """

    def schedule_digest(self, chat_id: int, schedule: DigestSchedule, now: dt.datetime) -> None:
        """Every day at the schedule's hour: today's first if it has not passed yet there."""
        ...

    def cancel_digest(self, chat_id: int) -> bool: ...

    def digest_schedule(self, chat_id: int) -> DigestSchedule | None: ...

    def claim_digests(self, now: dt.datetime) -> list[DueDigest]:
        """The digests due at `now` (in each chat's zone its hour has come today, and
        today's was not sent), by chat: each marked sent for that local day."""
        ...


class StoreCalls(Protocol):
    """How the handlers call a store's method: inline, or off the event loop
    (bot/state/calls.py). `await calls.run(store.method, *args)` is `store.method(*args)`."""

    async def run(self, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    def close(self) -> None: ...


class FollowState(Follows, LinkQuota, Channels, DailyDigests, Protocol):
    """What the bot keeps of each chat's news: its follows and alerts, its link counts,
    the feeds posted to it and its daily digest."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class BotState:
    """The stores, bundled so the composition passes them to the bot in one piece."""

    answers: AnswerLog
    conversations: Conversations
    limiters: RateLimiters
    updates: SeenUpdates | None  # None: the durable inbox keeps each update once
    follows: FollowState
    calls: StoreCalls
    inbox: Inbox | None = None  # webhook mode on PostgreSQL: the durable inbox
    flood: FloodSlots | None = None  # several workers: flood control they share

    def close(self) -> None:
        self.answers.close()
        self.follows.close()
        self.calls.close()
