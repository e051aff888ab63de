"""The update being handled and what its handlers have done: its `Ticket`.

Every update is handled under a ticket kept in a context variable, so whatever runs for
that update (its handlers, a handler's own task, the error handler, the rate limiter
sending its reply) finds it without being passed it. The ticket knows whether a reply was
sent, so an error after it sends no apology on top of the answer (bot/handlers/errors.py).

The durable inbox (bot/transport/inbox.py) gives each update it claims a `retryable` ticket:

- before the first message of a reply leaves, `before_reply` records in the inbox that the
  reply has started, and only while this worker still holds the update: a worker whose
  claim was taken over (it was cut off past its lease) sends nothing (`ClaimLost`);
- an outage before anything was sent marks the ticket `retry_later`: the update stays in
  the inbox and is handled again, instead of the person getting an apology now.

Other updates (polling, the single-process webhook) get theirs from `TicketedUpdates`,
python-telegram-bot's update processor, as each update starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

_CURRENT: ContextVar[Ticket | None] = ContextVar("qabot_ticket", default=None)


class ClaimLost(Exception):
    """Another worker holds this update now: this one must not reply to it."""


async def _nothing_to_record() -> bool:
    return True


@dataclass(eq=False)
class Ticket:
    update_id: int
    # records that the reply starts; False when this worker no longer holds the update
    start_reply: Callable[[], Awaitable[bool]] = _nothing_to_record
    retryable: bool = False  # held in the durable inbox: it can be handled again later
    reply_started: bool = False  # a message for this update was about to leave
    replied: bool = False  # and Telegram took one
    retry_later: bool = False
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)  # handlers run on their own
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def before_reply(self) -> None:
        """Called before each message sent for this update; records the first."""
        if self.reply_started:
            return
        async with self._lock:
            if self.reply_started:
                return
            if not await self.start_reply():
                raise ClaimLost(f"update {self.update_id} is held by another worker now")
            self.reply_started = True

    def follow(self, task: asyncio.Task[Any]) -> None:
        """A handler of this update running as its own task: the update is done after it."""
        self.tasks.add(task)

    async def settled(self) -> None:
        """Until the handlers' own tasks are done (they may start more)."""
        while pending := [task for task in self.tasks if not task.done()]:
            await asyncio.wait(pending)


def current() -> Ticket | None:
    return _CURRENT.get()


def hold(ticket: Ticket) -> None:
    """Make `ticket` current for the running task (and the tasks it starts)."""
    _CURRENT.set(ticket)


class TicketedUpdates(SimpleUpdateProcessor):
    """python-telegram-bot's update processor, each update handled under a ticket of its
    own (one the inbox gave it stays)."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or _CURRENT.get() is not None:
            await coroutine
            return
        token = _CURRENT.set(Ticket(update.update_id))
        try:
            await coroutine
        finally:
            _CURRENT.reset(token)


async def before_reply() -> None:
    """Before a message is sent: what the current ticket (if any) requires."""
    ticket = _CURRENT.get()
    if ticket is not None:
        await ticket.before_reply()


def after_reply() -> None:
    """Telegram took a message sent for the current update."""
    ticket = _CURRENT.get()
    if ticket is not None:
        ticket.replied = True
