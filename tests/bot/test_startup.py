"""Startup never depends on an optional call (bot/transport/startup.py, bot/transport/running.py).

The real Application over HTTP against the emulator, whose calls fail for a while: the bot
answers meanwhile and sets its command menus once Telegram takes them.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from tests.support.bot_harness import ADMIN_ID, HEADLINE_QUESTION, StartBot, visible
from tests.support.emulator import ApiCall, BotApiEmulator

pytest_plugins = ("tests.support.bot_fixtures",)
pytestmark = pytest.mark.model  # end to end: the bot over the real engine and model

PUBLIC_MENU = [
    *("start", "help", "sources", "latest", "today", "digest", "follow", "following"),
    *("unfollow", "ask", "subscribe", "subscriptions", "unsubscribe"),
]
OUTAGE = 4.0  # seconds setMyCommands fails for


def public_menu_set(call: ApiCall) -> bool:
    return call.ok and "scope" not in call.params


def menu_attempts(emulator: BotApiEmulator) -> list[ApiCall]:
    return [c for c in emulator.calls if c.method == "setMyCommands" and "scope" not in c.params]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter's
@pytest.mark.parametrize(
    ("status", "retry_after"), [(500, None), (429, 2)], ids=["server-error", "flood-control"]
)
async def test_the_bot_answers_while_setting_its_menu_fails_and_sets_it_later(
    start_bot: StartBot, status: int, retry_after: int | None
) -> None:
    async with BotApiEmulator() as emulator:
        emulator.fail_for("setMyCommands", status, OUTAGE, retry_after=retry_after)
        async with start_bot(emulator=emulator) as bot:
            answer = visible(await bot.ask(HEADLINE_QUESTION))
            assert "involuntary manslaughter" in answer
            assert emulator.commands() == []  # answered during the outage

            await emulator.wait_for_call("setMyCommands", predicate=public_menu_set, timeout=30)
            assert [c["command"] for c in emulator.commands()] == PUBLIC_MENU
            admin_scope = {"type": "chat", "chat_id": ADMIN_ID}
            await emulator.wait_for_call(
                "setMyCommands", predicate=lambda call: call.ok and "scope" in call.params
            )
            assert "unanswered" in [c["command"] for c in emulator.commands(admin_scope)]

    attempts = menu_attempts(emulator)
    assert [call.status for call in attempts[:-1]] == [status] * (len(attempts) - 1)
    assert len(attempts) >= 2
    if retry_after is not None:  # each retry waited as long as Telegram asked
        waits = [later.time - earlier.time for earlier, later in itertools.pairwise(attempts)]
        assert min(waits) >= retry_after - 0.05


async def test_a_server_without_set_my_commands_still_gets_a_working_bot(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotApiEmulator() as emulator:
        emulator.fail_for("setMyCommands", 404, 60, description="Not Found")
        async with start_bot(emulator=emulator) as bot:
            with caplog.at_level(logging.WARNING, logger="bot.app"):
                assert "involuntary manslaughter" in visible(await bot.ask(HEADLINE_QUESTION))
                await emulator.wait_for_call("setMyCommands")
            assert emulator.commands() == []
    assert len(menu_attempts(emulator)) == 1  # not retried: it will not appear by itself
    assert "The command menu was not set" in caplog.text


async def test_polling_starts_once_delete_webhook_works_again(start_bot: StartBot) -> None:
    """deleteWebhook must succeed before getUpdates can (a set webhook excludes polling);
    python-telegram-bot retries it instead of giving up."""
    async with BotApiEmulator() as emulator:
        emulator.fail_next("deleteWebhook", 500, times=5)  # each try is retried 3 times
        async with start_bot(emulator=emulator) as bot:
            assert "involuntary manslaughter" in visible(await bot.ask(HEADLINE_QUESTION))
    statuses = [call.status for call in emulator.calls if call.method == "deleteWebhook"]
    assert statuses == [500] * 5 + [200]
