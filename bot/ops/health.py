"""Whether the bot can do its job now (readiness, /healthz) and whether it lives (/livez).

Ready means: the engine is open, its database (state.backend: postgres) answers, it is not
shutting down, and Telegram answers. A balancer sends updates only to ready workers; a
worker that cannot reach its database answers 503 to webhook requests anyway, so Telegram
redelivers them. Every Bot API call reports here (bot/transport/telegram_http.py): the last
one must have succeeded and not too long ago (in polling mode a long poll ends every 10 s;
in webhook mode the bot asks Telegram about its webhook every minute, bot/transport/running.py).

Alive means only that the event loop still turns (`beat`, every second from the loop): a
supervisor restarts a worker that is not alive, and leaves a merely unready one alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

STALE_AFTER = 180.0  # seconds without a successful Bot API call before the bot is unhealthy
LOOP_STUCK_AFTER = 30.0  # seconds without a beat of the event loop before the bot is not alive


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
        self._database: Callable[[], str] | None = None
        self._draining = False
        self._last_beat: float | None = None
        self._lock = threading.Lock()
        self._last_success: float | None = None
        self._last_failure: str | None = None  # set when the latest call failed

    def watch_engine(self, is_open: Callable[[], bool]) -> None:
        """From now on the engine is asked; until then it is still being opened."""
        self._engine_open = is_open

    def watch_database(self, status: Callable[[], str]) -> None:
        """`status()` is "ok" while the database answers, else why it does not."""
        self._database = status

    def draining(self) -> None:
        """The worker is shutting down: it takes no new updates."""
        self._draining = True

    def beat(self) -> None:
        """The event loop turned (called from it every second)."""
        with self._lock:
            self._last_beat = self._clock()

    def liveness(self) -> HealthStatus:
        with self._lock:
            last_beat = self._last_beat
        if last_beat is None:
            return HealthStatus(True, "starting")
        silent = self._clock() - last_beat
        if silent > LOOP_STUCK_AFTER:
            return HealthStatus(False, f"the event loop has not turned for {silent:.0f} s")
        return HealthStatus(True, "ok")

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
        if self._draining:
            return HealthStatus(False, "shutting down")
        database = self._database() if self._database is not None else "ok"
        if database != "ok":
            return HealthStatus(False, f"the database is unreachable: {database}")
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
