"""The last few exchanges of each chat, so follow-up questions can be understood."""

from __future__ import annotations

from collections import OrderedDict, deque

from index.api import Turn


class ConversationMemory:
    """Conversations (`bot.state.protocols.Conversations`) kept in RAM: a restart forgets
    them, which is fine for short follow-ups.

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
