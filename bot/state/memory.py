"""The bot's state kept by one process, in RAM: the default beside the SQLite answer log.

Named in parallel with the SQLite and PostgreSQL stores (`bot/state/sqlite_*.py`,
`bot/state/postgres.py`), each implementing a protocol of bot/state/protocols.py. A restart
forgets them, which is fine for what they hold: short follow-ups, a minute of question
times, the updates of the last few minutes. Each is bounded, so memory stays flat however
many people write.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from bot.state.protocols import RateDecision
from index.api import Turn

REMEMBERED_UPDATES = 10_000  # Telegram gives up redelivering long before this many arrive


class MemoryConversations:
    """Each chat's last turns (`bot.state.protocols.Conversations`), for follow-up questions.

    Bounded twice: `turns_per_chat` turns per chat and `max_chats` chats in all. Memory is
    per chat (in a group everyone shares one conversation, as people read it).
    """

    def __init__(self, turns_per_chat: int, max_chats: int = 10_000) -> None:
        self._turns_per_chat = turns_per_chat
        self._max_chats = max_chats
        self._chats: OrderedDict[int, deque[Turn]] = OrderedDict()

    def history(self, chat_id: int) -> tuple[Turn, ...]:
        return tuple(self._chats.get(chat_id, ()))

    def remember(self, chat_id: int, turn: Turn) -> None:
        if self._turns_per_chat == 0:
            return
        turns = self._chats.pop(chat_id, None) or deque(maxlen=self._turns_per_chat)
        turns.append(turn)
        self._chats[chat_id] = turns  # most recently active last
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        self._chats.pop(chat_id, None)


class MemoryRateLimiter:
    """At most `limit` events per key in any `window` seconds (`bot.state.protocols.RateLimiter`).

    python-telegram-bot's AIORateLimiter only throttles the bot's *outgoing* calls; it
    cannot refuse a person's incoming questions, hence this sliding window. At most
    `max_keys` keys are tracked, the least recently active one forgotten first (forgetting
    only ever lets someone ask sooner).
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self._limit = limit
        self._window = window
        self._max_keys = max_keys
        self._clock = clock
        self._events: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._warned: set[Hashable] = set()

    def check(self, key: Hashable) -> RateDecision:
        """Record an event for `key` if it is within the limit."""
        now = self._clock()
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        self._events[key] = events  # re-inserted last: most recently active
        self._forget_oldest_keys()
        if len(events) < self._limit:
            events.append(now)
            self._warned.discard(key)
            return RateDecision(allowed=True)
        first_refusal = key not in self._warned
        self._warned.add(key)
        return RateDecision(
            allowed=False, retry_after=events[0] + self._window - now, first_refusal=first_refusal
        )

    def _forget_oldest_keys(self) -> None:
        while len(self._events) > self._max_keys:
            key, _ = self._events.popitem(last=False)
            self._warned.discard(key)


class MemorySeenUpdates:
    """The last `remembered` update ids (`bot.state.protocols.SeenUpdates`)."""

    def __init__(self, remembered: int = REMEMBERED_UPDATES) -> None:
        self._remembered = remembered
        self._seen: OrderedDict[int, None] = OrderedDict()

    def is_repeat(self, update_id: int) -> bool:
        """Whether update_id was seen before; remembers it either way."""
        if update_id in self._seen:
            return True
        self._seen[update_id] = None
        if len(self._seen) > self._remembered:
            self._seen.popitem(last=False)
        return False
