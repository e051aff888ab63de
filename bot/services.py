"""What every handler shares, built once per Application and passed in (no module globals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.access import AccessPolicy, SlidingWindowLimiter
from bot.conversation import ConversationMemory
from bot.feedback import FeedbackStore
from index.api import DocumentInfo, QuestionAnswerer
from qabot.config import TelegramConfig

INLINE_QUERIES_PER_QUESTION = 5  # Telegram sends an inline query as the person types
REFUSALS_PER_MINUTE = 2


class BotEngine(QuestionAnswerer, Protocol):
    """The engine as the bot uses it: the shared protocol plus adding uploaded bytes."""

    def add_bytes(self, filename: str, data: bytes) -> list[DocumentInfo]: ...


@dataclass
class BotServices:
    telegram: TelegramConfig
    engine: BotEngine
    store: FeedbackStore
    access: AccessPolicy
    memory: ConversationMemory
    question_limiter: SlidingWindowLimiter
    inline_limiter: SlidingWindowLimiter  # inline queries arrive per keystroke: own budget
    refusal_limiter: SlidingWindowLimiter  # strangers are told "private" rarely, not per message
    example_questions: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def create(
        cls,
        telegram: TelegramConfig,
        engine: BotEngine,
        store: FeedbackStore,
        example_questions: Sequence[str] = (),
    ) -> BotServices:
        per_minute = telegram.rate_limit_per_minute
        return cls(
            telegram=telegram,
            engine=engine,
            store=store,
            access=AccessPolicy.from_config(telegram),
            memory=ConversationMemory(engine.limits.conversation_turns),
            question_limiter=SlidingWindowLimiter(per_minute),
            inline_limiter=SlidingWindowLimiter(per_minute * INLINE_QUERIES_PER_QUESTION),
            refusal_limiter=SlidingWindowLimiter(REFUSALS_PER_MINUTE),
            example_questions=tuple(example_questions),
        )
