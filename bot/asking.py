"""Asking the engine and recording the answer: the one path for chat messages and inline mode."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services import BotServices
from index.api import Answer, Scope, Turn


@dataclass(frozen=True)
class RecordedAnswer:
    answer: Answer
    answer_id: str  # what the answer's buttons (or its inline result) carry
    latency_ms: float  # the engine's time only, so /stats shows what the engine costs


async def ask_and_record(
    services: BotServices,
    question: str,
    *,
    chat_id: int | None,
    asker: int,
    history: Sequence[Turn] = (),
    scope: Scope | None = None,
) -> RecordedAnswer:
    """The engine's answer to `question` within `scope`, in the answer log; `chat_id` is
    None inline."""
    started = time.perf_counter()
    answer = await services.engine.answer_async(question, history, scope)
    latency_ms = (time.perf_counter() - started) * 1000
    answer_id = await services.calls.run(
        services.answers.record_answer,
        answer,
        chat_id=chat_id,
        user_id=asker,
        latency_ms=latency_ms,
    )
    return RecordedAnswer(answer, answer_id, latency_ms)
