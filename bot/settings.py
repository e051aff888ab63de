"""The bot's settings: the `telegram` and `metrics` sections of config.yaml, typed; each
default is written here.

They live in bot/ because only the bot reads them; `qabot/config.py` composes them with the
engine's sections into the whole file, and resolves their relative paths as it reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """A settings section: unknown keys are errors (a typo must not be silently ignored).

    The same rule as `index.settings.Section`, written again so that bot/ needs nothing
    from the engine but `index.api`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(Section):
    listen: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    url: str | None = None
    path: str = "telegram"
    secret_token_env: str = "TELEGRAM_WEBHOOK_SECRET"


class InboxConfig(Section):
    """The durable inbox of webhook mode on PostgreSQL (docs/scaling.md): every update is
    stored before Telegram gets its 200, and held by one worker at a time under a lease."""

    # a worker that stops renewing its claims (killed, or cut off) loses them after this
    lease_seconds: float = Field(10.0, ge=1.0, le=600.0)
    # how often a worker looks for updates whose worker's lease ran out
    poll_seconds: float = Field(1.0, ge=0.05, le=60.0)
    # on SIGTERM, how long a worker may finish the updates it holds before it lets them go
    shutdown_seconds: float = Field(20.0, ge=0.0, le=600.0)


class FloodConfig(Section):
    """What Telegram lets one bot send: shared by every worker with state.backend:
    postgres, else counted by the one process (python-telegram-bot's AIORateLimiter)."""

    messages_per_second: int = Field(30, ge=1, le=1000)  # all chats together
    group_messages_per_minute: int = Field(20, ge=1, le=1000)  # to one group


class TelegramConfig(Section):
    token_env: str = "TELEGRAM_BOT_TOKEN"
    base_url: str | None = None
    base_file_url: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = WebhookConfig()
    inbox: InboxConfig = InboxConfig()
    flood: FloodConfig = FloodConfig()
    allowed_user_ids: tuple[int, ...] = ()
    allowed_chat_ids: tuple[int, ...] = ()
    admin_user_ids: tuple[int, ...] = ()
    rate_limit_per_minute: int = Field(20, ge=1, le=10_000)
    # the bot's own records with state.backend sqlite: answers, votes, follows, alerts, link counts
    state_db: Path = Path("data/feedback.sqlite")
    concurrent_updates: int = Field(64, ge=1, le=1024)
    example_questions: tuple[str, ...] = ()


class MetricsConfig(Section):
    """Where `qabot serve` offers /metrics and /healthz; no port: nowhere."""

    listen: str = "127.0.0.1"
    port: int | None = Field(None, ge=1, le=65535)


class LinksConfig(Section):
    """Links people send in chat (read into that chat's own collection)."""

    per_chat_per_day: int = Field(20, ge=1, le=10_000)
    # A chat's collection holds at most this many links; the oldest are dropped first.
    max_per_chat: int = Field(50, ge=1, le=100_000)


class AlertsConfig(Section):
    """Alerts about new articles matching what people /follow."""

    max_per_day: int = Field(10, ge=1, le=1000)  # alerts per chat per day (UTC)
    max_topics: int = Field(20, ge=1, le=1000)  # topics a chat may follow


class ChannelsConfig(Section):
    """/subscribe URL: a feed's new items posted to a chat or channel as they arrive."""

    max_posts_per_hour: int = Field(5, ge=1, le=1000)  # the rest go into one folded message
    max_subscriptions: int = Field(20, ge=1, le=1000)  # feeds one chat may subscribe to
