"""The bot's end-to-end harness: the real Application polling the Bot API emulator.

Fixtures built on it live in tests/support/bot_fixtures.py (loaded with `pytest_plugins`, so they
are not imported, and so that pytest can rewrite their asserts).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import BotApplication, HttpTimeouts, build_application
from bot.ops.monitoring import Monitoring
from bot.services import NewsOptions
from bot.state.protocols import Conversations
from bot.transport.running import Run, serving
from index.api import QuestionAnswerer
from qabot.config import Config
from qabot.serve import open_bot_state
from tests.support.emulator import BotApiEmulator, validate_telegram_html

HEADLINE_QUESTION = "what charges does Gutierrez Reed face"
ADMIN_ID = 4242
CHAT = 1001
# A question asked to prove that the bot has handled everything sent before it (see
# BotUnderTest.handled_so_far), and the words its answer must hold.
MARKER_QUESTION = "Where did Mickey Rourke first post his opinion?"
MARKER_FACT = "Instagram"
MARKER_CHAT = 7007


@dataclass
class BotUnderTest:
    emulator: BotApiEmulator
    application: BotApplication
    config: Config
    pool: Any = None  # the database of the bot's state (state.backend: postgres), if any

    @property
    def state_db(self) -> Path:
        return self.config.telegram.state_db

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """A query of the bot's state: its SQLite file, or its database (whose placeholders
        are %s, not ?)."""
        if self.pool is not None:
            with self.pool.connection() as conn:
                return [tuple(row) for row in conn.execute(sql, params).fetchall()]
        with contextlib.closing(sqlite3.connect(self.state_db)) as db:
            return db.execute(sql, params).fetchall()

    async def ask(self, text: str, *, chat_id: int = CHAT, **sender: Any) -> dict[str, Any]:
        """Send text as a person and return the bot's next message to that chat."""
        self.emulator.user_sends_text(text, chat_id=chat_id, **sender)
        return await self.emulator.wait_for_message(chat_id)

    async def handled_so_far(
        self,
        *,
        chat_id: int = MARKER_CHAT,
        user_id: int = MARKER_CHAT,
        text: str = MARKER_QUESTION,
        expect: str = MARKER_FACT,
        **sender: Any,
    ) -> None:
        """Every update sent before now has been handled in full, and whatever it made the
        bot send to chat_id was consumed by the test.

        A marker (by default a question in a chat of its own) is sent, and its reply must be
        the next message to chat_id: a message the bot sent there meanwhile comes first and
        fails this. That proves the earlier updates done only when the bot takes one update
        at a time, so this needs a bot started with concurrent_updates=1 (handlers that run
        on their own, block=False, such as the admins' upload, are not waited for).
        """
        processor = self.application.update_processor
        assert processor.max_concurrent_updates == 1, "start the bot with concurrent_updates=1"
        reply = await self.ask(text, chat_id=chat_id, user_id=user_id, **sender)
        assert expect in str(reply.get("text", "")), f"before the marker's reply came {reply}"

    async def assert_silent(self, chat_id: int, /, **marker: Any) -> None:
        """The bot sent chat_id nothing beyond the messages the test consumed, although it
        has handled every update sent so far (`handled_so_far`, whose marker options
        `marker` passes on; by default the marker goes to a chat of its own)."""
        await self.handled_so_far(**marker)
        assert self.emulator.unconsumed_messages(chat_id) == []


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
    news: NewsOptions | None = None,
    **telegram: Any,
) -> AsyncIterator[BotUnderTest]:
    """Emulator + the bot polling it, composed as `qabot serve` does, stopped (and its state
    closed) on exit.

    Pass a started `emulator` to put something between it and the bot: `base_url` and
    `base_file_url` in `telegram` override the emulator's own addresses. `conversations`
    replaces the default conversation memory; `monitoring` receives the bot's metrics;
    with a database `pool` the bot's state is in PostgreSQL (state.backend: postgres);
    `news` switches on links, feeds and alerts.
    """
    own = BotApiEmulator() if emulator is None else contextlib.nullcontext(emulator)
    async with own as emulator:
        telegram_config = base_config.telegram.model_copy(
            update={
                "base_url": emulator.base_url,
                "base_file_url": emulator.base_file_url,
                "state_db": tmp_path / "feedback.sqlite",
                "admin_user_ids": [ADMIN_ID],
                **telegram,
            }
        )
        config = base_config.model_copy(update={"telegram": telegram_config})
        settings = config.telegram
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
            news=news,
        )
        try:
            # as `qabot serve` runs it; a 1 s long poll so that stopping is quick
            async with serving(application, settings, None, Run(), poll_timeout=1):
                yield BotUnderTest(emulator, application, config, pool)
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

    root = Path(__file__).resolve().parents[2]
    settings = {
        "index": {"dir": str(tmp_path / "index"), "default_corpus": str(root / "corpus")},
        "embedding": {"cache_dir": str(root / "data" / "models")},
        "telegram": {
            "base_url": emulator.base_url,
            "state_db": str(tmp_path / "feedback.sqlite"),
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
        cwd=Path(__file__).resolve().parents[2],
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


async def until(condition: Callable[[], bool], what: str, *, timeout: float = 15.0) -> None:
    """Until condition() holds, checked every 20 ms, for what the emulator cannot see (the
    bot's own state or metrics); fails naming `what` after `timeout` s. The pause only paces
    the checks: the condition decides."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


@contextlib.contextmanager
def reserved_port() -> Iterator[int]:
    """A 127.0.0.1 port that nothing else gets while the block runs, for a server started
    later (often by another process) to listen on.

    The port is bound, never listened on, with SO_REUSEADDR: the kernel gives it to no other
    bind() or outgoing connection, while a server setting SO_REUSEADDR too (wsgiref's, which
    serves /metrics, and tornado's, which serves the webhook, do) still binds it and
    listens. Unlike closing a probe socket and binding its port later, this leaves no
    moment in which the port is free for someone else.
    """
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])
