"""Two `qabot serve` workers in webhook mode, sharing one PostgreSQL, as behind a load
balancer: the test POSTs each update to the worker it chooses, as the balancer would.

Each worker has its own FAISS snapshot (Qdrant's local mode cannot be shared between
processes), rebuilt from the shared store when its generation moves. Between them: an
article an admin adds through one is answered by the other; "More" and 👍 on an answer
given by one are served by the other; a person's questions count once across both; an
update delivered to both is answered once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.bot.test_admin import ARTICLE
from tests.bot.test_buttons import data_of
from tests.bot.test_webhook import SECRET, STARTUP_TIMEOUT, WebhookBot
from tests.support.bot_harness import (
    ADMIN_ID,
    CHAT,
    HEADLINE_QUESTION,
    reserved_port,
    start_serve_process,
    visible,
    write_serve_config,
)
from tests.support.emulator import BotApiEmulator

pytest_plugins = ("tests.support.postgres_fixtures",)
pytestmark = pytest.mark.model

RATE_LIMIT = 4  # questions per person per minute, across workers


@contextlib.asynccontextmanager
async def worker(
    tmp_path: Path, emulator: BotApiEmulator, database_url: str, name: str
) -> AsyncIterator[WebhookBot]:
    with reserved_port() as port:  # held until the worker binds it
        folder = tmp_path / name
        folder.mkdir()
        config = write_serve_config(
            folder,
            emulator,
            mode="webhook",
            webhook={"listen": "127.0.0.1", "port": port, "url": "https://qabot.example.test/hook"},
            admin_user_ids=[ADMIN_ID],
            rate_limit_per_minute=RATE_LIMIT,
            state={"backend": "postgres", "generation_check_seconds": 0.0},  # every question
        )
        environment = {
            "TELEGRAM_BOT_TOKEN": emulator.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "QABOT_DATABASE_URL": database_url,
        }
        process = await start_serve_process(config, environment)
        bot = WebhookBot(process, f"http://127.0.0.1:{port}/telegram")
        try:
            yield bot
        finally:
            if process.returncode is None:
                process.kill()
                bot.output += (await process.communicate())[0]
            print(f"----- worker {name} -----\n{bot.log}")


def update_of(emulator: BotApiEmulator) -> dict[str, Any]:
    return emulator.pending_updates()[-1]


async def deliver(bot: WebhookBot, update: dict[str, Any]) -> None:
    assert (await bot.post(update, secret=SECRET)).status_code == 200


async def ask(
    bot: WebhookBot, emulator: BotApiEmulator, text: str, chat: int = CHAT, **sender: Any
) -> dict[str, Any]:
    emulator.user_sends_text(text, chat_id=chat, user_id=sender.get("user_id", chat))
    await deliver(bot, update_of(emulator))
    return await emulator.wait_for_message(chat, timeout=60)


async def press(bot: WebhookBot, emulator: BotApiEmulator, message: dict[str, Any], data: str):
    query_id = emulator.user_presses_button(message, data)
    await deliver(bot, update_of(emulator))
    call = await emulator.wait_for_call(
        "answerCallbackQuery",
        predicate=lambda c: c.params["callback_query_id"] == query_id,
        timeout=60,
    )
    return call.params


async def until_listening(bot: WebhookBot, emulator: BotApiEmulator) -> None:
    """A /start answered: the worker's engine is open and it takes updates."""
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(timeout=10) as client:
        while True:  # the webhook listens once the model is loaded and the index open
            try:
                await client.get(bot.url)
                break
            except httpx.ConnectError:
                assert asyncio.get_running_loop().time() < deadline, "the worker never listened"
                await asyncio.sleep(0.5)
    emulator.user_sends_text("/start", chat_id=9, user_id=9)
    await deliver(bot, update_of(emulator))
    await emulator.wait_for_message(9, timeout=STARTUP_TIMEOUT)


async def test_two_workers_share_documents_feedback_paging_rate_limits_and_updates(
    tmp_path: Path, database_url: str
) -> None:
    async with (
        BotApiEmulator() as emulator,
        worker(tmp_path, emulator, database_url, "a") as a,
        worker(tmp_path, emulator, database_url, "b") as b,
    ):
        await asyncio.gather(until_listening(a, emulator), until_listening(b, emulator))

        # an article an admin sends to worker a is answered by worker b
        emulator.user_sends_document(
            "harbour-bridge.md", ARTICLE, chat_id=ADMIN_ID, user_id=ADMIN_ID
        )
        await deliver(a, update_of(emulator))
        assert "Reading harbour-bridge.md" in visible(await emulator.wait_for_message(ADMIN_ID))
        added = await emulator.wait_for_message(ADMIN_ID, timeout=60)
        assert "Harbour Bridge Repairs Finish Early" in visible(added)
        answer = await ask(b, emulator, "How much did the bridge repairs cost?", ADMIN_ID)
        assert "4.2 million euros" in visible(answer)

        # an answer given by a: More and 👍 pressed, delivered to b
        answer = await ask(a, emulator, HEADLINE_QUESTION)
        assert "involuntary manslaughter" in visible(answer)
        await press(b, emulator, answer, data_of(answer, "More ➕"))
        more = await emulator.wait_for_message(CHAT, timeout=60)
        assert visible(more).startswith("More from the articles (2/")
        thanks = await press(b, emulator, answer, data_of(answer, "👍"))
        assert "Thanks" in thanks["text"]
        with psycopg.connect(database_url) as conn:
            votes = conn.execute("SELECT user_id, vote FROM feedback").fetchall()
            answered = conn.execute("SELECT count(*) FROM answers").fetchone()
        assert votes == [(CHAT, 1)]
        assert answered is not None and answered[0] == 2

        # the same update delivered to both workers is answered once
        emulator.user_sends_text("Where did Mickey Rourke post his opinion?")
        twice = update_of(emulator)
        await asyncio.gather(deliver(a, twice), deliver(b, twice))
        await emulator.wait_for_message(CHAT, timeout=60)

        # CHAT asked two questions so far (one per worker, the repeat counted once): two
        # more are allowed, whichever worker takes them, then no more this minute
        await ask(a, emulator, "How long could Baldwin go to jail?")
        await ask(b, emulator, "Who is Dave Halls?")
        refused = await ask(a, emulator, "What did Mickey Rourke say?")
        assert "asking faster" in visible(refused)

        assert await a.stop() == 0
        assert await b.stop() == 0  # a stopped worker has finished every update it took
    # the repeated update was answered once: two answers before it, three after it
    assert len(emulator.sent_messages(CHAT)) == 6  # the More passage and the refusal too
    with psycopg.connect(database_url) as conn:
        logged = conn.execute("SELECT count(*) FROM answers").fetchone()
    assert logged is not None and logged[0] == 5  # the refusal to answer is not logged
    for bot in (a, b):
        assert database_url not in bot.log and SECRET not in bot.log
