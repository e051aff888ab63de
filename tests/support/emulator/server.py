"""BotApiEmulator: a local Telegram Bot API server for end-to-end tests.

The real python-telegram-bot talks HTTP to it on 127.0.0.1; tests act as the users (see
UserActions) and observe every API call and every message the bot produced.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from . import objects
from .api_bot import commands_key
from .dispatcher import HANDLERS, canonical_method
from .errors import ApiError
from .faults import FaultPlan
from .objects import JsonObject
from .params import Params, read_params
from .users import UserActions
from .world import World

_LOGGER = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # Telegram accepts 50 MB uploads from bots
_SHUTDOWN_GRACE_SECONDS = 0.25  # then in-flight (delayed) handlers are cancelled
Found = TypeVar("Found")


@dataclass
class ApiCall:
    """One request the bot made. time is time.monotonic() at arrival."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200  # HTTP status sent; 0 when the connection was dropped
    response: dict[str, Any] | None = None  # the JSON body sent, None when dropped

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response else None

    @property
    def description(self) -> str | None:
        return self.response.get("description") if self.response else None

    def summary(self) -> str:
        outcome = "dropped" if self.response is None else str(self.status)
        detail = f": {self.description}" if self.description else ""
        return f"{self.method} -> {outcome}{detail}"


class EmulatorTimeout(AssertionError, TimeoutError):
    """A wait_for_* gave up; both an assertion failure and a TimeoutError."""


class BotApiEmulator(UserActions):
    """Bot API server on 127.0.0.1 (random port), started inside the test's event loop."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "qabot_test_bot",
        bot_id: int = 42,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.calls: list[ApiCall] = []
        self.arrivals: list[ApiCall] = []  # every call as it arrived, its faults already taken
        self.downloads: list[str] = []  # file_paths fetched through the file URL
        self.internal_errors: list[BaseException] = []  # emulator bugs, surfaced in timeouts
        self._world = World(objects.bot_user(bot_id, bot_username))
        self._faults = FaultPlan()
        self._consumed_messages: set[tuple[int, int]] = set()
        self._consumed_calls: set[int] = set()
        self._returned_arrivals: set[int] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._on_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._on_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_GRACE_SECONDS)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self._world.updates.closed = False

    async def stop(self) -> None:
        """Release pending long polls, then close the server."""
        self._world.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("BotApiEmulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For Application.builder().base_url(...): python-telegram-bot appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- HTTP side ---------------------------------------------------------------------------
    async def _on_method(self, request: web.Request) -> web.StreamResponse:
        call, rejection = await self._admit(request)
        if rejection is not None:
            self._arrive(call)
            return self._reply(call, rejection)
        faults = self._faults.take(call.method)
        self._arrive(call)
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.drop is not None and not faults.drop.processed:
            return self._drop(request, call)
        params = Params(call.params, client_connected=lambda: _client_connected(request))
        outcome = faults.failure or await self._execute(call.method, params)
        if faults.drop is not None:
            return self._drop(request, call)
        return self._reply(call, outcome)

    async def _admit(self, request: web.Request) -> tuple[ApiCall, ApiError | None]:
        """Decode the request; reject a malformed body, a wrong token or an unknown method."""
        arrived = time.monotonic()
        requested = request.match_info["method"]
        method = canonical_method(requested)
        call = ApiCall(method or requested, {}, arrived)
        try:
            call.params = await read_params(request)
        except ApiError as error:
            return call, error
        if request.match_info["token"] != self.token:
            return call, ApiError(401, "Unauthorized")
        if method is None:
            return call, ApiError(404, "Not Found")
        return call, None

    async def _execute(self, method: str, params: Params) -> ApiError | _Success:
        try:
            return _Success(await HANDLERS[method](self._world, params))
        except ApiError as error:
            return error
        except Exception as error:  # an emulator bug must not look like a Telegram answer
            _LOGGER.exception("emulator failed in %s", method)
            self.internal_errors.append(error)
            return ApiError(500, f"Internal Server Error: emulator bug: {error!r}")

    def _reply(self, call: ApiCall, outcome: ApiError | _Success) -> web.Response:
        if isinstance(outcome, ApiError):
            call.status, call.response = outcome.error_code, outcome.to_json()
        else:
            call.status, call.response = 200, {"ok": True, "result": outcome.result}
        self._record(call)
        return web.json_response(call.response, status=call.status)

    def _drop(self, request: web.Request, call: ApiCall) -> web.Response:
        call.status, call.response = 0, None
        self._record(call)
        if request.transport is not None:
            request.transport.abort()
        return web.Response()

    def _arrive(self, call: ApiCall) -> None:
        self.arrivals.append(call)
        self._world.changed.notify()

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self._world.changed.notify()

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        file_path = request.match_info["file_path"]
        stored = self._world.file_by_path(file_path)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").to_json(), status=404)
        self.downloads.append(file_path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # --- observing the bot -------------------------------------------------------------------
    def sent_messages(self, chat_id: int | None = None) -> list[JsonObject]:
        """The bot's messages (current state, deleted ones included), oldest first."""
        return [copy.deepcopy(s.message) for s in self._world.bot_messages(chat_id)]

    def message(self, chat_id: int, message_id: int) -> JsonObject:
        """Current state of any message (after edits); KeyError if it never existed."""
        return copy.deepcopy(self._world.messages[(chat_id, message_id)].message)

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return self._world.messages[(chat_id, message_id)].deleted

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """Parameters of the bot's answerCallbackQuery for this query, None if unanswered."""
        return copy.deepcopy(self._world.callback_queries[query_id].answer)

    def inline_answer(self, query_id: str) -> dict[str, Any] | None:
        """Parameters (results decoded) of the bot's answerInlineQuery, None if unanswered."""
        return copy.deepcopy(self._world.inline_queries[query_id].answer)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[JsonObject]:
        """The command list the bot set for this scope and language."""
        return copy.deepcopy(self._world.commands.get(commands_key(scope, language_code), []))

    def file_content(self, file_id: str) -> bytes:
        """What was uploaded (by the bot or a user) as this file; KeyError if nothing."""
        return self._world.files[file_id].data

    def pending_updates(self) -> list[JsonObject]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return self._world.updates.peek(len(self._world.updates))

    def take_update(self) -> JsonObject:
        """The update the last user action queued, taken off the queue: what Telegram
        POSTs to a webhook (the test delivers it)."""
        return copy.deepcopy(self._world.updates.take_newest())

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        timeout: float = 15.0,
        predicate: Callable[[JsonObject], bool] | None = None,
    ) -> JsonObject:
        """The next bot message to chat_id (matching predicate) not returned before; consumes it."""

        def find() -> JsonObject | None:
            for stored in self._world.bot_messages(chat_id):
                if stored.key in self._consumed_messages:
                    continue
                snapshot = copy.deepcopy(stored.message)
                if predicate is None or predicate(snapshot):
                    self._consumed_messages.add(stored.key)
                    return snapshot
            return None

        return await self._wait(find, timeout, f"a bot message to chat {chat_id}")

    def unconsumed_messages(self, chat_id: int) -> list[JsonObject]:
        """The bot's messages to chat_id that no wait_for_message returned yet, oldest first."""
        return [
            copy.deepcopy(stored.message)
            for stored in self._world.bot_messages(chat_id)
            if stored.key not in self._consumed_messages
        ]

    async def wait_until(
        self, condition: Callable[[], bool], what: str, *, timeout: float = 15.0
    ) -> None:
        """Until condition() holds; it is checked again whenever a message or call changes."""
        await self._wait(lambda: True if condition() else None, timeout, what)

    async def wait_for_arrival(
        self,
        method: str,
        *,
        timeout: float = 15.0,
        predicate: Callable[[ApiCall], bool] | None = None,
    ) -> ApiCall:
        """The next call of method (matching predicate) to *arrive*, not returned before; the
        faults planned for it are taken by then, and it may still be in progress."""
        wanted = canonical_method(method) or method
        returned = self._returned_arrivals

        def find() -> ApiCall | None:
            for call in self.arrivals:
                if id(call) in returned or call.method != wanted:
                    continue
                if predicate is None or predicate(call):
                    returned.add(id(call))
                    return call
            return None

        return await self._wait(find, timeout, f"a {wanted} call to arrive")

    async def wait_for_call(
        self,
        method: str,
        *,
        timeout: float = 15.0,
        predicate: Callable[[ApiCall], bool] | None = None,
    ) -> ApiCall:
        """The next finished call of method (matching predicate) not returned before."""
        wanted = canonical_method(method) or method

        def find() -> ApiCall | None:
            for index, call in enumerate(self.calls):
                if index in self._consumed_calls or call.method != wanted:
                    continue
                if predicate is None or predicate(call):
                    self._consumed_calls.add(index)
                    return call
            return None

        return await self._wait(find, timeout, f"a {wanted} call")

    async def _wait(self, find: Callable[[], Found | None], timeout: float, what: str) -> Found:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise EmulatorTimeout(self._timeout_report(what, timeout))
            await self._world.changed.wait(remaining)

    def _timeout_report(self, what: str, timeout: float) -> str:
        recent = "\n  ".join(call.summary() for call in self.calls[-10:]) or "(none)"
        report = f"timed out after {timeout}s waiting for {what}; last API calls:\n  {recent}"
        if self.internal_errors:
            report += f"\nemulator errors: {self.internal_errors!r}"
        return report

    # --- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of method ("*" = any) with a Telegram error."""
        self._faults.fail(
            _rule_method(method),
            status,
            times=times,
            retry_after=retry_after,
            description=description,
        )

    def fail_for(
        self,
        method: str,
        status: int,
        seconds: float,
        *,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer every call of method ("*" = any) with a Telegram error for `seconds`."""
        self._faults.fail(
            _rule_method(method),
            status,
            times=0,
            retry_after=retry_after,
            description=description,
            seconds=seconds,
        )

    def clear_faults(self) -> None:
        """End every planned failure, drop and delay now."""
        self._faults.clear()

    def drop_next(self, method: str, *, times: int = 1, processed: bool = False) -> None:
        """Close the connection without a response; processed=True applies the call first."""
        self._faults.drop(_rule_method(method), times=times, processed=processed)

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` calls of method for `seconds` before handling them."""
        self._faults.delay(_rule_method(method), seconds, times=times)


@dataclass(frozen=True)
class _Success:
    result: Any


def _client_connected(request: web.Request) -> bool:
    return request.transport is not None and not request.transport.is_closing()


def _rule_method(method: str) -> str:
    return canonical_method(method) or method
