"""Building the Telegram Application and running it (`qabot serve`)."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)
from telegram.request import HTTPXRequest

from bot import messages
from bot.admin import AdminHandlers
from bot.callbacks import ButtonHandlers
from bot.commands import CommandHandlers
from bot.errors import on_error
from bot.feedback import FeedbackStore
from bot.gatekeeper import GATE_GROUP, Gatekeeper
from bot.inline import InlineHandlers
from bot.questions import QuestionHandlers
from bot.redact import install_log_redaction
from bot.repeats import REPEAT_GROUP, RepeatFilter
from bot.retry import ResilientRateLimiter
from bot.services import BotEngine, BotServices
from bot.unsupported import UnsupportedHandlers
from qabot.config import Config, TelegramConfig

logger = logging.getLogger(__name__)

PUBLIC_COMMANDS = (
    BotCommand("start", "What I know, with example questions"),
    BotCommand("help", "How to use me"),
    BotCommand("sources", "The articles I know"),
    BotCommand("ask", "Ask a question (handy in groups)"),
)
ADMIN_COMMANDS = (
    *PUBLIC_COMMANDS,
    BotCommand("remove", "Remove an article by its id"),
    BotCommand("stats", "Questions, feedback, latency, index size"),
)
UPDATE_TYPES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY)
FLOOD_RETRIES = 3  # RetryAfter retries per request, each after the wait Telegram asks for
TITLES_IN_STARTUP_LINE = 5
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token


@dataclass(frozen=True)
class HttpTimeouts:
    """Seconds the bot waits on the Bot API (tests shorten them to provoke timeouts quickly).

    `poll_read` is added to the long-poll timeout of getUpdates.
    """

    connect: float = 5.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 5.0
    media_write: float = 60.0
    poll_read: float = 10.0


BotApplication: TypeAlias = Application[
    ExtBot[int],  # int: the rate limiter's per-call argument (max retries)
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
AppCallback = Callable[[BotApplication], Coroutine[Any, Any, None]]


def build_application(
    config: Config,
    engine: BotEngine,
    token: str,
    *,
    example_questions: Sequence[str] = (),
    timeouts: HttpTimeouts = HttpTimeouts(),
) -> BotApplication:
    """The bot with all its handlers; the caller starts it and owns `engine`."""
    telegram = config.telegram
    store = FeedbackStore(config.path(telegram.feedback_db))
    examples = example_questions or telegram.example_questions
    services = BotServices.create(telegram, engine, store, examples)
    builder = (
        ApplicationBuilder()
        .token(token)
        # Each handler may hold two connections at once (its "typing…" and its reply): with
        # fewer, a slow Telegram would turn into pool timeouts instead of late replies.
        .request(_http(2 * telegram.concurrent_updates + 8, timeouts, read=timeouts.read))
        .get_updates_request(_http(2, timeouts, read=timeouts.poll_read))
        .rate_limiter(ResilientRateLimiter(AIORateLimiter(max_retries=FLOOD_RETRIES)))
        .concurrent_updates(telegram.concurrent_updates)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .post_init(_on_startup(services))
        .post_shutdown(_on_shutdown(store))
    )
    if telegram.base_url:
        builder = builder.base_url(telegram.base_url).base_file_url(_file_url(telegram))
    application = builder.build()

    application.add_handler(RepeatFilter().handler(), group=REPEAT_GROUP)
    application.add_handler(Gatekeeper(services).handler(), group=GATE_GROUP)
    questions = QuestionHandlers(services)
    for handler_set in (
        CommandHandlers(services),
        AdminHandlers(services),
        questions,
        ButtonHandlers(services, questions),
        InlineHandlers(services),
        UnsupportedHandlers(services),  # last: it takes whatever the others did not
    ):
        application.add_handlers(handler_set.handlers())
    application.add_error_handler(on_error)
    return application


def _http(pool_size: int, timeouts: HttpTimeouts, *, read: float) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool_size,
        connect_timeout=timeouts.connect,
        read_timeout=read,
        write_timeout=timeouts.write,
        pool_timeout=timeouts.pool,
        media_write_timeout=timeouts.media_write,
    )


def _file_url(telegram: TelegramConfig) -> str:
    """Files come from the same server as the API (`.../bot` -> `.../file/bot`)."""
    if telegram.base_file_url:
        return telegram.base_file_url
    base = telegram.base_url or ""
    if not base.endswith("/bot"):
        raise ValueError(
            "telegram.base_file_url must be set when telegram.base_url does not end in /bot"
        )
    return base.removesuffix("/bot") + "/file/bot"


def _on_startup(services: BotServices) -> AppCallback:
    async def startup(application: BotApplication) -> None:
        bot = application.bot
        await bot.set_my_commands(PUBLIC_COMMANDS)
        for admin_id in services.access.admin_user_ids:
            try:
                await bot.set_my_commands(ADMIN_COMMANDS, scope=BotCommandScopeChat(admin_id))
            except BadRequest as error:  # the admin has not opened a chat with the bot yet
                logger.info("Admin commands not shown to %s yet: %s", admin_id, error)
        logger.info("%s", _startup_line(services, bot.username))

    return startup


def _startup_line(services: BotServices, username: str) -> str:
    stats = services.engine.stats()
    titles = [document.title for document in services.engine.documents()]
    shown = "; ".join(titles[:TITLES_IN_STARTUP_LINE])
    hidden = len(titles) - TITLES_IN_STARTUP_LINE
    more = f" and {hidden} more" if hidden > 0 else ""
    return (
        f"@{username} serving {stats.documents} articles ({stats.chunks} passages, "
        f"{stats.bytes_on_disk / 1e6:.1f} MB): {shown}{more}"
    )


def _on_shutdown(store: FeedbackStore) -> AppCallback:
    async def shutdown(application: BotApplication) -> None:
        store.close()

    return shutdown


def serve(config: Config) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the process exit status."""
    telegram = config.telegram
    token = os.environ.get(telegram.token_env, "").strip()
    if not token:
        print(messages.NO_TOKEN_HELP.format(env=telegram.token_env), file=sys.stderr)
        return 2
    secret = os.environ.get(telegram.webhook.secret_token_env, "").strip() or None
    if telegram.mode == "webhook" and not (telegram.webhook.url and secret):
        print(
            "Webhook mode needs telegram.webhook.url in config.yaml and a secret token in "
            f"the {telegram.webhook.secret_token_env} environment variable.",
            file=sys.stderr,
        )
        return 2
    if telegram.mode == "webhook" and not SECRET_TOKEN.fullmatch(secret or ""):
        print(
            f"{telegram.webhook.secret_token_env} must be 1-256 characters of A-Z, a-z, 0-9, "
            "_ and - (Telegram refuses other webhook secrets).",
            file=sys.stderr,
        )
        return 2
    install_log_redaction([token, secret])
    _configure_logging()

    from qabot.factory import open_engine  # loads the model and index: only when serving

    engine = open_engine(config)
    engine.warm_up()  # load the model now rather than on the first question
    try:
        application = build_application(config, engine, token)
        return _run(application, telegram, secret)
    finally:
        engine.close()


def _run(application: BotApplication, telegram: TelegramConfig, secret: str | None) -> int:
    """Poll or serve the webhook; PTB stops cleanly on SIGINT/SIGTERM, finishing open work."""
    try:
        if telegram.mode == "webhook":
            application.run_webhook(
                listen=telegram.webhook.listen,
                port=telegram.webhook.port,
                url_path=telegram.webhook.path,
                webhook_url=telegram.webhook.url,
                secret_token=secret,
                allowed_updates=list(UPDATE_TYPES),
            )
        else:
            application.run_polling(allowed_updates=list(UPDATE_TYPES))
    except InvalidToken:
        logger.error(
            "Telegram rejected the token in %s; check it with @BotFather", telegram.token_env
        )
        return 1
    except BadRequest as error:  # a NetworkError subclass, but the server answered: a setting
        logger.error("Telegram refused to start the bot in %s mode: %s", telegram.mode, error)
        return 1
    except NetworkError as error:
        logger.error("Cannot reach the Telegram Bot API: %s", error)
        return 1
    return 0


def _configure_logging() -> None:
    """One line per event; httpx's per-request lines are noise (and carry the token URL)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("httpx").setLevel(logging.WARNING)
