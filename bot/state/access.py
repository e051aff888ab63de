"""Who may use the bot and who may administer it: the allow-lists and admins of config.

A policy, no state: how fast each person may ask is counted by a `RateLimiter` store
(`bot/state/memory.py`, `bot/state/postgres.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import TelegramConfig


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
