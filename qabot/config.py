"""Configuration: `config.yaml` validated once into typed models.

`Config` is composed of sections: the engine's (`index.settings.EngineSettings`, whose
sections `index`, `chunking`, ... the file writes at its top level beside the others), the
bot's `telegram`, `metrics`, `links` and `alerts` (`bot.settings`), and the shared state's.
Each default is written once, in those models; config.yaml shows them. Errors name the bad
key (e.g. `telegram.rate_limit_per_minute: ...`), so an operator can fix the file without
reading code. Relative paths are resolved once, as the file is read, against its folder,
so the bot behaves the same whatever the working directory.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from bot.settings import AlertsConfig, LinksConfig, MetricsConfig, TelegramConfig
from index.settings import EngineSettings, Section

log = logging.getLogger("qabot.config")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"
ENGINE = "engine"  # the field holding the engine's sections (not a key of the file)
# Keys that were renamed: (section, old name) -> new name. The old name is still read, with a
# deprecation warning in the log, so existing config files keep working.
RENAMED_KEYS = {("telegram", "feedback_db"): "state_db"}


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


class Config(Section):
    """The whole file: the engine's sections, the bot's, and the shared state's."""

    model_config = ConfigDict(validate_default=True)  # default sections get their paths resolved

    base_dir: Path = PROJECT_ROOT  # the config file's folder: relative paths start there
    engine: EngineSettings = EngineSettings()
    telegram: TelegramConfig = TelegramConfig()
    metrics: MetricsConfig = MetricsConfig()
    state: StateSettings = StateSettings()
    links: LinksConfig = LinksConfig()
    alerts: AlertsConfig = AlertsConfig()

    @model_validator(mode="before")
    @classmethod
    def _read_file_layout(cls, raw: Any) -> Any:
        """The file writes the engine's sections at its top level: gather them."""
        if not isinstance(raw, dict):
            return raw
        raw = _renamed(raw)
        engine = {name: raw[name] for name in EngineSettings.model_fields if name in raw}
        rest = {name: value for name, value in raw.items() if name not in engine}
        if ENGINE in rest:
            raise ValueError(f"unknown section {ENGINE!r}")
        return {**rest, ENGINE: engine} if engine else rest

    @field_validator("*", mode="after")
    @classmethod
    def _resolve_paths(cls, value: Any, info: ValidationInfo) -> Any:
        """Every relative path of every section, anchored at `base_dir` (validated first):
        the one place paths are resolved."""
        if not isinstance(value, BaseModel) or "base_dir" not in info.data:
            return value
        return _anchored(value, info.data["base_dir"])

    @model_serializer(mode="wrap")
    def _write_file_layout(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dumped as the file writes it: the engine's sections at the top level."""
        dumped: dict[str, Any] = handler(self)
        return {**dumped.pop(ENGINE, {}), **dumped}

    def engine_settings(self, index_dir: Path | None = None) -> EngineSettings:
        """The engine's sections (with another index folder)."""
        if index_dir is None:
            return self.engine
        index = self.engine.index.model_copy(update={"dir": index_dir})
        return self.engine.model_copy(update={"index": index})


def _renamed(raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` with renamed keys under their new names (each old one warned about)."""
    for (section, old), new in RENAMED_KEYS.items():
        values = raw.get(section)
        if not isinstance(values, dict) or old not in values:
            continue
        if new in values:
            raise ValueError(f"{section}.{old} is the old name of {section}.{new}: keep one")
        log.warning(
            "the setting %s.%s is deprecated: it is now called %s.%s (rename it in the "
            "config file)",
            section,
            old,
            section,
            new,
        )
        values = {(new if key == old else key): value for key, value in values.items()}
        raw = {**raw, section: values}
    return raw


def _anchored(model: BaseModel, base: Path) -> BaseModel:
    """`model` with each relative path (in it or its subsections) anchored at `base`."""
    update: dict[str, Any] = {}
    for name, value in model:
        if isinstance(value, Path) and not value.is_absolute():
            update[name] = (base / value).resolve()
        elif isinstance(value, BaseModel):
            update[name] = _anchored(value, base)
    return model.model_copy(update=update)


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location = item["loc"][1:] if item["loc"][:1] == (ENGINE,) else item["loc"]
        key = ".".join(str(part) for part in location) or "(top level)"
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
