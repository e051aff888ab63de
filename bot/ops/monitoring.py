"""What an operator sees of one bot: its metrics and its health, bundled for the composition.

`qabot serve` makes one, gives its metrics to the engine as observer, its `telegram_call`
to the bot's HTTP layer, and both to the endpoint (bot/ops/metrics_server.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ops.health import Health
from bot.ops.metrics import BotMetrics


@dataclass(frozen=True)
class Monitoring:
    metrics: BotMetrics = field(default_factory=BotMetrics)
    health: Health = field(default_factory=Health)

    def telegram_call(self, method: str, failure: str | None) -> None:
        """bot.transport.telegram_http.CallListener: every Bot API call's outcome."""
        if failure is not None:
            self.metrics.telegram_error(method, failure)
        self.health.telegram_call(method, failure)
