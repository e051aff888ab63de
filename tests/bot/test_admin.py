"""End to end: admins add articles by sending files, /remove them and read /stats; others cannot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index import Engine
from qabot.config import Config
from tests.support.bot_harness import (
    ADMIN_ID,
    CHAT,
    HEADLINE_QUESTION,
    BotUnderTest,
    StartBot,
    visible,
)

pytest_plugins = ("tests.support.bot_fixtures",)  # fixtures: bot, start_bot, private_engine
pytestmark = pytest.mark.model  # end to end: the bot over the real engine and model

ARTICLE = b"""date 2024-03-05
Harbour Bridge Repairs Finish Early

The city council said the repairs of the old harbour bridge finished three weeks early.
The work cost 4.2 million euros, less than the 5 million that was planned.
Engineers replaced 340 rivets and repainted the whole span in its original green.
"""


async def test_admin_upload_then_question_then_remove(
    start_bot: StartBot,
    private_engine: Engine,
) -> None:
    async with start_bot(engine=private_engine) as bot:
        emulator = bot.emulator
        admin: dict[str, Any] = {"chat_id": ADMIN_ID, "user_id": ADMIN_ID}
        emulator.user_sends_document(
            "harbour-bridge.md", ARTICLE, mime_type="text/markdown", **admin
        )
        reading = visible(await emulator.wait_for_message(ADMIN_ID))
        assert "harbour-bridge.md" in reading
        added = visible(await emulator.wait_for_message(ADMIN_ID, timeout=30))
        assert "Added" in added and "Harbour Bridge Repairs Finish Early" in added
        assert "harbour-bridge" in added  # the id /remove takes

        answer = visible(await bot.ask("How much did the bridge repairs cost?", **admin))
        assert "4.2 million euros" in answer
        assert "Harbour Bridge Repairs Finish Early" in answer

        sources = visible(await bot.ask("/sources", **admin))
        assert "I know 2 articles" in sources and "harbour-bridge" in sources

        removed = visible(await bot.ask("/remove harbour-bridge", **admin))
        assert "Removed" in removed and "Harbour Bridge" in removed
        gone = visible(await bot.ask("How much did the bridge repairs cost?", **admin))
        assert "4.2 million" not in gone
        unknown = visible(await bot.ask("/remove harbour-bridge", **admin))
        assert "No article has the id harbour-bridge" in unknown


@pytest.fixture
def small_upload_engine(seed_engine: Engine, config: Config, tmp_path: Path) -> Iterator[Engine]:
    """An engine over the shipped article that takes documents of at most 2,000 bytes."""
    settings = config.engine_settings(tmp_path / "index").with_changes(
        index={"max_document_bytes": 2000}
    )
    engine = Engine(settings, embedder=seed_engine.embedder)
    yield engine
    engine.close()


async def test_bad_uploads_are_explained(start_bot: StartBot, small_upload_engine: Engine) -> None:
    private_engine = small_upload_engine
    async with start_bot(engine=private_engine) as bot:
        emulator = bot.emulator
        admin: dict[str, Any] = {"chat_id": ADMIN_ID, "user_id": ADMIN_ID}
        emulator.user_sends_document("photo.exe", b"MZ...", **admin)
        assert ".pdf" in visible(await emulator.wait_for_message(ADMIN_ID))
        emulator.user_sends_document("huge.txt", b"word " * 1000, **admin)
        assert "too big" in visible(await emulator.wait_for_message(ADMIN_ID))
        emulator.user_sends_document("broken.pdf", b"%PDF-1.4 not really", **admin)
        await emulator.wait_for_message(ADMIN_ID)  # "Reading broken.pdf..."
        assert "not a readable PDF" in visible(await emulator.wait_for_message(ADMIN_ID))
        assert emulator.downloads  # the file was fetched through base_file_url
        assert [d.doc_id for d in private_engine.documents()] == [
            "rust-shooting-rourke-baldwin-2023-01-30"
        ]


async def test_only_admins_upload_remove_and_see_stats(
    start_bot: StartBot,
    private_engine: Engine,
) -> None:

    async with start_bot(engine=private_engine) as bot:
        bot.emulator.user_sends_document("x.txt", ARTICLE)
        assert "Only the bot's admins" in visible(await bot.emulator.wait_for_message(CHAT))
        assert "only the bot's admins" in visible(await bot.ask("/remove rust-shooting"))
        stats_refused = visible(await bot.ask("/stats"))
        assert "only the bot's admins" in stats_refused and "Latency" not in stats_refused
        assert "only the bot's admins" in visible(await bot.ask("/unanswered"))
        assert len(private_engine.documents()) == 1

        await bot.ask(HEADLINE_QUESTION)
        await bot.ask("who is the president of France")
        admin: dict[str, Any] = {"chat_id": ADMIN_ID, "user_id": ADMIN_ID}
        stats = await bot.ask("/stats", **admin)
        caption = stats["caption"]
        assert "Last 14 days: 2 questions, 1 refused (50%)" in caption
        assert "Feedback: 👍 0 · 👎 0" in caption
        assert "Latency p50 / p90 / p99:" in caption
        assert "Index: 1 articles, 10 passages" in caption
        chart = bot.emulator.file_content(stats["photo"][-1]["file_id"])
        assert chart.startswith(b"\x89PNG\r\n\x1a\n") and len(chart) > 10_000


async def test_unanswered_groups_near_duplicates_with_counts(bot: BotUnderTest) -> None:
    for question in (
        "Who won the 2022 World Cup?",
        "who won the 2022 world cup",
        "Who won the world cup in 2022?",
        "What is the capital of Australia?",
    ):
        await bot.ask(question)
    answer = await bot.ask(HEADLINE_QUESTION)  # answered, then voted down
    bot.emulator.user_presses_button(answer, answer_button(answer, "👎"))
    await bot.emulator.wait_for_call("answerCallbackQuery")

    listing = visible(await bot.ask("/unanswered", chat_id=ADMIN_ID, user_id=ADMIN_ID))
    lines = listing.splitlines()
    assert lines[0] == "Refused or voted down lately, most asked first:"
    assert lines[1].startswith("• 3× ") and "world cup" in lines[1].lower()
    assert lines[1].endswith("(refused 3)")
    assert f"• 1× {HEADLINE_QUESTION} (👎 1)" in lines
    assert "• 1× What is the capital of Australia? (refused 1)" in lines
    assert len(lines) == 4


def answer_button(message: dict[str, Any], text: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(button["callback_data"] for row in rows for button in row if button["text"] == text)


async def test_an_upload_does_not_hold_up_other_peoples_questions(
    start_bot: StartBot, private_engine: Engine
) -> None:
    # One update at a time: only the upload handler running on its own lets the question in.
    async with start_bot(engine=private_engine, concurrent_updates=1) as bot:
        emulator = bot.emulator
        emulator.delay_next("getFile", 2.0)  # a slow download
        emulator.user_sends_document(
            "harbour-bridge.txt", ARTICLE, chat_id=ADMIN_ID, user_id=ADMIN_ID
        )
        assert "Reading" in visible(await emulator.wait_for_message(ADMIN_ID))
        answer = visible(await bot.ask(HEADLINE_QUESTION))
        assert "involuntary manslaughter" in answer
        assert not any("Added" in m.get("text", "") for m in emulator.sent_messages(ADMIN_ID))
        added = visible(await emulator.wait_for_message(ADMIN_ID, timeout=30))
        assert "Harbour Bridge Repairs Finish Early" in added
        # (the private_engine fixture removes the article again)
