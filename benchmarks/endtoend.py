"""The bot end to end: python-telegram-bot polling the Bot API emulator on 127.0.0.1.

Each asker is a person in a private chat who sends a question, waits for the bot's reply,
then sends the next. The baseline is the same engine called in-process at the same
concurrency, so the ratio is what the Telegram layer (HTTP polling, handlers, rendering,
the feedback database, AIORateLimiter's 30 messages/s) adds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from telegram import Update

from benchmarks.concurrency import load_test
from benchmarks.measure import median_of_runs, percentiles
from benchmarks.workload import ROOT, Plan, settings_for
from bot import build_application
from index import Engine
from qabot.config import Config, load_config
from tests.emulator import BotApiEmulator

QUESTIONS_PER_ASKER = {1: 12, 8: 4, 64: 2, 200: 2}  # under the bot's 20 questions/min/person
QUICK_QUESTIONS_PER_ASKER = {1: 4, 8: 2, 64: 1, 200: 1}
REPLY_TIMEOUT = 120.0


def bot_config(base: Config, emulator: BotApiEmulator, feedback_db: Path) -> Config:
    telegram = base.telegram.model_copy(
        update={
            "base_url": emulator.base_url,
            "base_file_url": emulator.base_file_url,
            "feedback_db": feedback_db,
        }
    )
    return base.model_copy(update={"telegram": telegram})


def bot_throughput(plan: Plan, index_dir: Path) -> dict[str, Any]:
    engine = Engine(settings_for(index_dir))
    try:
        return asyncio.run(_bot_levels(plan, engine))
    finally:
        engine.close()


async def _bot_levels(plan: Plan, engine: Engine) -> dict[str, Any]:
    questions = plan.question_texts(400)
    base = load_config(ROOT / "config.yaml")
    feedback_db = plan.work_dir / "bench-feedback.sqlite"
    feedback_db.unlink(missing_ok=True)
    levels: dict[str, Any] = {}
    async with BotApiEmulator() as emulator:
        application = build_application(
            bot_config(base, emulator, feedback_db), engine, emulator.token
        )
        await application.initialize()
        assert application.post_init is not None and application.post_shutdown is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=[Update.MESSAGE]
        )
        try:
            users = _Users()
            await _bot_run(emulator, users, questions, 4, 1)  # warm up
            runs = plan.runs
            per_asker = QUICK_QUESTIONS_PER_ASKER if plan.quick else QUESTIONS_PER_ASKER
            for askers in plan.askers:
                each = per_asker.get(askers, 2)
                bot_runs, direct_runs = [], []
                for _ in range(runs):
                    bot_runs.append(await _bot_run(emulator, users, questions, askers, each))
                    direct_runs.append(
                        await load_test(engine.answer_async, questions, askers, each)
                    )
                levels[str(askers)] = {
                    "questions_per_asker": each,
                    "bot": median_of_runs(bot_runs),
                    "in_process": median_of_runs(direct_runs),
                }
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
            await application.post_shutdown(application)
    return {"levels": levels, "runs": runs, "chunks": engine.stats().chunks}


def _complete(message: dict[str, Any]) -> bool:
    """An answer's last part carries its buttons (More, feedback): the answer is all there."""
    return "reply_markup" in message


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

    async def person(number: int, user: int) -> None:
        for turn in range(each):
            question = questions[(number * each + turn) % len(questions)]
            started = time.perf_counter()
            emulator.user_sends_text(question, chat_id=user, user_id=user)
            await emulator.wait_for_message(user, timeout=REPLY_TIMEOUT, predicate=_complete)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(person(n, u) for n, u in enumerate(users.take(askers))))
    elapsed = time.perf_counter() - started
    return {"qps": len(latencies) / elapsed, **percentiles(latencies)}
