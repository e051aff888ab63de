"""Whether the bot can do its job now, for /healthz: the engine is open and Telegram answers.

Every Bot API call reports here (bot/transport/telegram_http.py). Healthy means the last call
succeeded and not too long ago: in polling mode a long poll ends every 10 s; in webhook
mode the bot asks Telegram about its webhook every minute (bot/transport/running.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

STALE_AFTER = 180.0  # seconds without a successful Bot API call before the bot is unhealthy


@dataclass(frozen=True)
class HealthStatus:
    healthy: bool
    reason: str


class Health:
    """Thread-safe: calls are recorded on the event loop, read by the metrics server's threads."""

    def __init__(
        self, stale_after: float = STALE_AFTER, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stale_after = stale_after
        self._clock = clock
        self._engine_open: Callable[[], bool] | None = None
        self._lock = threading.Lock()
        self._last_success: float | None = None
        self._last_failure: str | None = None  # set when the latest call failed

    def watch_engine(self, is_open: Callable[[], bool]) -> None:
        """From now on the engine is asked; until then it is still being opened."""
        self._engine_open = is_open

    def telegram_call(self, method: str, failure: str | None) -> None:
        """`failure` is None for a success, else what went wrong (a status, "timeout")."""
        with self._lock:
            if failure is None:
                self._last_success = self._clock()
                self._last_failure = None
            else:
                self._last_failure = f"Telegram {method} failed: {failure}"

    def status(self) -> HealthStatus:
        if self._engine_open is None:
            return HealthStatus(False, "the index is being opened")
        if not self._engine_open():
            return HealthStatus(False, "the engine is closed")
        with self._lock:
            last_success, last_failure = self._last_success, self._last_failure
        if last_failure is not None:
            return HealthStatus(False, last_failure)
        if last_success is None:
            return HealthStatus(False, "no Telegram call has succeeded yet")
        silent = self._clock() - last_success
        if silent > self._stale_after:
            return HealthStatus(False, f"no successful Telegram call for {silent:.0f} s")
        return HealthStatus(True, "ok")
