"""Telegram's side of a webhook: POST each update until a 2xx says it was taken.

What Telegram does, as far as the bot can tell: several updates in flight at once (up to
the webhook's `max_connections`, 40 by default), the secret token in a header, and an update
whose POST failed (a non-2xx, a refused connection, a timeout) sent again later, with
growing pauses, until it is taken. Telegram does not say how long it pauses; here the
pauses are short (from 0.5 s, at most 3 s) so that a test does not wait long. Every
attempt is recorded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 3.0
REQUEST_TIMEOUT = 10.0  # a slower answer counts as a failed delivery


@dataclass(frozen=True)
class Attempt:
    started: float  # time.monotonic()
    seconds: float  # until the answer (or the error)
    outcome: str  # the HTTP status, or the transport error's name


@dataclass
class Delivery:
    update_id: int
    queued: float  # time.monotonic() when Telegram had it
    attempts: list[Attempt] = field(default_factory=list)
    delivered: float | None = None


class WebhookDelivery:
    """Delivers updates to `url` until each is taken; `await drained()` waits for all."""

    def __init__(self, url: str, secret: str, max_connections: int = 40) -> None:
        self._url = url
        self._secret = secret
        self._connections = asyncio.Semaphore(max_connections)
        self._client = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=max_connections)
        )
        self.deliveries: dict[int, Delivery] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, update: dict[str, Any]) -> Delivery:
        delivery = Delivery(int(update["update_id"]), time.monotonic())
        self.deliveries[delivery.update_id] = delivery
        task = asyncio.create_task(self._deliver(update, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def drained(self, timeout: float) -> None:
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    @property
    def failed_attempts(self) -> int:
        return sum(1 for attempt in self.attempts() if not attempt.outcome.startswith("2"))

    def attempts(self) -> list[Attempt]:
        return [attempt for d in self.deliveries.values() for attempt in d.attempts]

    async def _deliver(self, update: dict[str, Any], delivery: Delivery) -> None:
        pause = FIRST_PAUSE
        headers = {SECRET_HEADER: self._secret}
        while True:
            async with self._connections:
                started = time.monotonic()
                try:
                    response = await self._client.post(self._url, json=update, headers=headers)
                    outcome = str(response.status_code)
                except httpx.TransportError as error:
                    outcome = type(error).__name__
            delivery.attempts.append(Attempt(started, time.monotonic() - started, outcome))
            if outcome.startswith("2"):
                delivery.delivered = time.monotonic()
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
