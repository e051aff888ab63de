"""End to end: More, 👍/👎 (stored in SQLite), forged buttons, /start examples, inline mode."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.bot_harness import (
    CHAT,
    HEADLINE_QUESTION,
    BotUnderTest,
    StartBot,
    assert_valid_html_calls,
    visible,
)

pytest_plugins = ("tests.support.bot_fixtures",)  # fixtures: bot, start_bot, private_engine
pytestmark = pytest.mark.model  # end to end: the bot over the real engine and model


def data_of(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no {label!r} button in {message.get('reply_markup')}")


async def press(
    bot: BotUnderTest, message: dict[str, Any], data: str, **kwargs: Any
) -> dict[str, Any]:
    query_id = bot.emulator.user_presses_button(message, data, **kwargs)
    call = await bot.emulator.wait_for_call(
        "answerCallbackQuery", predicate=lambda c: c.params["callback_query_id"] == query_id
    )
    return dict(call.params)


async def test_feedback_round_trip_is_stored_with_question_answer_and_passages(
    bot: BotUnderTest,
) -> None:

    answer = await bot.ask(HEADLINE_QUESTION)
    thanks = await press(bot, answer, data_of(answer, "👍"))
    assert "Thanks" in thanks["text"]
    await press(bot, answer, data_of(answer, "👎"), user_id=2002)  # someone else in the chat
    rows = bot.rows(
        "SELECT f.user_id, f.vote, a.question, a.answer, a.passages FROM feedback f"
        " JOIN answers a USING (answer_id) ORDER BY f.user_id"
    )
    assert [(user, vote) for user, vote, *_ in rows] == [(1001, 1), (2002, -1)]
    question, answer_text, passages = rows[0][2:]
    assert question == HEADLINE_QUESTION
    assert "involuntary manslaughter" in answer_text
    assert "Gutierrez Reed" in passages


async def test_more_shows_the_next_passages_then_stops(bot: BotUnderTest) -> None:
    answer = await bot.ask(HEADLINE_QUESTION)
    more = data_of(answer, "More ➕")
    await press(bot, answer, more)
    second = await bot.emulator.wait_for_message(CHAT)
    assert visible(second).startswith("More from the articles (2/5)")
    assert any(e["type"] == "blockquote" for e in second["entities"])
    # the tapped button is gone (feedback stays); the new message carries the next More
    edited = bot.emulator.message(CHAT, answer["message_id"])
    labels = [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["👍", "👎"]
    current = second
    for number in (3, 4, 5):
        await press(bot, current, data_of(current, "More ➕"))
        current = await bot.emulator.wait_for_message(CHAT)
        assert visible(current).startswith(f"More from the articles ({number}/5)")
    assert "reply_markup" not in current or not current["reply_markup"]["inline_keyboard"]
    assert_valid_html_calls(bot.emulator)


async def test_forged_or_misplaced_buttons_do_nothing(start_bot: StartBot) -> None:
    async with start_bot(concurrent_updates=1) as bot:  # one update at a time: handled_so_far
        await _forged_or_misplaced_buttons_do_nothing(bot)


async def _forged_or_misplaced_buttons_do_nothing(bot: BotUnderTest) -> None:
    mine = await bot.ask(HEADLINE_QUESTION)
    theirs = await bot.ask(HEADLINE_QUESTION, chat_id=2002, user_id=2002)
    # A client sends the data of an answer in another chat, on a message of its own chat:
    refused = await press(bot, mine, data_of(theirs, "👍"), check_button=False)
    assert "no longer works" in refused["text"]
    # Made-up ids and junk data:
    for junk in ("u:made-up-id", "m:" + "x" * 40, "nonsense", "x:99"):
        reply = await press(bot, mine, junk, check_button=False)
        assert "no longer" in reply["text"]
    # a question asked next in this chat is answered next: no press made the bot say more
    await bot.handled_so_far(chat_id=CHAT, user_id=CHAT)
    assert bot.emulator.unconsumed_messages(2002) == []  # nor in the other chat
    assert bot.rows("SELECT count(*) FROM feedback") == [(0,)]


async def test_start_offers_example_questions_that_answer_when_tapped(bot: BotUnderTest) -> None:
    start = await bot.ask("/start")
    text = visible(start)
    assert "1 news article" in text
    examples = start["reply_markup"]["inline_keyboard"]
    assert examples and examples[0][0]["text"] == bot.config.telegram.example_questions[0]
    await press(bot, start, examples[0][0]["callback_data"])
    answer = await bot.emulator.wait_for_message(CHAT)
    assert "involuntary manslaughter" in visible(answer)
    assert any(e["type"] == "blockquote" for e in answer["entities"])


async def test_start_makes_examples_from_titles_without_configured_ones(
    start_bot: StartBot,
) -> None:
    async with start_bot(example_questions=[]) as bot:
        start = await bot.ask("/start")
        examples = start["reply_markup"]["inline_keyboard"]
        assert examples[0][0]["text"].startswith("What is “Mickey Rourke")


async def test_help_and_sources(bot: BotUnderTest) -> None:
    help_text = visible(await bot.ask("/help"))
    assert "@qabot_test_bot" in help_text and "/sources" in help_text
    sources = visible(await bot.ask("/sources"))
    assert "I know 1 article:" in sources
    assert "Mickey Rourke Stands Firm That Alec Baldwin is Not to ‘Blame’ · 30 Jan 2023" in sources
    assert "rust-shooting-rourke-baldwin" not in sources  # ids are for admins only


async def test_inline_query_offers_the_answer(bot: BotUnderTest) -> None:
    query_id = bot.emulator.user_inline_query(HEADLINE_QUESTION, user_id=5005)
    await bot.emulator.wait_for_call("answerInlineQuery")
    answer = bot.emulator.inline_answer(query_id)
    assert answer is not None
    [result] = answer["results"]
    assert result["type"] == "article"
    assert "involuntary manslaughter" in result["title"]
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML" and "<blockquote>" in content["message_text"]
    # too short to be a question: a prompt, no results
    short_id = bot.emulator.user_inline_query("wh", user_id=5005)
    await bot.emulator.wait_for_call(
        "answerInlineQuery", predicate=lambda c: c.params["inline_query_id"] == short_id
    )
    prompt = bot.emulator.inline_answer(short_id)
    assert prompt is not None and prompt["results"] == []
    assert "question" in prompt["button"]["text"]
