"""Configuration: `config.yaml` validated once into typed models.

The engine's sections are `index.settings.EngineSettings`; the bot's are `telegram`,
`metrics`, `links`, `alerts` and `channels` (`bot.settings`). Each default is written once, in those
models; config.yaml shows them. Errors name the bad key (e.g.
`telegram.rate_limit_per_minute: ...`), so an operator can fix the file without reading
code. Relative paths are resolved against the config file's folder, so the bot behaves
the same whatever the working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from bot.settings import AlertsConfig, ChannelsConfig, LinksConfig, MetricsConfig, TelegramConfig
from index.settings import EngineSettings, Section

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"


class ConfigError(Exception):
    """The configuration file is missing or invalid; the message names the bad key."""


class StateSettings(Section):
    """Where what several workers must share lives: `sqlite` (files beside the index, one
    machine) or `postgres` (documents, chunks, answers, votes, conversations, rate limits
    and seen updates in one PostgreSQL database, its address in the environment variable
    `dsn_env`: it may hold a password)."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    dsn_env: str = "QABOT_DATABASE_URL"
    # connections per process (the engine's writer and readers, and the bot's stores)
    pool_size: int = Field(8, ge=2, le=100)
    # how often a question may ask the database whether another worker changed the index
    # (one indexed row read); the snapshot is rebuilt when it did
    generation_check_seconds: float = Field(2.0, ge=0.0, le=3600.0)


class Config(EngineSettings):
    """The whole file: the engine's sections, the bot's, and the shared state's."""

    telegram: TelegramConfig = TelegramConfig()
    metrics: MetricsConfig = MetricsConfig()
    state: StateSettings = StateSettings()
    links: LinksConfig = LinksConfig()
    alerts: AlertsConfig = AlertsConfig()
    channels: ChannelsConfig = ChannelsConfig()
    base_dir: Path = PROJECT_ROOT

    def path(self, relative: Path) -> Path:
        """Resolve a configured path against the config file's folder."""
        return relative if relative.is_absolute() else (self.base_dir / relative).resolve()

    def engine_settings(self, index_dir: Path | None = None) -> EngineSettings:
        """The engine's sections with their paths resolved (and another index folder)."""
        return self.resolved(self.base_dir, index_dir)

    def telegram_settings(self) -> TelegramConfig:
        """The bot's section with its paths resolved."""
        return self.telegram.model_copy(
            update={"feedback_db": self.path(self.telegram.feedback_db)}
        )


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"{key}: {item['msg']}")
    return "; ".join(lines)


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate a config file; raise ConfigError naming the bad key."""
    config_path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    if not config_path.is_file():
        raise ConfigError(f"config file not found: {config_path}")
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: the top level must be a mapping of sections")
    raw.setdefault("base_dir", str(config_path.resolve().parent))
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"invalid config {config_path}: {_describe(exc)}") from exc
