"""The bot end to end: python-telegram-bot polling the Bot API emulator on 127.0.0.1.

Each asker is a person in a private chat who sends a question, waits for the bot's reply,
then sends the next. The baseline is the same engine called in-process at the same
concurrency, so the ratio is what the Telegram layer (HTTP polling, handlers, rendering,
the feedback database, AIORateLimiter's 30 messages/s) adds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram import Update

from benchmarks.concurrency import load_test
from benchmarks.measure import median_of_runs, percentiles
from benchmarks.workload import ROOT, Plan, settings_for
from bot.app import build_application
from bot.settings import TelegramConfig
from index import Engine
from qabot.config import Config, load_config
from qabot.serve import open_bot_state
from tests.support.emulator import ApiCall, BotApiEmulator

QUESTIONS_PER_ASKER = {1: 12, 8: 4, 64: 2, 200: 2}  # under the bot's 20 questions/min/person
QUICK_QUESTIONS_PER_ASKER = {1: 4, 8: 2, 64: 1, 200: 1}
REPLY_TIMEOUT = 120.0


def bot_settings(base: Config, emulator: BotApiEmulator, feedback_db: Path) -> TelegramConfig:
    return base.telegram.model_copy(
        update={
            "base_url": emulator.base_url,
            "base_file_url": emulator.base_file_url,
            "state_db": feedback_db,
        }
    )


def bot_throughput(plan: Plan, index_dir: Path) -> dict[str, Any]:
    engine = Engine(settings_for(index_dir))
    try:
        return asyncio.run(_bot_levels(plan, engine))
    finally:
        engine.close()


async def _bot_levels(plan: Plan, engine: Engine) -> dict[str, Any]:
    questions = plan.question_texts(400)
    per_asker = QUICK_QUESTIONS_PER_ASKER if plan.quick else QUESTIONS_PER_ASKER
    users = _Users()
    levels: dict[str, Any] = {}
    for askers in plan.askers:
        each = per_asker.get(askers, 2)
        bot_runs, direct_runs = [], []
        # A fresh emulator and bot per level: what the emulator stores grows with every call.
        async with _running_bot(plan, engine) as emulator:
            await _bot_run(emulator, users, questions, 4, 1)  # warm up
            for _ in range(plan.runs):
                bot_runs.append(await _bot_run(emulator, users, questions, askers, each))
                direct_runs.append(await load_test(engine.answer_async, questions, askers, each))
        levels[str(askers)] = {
            "questions_per_asker": each,
            "bot": median_of_runs(bot_runs),
            "in_process": median_of_runs(direct_runs),
        }
    return {"levels": levels, "runs": plan.runs, "chunks": engine.stats().chunks}


@contextlib.asynccontextmanager
async def _running_bot(plan: Plan, engine: Engine) -> AsyncIterator[BotApiEmulator]:
    """The emulator and the real Application polling it, as `qabot serve` runs it."""
    feedback_db = plan.work_dir / "bench-feedback.sqlite"
    feedback_db.unlink(missing_ok=True)
    base = load_config(ROOT / "config.yaml")
    async with BotApiEmulator() as emulator:
        settings = bot_settings(base, emulator, feedback_db)
        state = open_bot_state(settings, engine.limits)
        application = build_application(settings, engine, state, emulator.token)
        await application.initialize()
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=[Update.MESSAGE]
        )
        try:
            yield emulator
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
            state.close()


def _is_complete_answer(call: ApiCall) -> bool:
    """An answer's last part carries its buttons (More, feedback): the answer is all there."""
    return call.method == "sendMessage" and "reply_markup" in call.params and call.ok


async def _deliver_answers(
    emulator: BotApiEmulator, waiting: dict[int, asyncio.Future[None]]
) -> None:
    """One watcher for all askers: each complete answer resolves its chat's waiting asker.

    (A wait_for_message per asker would rescan every stored message on every API call,
    which at 200 askers costs the measuring process more than the bot.)
    """
    while True:
        call = await emulator.wait_for_call(
            "sendMessage", timeout=REPLY_TIMEOUT, predicate=_is_complete_answer
        )
        future = waiting.pop(int(call.params["chat_id"]), None)
        if future is not None and not future.done():
            future.set_result(None)


class _Users:
    """Fresh user ids for every run, so the per-person rate limit never interferes."""

    def __init__(self) -> None:
        self._next = 10_000

    def take(self, count: int) -> list[int]:
        ids = list(range(self._next, self._next + count))
        self._next += count
        return ids


async def _bot_run(
    emulator: BotApiEmulator, users: _Users, questions: list[str], askers: int, each: int
) -> dict[str, float]:
    latencies: list[float] = []
    waiting: dict[int, asyncio.Future[None]] = {}
    loop = asyncio.get_running_loop()

    async def person(number: int, user: int) -> None:
        for turn in range(each):
            question = questions[(number * each + turn) % len(questions)]
            waiting[user] = answered = loop.create_future()
            started = time.perf_counter()
            emulator.user_sends_text(question, chat_id=user, user_id=user)
            await asyncio.wait_for(answered, REPLY_TIMEOUT)
            latencies.append((time.perf_counter() - started) * 1000)

    watcher = asyncio.create_task(_deliver_answers(emulator, waiting))
    started = time.perf_counter()
    try:
        await asyncio.gather(*(person(n, u) for n, u in enumerate(users.take(askers))))
    finally:
        watcher.cancel()
    elapsed = time.perf_counter() - started
    return {"qps": len(latencies) / elapsed, **percentiles(latencies)}
