"""The bot's Prometheus metrics, each bot with its own registry (no global state).

Recorded where things happen: questions and their outcome by the question handlers, votes
by the buttons, Telegram calls by the HTTP layer (bot/transport/telegram_http.py), the engine's
batches through `index.api.EngineObserver` (this class implements it; the engine knows
nothing of Prometheus). The index size is read from the engine at each scrape. Served with
/healthz by bot/ops/metrics_server.py when `metrics.port` is set. Every name starts `qabot_`.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from index.api import QuestionAnswerer

SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


class Outcome(enum.Enum):
    ANSWERED = "answered"
    REFUSED = "refused"  # "I couldn't find that in the articles"
    ERROR = "error"
    RATE_LIMITED = "rate_limited"


@dataclass
class QuestionOutcome:
    """Set by the handler once it knows; left unset, the question counts as an error."""

    value: Outcome = Outcome.ERROR


class InboxEvent(enum.Enum):
    """What happened to an update in the durable inbox (bot/transport/inbox.py)."""

    ACCEPTED = "accepted"  # stored, then Telegram got its 200
    REDELIVERED = "redelivered"  # Telegram sent it again: already stored, not again
    REFUSED = "refused"  # the database was out: Telegram got a 503 and sends it again
    TAKEN_OVER = "taken_over"  # its worker's lease ran out: handled here
    IN_DOUBT = "in_doubt"  # its worker died while sending the reply: not sent again
    RETRIED = "retried"  # the database went out while handling it: handled again later
    DONE = "done"  # handled, the reply sent


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._questions = Counter(
            "qabot_questions", "Questions asked in chats and inline", registry=registry
        )
        self._answers = Counter(
            "qabot_answers", "Questions by outcome", ["outcome"], registry=registry
        )
        self._answer_seconds = Histogram(
            "qabot_answer_seconds",
            "From a question's arrival to its answer sent (answered or refused)",
            buckets=SECONDS,
            registry=registry,
        )
        self._engine_seconds = Histogram(
            "qabot_engine_seconds",
            "The engine's time to answer one batch of questions",
            buckets=SECONDS,
            registry=registry,
        )
        self._batch_size = Histogram(
            "qabot_engine_batch_size",
            "Questions answered together in one engine batch",
            buckets=BATCH_SIZES,
            registry=registry,
        )
        self._votes = Counter("qabot_feedback_votes", "👍/👎 pressed", ["vote"], registry=registry)
        self._telegram_errors = Counter(
            "qabot_telegram_errors",
            "Failed Bot API calls by method and HTTP status (or network, timeout)",
            ["method", "code"],
            registry=registry,
        )
        self._inbox = Counter(
            "qabot_inbox_updates",
            "Updates of the durable inbox by what happened to them",
            ["event"],
            registry=registry,
        )
        for outcome in Outcome:  # every outcome is exported from the start, at 0
            self._answers.labels(outcome.value)
        for vote in ("up", "down"):
            self._votes.labels(vote)
        self._feed_syncs: Counter | None = None

    @contextmanager
    def question(self) -> Iterator[QuestionOutcome]:
        """Count a question and time it; the handler sets the outcome (an exception: error)."""
        self._questions.inc()
        started = time.perf_counter()
        outcome = QuestionOutcome()
        try:
            yield outcome
        except Exception:
            outcome.value = Outcome.ERROR
            raise
        finally:
            self._answers.labels(outcome.value.value).inc()
            if outcome.value in (Outcome.ANSWERED, Outcome.REFUSED):
                self._answer_seconds.observe(time.perf_counter() - started)

    def vote(self, vote: int) -> None:
        self._votes.labels("up" if vote > 0 else "down").inc()

    def inbox(self, event: InboxEvent) -> None:
        self._inbox.labels(event.value).inc()

    def telegram_error(self, method: str, code: str) -> None:
        self._telegram_errors.labels(method, code).inc()

    def batch_answered(self, questions: int, seconds: float) -> None:
        """index.api.EngineObserver: called on the engine's worker threads."""
        self._engine_seconds.observe(seconds)
        self._batch_size.observe(questions)

    def watch_index(self, engine: QuestionAnswerer) -> None:
        """Export the number of documents and chunks, read at each scrape."""
        self.registry.register(_IndexSize(engine))

    def feed_synced(self, feed: str) -> None:
        """One sync of one feed (its address), by the feed job (bot/handlers/news/alerts.py):
        the first call registers qabot_feed_syncs_total, so a bot without feeds exports none."""
        if self._feed_syncs is None:
            self._feed_syncs = Counter(
                "qabot_feed_syncs", "Feed syncs done", ["feed"], registry=self.registry
            )
        self._feed_syncs.labels(feed).inc()


class _IndexSize(Collector):
    def __init__(self, engine: QuestionAnswerer) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stats = self._engine.stats()
        except Exception:  # a closed engine: /healthz says so; the rest of the scrape stands
            return
        yield GaugeMetricFamily("qabot_documents_indexed", "Documents indexed", stats.documents)
        yield GaugeMetricFamily("qabot_chunks_indexed", "Passages indexed", stats.chunks)
