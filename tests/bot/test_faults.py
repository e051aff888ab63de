"""End to end under Bot API faults: flood control, server errors, timeouts, an unreachable API
and dropped connections, on both sides of the bot (getUpdates and sendMessage).

The bot reaches the emulator through a TCP relay that can refuse connections (nothing
listens) or swallow them (a full listen backlog: connects time out), then come back on the
same port. HTTP timeouts are shortened so timeouts cost a second, not twenty. Each question
must get exactly one answer: none lost, none handled twice.

No test waits a fixed time for something to happen or not: an outage lasts until the bot's
own metrics show the calls it failed (a refused connection never reaches the emulator), and
"no second copy" is shown by a marker question whose answer must come next. The bot takes
one update at a time (concurrent_updates=1), so a marker answered proves every earlier
update handled, retries included.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pytest

from bot.app import HttpTimeouts
from bot.ops.monitoring import Monitoring
from index import Engine
from qabot.config import Config
from tests.support.bot_harness import (
    HEADLINE_QUESTION,
    MARKER_FACT,
    MARKER_QUESTION,
    BotUnderTest,
    running_bot,
    until,
)
from tests.support.emulator import ApiCall, BotApiEmulator

pytestmark = pytest.mark.model  # end to end: the bot over the real engine and model

SHORT_TIMEOUTS = HttpTimeouts(connect=1.0, read=1.0, write=1.0, pool=1.0, poll_read=1.0)
ASKERS = (3001, 3002, 3003)
APOLOGY = "something went wrong"


class SwitchableLink:
    """The network between bot and Bot API: a TCP relay on a fixed 127.0.0.1 port.

    refuse() and swallow() cut every open connection; afterwards new ones are refused, or
    hang until the client's connect timeout. restore() listens on the same port again.
    """

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self.port = 0  # chosen by the first restore()
        self._server: asyncio.Server | None = None
        self._black_hole: list[socket.socket] = []
        self._open: set[asyncio.WriteTransport] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def restore(self) -> None:
        self._close_black_hole()
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        await self._cut()

    async def swallow(self) -> None:
        """Listen without ever accepting: once the backlog is full, connects time out."""
        await self._cut()
        listener = socket.create_server(("127.0.0.1", self.port), backlog=0)
        filler = socket.create_connection(("127.0.0.1", self.port))  # fills the backlog
        self._black_hole = [listener, filler]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for transport in self._open:
            transport.abort()

    def _close_black_hole(self) -> None:
        for sock in self._black_hole:
            sock.close()
        self._black_hole = []

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self._upstream_port
            )
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, upstream_writer.transport}
        self._open |= pair
        try:
            await asyncio.gather(
                _pipe(reader, upstream_writer), _pipe(upstream_reader, writer),
                return_exceptions=True,
            )  # fmt: skip
        finally:
            self._open -= pair
            for transport in pair:
                transport.abort()

    async def __aenter__(self) -> SwitchableLink:
        await self.restore()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._cut()
        self._close_black_hole()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()  # one side closed: so does the other


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as api:
        yield api


@pytest.fixture
async def link(emulator: BotApiEmulator) -> AsyncIterator[SwitchableLink]:
    async with SwitchableLink(emulator.port) as relay:
        yield relay


@pytest.fixture
def monitoring() -> Monitoring:
    return Monitoring()


@pytest.fixture
async def bot(
    emulator: BotApiEmulator,
    link: SwitchableLink,
    monitoring: Monitoring,
    seed_engine: Engine,
    tmp_path: Path,
    config: Config,
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(
        seed_engine,
        tmp_path,
        config,
        emulator=emulator,
        timeouts=SHORT_TIMEOUTS,
        monitoring=monitoring,
        base_url=link.base_url,
        base_file_url=link.base_file_url,
        concurrent_updates=1,
    ) as running:
        yield running


def failed_calls(monitoring: Monitoring, method: str, failure: str) -> float:
    """How many calls of method the bot saw fail so ("timeout", "network", "500")."""
    labels = {"method": method, "code": failure}
    found = monitoring.metrics.registry.get_sample_value("qabot_telegram_errors_total", labels)
    return found or 0.0


async def until_failed(monitoring: Monitoring, method: str, failure: str, times: int = 1) -> None:
    """Until the bot has seen `times` more calls of method fail with `failure`."""
    target = failed_calls(monitoring, method, failure) + times
    await until(
        lambda: failed_calls(monitoring, method, failure) >= target,
        f"{times} failed {method} ({failure})",
        timeout=30,
    )


def texts(emulator: BotApiEmulator, chat_id: int) -> list[str]:
    return [str(message.get("text", "")) for message in emulator.sent_messages(chat_id)]


def ask_everyone(emulator: BotApiEmulator, question: str = HEADLINE_QUESTION) -> None:
    for person in ASKERS:
        emulator.user_sends_text(question, chat_id=person, user_id=person)


async def answered_next(
    emulator: BotApiEmulator, person: int, question: str = MARKER_QUESTION, fact: str = MARKER_FACT
) -> None:
    """The person asks once more and the answer is the next message they get: nothing else
    (a second copy of an earlier answer) reached them before it."""
    emulator.user_sends_text(question, chat_id=person, user_id=person)
    reply = await emulator.wait_for_message(person, timeout=20)
    assert fact in str(reply.get("text", "")), f"before the answer to {question!r}: {reply}"


async def assert_each_answered_once(
    emulator: BotApiEmulator, fact: str = "involuntary manslaughter", timeout: float = 20.0
) -> None:
    """Every asker got the answer, once: a question asked after it is answered next."""
    for person in ASKERS:
        await emulator.wait_for_message(
            person, timeout=timeout, predicate=lambda m: fact in m["text"]
        )
        answers = [text for text in texts(emulator, person) if fact in text]
        assert len(answers) == 1, texts(emulator, person)
    for person in ASKERS:
        if fact == MARKER_FACT:
            await answered_next(emulator, person, "How long could Baldwin go to jail?", "18 months")
        else:
            await answered_next(emulator, person)


async def after_the_current_poll(emulator: BotApiEmulator) -> None:
    """Wait until the long poll now waiting has ended and the next one has arrived, so a
    getUpdates fault set before this call applied to that next poll: the one that picks up
    what is sent next."""
    earlier = {id(call) for call in emulator.calls}
    ended = await emulator.wait_for_call(
        "getUpdates", predicate=lambda call: id(call) not in earlier
    )
    await emulator.wait_for_arrival(
        "getUpdates", predicate=lambda call: call is not ended and call.time >= ended.time
    )


def held(calls: list[ApiCall], method: str) -> bool:
    """A call of `method` ended after one that arrived later: it outlived the bot's timeout."""
    return any(
        late.method == method and later.time > late.time
        for position, late in enumerate(calls)
        for later in calls[:position]
    )


@dataclass(frozen=True)
class FaultCase:
    inject: Callable[[BotApiEmulator], None]
    happened: Callable[[list[ApiCall]], bool]  # the emulator's log shows the fault


def failed(method: str, status: int) -> Callable[[list[ApiCall]], bool]:
    return lambda calls: any(c.method == method and c.status == status for c in calls)


FAULTS = {
    "429 on getUpdates": FaultCase(
        lambda api: api.fail_next("getUpdates", 429, retry_after=1), failed("getUpdates", 429)
    ),
    "503 on every method": FaultCase(
        lambda api: api.fail_next("*", 503, times=2),
        lambda calls: sum(c.status == 503 for c in calls) == 2,
    ),
    "getUpdates response lost": FaultCase(
        lambda api: api.drop_next("getUpdates", processed=True), failed("getUpdates", 0)
    ),
    "getUpdates request lost": FaultCase(
        lambda api: api.drop_next("getUpdates"), failed("getUpdates", 0)
    ),
    "getUpdates slower than the timeout": FaultCase(
        lambda api: api.delay_next("getUpdates", 3.0), lambda calls: held(calls, "getUpdates")
    ),
    "sendChatAction slower than the timeout": FaultCase(
        lambda api: api.delay_next("sendChatAction", 2.0),
        lambda calls: held(calls, "sendChatAction"),
    ),
}


@pytest.mark.parametrize("case", FAULTS.values(), ids=FAULTS.keys())
async def test_each_question_is_answered_exactly_once_despite(
    bot: BotUnderTest, case: FaultCase
) -> None:
    case.inject(bot.emulator)
    await after_the_current_poll(bot.emulator)
    ask_everyone(bot.emulator)
    await assert_each_answered_once(bot.emulator)
    # a held call is logged when it ends, maybe after the answers
    await bot.emulator.wait_until(lambda: case.happened(bot.emulator.calls), "the fault")
    assert "18 months" in (await bot.ask("How long could Baldwin go to jail?"))["text"]


async def test_a_lost_getupdates_response_is_fetched_again_not_skipped(bot: BotUnderTest) -> None:
    emulator = bot.emulator
    emulator.drop_next("getUpdates", processed=True)
    await after_the_current_poll(emulator)
    ask_everyone(emulator)
    await assert_each_answered_once(emulator)
    polls = [call for call in emulator.calls if call.method == "getUpdates"]
    dropped = next(index for index, call in enumerate(polls) if call.status == 0)
    refetch = polls[dropped + 1]
    assert refetch.params.get("offset") == polls[dropped].params.get("offset")  # not confirmed
    assert {update["message"]["chat"]["id"] for update in refetch.result} == set(ASKERS)


async def test_questions_sent_while_the_api_is_down_are_answered_when_it_is_back(
    bot: BotUnderTest, link: SwitchableLink, monitoring: Monitoring
) -> None:
    emulator = bot.emulator
    await link.refuse()
    ask_everyone(emulator)
    await until_failed(monitoring, "getUpdates", "network", times=2)  # connection refused
    assert all(texts(emulator, person) == [] for person in ASKERS)
    await link.restore()
    await assert_each_answered_once(emulator)  # polling backs off at most ~3.4 s here


async def _first_answer_fails(emulator: BotApiEmulator) -> None:
    """The headline question is asked and the bot's first try at answering gets a 500."""
    emulator.fail_next("sendMessage", 500)
    emulator.user_sends_text(HEADLINE_QUESTION)
    await emulator.wait_for_call("sendMessage", predicate=lambda call: call.status == 500)


async def test_an_answer_is_retried_across_a_short_outage(
    bot: BotUnderTest, link: SwitchableLink, monitoring: Monitoring
) -> None:
    emulator = bot.emulator
    await _first_answer_fails(emulator)
    await link.refuse()  # the retry 0.5 s later is refused; the next, 1 s after that, is not
    await until_failed(monitoring, "sendMessage", "network")
    await link.restore()
    reply = await emulator.wait_for_message(1001)
    assert "involuntary manslaughter" in reply["text"]
    assert [call.status for call in emulator.calls if call.method == "sendMessage"] == [500, 200]


async def test_an_answer_is_retried_when_connecting_times_out(
    bot: BotUnderTest, link: SwitchableLink, monitoring: Monitoring
) -> None:
    emulator = bot.emulator
    await _first_answer_fails(emulator)
    await link.swallow()  # packets vanish: the retry's connect times out after 1 s
    await until_failed(monitoring, "sendMessage", "timeout")
    await link.restore()
    reply = await emulator.wait_for_message(1001)
    assert "involuntary manslaughter" in reply["text"]
    assert [call.status for call in emulator.calls if call.method == "sendMessage"] == [500, 200]
    assert not any(APOLOGY in text for text in texts(emulator, 1001))


async def test_a_reply_slower_than_the_timeout_is_not_sent_twice(bot: BotUnderTest) -> None:
    # The request reached Telegram, which answers after the bot gave up: sending it again
    # would duplicate the answer, so the bot apologises instead and the answer still lands.
    emulator = bot.emulator
    emulator.delay_next("sendMessage", 2.0)
    emulator.user_sends_text(HEADLINE_QUESTION)
    apology = await emulator.wait_for_message(1001, predicate=lambda m: APOLOGY in m["text"])
    answer = await emulator.wait_for_message(1001, predicate=lambda m: "involuntary" in m["text"])
    assert apology["message_id"] < answer["message_id"]
    await answered_next(emulator, 1001)  # and not a second copy first
    assert len(texts(emulator, 1001)) == 3


async def test_a_sendmessage_whose_response_is_lost_is_delivered_twice(bot: BotUnderTest) -> None:
    # At-least-once: a connection dropped after Telegram stored the message looks like one
    # dropped before, and the bot sends again (a stale keep-alive connection, the common
    # cause, never arrived). The person sees the answer twice rather than never.
    emulator = bot.emulator
    emulator.drop_next("sendMessage", processed=True)
    emulator.user_sends_text(HEADLINE_QUESTION)
    first = await emulator.wait_for_message(1001)
    second = await emulator.wait_for_message(1001)
    assert first["text"] == second["text"]
    assert "involuntary manslaughter" in first["text"]
    await answered_next(emulator, 1001)  # no third copy
    assert len(texts(emulator, 1001)) == 3


async def test_polling_resumes_after_connects_time_out(
    bot: BotUnderTest, link: SwitchableLink, monitoring: Monitoring
) -> None:
    emulator = bot.emulator
    await link.swallow()
    # polls time out while connecting, again and again
    await until_failed(monitoring, "getUpdates", "timeout", times=2)
    ask_everyone(emulator, "Where did Mickey Rourke first post his opinion?")
    await link.restore()
    await assert_each_answered_once(emulator, fact="Instagram")
