"""`qabot serve` (qabot/serve.py): refuses to start without a token, and as a real process
serves the emulator, registers its commands, stops cleanly on SIGTERM without losing a
question in flight, and keeps a rejected token out of its log."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from qabot.config import Config
from qabot.serve import serve
from tests.support.bot_harness import (
    HEADLINE_QUESTION,
    reserved_port,
    start_serve_process,
    write_serve_config,
)
from tests.support.emulator import BotApiEmulator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ADMIN = 4242


def test_without_a_token_it_explains_how_to_get_one(
    config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(config.telegram.token_env, raising=False)
    assert serve(config) == 2
    message = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in message and "@BotFather" in message
    assert "qabot ask" in message and "qabot chat" in message


def test_webhook_mode_needs_a_url_and_a_secret(
    config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(config.telegram.token_env, "123:abc")
    monkeypatch.delenv(config.telegram.webhook.secret_token_env, raising=False)
    webhook = config.model_copy(
        update={"telegram": config.telegram.model_copy(update={"mode": "webhook"})}
    )
    assert serve(webhook) == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err


def write_config(tmp_path: Path, emulator: BotApiEmulator, metrics_port: int) -> Path:
    return write_serve_config(tmp_path, emulator, metrics_port=metrics_port, admin_user_ids=[ADMIN])


@pytest.mark.model
async def test_serve_process_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with reserved_port() as metrics_port:  # held until serve binds it
        async with BotApiEmulator() as emulator:
            config_path = write_config(tmp_path, emulator, metrics_port)
            process = await start_serve_process(config_path, {"TELEGRAM_BOT_TOKEN": emulator.token})
            output = b""
            try:
                # start_polling clears any webhook, then polls: from here updates are taken.
                # Generous timeouts: this machine may be busy with other work.
                await emulator.wait_for_call("deleteWebhook", timeout=120)
                # the menus are set in the background: the public one, then the admin's
                await emulator.wait_for_call(
                    "setMyCommands", predicate=lambda call: "scope" in call.params
                )
                commands = [c["command"] for c in emulator.commands()]
                assert commands == [
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
                admin_scope = {"type": "chat", "chat_id": ADMIN}
                assert "stats" in [c["command"] for c in emulator.commands(admin_scope)]
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics_port}") as client:
                    health = await client.get("/healthz")
                    assert (health.status_code, health.text) == (200, "ok\n")
                    assert "qabot_chunks_indexed 10.0" in (await client.get("/metrics")).text

                emulator.delay_next("sendMessage", 1.5)  # the answer is in flight at SIGTERM
                emulator.user_sends_text(HEADLINE_QUESTION)
                await emulator.wait_for_call("sendChatAction", timeout=60)
                process.send_signal(signal.SIGTERM)
                output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
            finally:
                if process.returncode is None:
                    process.kill()
                    output += (await process.communicate())[0]
                print(output.decode())  # shown by pytest when the test fails
            log = output.decode()
            assert process.returncode == 0
            [answer] = emulator.sent_messages(1001)
            assert "involuntary manslaughter" in answer["text"]
            assert emulator.pending_updates() == []  # the update was confirmed, not left behind
            assert "serving 1 articles (10 passages" in log  # the one startup line


@pytest.mark.model
async def test_a_rejected_token_is_reported_without_the_token(tmp_path: Path) -> None:
    """python-telegram-bot puts the token into the error for a 401 on getMe ("The token
    `...` was rejected by the server."), which serve logs: only the redaction serve installs
    keeps it out of the log."""
    wrong_token = "654321:AAH-not-the-emulators_Token"
    async with BotApiEmulator() as emulator:  # it answers any other token with a 401
        config_path = write_serve_config(tmp_path, emulator)
        process = await start_serve_process(config_path, {"TELEGRAM_BOT_TOKEN": wrong_token})
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
        finally:
            if process.returncode is None:
                process.kill()
                await process.communicate()
    log = output.decode()
    print(log)  # shown by pytest when the test fails
    assert process.returncode == 1
    [getme] = [call for call in emulator.calls if call.method == "getMe"]
    assert getme.status == 401  # the token really went out over HTTP and was refused
    assert "Telegram rejected the token in TELEGRAM_BOT_TOKEN" in log
    assert "The token `[REDACTED]` was rejected by the server." in log
    assert wrong_token not in log
    assert "AAH-not-the-emulators_Token" not in log
