"""/metrics (Prometheus text format), /healthz (ready) and /livez (alive) on their own
port, from a thread.

A thread rather than the bot's event loop: a scrape never waits behind an answer, and a
stuck event loop still shows, as /healthz turns 503 once no Bot API call has succeeded for
a while (bot/ops/health.py). prometheus-client renders the registry; wsgiref serves it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from bot.ops.monitoring import Monitoring

StartResponse = Callable[..., Any]


class MetricsServer:
    """Started and stopped by the composition (qabot/serve.py), around the bot's run."""

    def __init__(self, listen: str, port: int, monitoring: Monitoring) -> None:
        self._metrics_app = make_wsgi_app(monitoring.metrics.registry)
        self._health = monitoring.health
        self._server = make_server(
            listen, port, self._route, server_class=_ThreadingServer, handler_class=_Quiet
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="qabot-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._metrics_app(environ, start_response)
        if path in ("/healthz", "/livez"):
            status = self._health.status() if path == "/healthz" else self._health.liveness()
            code = "200 OK" if status.healthy else "503 Service Unavailable"
            start_response(code, [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{status.reason}\n".encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"/metrics, /healthz or /livez\n"]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: a scrape every few seconds would drown the bot's own lines."""
