"""/metrics and /healthz, scraped over HTTP while the real bot serves the emulator.

Composed as `qabot serve` does (qabot/serve.py): one Monitoring per bot, its metrics given
to the engine as its observer, the endpoint started by `metrics_endpoint`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.health import Health, HealthStatus
from bot.ops.monitoring import Monitoring
from bot.settings import MetricsConfig
from index import Engine
from qabot.config import Config
from qabot.serve import metrics_endpoint
from tests.support.bot_harness import CHAT, HEADLINE_QUESTION, reserved_port, running_bot, visible

METRICS = {
    "qabot_questions",
    "qabot_answers",
    "qabot_answer_seconds",
    "qabot_engine_seconds",
    "qabot_engine_batch_size",
    "qabot_feedback_votes",
    "qabot_telegram_errors",
    "qabot_documents_indexed",
    "qabot_chunks_indexed",
}


@pytest.fixture
def monitoring() -> Monitoring:
    return Monitoring()


@pytest.fixture
def observed_engine(
    seed_engine: Engine, config: Config, tmp_path: Path, monitoring: Monitoring
) -> Iterator[Engine]:
    """An engine over the shipped article that reports its batches to `monitoring`."""
    settings = config.engine_settings(tmp_path / "index")
    engine = Engine(settings, embedder=seed_engine.embedder, observer=monitoring.metrics)
    monitoring.metrics.watch_index(engine)
    monitoring.health.watch_engine(lambda: engine.is_open)
    yield engine
    engine.close()


class Scraper:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    async def samples(self) -> Samples:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.base}/metrics")
        assert response.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    async def families(self) -> set[str]:
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{self.base}/metrics")).text
        return {family.name for family in text_string_to_metric_families(text)}

    async def health(self) -> tuple[int, str]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.base}/healthz")
        return response.status_code, response.text.strip()

    async def health_becomes(self, status: int, timeout: float = 20.0) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            code, reason = await self.health()
            if code == status:
                return reason
            assert asyncio.get_running_loop().time() < deadline, f"still {code}: {reason}"
            await asyncio.sleep(0.2)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def value(samples: Samples, name: str, **labels: str) -> float:
    return float(samples.get((name, tuple(sorted(labels.items()))), 0.0))


@pytest.mark.model  # the bot over the real engine and model
async def test_metrics_move_with_questions_and_health_follows_telegram(
    observed_engine: Engine, monitoring: Monitoring, tmp_path: Path, config: Config
) -> None:
    with reserved_port() as port, metrics_endpoint(MetricsConfig(port=port), monitoring):
        scraper = Scraper(port)
        async with running_bot(observed_engine, tmp_path, config, monitoring=monitoring) as bot:
            assert await scraper.families() >= METRICS
            before = await scraper.samples()
            assert value(before, "qabot_questions_total") == 0
            assert value(before, "qabot_documents_indexed") == 1
            assert value(before, "qabot_chunks_indexed") == 10
            assert await scraper.health_becomes(200) == "ok"

            answer = await bot.ask(HEADLINE_QUESTION)
            assert "involuntary manslaughter" in visible(answer)
            await bot.ask("Who won the 2022 World Cup?")
            up = next(
                button["callback_data"]
                for row in answer["reply_markup"]["inline_keyboard"]
                for button in row
                if button["text"] == "👍"
            )
            bot.emulator.user_presses_button(answer, up)
            await bot.emulator.wait_for_call("answerCallbackQuery")

            after = await scraper.samples()
            assert value(after, "qabot_questions_total") == 2
            assert value(after, "qabot_answers_total", outcome="answered") == 1
            assert value(after, "qabot_answers_total", outcome="refused") == 1
            assert value(after, "qabot_answers_total", outcome="error") == 0
            assert value(after, "qabot_answer_seconds_count") == 2
            assert value(after, "qabot_answer_seconds_sum") > 0
            assert value(after, "qabot_engine_seconds_count") >= 1
            assert value(after, "qabot_engine_batch_size_sum") >= 2
            assert value(after, "qabot_feedback_votes_total", vote="up") == 1

            bot.emulator.fail_for("getUpdates", 500, seconds=60)
            reason = await scraper.health_becomes(503)
            assert reason == "Telegram getUpdates failed: 500"
            errors = await scraper.samples()
            assert value(errors, "qabot_telegram_errors_total", method="getUpdates", code="500")
            bot.emulator.clear_faults()
            assert await scraper.health_becomes(200) == "ok"
            bot.emulator.user_sends_text(HEADLINE_QUESTION)
            assert "involuntary manslaughter" in visible(await bot.emulator.wait_for_message(CHAT))


def test_health_names_what_is_wrong() -> None:
    now = [1000.0]
    health = Health(stale_after=60, clock=lambda: now[0])
    assert health.status().reason == "the index is being opened"
    engine_open = [True]
    health.watch_engine(lambda: engine_open[0])
    assert health.status().reason == "no Telegram call has succeeded yet"
    health.telegram_call("getUpdates", None)
    assert health.status().healthy
    now[0] += 61
    assert health.status().reason == "no successful Telegram call for 61 s"
    health.telegram_call("sendMessage", "timeout")
    assert health.status().reason == "Telegram sendMessage failed: timeout"
    health.telegram_call("getUpdates", None)
    assert health.status().healthy
    engine_open[0] = False
    assert health.status() == HealthStatus(False, "the engine is closed")


def test_a_feed_metric_appears_only_once_feeds_sync() -> None:
    monitoring = Monitoring()
    names = {metric.name for metric in monitoring.metrics.registry.collect()}
    assert not any("feed_sync" in name for name in names)
    monitoring.metrics.feed_synced("example-feed")
    names = {metric.name for metric in monitoring.metrics.registry.collect()}
    assert "qabot_feed_syncs" in names
