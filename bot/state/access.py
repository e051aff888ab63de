"""Who may use the bot, who may administer it, and how fast each person may ask.

python-telegram-bot's AIORateLimiter only throttles the bot's *outgoing* API calls to stay
under Telegram's flood limits; it cannot refuse a person's incoming questions. The
per-person question rate is therefore a small sliding-window limiter of its own.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.settings import TelegramConfig
from bot.state.protocols import RateDecision


@dataclass(frozen=True)
class AccessPolicy:
    """The allow-lists and admins from config; empty allow-lists mean everyone may ask."""

    allowed_user_ids: frozenset[int] = frozenset()
    allowed_chat_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()

    @classmethod
    def from_config(cls, telegram: TelegramConfig) -> AccessPolicy:
        return cls(
            allowed_user_ids=frozenset(telegram.allowed_user_ids),
            allowed_chat_ids=frozenset(telegram.allowed_chat_ids),
            admin_user_ids=frozenset(telegram.admin_user_ids),
        )

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_user_ids or self.allowed_chat_ids)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_user_ids

    def may_use(self, user_id: int | None, chat_id: int | None) -> bool:
        """A listed user may ask anywhere; anyone may ask inside a listed chat."""
        if not self.restricted or self.is_admin(user_id):
            return True
        return (user_id is not None and user_id in self.allowed_user_ids) or (
            chat_id is not None and chat_id in self.allowed_chat_ids
        )


class SlidingWindowLimiter:
    """At most `limit` events per key in any `window` seconds (a `bot.state.protocols.RateLimiter`).

    Memory stays bounded: at most `max_keys` keys are tracked, the least recently active
    one is forgotten first (forgetting only ever lets someone ask sooner).
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
