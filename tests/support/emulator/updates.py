"""The bot's update queue with getUpdates' offset and allowed_updates semantics."""

from __future__ import annotations

import copy
from typing import Any

from .notify import Signal

Update = dict[str, Any]

# Telegram's default when allowed_updates was never set (or set to an empty list).
_NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
FIRST_UPDATE_ID = 100_000


class UpdateQueue:
    """Updates wait here until a getUpdates offset confirms them."""

    def __init__(self) -> None:
        self._pending: list[Update] = []
        self._next_id = FIRST_UPDATE_ID
        self._allowed: frozenset[str] | None = None
        self.dropped: list[Update] = []  # filtered out by allowed_updates, kept for inspection
        self.arrived = Signal()  # also rung when a newer getUpdates supersedes a waiting one
        self.closed = False
        self._poll_generation = 0

    def push(self, kind: str, payload: dict[str, Any]) -> Update:
        """Queue an update of the given kind ("message", "callback_query", ...)."""
        update = {"update_id": self._next_id, kind: copy.deepcopy(payload)}
        self._next_id += 1
        if self._is_allowed(kind):
            self._pending.append(update)
            self.arrived.notify()
        else:
            self.dropped.append(update)
        return update

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed is None:
            return kind not in _NOT_SENT_BY_DEFAULT
        return kind in self._allowed

    def set_allowed(self, kinds: list[str]) -> None:
        """Like Telegram: applies to updates created from now on; [] restores the default."""
        self._allowed = frozenset(kinds) if kinds else None

    def confirm(self, offset: int) -> None:
        """Forget updates below offset; a negative offset keeps only the last -offset updates."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def take_newest(self) -> Update:
        """The newest update, off the queue (as a webhook delivery takes it)."""
        return self._pending.pop()

    def peek(self, limit: int) -> list[Update]:
        return copy.deepcopy(self._pending[:limit])

    def clear(self) -> None:
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)

    def begin_poll(self) -> int:
        """Register a getUpdates call; any older waiting call must now end with a 409."""
        self._poll_generation += 1
        self.arrived.notify()
        return self._poll_generation

    def is_current_poll(self, ticket: int) -> bool:
        return ticket == self._poll_generation

    def close(self) -> None:
        """Release long polls at once so the server can shut down."""
        self.closed = True
        self.arrived.notify()
