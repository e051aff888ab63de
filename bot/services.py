"""What every handler shares, built once per Application and passed in (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import AccessPolicy
from bot.metrics import BotMetrics
from bot.settings import TelegramConfig
from bot.state import AnswerLog, BotState, Conversations, RateLimiters, SeenUpdates
from index.api import QuestionAnswerer


@dataclass(frozen=True)
class BotServices:
    settings: TelegramConfig
    engine: QuestionAnswerer
    access: AccessPolicy
    answers: AnswerLog
    conversations: Conversations
    limiters: RateLimiters
    updates: SeenUpdates
    metrics: BotMetrics

    @classmethod
    def create(
        cls,
        settings: TelegramConfig,
        engine: QuestionAnswerer,
        state: BotState,
        metrics: BotMetrics,
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
        )
