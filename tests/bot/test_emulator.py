"""The Bot API emulator, driven by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.support.emulator import (
    BotApiEmulator,
    EmulatorTimeout,
    UploadedFile,
    format_text,
    parse_telegram_html,
    validate_telegram_html,
)

CHAT = 1001


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    client = Bot(emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url)
    async with client:
        yield client


@pytest.fixture
def chat(emulator: BotApiEmulator) -> int:
    """A private chat the user opened by writing to the bot (Telegram's precondition)."""
    emulator.user_sends_text("hi")
    return CHAT


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


# --- pure HTML rules ------------------------------------------------------------------------


def test_html_entities_are_measured_in_utf16_code_units() -> None:
    parsed = parse_telegram_html(
        '😀 <b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b">l</a>'
    )

    assert parsed.text == "😀 bold both l"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "url": "https://x.org/?a=1&b", "offset": 13, "length": 1},
    ]


def test_pre_with_language_is_a_single_entity() -> None:
    parsed = parse_telegram_html('<pre><code class="language-python">x = 1</code></pre>')

    assert parsed.entities == [{"type": "pre", "language": "python", "offset": 0, "length": 5}]


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("é<br>", 'Unsupported start tag "br" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</i>", "Unexpected end tag at byte offset 1"),
        ("a < b", "Unclosed start tag at byte offset 2"),
        ("Q&A", "Can't find end of the entity starting at byte offset 1"),
        ("fish & chips", 'Unescaped "&" at byte offset 5'),
        ("1 > 0", 'Unescaped ">" at byte offset 2'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<!-- note -->", 'Unsupported start tag "!--"'),
    ],
)
def test_invalid_html_is_rejected_with_telegram_like_reason(markup: str, reason: str) -> None:
    with pytest.raises(ValueError, match="can't parse entities") as error:
        validate_telegram_html(markup)

    assert reason in str(error.value)


def test_valid_html_yields_visible_text() -> None:
    markup = (
        "  <b>A</b> &lt;&gt;&amp;&quot;&#39;&#x1F600; <tg-spoiler>s</tg-spoiler> "
        '<span class="tg-spoiler">t</span> <blockquote expandable>q</blockquote> '
    )

    assert validate_telegram_html(markup) == "A <>&\"'😀 s t q"


@given(st.text())
def test_escaped_text_is_always_valid_and_round_trips(text: str) -> None:
    assert validate_telegram_html(html.escape(text)) == text.strip()
    assert validate_telegram_html(f"<b>{html.escape(text)}</b>") == text.strip()


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ValueError, match="strings must be encoded in UTF-8"):
        validate_telegram_html("broken \ud83d emoji")


def test_user_text_gets_entities_like_telegram_adds(emulator: BotApiEmulator) -> None:
    message = emulator.user_sends_text(
        "/ask@qabot_test_bot 😀 @qabot_test_bot see https://x.org/a."
    )

    assert message["entities"] == [
        {"offset": 0, "length": 19, "type": "bot_command"},
        {"offset": 23, "length": 15, "type": "mention"},  # the emoji counts as 2 UTF-16 units
        {"offset": 43, "length": 15, "type": "url"},  # the final "." is not part of the URL
    ]


def test_trimming_shifts_entities() -> None:
    formatted = format_text("\n <b> bold</b> ", "HTML")

    assert formatted.text == "bold"
    assert formatted.entities == [{"type": "bold", "offset": 0, "length": 4}]


# --- identity, tokens, unknown methods ------------------------------------------------------


async def test_get_me_identifies_the_bot(emulator: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (42, "qabot_test_bot", True)
    assert me.supports_inline_queries is True
    assert emulator.calls[-1].method == "getMe"


async def test_wrong_token_is_unauthorized(emulator: BotApiEmulator) -> None:
    stranger = Bot("999:WRONG", base_url=emulator.base_url, base_file_url=emulator.base_file_url)

    with pytest.raises(InvalidToken):
        async with stranger:
            pass

    assert emulator.calls[-1].response == {
        "ok": False,
        "error_code": 401,
        "description": "Unauthorized",
    }


async def test_unknown_method_is_not_found(emulator: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")

    async with httpx.AsyncClient() as client:
        reply = await client.post(f"{emulator.base_url}{emulator.token}/sendTelepathy")
    assert reply.status_code == 404
    assert reply.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive_and_json_bodies_work(
    emulator: BotApiEmulator, chat: int
) -> None:
    async with httpx.AsyncClient() as client:
        reply = await client.post(
            f"{emulator.base_url}{emulator.token}/SENDMESSAGE", json={"chat_id": chat, "text": "x"}
        )

    assert reply.json()["result"]["text"] == "x"
    assert emulator.calls[-1].method == "sendMessage"


# --- sending messages -----------------------------------------------------------------------


async def test_html_message_is_stored_as_plain_text_with_entities(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    sent = await bot.send_message(
        chat, "<b>Bold</b> &amp; <i>it</i>", parse_mode="HTML", reply_markup=keyboard("more")
    )

    assert sent.text == "Bold & it"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("italic", 7, 2),
    ]
    stored = emulator.sent_messages(chat)
    assert [m["text"] for m in stored] == ["Bold & it"]
    assert stored[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more"
    call = emulator.calls[-1]
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "More", "callback_data": "more"}]]
    }


@pytest.mark.parametrize("markup", ["<b>unclosed", "<blink>x</blink>", "fish & chips"])
async def test_invalid_html_message_is_a_bad_request(
    emulator: BotApiEmulator, bot: Bot, chat: int, markup: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(chat, markup, parse_mode="HTML")

    assert emulator.sent_messages(chat) == []
    assert emulator.calls[-1].status == 400


async def test_length_limit_counts_visible_utf16_units(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    await bot.send_message(chat, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat, "😀" * 2049)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(chat, "<b> </b>\n", parse_mode="HTML")
    assert len(emulator.sent_messages(chat)) == 1


async def test_bot_cannot_start_a_chat_or_write_to_a_blocking_user(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(5555, "hello?")

    emulator.user_blocks_bot(chat)
    with pytest.raises(Exception, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(chat, "hello?")


async def test_reply_to_a_user_message(emulator: BotApiEmulator, bot: Bot) -> None:
    question = emulator.user_sends_text("what happened?")

    reply = await bot.send_message(CHAT, "this", reply_to_message_id=question["message_id"])

    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "what happened?"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "that", reply_to_message_id=999)


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot, chat: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(chat, "pick", reply_markup=keyboard("x" * 65))


# --- editing and deleting -------------------------------------------------------------------


async def test_edits_follow_telegram_rules(emulator: BotApiEmulator, bot: Bot, chat: int) -> None:
    sent = await bot.send_message(chat, "draft", reply_markup=keyboard("ok"))

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("draft", chat, sent.message_id, reply_markup=keyboard("ok"))
    await bot.edit_message_text("<i>final</i>", chat, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat, 999)

    current = emulator.message(chat, sent.message_id)
    assert current["text"] == "final"
    assert current["entities"] == [{"type": "italic", "offset": 0, "length": 5}]
    assert "reply_markup" not in current  # an edit without reply_markup removes the keyboard
    assert "edit_date" in current


async def test_edit_reply_markup_and_delete(emulator: BotApiEmulator, bot: Bot, chat: int) -> None:
    sent = await bot.send_message(chat, "vote", reply_markup=keyboard("up"))

    await bot.edit_message_reply_markup(chat, sent.message_id, reply_markup=keyboard("down"))
    assert (
        emulator.message(chat, sent.message_id)["reply_markup"]["inline_keyboard"][0][0][
            "callback_data"
        ]
        == "down"
    )

    assert await bot.delete_message(chat, sent.message_id) is True
    assert emulator.is_deleted(chat, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(chat, sent.message_id)


# --- updates ---------------------------------------------------------------------------------


async def test_long_poll_returns_as_soon_as_a_user_writes(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await emulator.wait_for_arrival("getUpdates")  # the poll waits at the emulator now
    assert not poll.done()

    written_at = time.monotonic()
    emulator.user_sends_text("/start@qabot_test_bot now")
    updates = await asyncio.wait_for(poll, timeout=3)

    assert time.monotonic() - written_at < 1.0
    message = updates[0].message
    assert message is not None and message.text == "/start@qabot_test_bot now"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 21)]


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()

    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_offset_confirms_earlier_updates(emulator: BotApiEmulator, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        emulator.user_sends_text(text)

    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["one", "two", "three"]
    rest = await bot.get_updates(offset=first[1].update_id)
    assert [u.message.text for u in rest if u.message] == ["two", "three"]
    assert await bot.get_updates(offset=first[2].update_id + 1) == ()
    assert emulator.pending_updates() == []


async def test_negative_offset_keeps_only_the_latest(emulator: BotApiEmulator, bot: Bot) -> None:
    for text in ("old", "older", "newest"):
        emulator.user_sends_text(text)

    latest = await bot.get_updates(offset=-1)

    assert [u.message.text for u in latest if u.message] == ["newest"]
    assert len(emulator.pending_updates()) == 1


async def test_second_poller_terminates_the_first(emulator: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await emulator.wait_for_arrival("getUpdates")  # the first poll waits at the emulator

    async with Bot(emulator.token, base_url=emulator.base_url) as second_instance:
        await second_instance.get_updates(timeout=0)

    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, timeout=2)


async def test_limit_and_allowed_updates(emulator: BotApiEmulator, bot: Bot, chat: int) -> None:
    sent = await bot.send_message(chat, "Useful?", reply_markup=keyboard("yes"))
    emulator.user_sends_text("two")

    assert len(await bot.get_updates(limit=1)) == 1
    await bot.get_updates(offset=-1, allowed_updates=["callback_query"])  # keeps "two"
    emulator.user_sends_text("filtered out")
    emulator.user_presses_button(sent.to_dict(), "yes")

    two, pressed = await bot.get_updates()
    assert two.message is not None and two.message.text == "two"
    assert pressed.callback_query is not None and pressed.callback_query.data == "yes"


async def test_group_reply_quotes_the_question(emulator: BotApiEmulator, bot: Bot) -> None:
    question = emulator.user_sends_text("/ask@qabot_test_bot who?", chat_id=-100, chat_type="group")

    reply = await bot.send_message(
        -100, "nobody", reply_parameters=ReplyParameters(question["message_id"])
    )

    assert reply.chat.type == "group"
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.from_user is not None
    assert reply.reply_to_message.from_user.first_name == "Ann"


async def test_webhook_excludes_polling(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.user_sends_text("queued")
    await bot.set_webhook("https://example.invalid/hook")

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://example.invalid/hook", 1)

    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_media_updates_parse_in_python_telegram_bot(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    emulator.user_sends_sticker("🔥")
    emulator.user_sends_photo(caption="/ask look")
    assert emulator.user_sends_voice(duration=3)["voice"]["duration"] == 3

    sticker, photo, voice = [u.message for u in await bot.get_updates()]

    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "🔥"
    assert photo is not None and len(photo.photo) == 2 and photo.caption == "/ask look"
    assert photo.caption_entities[0].type == "bot_command"
    assert voice is not None and voice.voice is not None and voice.voice.mime_type == "audio/ogg"


# --- queries ---------------------------------------------------------------------------------


async def test_callback_query_can_be_answered_once(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    sent = await bot.send_message(chat, "Useful?", reply_markup=keyboard("yes", "no"))
    with pytest.raises(ValueError, match="no inline button"):
        emulator.user_presses_button(sent.to_dict(), "maybe")

    query_id = emulator.user_presses_button(sent.to_dict(), "yes")
    update = (await bot.get_updates())[-1]

    query = update.callback_query
    assert query is not None and query.id == query_id and query.data == "yes"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Thanks!") is True
    assert emulator.callback_answer(query_id) == {"callback_query_id": query_id, "text": "Thanks!"}
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_inline_query_answers_are_validated(emulator: BotApiEmulator, bot: Bot) -> None:
    query_id = emulator.user_inline_query("rust")
    update = (await bot.get_updates())[-1]
    assert update.inline_query is not None and update.inline_query.query == "rust"

    def article(result_id: str, text: str) -> InlineQueryResultArticle:
        content = InputTextMessageContent(text, parse_mode="HTML")
        return InlineQueryResultArticle(result_id, "Title", content)

    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.answer_inline_query(query_id, [article("1", "<b>bad")])
    with pytest.raises(BadRequest, match=r"(?i)result_id_duplicate"):
        await bot.answer_inline_query(query_id, [article("1", "a"), article("1", "b")])
    assert await bot.answer_inline_query(query_id, [article("1", "<b>good</b>")]) is True

    answer = emulator.inline_answer(query_id)
    assert answer is not None
    assert answer["results"][0]["input_message_content"]["message_text"] == "<b>good</b>"


# --- files -----------------------------------------------------------------------------------


async def test_user_document_is_downloadable(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.user_sends_document("notes.txt", b"hello file", mime_type="text/plain")
    message = (await bot.get_updates())[-1].message
    assert message is not None and message.document is not None
    assert (message.document.file_name, message.document.file_size) == ("notes.txt", 10)

    remote = await bot.get_file(message.document.file_id)

    assert remote.file_size == 10
    assert bytes(await remote.download_as_bytearray()) == b"hello file"
    assert remote.file_path is not None and remote.file_path.endswith(emulator.downloads[0])
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_bot_upload_is_multipart(emulator: BotApiEmulator, bot: Bot, chat: int) -> None:
    sent = await bot.send_document(
        chat, document=b"a,b\n1,2\n", filename="table.csv", caption="<b>CSV</b>", parse_mode="HTML"
    )

    assert sent.document is not None and sent.document.file_name == "table.csv"
    assert sent.caption == "CSV"
    upload = emulator.calls[-1].params["document"]
    assert isinstance(upload, UploadedFile) and upload.data == b"a,b\n1,2\n"
    remote = await bot.get_file(sent.document.file_id)
    assert bytes(await remote.download_as_bytearray()) == b"a,b\n1,2\n"


# --- bot settings ----------------------------------------------------------------------------


async def test_commands_are_stored_per_scope(emulator: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("ask", "Ask a question")])

    assert [c.command for c in await bot.get_my_commands()] == ["start", "ask"]
    assert emulator.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "ask", "description": "Ask a question"},
    ]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Bad Name", "x")])
    await bot.delete_my_commands()
    assert emulator.commands() == []


async def test_chat_action_is_validated(bot: Bot, chat: int) -> None:
    assert await bot.send_chat_action(chat, "typing") is True
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(chat, "dancing")


# --- fault injection -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_becomes_retry_after(emulator: BotApiEmulator, bot: Bot, chat: int) -> None:
    emulator.fail_next("sendMessage", 429, retry_after=3)

    with pytest.raises(RetryAfter, match=r"Retry in (3 seconds|0:00:03)"):
        await bot.send_message(chat, "first")
    await bot.send_message(chat, "second")

    assert emulator.calls[-2].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert [m["text"] for m in emulator.sent_messages(chat)] == ["second"]


@pytest.mark.parametrize(
    ("status", "description"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_server_errors_are_network_errors(
    emulator: BotApiEmulator, bot: Bot, status: int, description: str
) -> None:
    emulator.fail_next("*", status, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match=description) as error:
            await bot.get_me()
        assert not isinstance(error.value, BadRequest)
    await bot.get_me()


async def test_dropped_connection_is_a_network_error(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    emulator.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(chat, "lost before processing")
    emulator.drop_next("sendMessage", processed=True)
    with pytest.raises(NetworkError):
        await bot.send_message(chat, "delivered, answer lost")

    assert [m["text"] for m in emulator.sent_messages(chat)] == ["delivered, answer lost"]
    assert [c.status for c in emulator.calls[-2:]] == [0, 0]


async def test_delay_holds_the_call(emulator: BotApiEmulator, bot: Bot, chat: int) -> None:
    emulator.delay_next("sendMessage", 0.4)
    started = time.monotonic()

    await bot.send_message(chat, "slow")

    assert time.monotonic() - started >= 0.4
    with pytest.raises(TimedOut):
        emulator.delay_next("sendMessage", 1.0)
        await bot.send_message(chat, "too slow", read_timeout=0.2)


# --- observing ---------------------------------------------------------------------------------


async def test_wait_for_message_consumes_in_order(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    for text in ("a", "b", "c"):
        await bot.send_message(chat, text)

    assert (await emulator.wait_for_message(chat))["text"] == "a"
    match_c = await emulator.wait_for_message(chat, predicate=lambda m: m["text"] == "c")
    assert match_c["text"] == "c"
    assert (await emulator.wait_for_message(chat))["text"] == "b"
    with pytest.raises(EmulatorTimeout, match="waiting for a bot message to chat 1001") as error:
        await emulator.wait_for_message(chat, timeout=0.2)
    assert isinstance(error.value, TimeoutError) and isinstance(error.value, AssertionError)


async def test_wait_for_call_sees_failed_calls(
    emulator: BotApiEmulator, bot: Bot, chat: int
) -> None:
    waiter = asyncio.create_task(emulator.wait_for_call("sendMessage", timeout=3))
    with pytest.raises(BadRequest):
        await bot.send_message(chat, "<oops>", parse_mode="HTML")

    call = await waiter
    assert (call.status, call.ok, call.params["text"]) == (400, False, "<oops>")


async def test_polling_application_echoes(emulator: BotApiEmulator) -> None:
    async def shout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(f"<b>{update.message.text.upper()}</b>", parse_mode="HTML")

    app = (
        Application.builder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, shout))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        emulator.user_sends_text("hello")
        reply = await emulator.wait_for_message(CHAT, timeout=5)
        await app.updater.stop()
        await app.stop()

    assert reply["text"] == "HELLO"
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert emulator.pending_updates() == []  # the Updater confirmed what it handled
    assert all(call.ok for call in emulator.calls), [c.summary() for c in emulator.calls]
