"""Receiving updates as a webhook: Telegram POSTs each Update to us.

python-telegram-bot's own webhook server (`Updater.start_webhook`) registers the webhook
before it listens, so a 429 or a 5xx from setWebhook would keep the bot deaf, or end it.
This server listens first; `bot/transport/running.py` registers the webhook in the background. It
does what python-telegram-bot's does, on the same tornado (its `webhooks` extra): only
POSTs carrying the secret token are accepted (403 otherwise, compared in constant time),
and each Update goes to the application's update queue.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Bot, Update

from bot.app import BotApplication

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    """An HTTP server on `listen`:`port` that takes Updates POSTed to `/path`."""

    def __init__(
        self, application: BotApplication, listen: str, port: int, path: str, secret: str | None
    ) -> None:
        routes = [(rf"/{path.strip('/')}/?", _UpdateHandler, {"bot_application": application})]
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
        self._server.stop()
        await self._server.close_all_connections()


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_application: BotApplication) -> None:
        self._application = bot_application  # tornado's own `application` is its web app

    async def post(self) -> None:
        if not self._authentic():
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            data: Any = json.loads(self.request.body)
            update = Update.de_json(data, self._bot)
        except Exception as error:  # not JSON, or not an Update: Telegram never sends that
            logger.warning("Refused a webhook request that is not an Update: %s", error)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from error
        await self._application.update_queue.put(update)

    @property
    def _bot(self) -> Bot:
        return self._application.bot

    def _authentic(self) -> bool:
        secret = self.settings["secret"]
        if secret is None:
            return True
        sent = self.request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(sent.encode(), secret.encode())
