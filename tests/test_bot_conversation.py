"""Per-chat conversation memory stays per chat and bounded."""

from __future__ import annotations

from bot.conversation import ConversationMemory
from index.api import Turn


def test_history_is_per_chat_and_keeps_the_last_turns() -> None:
    memory = ConversationMemory(turns_per_chat=2)
    for number in range(5):
        memory.remember(1, Turn(f"q{number}", f"a{number}"))
    memory.remember(2, Turn("other"))
    assert memory.history(1) == (Turn("q3", "a3"), Turn("q4", "a4"))
    assert memory.history(2) == (Turn("other"),)
    assert memory.history(3) == ()


def test_least_recently_active_chats_are_forgotten() -> None:
    memory = ConversationMemory(turns_per_chat=1, max_chats=2)
    memory.remember(1, Turn("a"))
    memory.remember(2, Turn("b"))
    memory.remember(1, Turn("c"))  # chat 1 is now the most recent
    memory.remember(3, Turn("d"))
    assert memory.history(2) == ()
    assert memory.history(1) == (Turn("c"),)
    assert memory.history(3) == (Turn("d"),)


def test_zero_turns_remembers_nothing() -> None:
    memory = ConversationMemory(turns_per_chat=0)
    memory.remember(1, Turn("a"))
    assert memory.history(1) == ()
