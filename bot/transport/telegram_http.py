"""The bot's HTTP client for the Bot API, telling a listener how each call went.

`do_request` is python-telegram-bot's seam for HTTP: every Bot API call and file download,
each retry included, passes through it with its URL and comes back with the HTTP status,
before the library turns a status into an exception. That is where "which method failed
with which code" is known for sure (a 404 and a 401 both become InvalidToken later).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

# (method, failure): failure is None for a 2xx, else the status ("500") or "timeout"/"network"
CallListener = Callable[[str, str | None], None]


class ObservedRequest(HTTPXRequest):
    def __init__(self, listener: CallListener, **settings: Any) -> None:
        """`settings` are HTTPXRequest's (pool size, timeouts)."""
        super().__init__(**settings)
        self._listener = listener

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        # API calls are POSTed to .../bot<token>/<method>; files are fetched with GET
        endpoint = url.rsplit("/", 1)[-1] if method == "POST" else "file download"
        try:
            status, payload = await super().do_request(url, method, *args, **kwargs)
        except TimedOut:
            self._listener(endpoint, "timeout")
            raise
        except NetworkError:
            self._listener(endpoint, "network")
            raise
        self._listener(endpoint, None if 200 <= status < 300 else str(status))
        return status, payload
