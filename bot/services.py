"""What every handler shares, built once per Application and passed in (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ops.metrics import BotMetrics
from bot.settings import AlertsConfig, ChannelsConfig, LinksConfig, TelegramConfig
from bot.state.access import AccessPolicy
from bot.state.protocols import (
    AnswerLog,
    BotState,
    Conversations,
    FollowState,
    RateLimiters,
    SeenUpdates,
    StoreCalls,
)
from index.api import NewsDesk, QuestionAnswerer


@dataclass(frozen=True)
class NewsOptions:
    """Links, feeds, alerts, channels and digests: the news desk and their limits. A bot
    built without them answers questions only (and says so when asked to read a link)."""

    desk: NewsDesk
    links: LinksConfig = field(default_factory=LinksConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    sync_minutes: float | None = 30.0  # how often feeds are synced; None: never
    digest_check_seconds: float = 60.0  # how often daily digests that are due are sent


@dataclass(frozen=True)
class BotServices:
    settings: TelegramConfig
    engine: QuestionAnswerer
    access: AccessPolicy
    answers: AnswerLog
    conversations: Conversations
    limiters: RateLimiters
    updates: SeenUpdates | None  # None: the durable inbox keeps each update once
    metrics: BotMetrics
    follows: FollowState
    calls: StoreCalls  # how the handlers call the stores (inline, or off the event loop)
    news: NewsOptions | None = None

    @classmethod
    def create(
        cls,
        settings: TelegramConfig,
        engine: QuestionAnswerer,
        state: BotState,
        metrics: BotMetrics,
        news: NewsOptions | None = None,
    ) -> BotServices:
        return cls(
            settings=settings,
            engine=engine,
            access=AccessPolicy.from_config(settings),
            answers=state.answers,
            conversations=state.conversations,
            limiters=state.limiters,
            updates=state.updates,
            metrics=metrics,
            follows=state.follows,
            calls=state.calls,
            news=news,
        )
