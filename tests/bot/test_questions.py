"""End to end: people ask, the real Application answers through the Bot API emulator."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.bot_harness import (
    CHAT,
    HEADLINE_QUESTION,
    MARKER_QUESTION,
    BotUnderTest,
    StartBot,
    assert_valid_html_calls,
    visible,
)

pytest_plugins = ("tests.support.bot_fixtures",)  # fixtures: bot, start_bot, private_engine
pytestmark = pytest.mark.model  # end to end: the bot over the real engine and model


GROUP = -100555


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button.get("callback_data", "")) for row in rows for button in row]


async def test_headline_question_gets_answer_quote_and_source(bot: BotUnderTest) -> None:
    reply = await bot.ask(HEADLINE_QUESTION)
    text = visible(reply)
    assert "involuntary manslaughter" in text
    assert "Gutierrez Reed" in text
    quote = next(e for e in reply["entities"] if e["type"] == "blockquote")
    assert quote["offset"] > 0  # the short answer comes first, then the quote
    assert text.rstrip().endswith(
        "📰 Mickey Rourke Stands Firm That Alec Baldwin is Not to ‘Blame’ · 30 Jan 2023"
    )
    bold = next(e for e in reply["entities"] if e["type"] == "bold")
    assert bold["offset"] == 0  # the short answer first, in bold
    # the direct answer above its sentence when the calibrated model says likely right
    # (issue 24), else the sentences themselves: never "Rust armorer"
    emphasised, after = text[: bold["length"]], text[bold["length"] :]
    if emphasised == "involuntary manslaughter":
        emphasised = after.lstrip("\n")
    assert emphasised.startswith("Alec Baldwin is facing two counts of involuntary manslaughter")
    assert " … Prosecutors are handing Rust armorer Hannah Gutierrez Reed" in emphasised
    assert "/work" not in text and "corpus" not in text  # no server paths
    labels = [label for label, _ in buttons(reply)]
    assert labels == ["More ➕", "👍", "👎"]
    typing = await bot.emulator.wait_for_call("sendChatAction")
    assert typing.params["action"] == "typing"
    assert_valid_html_calls(bot.emulator)


async def test_unanswerable_question_says_so_and_lists_topics(bot: BotUnderTest) -> None:
    text = visible(await bot.ask("who is the president of France"))
    assert text.startswith("I couldn't find that in the articles I have.")
    assert "They cover:" in text and "Mickey Rourke Stands Firm" in text
    assert "involuntary" not in text


async def test_a_near_miss_shows_the_closest_passage_marked_as_not_the_answer(
    bot: BotUnderTest,
) -> None:
    reply = await bot.ask("Which studio produced Rust?")
    text = visible(reply)
    assert text.startswith("I couldn't find that in the articles I have.")
    marker = text.index("The closest I found (it does not answer your question):")
    quote = next(e for e in reply["entities"] if e["type"] == "blockquote")
    assert quote["offset"] > marker and "They cover:" in text


async def test_follow_up_uses_this_chats_conversation(bot: BotUnderTest) -> None:
    first = visible(await bot.ask("What charges does Alec Baldwin face?"))
    assert "involuntary manslaughter" in first
    follow_up = visible(await bot.ask("how long could he go to jail?"))
    assert "18 months" in follow_up
    # The same words in another chat, without that conversation, are not understood so:
    # this is what proves the history was used (and kept per chat).
    elsewhere = visible(await bot.ask("how long could he go to jail?", chat_id=2002, user_id=2002))
    assert "18 months" not in elsewhere


async def test_hostile_question_text_still_gets_valid_replies(bot: BotUnderTest) -> None:
    hostile = "<b>what</b> & charges\x00 &amp; <a href='x'> 😀 \u202eReed\ud800? </blockquote>"
    reply = await bot.ask(hostile.encode("utf-8", "replace").decode())
    assert visible(reply)
    long_question = "why " * 300  # 1200 characters, over max_question_chars
    reply = await bot.ask(long_question)
    assert "shorter question" in visible(reply)
    assert_valid_html_calls(bot.emulator)


ASK_ME = "Ask me a question about “Mickey Rourke Stands Firm That Alec Baldwin is Not to ‘Blame’”,"


async def test_ask_command_and_usage(bot: BotUnderTest) -> None:
    reply = await bot.ask(f"/ask {HEADLINE_QUESTION}")
    assert "involuntary manslaughter" in visible(reply)
    usage = visible(await bot.ask("/ask"))
    assert usage.startswith(f"{ASK_ME} in your own words. Put your question after the command")


async def test_an_empty_question_is_told_what_the_articles_cover(bot: BotUnderTest) -> None:
    """The same words as `qabot ask ""`: a bare mention in a group, an empty private text."""
    group: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}
    assert visible(await bot.ask("@qabot_test_bot", **group)) == f"{ASK_ME} in your own words."
    assert visible(await bot.ask(" ")) == f"{ASK_ME} in your own words."


async def test_in_groups_only_mentions_replies_and_commands_are_answered(
    start_bot: StartBot,
) -> None:
    async with start_bot(concurrent_updates=1) as bot:  # one update at a time: see handled_so_far
        await _only_mentions_replies_and_commands(bot)


async def _only_mentions_replies_and_commands(bot: BotUnderTest) -> None:
    emulator = bot.emulator
    group: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}
    chatter = emulator.user_sends_text(f"{HEADLINE_QUESTION}?", **group)
    other_bot = emulator.user_sends_text("@some_other_bot what charges?", **group)
    mention = await bot.ask(f"@qabot_test_bot {HEADLINE_QUESTION}", **group)
    assert "involuntary manslaughter" in visible(mention)
    assert mention["reply_to_message"]["message_id"] not in (
        chatter["message_id"],
        other_bot["message_id"],
    )
    reply = await bot.ask(
        "and what about Dave Halls?", reply_to_message_id=mention["message_id"], **group
    )
    assert "probation" in visible(reply)
    command = await bot.ask(f"/ask@qabot_test_bot {HEADLINE_QUESTION}", **group)
    assert "involuntary manslaughter" in visible(command)
    emulator.user_sends_sticker(**group)
    emulator.user_sends_text("/unknown_command", **group)
    emulator.user_sends_text("   ", **group)
    # a mention sent after them is answered next: none of the three got a reply
    await bot.handled_so_far(text=f"@qabot_test_bot {MARKER_QUESTION}", **group)
    answered = {m["reply_to_message"]["message_id"] for m in emulator.sent_messages(GROUP)}
    assert chatter["message_id"] not in answered and other_bot["message_id"] not in answered


async def test_non_text_messages_get_a_short_helpful_reply(bot: BotUnderTest) -> None:
    emulator = bot.emulator
    for send in (emulator.user_sends_sticker, emulator.user_sends_photo, emulator.user_sends_voice):
        send()
        reply = await emulator.wait_for_message(CHAT)
        assert "I can only read text" in visible(reply)
    assert "question" in visible(await bot.ask(""))
    assert "question" in visible(await bot.ask(" \n "))
    assert "/help" in visible(await bot.ask("/nonsense"))


async def test_rate_limit_is_friendly_and_then_quiet(start_bot: StartBot) -> None:
    async with start_bot(rate_limit_per_minute=2, concurrent_updates=1) as bot:
        for _ in range(2):
            assert "involuntary" in visible(await bot.ask(HEADLINE_QUESTION))
        slow = visible(await bot.ask(HEADLINE_QUESTION))
        assert "faster than I can keep up" in slow and "wait" in slow
        bot.emulator.user_sends_text(HEADLINE_QUESTION)  # still too fast: silence, not spam
        # /help is not rate limited: its reply comes next, so the question got none
        await bot.handled_so_far(chat_id=CHAT, user_id=CHAT, text="/help", expect="How to use me")
        other = visible(await bot.ask(HEADLINE_QUESTION, chat_id=3003, user_id=3003))
        assert "involuntary" in other  # the limit is per person
