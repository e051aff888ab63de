"""Per-chat conversation memory stays per chat and bounded, and the bot uses whichever
memory it is given: the `bot.state.protocols.Conversations` protocol is the only contract."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.state.memory import MemoryConversations
from index.api import Turn
from tests.support.bot_harness import CHAT, StartBot, until, visible

pytest_plugins = ("tests.support.bot_fixtures",)  # fixtures: bot, start_bot, private_engine


def test_history_is_per_chat_and_keeps_the_last_turns() -> None:
    memory = MemoryConversations(turns_per_chat=2)
    for number in range(5):
        memory.remember(1, Turn(f"q{number}", f"a{number}"))
    memory.remember(2, Turn("other"))
    assert memory.history(1) == (Turn("q3", "a3"), Turn("q4", "a4"))
    assert memory.history(2) == (Turn("other"),)
    assert memory.history(3) == ()


def test_least_recently_active_chats_are_forgotten() -> None:
    memory = MemoryConversations(turns_per_chat=1, max_chats=2)
    memory.remember(1, Turn("a"))
    memory.remember(2, Turn("b"))
    memory.remember(1, Turn("c"))  # chat 1 is now the most recent
    memory.remember(3, Turn("d"))
    assert memory.history(2) == ()
    assert memory.history(1) == (Turn("c"),)
    assert memory.history(3) == (Turn("d"),)


def test_zero_turns_remembers_nothing() -> None:
    memory = MemoryConversations(turns_per_chat=0)
    memory.remember(1, Turn("a"))
    assert memory.history(1) == ()


class NotebookConversations:
    """Another conversation memory, written against the protocol alone: a dict of lists."""

    def __init__(self) -> None:
        self.turns: dict[int, list[Turn]] = {}

    def history(self, chat_id: int) -> Sequence[Turn]:
        return self.turns.get(chat_id, [])

    def remember(self, chat_id: int, turn: Turn) -> None:
        self.turns.setdefault(chat_id, []).append(turn)


@pytest.mark.model  # the bot over the real engine and model
async def test_the_bot_keeps_conversations_in_the_memory_it_is_given(start_bot: StartBot) -> None:
    notebook = NotebookConversations()
    new_chat, control_chat = 2002, 3003
    async with start_bot(conversations=notebook) as bot:
        first = visible(await bot.ask("What charges does Alec Baldwin face?"))
        assert "involuntary manslaughter" in first
        # the bot remembers the turn just after replying
        await until(lambda: CHAT in notebook.turns, "the turn in the notebook")
        [turn] = notebook.turns[CHAT]  # the bot wrote the exchange into the notebook
        assert turn.question == "What charges does Alec Baldwin face?"
        assert "involuntary manslaughter" in turn.answer

        # A chat the bot has never talked with, whose history only the notebook holds:
        # the follow-up is understood, so the bot read the history from the notebook.
        notebook.turns[new_chat] = [turn]
        follow_up = "how long could he go to jail?"
        reply = visible(await bot.ask(follow_up, chat_id=new_chat, user_id=new_chat))
        assert "18 months" in reply
        await until(lambda: len(notebook.turns[new_chat]) == 2, "the follow-up's turn")
        assert [t.question for t in notebook.turns[new_chat]] == [turn.question, follow_up]

        # The same words without that history are not understood so.
        control = visible(await bot.ask(follow_up, chat_id=control_chat, user_id=control_chat))
        assert "18 months" not in control
