"""The bot's end-to-end harness: the real Application polling the Bot API emulator.

Fixtures built on it live in tests/bot_fixtures.py (loaded with `pytest_plugins`, so they
are not imported, and so that pytest can rewrite their asserts).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApplication, HttpTimeouts, build_application
from bot.monitoring import Monitoring
from bot.running import Run, serving
from bot.state import Conversations
from index.api import QuestionAnswerer
from qabot.config import Config
from qabot.serve import open_bot_state
from tests.emulator import BotApiEmulator, validate_telegram_html

HEADLINE_QUESTION = "what charges does Gutierrez Reed face"
ADMIN_ID = 4242
CHAT = 1001


@dataclass
class BotUnderTest:
    emulator: BotApiEmulator
    application: BotApplication
    config: Config

    @property
    def feedback_db(self) -> Path:
        return self.config.path(self.config.telegram.feedback_db)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.feedback_db)) as db:
            return db.execute(sql, params).fetchall()

    async def ask(self, text: str, *, chat_id: int = CHAT, **sender: Any) -> dict[str, Any]:
        """Send text as a person and return the bot's next message to that chat."""
        self.emulator.user_sends_text(text, chat_id=chat_id, **sender)
        return await self.emulator.wait_for_message(chat_id)

    async def assert_silent(self, chat_id: int, settle: float = 0.5) -> None:
        """Nothing was (or gets, within `settle` s) sent to chat_id beyond what was consumed."""
        with pytest.raises(AssertionError):
            await self.emulator.wait_for_message(chat_id, timeout=settle)


StartBot = Callable[..., contextlib.AbstractAsyncContextManager[BotUnderTest]]


@contextlib.asynccontextmanager
async def running_bot(
    engine: QuestionAnswerer,
    tmp_path: Path,
    base_config: Config,
    *,
    emulator: BotApiEmulator | None = None,
    timeouts: HttpTimeouts | None = None,
    conversations: Conversations | None = None,
    monitoring: Monitoring | None = None,
    pool: Any = None,
    **telegram: Any,
) -> AsyncIterator[BotUnderTest]:
    """Emulator + the bot polling it, composed as `qabot serve` does, stopped (and its state
    closed) on exit.

    Pass a started `emulator` to put something between it and the bot: `base_url` and
    `base_file_url` in `telegram` override the emulator's own addresses. `conversations`
    replaces the default conversation memory; `monitoring` receives the bot's metrics;
    with a database `pool` the bot's state is in PostgreSQL (state.backend: postgres).
    """
    own = BotApiEmulator() if emulator is None else contextlib.nullcontext(emulator)
    async with own as emulator:
        telegram_config = base_config.telegram.model_copy(
            update={
                "base_url": emulator.base_url,
                "base_file_url": emulator.base_file_url,
                "feedback_db": tmp_path / "feedback.sqlite",
                "admin_user_ids": [ADMIN_ID],
                **telegram,
            }
        )
        config = base_config.model_copy(update={"telegram": telegram_config})
        settings = config.telegram_settings()
        state = open_bot_state(settings, engine.limits, pool)
        if conversations is not None:
            state = dataclasses.replace(state, conversations=conversations)
        application = build_application(
            settings,
            engine,
            state,
            emulator.token,
            timeouts=timeouts or HttpTimeouts(),
            monitoring=monitoring,
        )
        try:
            # as `qabot serve` runs it; a 1 s long poll so that stopping is quick
            async with serving(application, settings, None, Run(), poll_timeout=1):
                yield BotUnderTest(emulator, application, config)
        finally:
            state.close()


def write_serve_config(
    tmp_path: Path,
    emulator: BotApiEmulator,
    *,
    metrics_port: int | None = None,
    state: dict[str, Any] | None = None,
    **telegram: Any,
) -> Path:
    """A config.yaml for a `qabot serve` process talking to `emulator`, in tmp_path (with
    `state`, its shared-state section)."""
    import yaml

    root = Path(__file__).resolve().parent.parent
    settings = {
        "index": {"dir": str(tmp_path / "index"), "default_corpus": str(root / "corpus")},
        "embedding": {"cache_dir": str(root / "data" / "models")},
        "telegram": {
            "base_url": emulator.base_url,
            "feedback_db": str(tmp_path / "feedback.sqlite"),
            **telegram,
        },
        "metrics": {"port": metrics_port},
        **({"state": state} if state else {}),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


async def start_serve_process(config_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`qabot serve` as its own process (stdout and stderr merged), with extra environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from qabot.config import load_config; from qabot.serve import serve; "
        "sys.exit(serve(load_config(sys.argv[1])))",
        str(config_path),
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


def visible(message: dict[str, Any]) -> str:
    """The text a person sees; the emulator already refused invalid markup with a 400."""
    text = str(message.get("text", ""))
    assert text, f"not a text message: {message}"
    return text


def assert_valid_html_calls(emulator: BotApiEmulator) -> None:
    """Every text the bot sent parsed as Telegram HTML (no 400s for markup or length)."""
    for call in emulator.calls:
        if call.method in ("sendMessage", "editMessageText"):
            assert call.status != 400, call.summary()
            validate_telegram_html(call.params["text"])


async def settle() -> None:
    """Give handlers of updates already fetched a moment to act."""
    await asyncio.sleep(0.3)
