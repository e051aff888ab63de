"""End to end: the bot survives flood control, server errors and dropped connections, keeps
strangers out when an allow-list is set, and never logs its token."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.transport.redact import install_log_redaction
from tests.support.bot_harness import (
    ADMIN_ID,
    CHAT,
    HEADLINE_QUESTION,
    BotUnderTest,
    StartBot,
    visible,
)

pytest_plugins = ("tests.support.bot_fixtures",)  # fixtures: bot, start_bot, private_engine
pytestmark = pytest.mark.model  # end to end: the bot over the real engine and model


async def test_a_429_is_waited_out_and_the_answer_arrives(bot: BotUnderTest) -> None:
    bot.emulator.fail_next("sendMessage", 429, retry_after=1)
    reply = await bot.ask(HEADLINE_QUESTION)
    assert "involuntary manslaughter" in visible(reply)
    attempts = [c for c in bot.emulator.calls if c.method == "sendMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].time - attempts[0].time >= 1.0  # waited as Telegram asked


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried(bot: BotUnderTest, status: int) -> None:
    bot.emulator.fail_next("sendMessage", status, times=2)
    reply = await bot.ask(HEADLINE_QUESTION)
    assert "involuntary manslaughter" in visible(reply)
    assert [c.status for c in bot.emulator.calls if c.method == "sendMessage"] == [
        status,
        status,
        200,
    ]


async def test_a_dropped_connection_is_retried(bot: BotUnderTest) -> None:
    bot.emulator.drop_next("sendMessage")
    reply = await bot.ask(HEADLINE_QUESTION)
    assert "involuntary manslaughter" in visible(reply)
    assert len(bot.emulator.sent_messages(CHAT)) == 1  # not sent twice


async def test_after_a_lasting_outage_the_bot_apologises_and_keeps_serving(
    bot: BotUnderTest,
) -> None:
    bot.emulator.fail_next("sendMessage", 500, times=4)  # every retry of the answer fails
    bot.emulator.user_sends_text(HEADLINE_QUESTION)
    apology = await bot.emulator.wait_for_message(CHAT, timeout=20)
    assert "something went wrong" in visible(apology)
    reply = await bot.ask(HEADLINE_QUESTION)
    assert "involuntary manslaughter" in visible(reply)


async def test_strangers_get_a_refusal_and_nothing_else(start_bot: StartBot) -> None:
    # one update at a time, so that an answered marker proves the earlier ones handled
    allowed = {"allowed_user_ids": [1001], "allowed_chat_ids": [-100777]}
    async with start_bot(concurrent_updates=1, **allowed) as bot:
        emulator = bot.emulator
        stranger: dict[str, Any] = {"chat_id": 6006, "user_id": 6006}
        for text in (HEADLINE_QUESTION, "/sources"):
            emulator.user_sends_text(text, **stranger)
        refusal = visible(await emulator.wait_for_message(6006))
        assert refusal == "Sorry, this bot is private."
        await bot.handled_so_far(chat_id=CHAT, user_id=CHAT)
        for message in emulator.sent_messages(6006):  # at most refusals, rate limited
            assert visible(message) == "Sorry, this bot is private."
        for text in ("/stats", "/start", "/help"):
            emulator.user_sends_text(text, **stranger)
        await bot.handled_so_far(chat_id=CHAT, user_id=CHAT)
        assert all("Mickey" not in visible(m) for m in emulator.sent_messages(6006))
        assert len(emulator.sent_messages(6006)) <= 2

        query_id = emulator.user_inline_query(HEADLINE_QUESTION, user_id=6006)
        await emulator.wait_for_call("answerInlineQuery")
        inline = emulator.inline_answer(query_id)
        assert inline is not None and inline["results"] == []
        assert inline["button"]["text"] == "Sorry, this bot is private."
        allowed_query = emulator.user_inline_query(HEADLINE_QUESTION, user_id=1001)
        await emulator.wait_for_call(
            "answerInlineQuery", predicate=lambda c: c.params["inline_query_id"] == allowed_query
        )
        personal = emulator.inline_answer(allowed_query)
        assert personal is not None and personal["results"]
        assert personal["is_personal"] is True  # Telegram's cache must not share it

        # strangers' chatter in a group is ignored; an allowed user and an allowed chat work
        emulator.user_sends_text("hello", chat_id=-100888, user_id=6006, chat_type="group")
        assert "involuntary" in visible(await bot.ask(HEADLINE_QUESTION))
        in_listed_chat = await bot.ask(
            f"@qabot_test_bot {HEADLINE_QUESTION}",
            chat_id=-100777,
            user_id=7007,
            chat_type="group",
        )
        assert "involuntary" in visible(in_listed_chat)
        admin = await bot.ask("/stats", chat_id=ADMIN_ID, user_id=ADMIN_ID)
        assert "Last 14 days:" in admin["caption"]
        await bot.assert_silent(-100888, chat_id=CHAT, user_id=CHAT)


async def test_the_token_never_reaches_the_logs(
    start_bot: StartBot,
    caplog: pytest.LogCaptureFixture,
) -> None:

    caplog.set_level(logging.DEBUG)
    uninstall = install_log_redaction(["123456:TEST-TOKEN"])  # serve() does this at start
    try:
        async with start_bot() as bot:
            assert bot.emulator.token == "123456:TEST-TOKEN"
            bot.emulator.fail_next("sendMessage", 400, description="Bad Request: chat not found")
            apology = visible(await bot.ask(HEADLINE_QUESTION))  # the error was logged...
            assert "something went wrong" in apology
            assert "involuntary" in visible(await bot.ask(HEADLINE_QUESTION))
    finally:
        uninstall()
    logged = caplog.text
    assert "HTTP Request: POST" in logged  # httpx logged the URLs...
    assert "/bot[REDACTED]/sendMessage" in logged  # ...with the token blanked out
    assert "Traceback" in logged and "BadRequest: Chat not found" in logged  # ...in full
    assert "TEST-TOKEN" not in logged
