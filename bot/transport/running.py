"""Running a built bot until it is told to stop, by long polling or as a webhook server.

python-telegram-bot's lifecycle (initialize, post_init, start, ..., stop, post_stop,
shutdown) is written out here instead of left to `run_polling`/`run_webhook`, because
`run_webhook` registers the webhook before it listens: a 429 or a 5xx from setWebhook would
keep the bot from starting. Here only getMe (in `initialize`) must succeed; the webhook is
registered in the background (bot/transport/startup.py) and a webhook Telegram refuses (BadRequest)
ends the bot with that reason. The test harness enters the same `serving` context.

Stopping (SIGTERM, SIGINT) is graceful: the worker says it is not ready (/healthz), takes
no new update (the webhook answers 503, a balancer tries another worker), finishes the
updates it holds (the durable inbox lets go what it cannot finish in time) and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.app import BotApplication
from bot.settings import TelegramConfig
from bot.transport.inbox import InboxRunner
from bot.transport.startup import BackgroundCalls, keep_trying
from bot.transport.webhook import WebhookReceiver

logger = logging.getLogger(__name__)

# channel posts: a channel's admins /subscribe it to a feed there
UPDATE_TYPES = (Update.MESSAGE, Update.CHANNEL_POST, Update.CALLBACK_QUERY, Update.INLINE_QUERY)
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits for news
WEBHOOK_CHECK_SECONDS = 60  # how often webhook mode asks Telegram how delivery goes


@dataclass
class Run:
    """One run of the bot: `stop()` ends it; `failure` says why it ended by itself."""

    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    failure: str | None = None

    def stop(self) -> None:
        self.stopped.set()

    def fail(self, reason: str) -> None:
        logger.error("%s", reason)
        self.failure = reason
        self.stopped.set()


def run_bot(
    application: BotApplication,
    settings: TelegramConfig,
    webhook_secret: str | None,
    *,
    inbox: InboxRunner | None = None,
    draining: Callable[[], None] = lambda: None,
) -> int:
    """Poll or serve the webhook until SIGINT/SIGTERM; returns the process exit status.

    With `inbox` the webhook's updates go through the durable inbox. The work in hand is
    finished before stopping (`draining` is told first). A failure to start is logged in
    words an operator can act on, not as a traceback.
    """
    try:
        return asyncio.run(
            _run_until_stopped(application, settings, webhook_secret, inbox, draining)
        )
    except InvalidToken as error:  # getMe: 401, or 404 for a token of the wrong shape
        logger.error(
            "Telegram rejected the token in %s (%s); check it with @BotFather",
            settings.token_env,
            error,
        )
    except BadRequest as error:  # a NetworkError subclass, but the server answered: a setting
        logger.error("Telegram refused to start the bot in %s mode: %s", settings.mode, error)
    except NetworkError as error:
        logger.error("Cannot reach the Telegram Bot API: %s", error)
    return 1


async def _run_until_stopped(
    application: BotApplication,
    settings: TelegramConfig,
    webhook_secret: str | None,
    inbox: InboxRunner | None,
    draining: Callable[[], None],
) -> int:
    run = Run()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, run.stop)
    async with serving(application, settings, webhook_secret, run, inbox=inbox, draining=draining):
        await run.stopped.wait()
        logger.info("Stopping: finishing the updates in hand")
    return 1 if run.failure else 0


@contextlib.asynccontextmanager
async def serving(
    application: BotApplication,
    settings: TelegramConfig,
    webhook_secret: str | None,
    run: Run,
    *,
    poll_timeout: float = POLL_TIMEOUT,
    inbox: InboxRunner | None = None,
    draining: Callable[[], None] = lambda: None,
) -> AsyncIterator[None]:
    """The bot taking updates until the block ends; then it finishes what is in hand."""
    async with application:  # initialize(): getMe, the one call the bot cannot start without
        if application.post_init is not None:
            await application.post_init(application)
        background = BackgroundCalls()
        receiver = None
        if inbox is not None:  # before the webhook listens: what it accepts is handled
            inbox.start()
        if settings.mode == "webhook":
            receiver = _start_webhook(application, settings, webhook_secret, run, background, inbox)
        else:
            await _start_polling(application, poll_timeout)
        await application.start()
        try:
            yield
        finally:
            draining()
            await background.cancel_all()
            if receiver is not None:
                await receiver.stop()
            if inbox is not None:
                await inbox.stop()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()  # waits for the handlers in flight
            if application.post_stop is not None:
                await application.post_stop(application)


async def _start_polling(application: BotApplication, poll_timeout: float) -> None:
    """getUpdates is refused while a webhook is set, so polling starts with deleteWebhook;
    bootstrap_retries=-1 makes python-telegram-bot retry it (waiting out a RetryAfter, then
    pausing 1 s, 1.5 s, ... up to 30 s) instead of giving up after one failure."""
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=int(poll_timeout),
        bootstrap_retries=-1,
        allowed_updates=list(UPDATE_TYPES),
    )


def _start_webhook(
    application: BotApplication,
    settings: TelegramConfig,
    secret: str | None,
    run: Run,
    background: BackgroundCalls,
    inbox: InboxRunner | None,
) -> WebhookReceiver:
    """Listen at once (a webhook set by an earlier run keeps delivering); register the
    webhook in the background."""
    webhook = settings.webhook
    receiver = WebhookReceiver(
        application, webhook.listen, webhook.port, webhook.path, secret, inbox
    )
    receiver.start()
    background.start(partial(_register_webhook, application, settings, secret, run), "webhook")
    return receiver


async def _register_webhook(
    application: BotApplication, settings: TelegramConfig, secret: str | None, run: Run
) -> None:
    set_webhook = partial(
        application.bot.set_webhook,
        url=settings.webhook.url or "",
        secret_token=secret,
        allowed_updates=list(UPDATE_TYPES),
    )
    try:
        await keep_trying(set_webhook, "registering the webhook")
    except (BadRequest, InvalidToken) as error:
        run.fail(f"Telegram refused to start the bot in webhook mode: {error}")
        return
    await _watch_webhook(application)


async def _watch_webhook(application: BotApplication) -> None:
    """Telegram is the one that sees failed deliveries: log what it reports, once per error.
    The call also keeps the bot's link to Telegram known to be alive while nobody writes."""
    reported = None
    while True:
        await asyncio.sleep(WEBHOOK_CHECK_SECONDS)
        with contextlib.suppress(TelegramError):  # the next check may work
            info = await application.bot.get_webhook_info()
            if info.last_error_message and info.last_error_message != reported:
                logger.warning("Telegram cannot deliver updates: %s", info.last_error_message)
            reported = info.last_error_message
