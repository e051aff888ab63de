"""Receiving updates as a webhook: Telegram POSTs each Update to us.

python-telegram-bot's own webhook server (`Updater.start_webhook`) registers the webhook
before it listens, so a 429 or a 5xx from setWebhook would keep the bot deaf, or end it.
This server listens first; `bot/transport/running.py` registers the webhook in the background. It
does what python-telegram-bot's does, on the same tornado (its `webhooks` extra): only
POSTs carrying the secret token are accepted (403 otherwise, compared in constant time).

Each Update goes to the application's update queue, or, with the durable inbox (state in
PostgreSQL), into the inbox before the 200 (bot/transport/inbox.py): then a database that
cannot be reached gets Telegram a 503 at once, and Telegram delivers the update again
later. On stop the server answers 503 to what still arrives (a balancer tries another
worker), lets the requests in progress finish, and closes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Bot, Update

from bot.app import BotApplication
from bot.state.protocols import StateUnavailable
from bot.transport.inbox import InboxRunner

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DRAIN_SECONDS = 5.0  # on stop, how long requests in progress may take to finish


class WebhookReceiver:
    """An HTTP server on `listen`:`port` that takes Updates POSTed to `/path`."""

    def __init__(
        self,
        application: BotApplication,
        listen: str,
        port: int,
        path: str,
        secret: str | None,
        inbox: InboxRunner | None = None,
    ) -> None:
        self.closing = False
        self.in_progress = 0
        self._idle = asyncio.Event()
        self._idle.set()
        target = {"bot_application": application, "inbox": inbox, "receiver": self}
        routes = [(rf"/{path.strip('/')}/?", _UpdateHandler, target)]
        web_app = tornado.web.Application(
            routes,
            secret=secret,
            log_function=lambda handler: None,  # no access log
        )
        self._server = tornado.httpserver.HTTPServer(web_app)
        self._listen = listen
        self._port = port

    def start(self) -> None:
        self._server.listen(self._port, address=self._listen)

    async def stop(self) -> None:
        self.closing = True
        self._server.stop()
        try:
            await asyncio.wait_for(self._idle.wait(), DRAIN_SECONDS)
        except TimeoutError:
            logger.warning("Stopping with %d webhook requests unanswered", self.in_progress)
        await self._server.close_all_connections()

    def begin(self) -> None:
        self.in_progress += 1
        self._idle.clear()

    def end(self) -> None:
        self.in_progress -= 1
        if self.in_progress == 0:
            self._idle.set()


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(
        self,
        bot_application: BotApplication,
        inbox: InboxRunner | None,
        receiver: WebhookReceiver,
    ) -> None:
        self._application = bot_application  # tornado's own `application` is its web app
        self._inbox = inbox
        self._receiver = receiver

    async def post(self) -> None:
        if not self._authentic():
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if self._receiver.closing:  # a balancer tries another worker
            raise tornado.web.HTTPError(HTTPStatus.SERVICE_UNAVAILABLE)
        try:
            data: Any = json.loads(self.request.body)
            update = Update.de_json(data, self._bot)
            if update.update_id is None:
                raise ValueError("no update_id")
        except Exception as error:  # not JSON, or not an Update: Telegram never sends that
            logger.warning("Refused a webhook request that is not an Update: %s", error)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from error
        if self._inbox is None:
            await self._application.update_queue.put(update)
            return
        self._receiver.begin()
        try:
            await self._inbox.accept(data)
        except StateUnavailable as error:  # Telegram delivers it again later
            logger.debug("Update %d refused for now: %s", update.update_id, error)
            raise tornado.web.HTTPError(HTTPStatus.SERVICE_UNAVAILABLE) from error
        finally:
            self._receiver.end()

    @property
    def _bot(self) -> Bot:
        return self._application.bot

    def _authentic(self) -> bool:
        secret = self.settings["secret"]
        if secret is None:
            return True
        sent = self.request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(sent.encode(), secret.encode())
