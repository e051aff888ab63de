"""Configuration: `config.yaml` validated once into typed models.

Errors name the bad key (e.g. `telegram.rate_limit_per_minute: ...`), so an operator can
fix the file without reading code. Relative paths are resolved against the config file's
folder, so the bot behaves the same whatever the working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"


class ConfigError(Exception):
    """The configuration file is missing or invalid; the message names the bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexConfig(_Strict):
    dir: Path = Path("data/index")
    default_corpus: Path = Path("corpus")


class ChunkingConfig(_Strict):
    max_chars: int = Field(1000, ge=100, le=4000)
    overlap_sentences: int = Field(1, ge=0, le=5)


class EmbeddingConfig(_Strict):
    backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    batch_size: int = Field(32, ge=1, le=1024)
    cache_dir: Path = Path("data/models")
    batch_wait_ms: float = Field(2.0, ge=0, le=100)


class RetrievalConfig(_Strict):
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(40, ge=5, le=1000)
    hnsw_threshold: int = Field(50_000, ge=1000)


class AnswerConfig(_Strict):
    max_chars: int = Field(300, ge=80, le=1000)
    passage_max_chars: int = Field(1200, ge=200, le=4000)
    min_confidence: float = Field(0.077, ge=0.0, le=1.0)


class WebhookConfig(_Strict):
    listen: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    url: str | None = None
    path: str = "telegram"
    secret_token_env: str = "TELEGRAM_WEBHOOK_SECRET"


class TelegramConfig(_Strict):
    token_env: str = "TELEGRAM_BOT_TOKEN"
    base_url: str | None = None
    base_file_url: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = WebhookConfig()
    allowed_user_ids: list[int] = []
    allowed_chat_ids: list[int] = []
    admin_user_ids: list[int] = []
    rate_limit_per_minute: int = Field(20, ge=1, le=10_000)
    max_question_chars: int = Field(1000, ge=10, le=4096)
    max_document_bytes: int = Field(20_000_000, ge=1000, le=2_000_000_000)
    conversation_turns: int = Field(4, ge=0, le=50)
    feedback_db: Path = Path("data/feedback.sqlite")
    concurrent_updates: int = Field(64, ge=1, le=1024)
    example_questions: list[str] = []


class Config(_Strict):
    index: IndexConfig = IndexConfig()
    chunking: ChunkingConfig = ChunkingConfig()
    embedding: EmbeddingConfig = EmbeddingConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    answer: AnswerConfig = AnswerConfig()
    telegram: TelegramConfig = TelegramConfig()
    base_dir: Path = PROJECT_ROOT

    @model_validator(mode="after")
    def _check_candidates(self) -> Config:
        if self.retrieval.candidates < self.retrieval.top_k:
            raise ValueError("retrieval.candidates must be at least retrieval.top_k")
        return self

    def path(self, relative: Path) -> Path:
        """Resolve a configured path against the config file's folder."""
        return relative if relative.is_absolute() else (self.base_dir / relative).resolve()


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
