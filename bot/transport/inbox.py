"""The durable inbox: webhook updates that no worker loses, each answered once.

In webhook mode with the state in PostgreSQL, Telegram's 200 means "stored", not "queued in
this process's memory": the webhook stores the Update (`accept`) before answering, and the
worker that stored it claims it under a lease and handles it at once. A worker renews the
leases of what it holds every third of a lease; each worker also takes over, every
`poll_seconds`, the updates whose lease ran out (their worker was killed, or cut off), oldest
first, with SELECT ... FOR UPDATE SKIP LOCKED so two workers never take the same.

Exactly once, as far as it can be (docs/scaling.md says what it cannot mean):

- the reply starts only after the inbox recorded it for the claim this worker holds
  (bot/transport/tickets.py, from the rate limiter, after any flood wait): a worker whose
  claim was taken over sends nothing;
- an update taken over whose reply had started is marked done, not answered again, and
  logged: the reply may have arrived (Telegram cannot be asked), and two answers are worse
  than a late question asked again;
- an update whose handling met a database outage before its reply started is let go and
  handled again a moment later, so the person gets the answer once, late.

SIGTERM (`stop`): no update is taken over any more, the ones held are finished within
`shutdown_seconds`, and the rest let go at once for the other workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from telegram import Update

from bot.app import BotApplication
from bot.ops.metrics import BotMetrics, InboxEvent
from bot.settings import InboxConfig
from bot.state.protocols import Claim, ClaimedUpdate, Inbox, StateUnavailable, StoreCalls
from bot.transport import tickets
from bot.transport.tickets import Ticket

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1.0  # an update let go after an outage is taken over this much later
MAX_ATTEMPTS = 5  # claims of one update before it is given up (it may kill its workers)
T = TypeVar("T")


def worker_name() -> str:
    """How this process is named in the inbox (and in the logs of the others)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _Held:
    claim: Claim
    ticket: Ticket | None = None  # set once the update is being handled


class InboxRunner:
    """Takes the updates of the inbox and hands each to the Application, one ticket each."""

    def __init__(
        self,
        application: BotApplication,
        inbox: Inbox,
        calls: StoreCalls,
        settings: InboxConfig,
        metrics: BotMetrics,
        *,
        concurrency: int,
        worker: str | None = None,
    ) -> None:
        self._application = application
        self._inbox = inbox
        self._calls = calls
        self._settings = settings
        self._metrics = metrics
        self._concurrency = concurrency
        self.worker = worker or worker_name()
        self._held: dict[int, _Held] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._slots: asyncio.Semaphore | None = None
        self._stopping = False

    # --- receiving ------------------------------------------------------------------------
    async def accept(self, payload: dict[str, Any]) -> bool:
        """Store an update Telegram POSTed and start handling it; False for a redelivery.

        Raises StateUnavailable while the database is out: Telegram must get a non-2xx
        and deliver the update again later.
        """
        update_id = int(payload["update_id"])
        lease = self._settings.lease_seconds
        try:
            claim = await self._store(self._inbox.accept, update_id, payload, self.worker, lease)
        except StateUnavailable:
            self._metrics.inbox(InboxEvent.REFUSED)
            raise
        if claim is None:
            self._metrics.inbox(InboxEvent.REDELIVERED)
            logger.info("Update %d was delivered again; the inbox holds it once", update_id)
            return False
        self._metrics.inbox(InboxEvent.ACCEPTED)
        if self._stopping:  # stored, so not lost: another worker takes it at once
            await self._let_go(claim, after=0.0)
        else:
            self._start(claim, payload)
        return True

    # --- running --------------------------------------------------------------------------
    def start(self) -> None:
        self._slots = asyncio.Semaphore(self._concurrency)
        self._loops = [
            asyncio.create_task(self._take_over_loop(), name="inbox take-over"),
            asyncio.create_task(self._renew_loop(), name="inbox leases"),
        ]

    async def stop(self) -> None:
        """Take nothing more; finish what is held within `shutdown_seconds`; let go the rest."""
        self._stopping = True
        take_over, renew = self._loops or (None, None)
        if take_over is not None:
            take_over.cancel()
        if self._tasks:
            grace = self._settings.shutdown_seconds
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if pending:
                logger.warning(
                    "Stopped with %d updates unfinished; other workers take them", len(pending)
                )
        for held in list(self._held.values()):  # cancelled above; a started reply is not redone
            if held.ticket is None or not held.ticket.reply_started:
                await self._let_go(held.claim, after=0.0)
        self._held.clear()
        if renew is not None:
            renew.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)

    def _start(self, claim: Claim, payload: dict[str, Any]) -> None:
        self._held[claim.update_id] = _Held(claim)
        task = asyncio.create_task(self._handle(claim, payload), name=f"update {claim.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, claim: Claim, payload: dict[str, Any]) -> None:
        assert self._slots is not None
        async with self._slots:
            start_reply = partial(
                self._store, self._inbox.start_reply, claim, self._settings.lease_seconds
            )
            ticket = Ticket(claim.update_id, start_reply, retryable=True)
            self._held[claim.update_id].ticket = ticket
            tickets.hold(ticket)  # this task's context: its handlers' tasks inherit it
            try:
                update = Update.de_json(payload, self._application.bot)
                await self._application.process_update(update)
                await ticket.settled()
            except Exception:  # the Application handles handlers' errors: this is a bug
                logger.exception("Update %d could not be handled", claim.update_id)
        if ticket.retry_later:
            self._metrics.inbox(InboxEvent.RETRIED)
            await self._let_go(claim, after=RETRY_AFTER_SECONDS)
        else:
            await self._finish(claim)
        self._held.pop(claim.update_id, None)

    async def _take_over_loop(self) -> None:
        while True:
            free = self._concurrency - len(self._held)
            if free > 0:
                with contextlib.suppress(StateUnavailable):  # the database says when it is back
                    lease = self._settings.lease_seconds
                    claimed = await self._store(self._inbox.take_over, self.worker, lease, free)
                    for update in claimed:
                        await self._take_over(update)
            await asyncio.sleep(self._settings.poll_seconds)

    async def _take_over(self, update: ClaimedUpdate) -> None:
        claim = update.claim
        previous = update.previous_worker or "?"
        if update.reply_started:
            self._metrics.inbox(InboxEvent.IN_DOUBT)
            logger.warning(
                "Update %d: worker %s stopped while sending its reply; not sent again "
                "(Telegram may or may not have shown it)",
                claim.update_id,
                previous,
            )
            await self._finish(claim, count=False)
        elif claim.attempt > MAX_ATTEMPTS:
            logger.error(
                "Update %d given up after %d attempts (each worker handling it stopped)",
                claim.update_id,
                MAX_ATTEMPTS,
            )
            await self._finish(claim, count=False)
        else:
            self._metrics.inbox(InboxEvent.TAKEN_OVER)
            logger.info(
                "Update %d taken over from %s (attempt %d)",
                claim.update_id,
                previous,
                claim.attempt,
            )
            self._start(claim, update.payload)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.lease_seconds / 3)
            claims = [held.claim for held in self._held.values()]
            with contextlib.suppress(StateUnavailable):  # the leases run out: others take over
                await self._store(self._inbox.renew, claims, self._settings.lease_seconds)

    async def _finish(self, claim: Claim, *, count: bool = True) -> None:
        try:
            await self._store(self._inbox.finish, claim)
        except StateUnavailable:  # its lease runs out; the reply, if any, was recorded
            logger.warning(
                "Update %d handled, but the database is out to mark it done", claim.update_id
            )
            return
        if count:
            self._metrics.inbox(InboxEvent.DONE)

    async def _let_go(self, claim: Claim, *, after: float) -> None:
        with contextlib.suppress(StateUnavailable):  # then its lease runs out by itself
            await self._store(self._inbox.release, claim, after)

    async def _store(self, call: Callable[..., T], *args: Any) -> T:
        return await self._calls.run(call, *args)
