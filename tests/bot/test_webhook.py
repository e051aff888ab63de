"""Webhook mode end to end: `serve()` as a real process registers its webhook with the secret,
answers updates POSTed with that secret, refuses forged POSTs (403, no reply), handles a
redelivered update once, and stops cleanly; a refused webhook setting ends it with a clear
message."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.state.memory import MemorySeenUpdates
from qabot.config import Config
from qabot.serve import serve
from tests.support.bot_harness import (
    CHAT,
    HEADLINE_QUESTION,
    reserved_port,
    start_serve_process,
    write_serve_config,
)
from tests.support.emulator import BotApiEmulator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook-Secret_123"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PUBLIC_URL = "https://qabot.example.test/telegram"  # what Telegram would call; behind a proxy
STARTUP_TIMEOUT = 120  # model load and first index build; this machine may be busy


@dataclass
class WebhookBot:
    """A `serve()` process in webhook mode and where it listens."""

    process: asyncio.subprocess.Process
    url: str
    output: bytes = b""

    @property
    def log(self) -> str:
        return self.output.decode()

    async def post(self, update: dict[str, Any], secret: str | None) -> httpx.Response:
        """Deliver an update as Telegram does; retried while the server is still starting
        (the pause paces the attempts: a connection that succeeds decides)."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(100):
                try:
                    return await client.post(self.url, json=update, headers=headers)
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
        raise AssertionError(f"nothing listens on {self.url}")

    async def stop(self) -> int:
        """SIGTERM, then the exit status; the output is kept in `log`."""
        self.process.send_signal(signal.SIGTERM)
        self.output, _ = await asyncio.wait_for(self.process.communicate(), timeout=60)
        assert self.process.returncode is not None
        return self.process.returncode


def write_webhook_config(
    tmp_path: Path, emulator: BotApiEmulator, port: int, **telegram: Any
) -> Path:
    return write_serve_config(
        tmp_path,
        emulator,
        mode="webhook",
        webhook={"listen": "127.0.0.1", "port": port, "url": PUBLIC_URL},
        **telegram,
    )


@contextlib.asynccontextmanager
async def webhook_bot(
    tmp_path: Path, emulator: BotApiEmulator, **telegram: Any
) -> AsyncIterator[WebhookBot]:
    """`serve()` in webhook mode; its port is held for it from before it starts (it binds
    it once the index is open and the token checked, which takes a while)."""
    with reserved_port() as port:
        config_path = write_webhook_config(tmp_path, emulator, port, **telegram)
        process = await start_serve_process(
            config_path, {"TELEGRAM_BOT_TOKEN": emulator.token, "TELEGRAM_WEBHOOK_SECRET": SECRET}
        )
        bot = WebhookBot(process, f"http://127.0.0.1:{port}/telegram")
        try:
            yield bot
        finally:
            if process.returncode is None:
                process.kill()
                bot.output += (await process.communicate())[0]
            print(bot.log)  # shown by pytest when the test fails


def queued_update(emulator: BotApiEmulator, text: str) -> dict[str, Any]:
    """A person's message as the Update JSON Telegram would POST (the emulator knows the chat,
    so the bot can reply to it)."""
    emulator.user_sends_text(text)
    return emulator.pending_updates()[-1]


@pytest.mark.model
async def test_webhook_answers_updates_with_the_secret_and_refuses_forged_ones(
    tmp_path: Path,
) -> None:
    # One update at a time (concurrent_updates=1): a reply that comes next proves that every
    # update delivered before it was handled in full, and produced nothing else.
    async with (
        BotApiEmulator() as emulator,
        webhook_bot(tmp_path, emulator, concurrent_updates=1) as bot,
    ):
        registered = await emulator.wait_for_call("setWebhook", timeout=STARTUP_TIMEOUT)
        assert registered.params["url"] == PUBLIC_URL
        assert registered.params["secret_token"] == SECRET
        assert set(registered.params["allowed_updates"]) == {
            "message",
            "channel_post",
            "callback_query",
            "inline_query",
        }
        assert [c["command"] for c in emulator.commands()] == [
            "start",
            "help",
            "sources",
            "latest",
            "today",
            "digest",
            "follow",
            "following",
            "unfollow",
            "ask",
            "subscribe",
            "subscriptions",
            "unsubscribe",
        ]

        forged = queued_update(emulator, "Who is the special prosecutor?")
        assert (await bot.post(forged, secret=None)).status_code == 403
        assert (await bot.post(forged, secret="not-the-secret")).status_code == 403
        update = queued_update(emulator, HEADLINE_QUESTION)
        assert (await bot.post(update, secret=SECRET)).status_code == 200
        reply = await emulator.wait_for_message(CHAT, timeout=30)
        # the genuine update's answer comes first: the forged one was not handled at all
        assert "involuntary manslaughter" in reply["text"]

        # Telegram redelivers an update whose 200 it did not get: it is answered once
        assert (await bot.post(update, secret=SECRET)).status_code == 200
        follow_up = queued_update(emulator, "Where did Mickey Rourke first post his opinion?")
        assert (await bot.post(follow_up, secret=SECRET)).status_code == 200
        second = await emulator.wait_for_message(CHAT, timeout=30)
        assert "Instagram" in second["text"]  # not a second copy of the first answer
        assert emulator.unconsumed_messages(CHAT) == []

        assert await bot.stop() == 0
    assert "serving 1 articles" in bot.log
    assert not any(call.method == "getUpdates" for call in emulator.calls)


@pytest.mark.model
async def test_a_refused_webhook_setting_stops_the_bot_with_a_clear_message(
    tmp_path: Path,
) -> None:
    async with BotApiEmulator() as emulator, webhook_bot(tmp_path, emulator) as bot:
        emulator.fail_next(
            "setWebhook", 400, description="Bad Request: bad webhook: Failed to resolve host"
        )
        output, _ = await asyncio.wait_for(bot.process.communicate(), timeout=STARTUP_TIMEOUT)
        bot.output = output
        assert bot.process.returncode == 1
    assert "Telegram refused to start the bot in webhook mode: Bad webhook: failed" in bot.log


@pytest.mark.model  # serve() with the real model
async def test_it_answers_while_telegram_refuses_the_webhook_for_a_while(tmp_path: Path) -> None:
    """A webhook set by an earlier run keeps delivering while setWebhook fails (a 5xx, or a
    429 after frequent restarts): the bot listens at once and registers in the background."""
    async with BotApiEmulator() as emulator:
        emulator.fail_for("setWebhook", 500, seconds=STARTUP_TIMEOUT)
        async with webhook_bot(tmp_path, emulator) as bot:
            await emulator.wait_for_call("setWebhook", timeout=STARTUP_TIMEOUT)
            update = queued_update(emulator, HEADLINE_QUESTION)
            assert (await bot.post(update, secret=SECRET)).status_code == 200
            reply = await emulator.wait_for_message(CHAT, timeout=30)
            assert "involuntary manslaughter" in reply["text"]

            emulator.clear_faults()  # the outage ends
            registered = await emulator.wait_for_call(
                "setWebhook", predicate=lambda call: call.ok, timeout=30
            )
            assert registered.params["url"] == PUBLIC_URL
            assert await bot.stop() == 0
    assert "registering the webhook failed" in bot.log


@pytest.mark.parametrize("secret", ["has spaces", "x" * 257, "ünïcode"])
def test_a_secret_telegram_would_refuse_is_reported_before_starting(
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str,
) -> None:
    monkeypatch.setenv(config.telegram.token_env, "123:abc")
    monkeypatch.setenv(config.telegram.webhook.secret_token_env, secret)
    webhook = config.telegram.webhook.model_copy(update={"url": PUBLIC_URL})
    telegram = config.telegram.model_copy(update={"mode": "webhook", "webhook": webhook})
    assert serve(config.model_copy(update={"telegram": telegram})) == 2
    assert "A-Z, a-z, 0-9, _ and -" in capsys.readouterr().err


def test_the_repeat_filter_remembers_a_bounded_number_of_updates() -> None:
    repeats = MemorySeenUpdates(remembered=2)
    assert not repeats.is_repeat(100)
    assert repeats.is_repeat(100)
    assert not repeats.is_repeat(101)
    assert not repeats.is_repeat(102)  # 100 is forgotten now: memory stays bounded
    assert not repeats.is_repeat(100)
    assert repeats.is_repeat(102)
