"""`qabot serve`: the Telegram bot, composed from the configuration.

This is the one place that knows both sides: it opens the engine (`qabot.factory`), chooses
the implementations of the bot's state (`open_bot_state`) and hands both to bot/, which
knows neither the configuration file nor the engine's insides. The token and the webhook
secret come from the environment and are checked before anything slow starts.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.app import BotApplication, build_application
from bot.ops.metrics_server import MetricsServer
from bot.ops.monitoring import Monitoring
from bot.services import NewsOptions
from bot.settings import MetricsConfig, TelegramConfig
from bot.state.calls import InlineCalls, ThreadCalls
from bot.state.memory import MemoryConversations, MemoryRateLimiter, MemorySeenUpdates
from bot.state.protocols import AnswerLog, BotState, RateLimiters
from bot.state.sqlite_answers import SqliteAnswerLog
from bot.state.sqlite_follows import SqliteFollowState
from bot.transport.inbox import InboxRunner
from bot.transport.redact import install_log_redaction
from bot.transport.running import run_bot
from index.api import EngineLimits, NewsDesk
from qabot.config import Config
from qabot.factory import Backends, open_engine, open_news

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from qabot.factory import Embedder

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token

NO_TOKEN_HELP = """\
qabot serve needs a Telegram bot token in the {env} environment variable.

To get one, open Telegram, talk to @BotFather, send /newbot and follow the steps;
it replies with a token like 123456789:AA... Then run:

    export {env}='<your token>'
    qabot serve

To try qabot without Telegram:

    qabot ask "what charges does Gutierrez Reed face"
    qabot chat
"""


def serve(config: Config, *, embedder: Embedder | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the process exit status.

    `embedder` replaces the configured model (the tests' fake one, in worker processes)."""
    settings = config.telegram
    token = _from_environment(settings.token_env)
    if not token:
        print(NO_TOKEN_HELP.format(env=settings.token_env), file=sys.stderr)
        return 2
    secret = _from_environment(settings.webhook.secret_token_env)
    problem = _webhook_problem(settings, secret)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    install_log_redaction([token, secret, *_secrets_of(config)])
    _configure_logging()
    monitoring = Monitoring()
    # The endpoint is up while the index opens (a first build takes a while): /healthz
    # says so with a 503 instead of refusing connections.
    with (
        metrics_endpoint(config.metrics, monitoring),
        closing(Backends.open(config)) as backends,
        closing(
            open_engine(config, backends=backends, observer=monitoring.metrics, embedder=embedder)
        ) as engine,
        closing(open_news(config, engine, backends)) as desk,
    ):
        engine.warm_up()  # load the model now rather than on the first question
        monitoring.metrics.watch_index(engine)
        monitoring.health.watch_engine(lambda: engine.is_open)
        if backends.pool is not None:
            monitoring.health.watch_database(backends.pool.reachability.status)
        news = news_options(config, desk)
        with closing(open_bot_state(settings, engine.limits, backends.pool)) as state:
            application = build_application(
                settings, engine, state, token, monitoring=monitoring, news=news
            )
            inbox = inbox_runner(application, settings, state, monitoring)
            return run_bot(
                application, settings, secret, inbox=inbox, draining=monitoring.health.draining
            )


def news_options(config: Config, desk: NewsDesk) -> NewsOptions:
    """Links, feeds and alerts as configured, over `desk`."""
    return NewsOptions(
        desk=desk,
        links=config.links,
        alerts=config.alerts,
        channels=config.channels,
        sync_minutes=config.engine.feeds.interval_minutes,
    )


@contextmanager
def metrics_endpoint(settings: MetricsConfig, monitoring: Monitoring) -> Iterator[None]:
    """/metrics and /healthz on `metrics.port` for as long as the block runs (if a port is set)."""
    if settings.port is None:
        yield
        return
    server = MetricsServer(settings.listen, settings.port, monitoring)
    server.start()
    logging.getLogger(__name__).info(
        "metrics on http://%s:%d/metrics, health on /healthz", settings.listen, server.port
    )
    try:
        yield
    finally:
        server.stop()


def inbox_runner(
    application: BotApplication, settings: TelegramConfig, state: BotState, monitoring: Monitoring
) -> InboxRunner | None:
    """The durable inbox's runner, when the state has an inbox (webhook mode on PostgreSQL)."""
    if state.inbox is None:
        return None
    return InboxRunner(
        application,
        state.inbox,
        state.calls,
        settings.inbox,
        monitoring.metrics,
        concurrency=settings.concurrent_updates,
    )


def open_bot_state(
    settings: TelegramConfig, limits: EngineLimits, pool: ConnectionPool | None = None
) -> BotState:
    """The bot's state: with a database `pool` (state.backend: postgres) all of it in
    PostgreSQL, shared by every worker, called off the event loop, with the flood control
    the workers share and, in webhook mode, the durable inbox; without, one process's:
    answers, follows, alerts and link counts in a SQLite file, the rest in RAM, called inline.

    `settings` must have its paths resolved (as `Config` resolves them).
    """
    per_minute = settings.rate_limit_per_minute
    if pool is None:
        return BotState(
            answers=SqliteAnswerLog(settings.state_db),
            conversations=MemoryConversations(limits.conversation_turns),
            limiters=RateLimiters.per_minute(per_minute, lambda _, n: MemoryRateLimiter(n)),
            updates=MemorySeenUpdates(),
            follows=SqliteFollowState(settings.state_db),
            calls=InlineCalls(),
        )
    from bot.state.postgres import (
        PostgresAnswerLog,
        PostgresConversations,
        PostgresRateLimiter,
        PostgresSeenUpdates,
    )
    from bot.state.postgres_delivery import PostgresFloodSlots, PostgresInbox
    from bot.state.postgres_follows import PostgresFollowState

    inbox = PostgresInbox(pool) if settings.mode == "webhook" else None
    return BotState(
        answers=PostgresAnswerLog(pool),
        conversations=PostgresConversations(pool, limits.conversation_turns),
        limiters=RateLimiters.per_minute(
            per_minute, lambda budget, n: PostgresRateLimiter(pool, budget, n)
        ),
        updates=None if inbox is not None else PostgresSeenUpdates(pool),
        follows=PostgresFollowState(pool),
        calls=ThreadCalls(pool.max_size),
        inbox=inbox,
        flood=PostgresFloodSlots(pool),
    )


def open_answer_log(config: Config, backends: Backends) -> AnswerLog | None:
    """The answer log `qabot report` reads; None when nothing was logged yet."""
    if backends.pool is not None:
        from bot.state.postgres import PostgresAnswerLog

        return PostgresAnswerLog(backends.pool)
    path = config.telegram.state_db
    return SqliteAnswerLog(path) if path.is_file() else None


def _secrets_of(config: Config) -> list[str | None]:
    """What the logs must never show beside the token: the database password, the
    Qdrant API key."""
    found: list[str | None] = [_from_environment(config.engine.qdrant.api_key_env)]
    if config.state.backend == "postgres":
        url = _from_environment(config.state.dsn_env)
        found += [url, urlsplit(url).password if url else None]
    return found


def _from_environment(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _webhook_problem(settings: TelegramConfig, secret: str | None) -> str | None:
    """Why webhook mode cannot start, in words for the operator; None when it can."""
    if settings.mode != "webhook":
        return None
    env = settings.webhook.secret_token_env
    if not (settings.webhook.url and secret):
        return (
            "Webhook mode needs telegram.webhook.url in config.yaml and a secret token in "
            f"the {env} environment variable."
        )
    if not SECRET_TOKEN.fullmatch(secret):
        return (
            f"{env} must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(Telegram refuses other webhook secrets)."
        )
    return None


def _configure_logging() -> None:
    """One line per event, at INFO for qabot's own (the start-up line, redeliveries,
    takeovers, outages) even without -v; httpx's per-request lines are noise (and carry the
    token URL), as are psycopg_pool's per-connection ones (qabot/database.py says when the
    database goes and comes back)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for ours in ("bot", "qabot"):
        logger = logging.getLogger(ours)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
