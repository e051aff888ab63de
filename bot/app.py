"""Building the Telegram Application: its HTTP clients, rate limiter, defaults and handlers.

The caller passes everything the bot uses (settings, engine, state) and owns it: it opens
them before building and closes them after running (`qabot/serve.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeAlias

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)

from bot.handlers.admin import AdminHandlers
from bot.handlers.callbacks import ButtonHandlers
from bot.handlers.commands import CommandHandlers
from bot.handlers.errors import on_error
from bot.handlers.gatekeeper import GATE_GROUP, Gatekeeper
from bot.handlers.inline import InlineHandlers
from bot.handlers.news.alerts import Alerts, FeedSyncJob
from bot.handlers.news.channels import ChannelHandlers, ChannelPoster
from bot.handlers.news.digests import DailyDigestJob, DigestHandlers
from bot.handlers.news.feeds import FeedAdminHandlers
from bot.handlers.news.follows import FollowHandlers
from bot.handlers.news.links import LinkHandlers
from bot.handlers.questions import QuestionHandlers
from bot.handlers.unsupported import UnsupportedHandlers
from bot.ops.monitoring import Monitoring
from bot.services import BotServices, NewsOptions
from bot.settings import TelegramConfig
from bot.state.protocols import BotState
from bot.state.repeats import REPEAT_GROUP, RepeatFilter
from bot.transport import tickets
from bot.transport.flood import SharedFloodControl
from bot.transport.retry import ResilientRateLimiter
from bot.transport.startup import BackgroundCalls, keep_trying
from bot.transport.telegram_http import CallListener, ObservedRequest
from index.api import QuestionAnswerer

logger = logging.getLogger(__name__)

PUBLIC_COMMANDS = (
    BotCommand("start", "What I know, with example questions"),
    BotCommand("help", "How to use me"),
    BotCommand("sources", "The articles I know"),
    BotCommand("latest", "The newest articles"),
    BotCommand("today", "Today's stories"),
    BotCommand("digest", "The day's stories every day at an hour (and time zone) you choose"),
    BotCommand("follow", "Alerts about new articles on a topic"),
    BotCommand("following", "The topics you follow"),
    BotCommand("unfollow", "Stop following a topic"),
    BotCommand("ask", "Ask a question (handy in groups)"),
    BotCommand("subscribe", "Post a feed's new articles here (chat admins)"),
    BotCommand("subscriptions", "The feeds whose articles are posted here"),
    BotCommand("unsubscribe", "Stop posting a feed's articles here"),
)
ADMIN_COMMANDS = (
    *PUBLIC_COMMANDS,
    BotCommand("add", "Read a link into the articles every chat shares"),
    BotCommand("feeds", "The feeds I follow, with their last errors"),
    BotCommand("follow_feed", "Follow an RSS or Atom feed"),
    BotCommand("unfollow_feed", "Stop following a feed"),
    BotCommand("remove", "Remove an article by its id"),
    BotCommand("stats", "Questions, refusals and feedback of the last 14 days"),
    BotCommand("unanswered", "The questions I could not answer, most asked first"),
)
FLOOD_RETRIES = 3  # RetryAfter retries per request, each after the wait Telegram asks for
TITLES_IN_STARTUP_LINE = 5
FIRST_SYNC_SECONDS = 5.0
BEAT_SECONDS = 1.0  # the event loop tells bot/ops/health.py it turns


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


class TrackedApplication(BotApplication):
    """The Application, with the tasks a handler starts on its own (block=False) known to
    the update's inbox ticket (bot/transport/tickets.py): the update is done only after
    them. Nothing changes for an update handled outside the inbox."""

    def create_task(
        self, coroutine: Any, update: object | None = None, *, name: str | None = None
    ) -> Any:
        task = super().create_task(coroutine, update, name=name)
        ticket = tickets.current()
        if ticket is not None and update is not None:
            ticket.follow(task)
        return task


def build_application(
    settings: TelegramConfig,
    engine: QuestionAnswerer,
    state: BotState,
    token: str,
    *,
    timeouts: HttpTimeouts = HttpTimeouts(),
    monitoring: Monitoring | None = None,
    news: NewsOptions | None = None,
) -> BotApplication:
    """The bot with all its handlers; the caller starts it and owns `engine` and `state`.

    `monitoring` receives the bot's metrics and the outcome of each Bot API call (a fresh
    one, seen by nobody, when not given). `news` switches on links, feeds and alerts."""
    monitoring = monitoring or Monitoring()
    services = BotServices.create(settings, engine, state, monitoring.metrics, news)
    background = BackgroundCalls()
    calls = monitoring.telegram_call
    builder = (
        ApplicationBuilder()
        .token(token)
        # Each handler may hold two connections at once (its "typing…" and its reply): with
        # fewer, a slow Telegram would turn into pool timeouts instead of late replies.
        .request(_http(calls, 2 * settings.concurrent_updates + 8, timeouts, read=timeouts.read))
        .get_updates_request(_http(calls, 2, timeouts, read=timeouts.poll_read))
        .rate_limiter(ResilientRateLimiter(_flood_control(settings, state)))
        .concurrent_updates(tickets.TicketedUpdates(settings.concurrent_updates))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .post_init(_on_startup(services, background, monitoring))
        .post_stop(_on_stop(background))
    )
    builder = builder.application_class(TrackedApplication)
    if settings.base_url:
        builder = builder.base_url(settings.base_url).base_file_url(_file_url(settings))
    application = builder.build()
    alerts = Alerts(services)
    _add_handlers(application, services, alerts)
    _schedule_feed_sync(application, services, alerts)
    _schedule_daily_digests(application, services)
    return application


def _add_handlers(application: BotApplication, services: BotServices, alerts: Alerts) -> None:
    if services.updates is not None:  # else the durable inbox keeps each update once
        repeats = RepeatFilter(services.updates, services.calls)
        application.add_handler(repeats.handler(), group=REPEAT_GROUP)
    application.add_handler(Gatekeeper(services).handler(), group=GATE_GROUP)
    questions = QuestionHandlers(services)
    for handler_set in (
        CommandHandlers(services),
        AdminHandlers(services),
        FollowHandlers(services),
        FeedAdminHandlers(services),
        DigestHandlers(services),
        ChannelHandlers(services),
        LinkHandlers(services, alerts),  # before questions: a bare link is not a question
        questions,
        ButtonHandlers(services, questions),
        InlineHandlers(services),
        UnsupportedHandlers(services),  # last: it takes whatever the others did not
    ):
        application.add_handlers(handler_set.handlers())
    application.add_error_handler(on_error)


def _flood_control(settings: TelegramConfig, state: BotState) -> BaseRateLimiter[int]:
    """Telegram's limits for the whole bot: shared by the workers when they share a store
    (bot/transport/flood.py), else counted by this process."""
    flood = settings.flood
    if state.flood is not None:
        return SharedFloodControl(state.flood, state.calls, flood, FLOOD_RETRIES)
    return AIORateLimiter(
        overall_max_rate=flood.messages_per_second,
        group_max_rate=flood.group_messages_per_minute,
        max_retries=FLOOD_RETRIES,
    )


def _schedule_feed_sync(application: BotApplication, services: BotServices, alerts: Alerts) -> None:
    """Sync the feeds every `sync_minutes` (the first a few seconds after starting)."""
    news = services.news
    if news is None or news.sync_minutes is None or application.job_queue is None:
        return
    interval = news.sync_minutes * 60
    application.job_queue.run_repeating(
        FeedSyncJob(services, alerts, ChannelPoster(services)),
        interval=interval,
        first=min(FIRST_SYNC_SECONDS, interval),
        name="feed sync",
    )


def _schedule_daily_digests(application: BotApplication, services: BotServices) -> None:
    """Send the daily digests that are due, checked every `digest_check_seconds`."""
    news = services.news
    if news is None or application.job_queue is None:
        return
    application.job_queue.run_repeating(
        DailyDigestJob(services, news),
        interval=news.digest_check_seconds,
        first=min(FIRST_SYNC_SECONDS, news.digest_check_seconds),
        name="daily digests",
    )


def _http(
    listener: CallListener, pool_size: int, timeouts: HttpTimeouts, *, read: float
) -> ObservedRequest:
    return ObservedRequest(
        listener,
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


def _on_startup(
    services: BotServices, background: BackgroundCalls, monitoring: Monitoring
) -> AppCallback:
    """After getMe: log what the bot serves; set the command menus in the background; beat
    for /livez."""

    async def startup(application: BotApplication) -> None:
        bot = application.bot
        background.start(lambda: set_command_menus(bot, services.access.admin_user_ids), "menus")
        background.start(lambda: _beat(monitoring), "heartbeat")
        logger.info("%s", _startup_line(services, bot.username))

    return startup


async def _beat(monitoring: Monitoring) -> None:
    while True:
        monitoring.health.beat()
        await asyncio.sleep(BEAT_SECONDS)


def _on_stop(background: BackgroundCalls) -> AppCallback:
    async def stop(application: BotApplication) -> None:
        await background.cancel_all()

    return stop


async def set_command_menus(bot: ExtBot[int], admin_ids: Iterable[int]) -> None:
    """The public menu, then each admin's; until Telegram takes them (bot/transport/startup.py)."""
    try:
        await keep_trying(lambda: bot.set_my_commands(PUBLIC_COMMANDS), "setting the command menu")
    except (BadRequest, InvalidToken) as error:  # InvalidToken here: the server lacks the method
        logger.warning("The command menu was not set: %s", error)
        return
    for admin_id in admin_ids:
        set_menu = partial(bot.set_my_commands, ADMIN_COMMANDS, BotCommandScopeChat(admin_id))
        try:
            await keep_trying(set_menu, f"setting the admin menu of {admin_id}")
        except (BadRequest, InvalidToken) as error:  # the admin has not opened a chat yet
            logger.info("Admin commands not shown to %s yet: %s", admin_id, error)


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
