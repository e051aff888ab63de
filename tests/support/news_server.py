"""A real HTTP server on 127.0.0.1 for the news tests: feeds, article pages and faults.

The standard library's threading HTTP server, serving what a test puts in `routes` (which
it may change between syncs). It answers conditional GETs with 304 when the ETag or
Last-Modified matches, records every request it received (path and headers), and can
misbehave on purpose: a status, a redirect, a delay, a drip of one byte a second, a huge
body.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # a redirect's target
    drip_seconds: float = 0.0  # send the body one byte per this many seconds
    delay_seconds: float = 0.0  # wait this long before answering (a slow server)
    endless_bytes: int = 0  # stream this many bytes of filler after the body
    length_header: bool = True  # False: no Content-Length, the body ends when the server closes
    validators: bool = True  # send ETag and Last-Modified (and honour them)
    modified: float = 1_675_000_000.0  # Last-Modified, as a Unix time


@dataclass
class Received:
    """A request, recorded as it arrives (before it is answered: a client that has its
    answer finds it here); status and body_bytes are filled in as the answer is sent."""

    path: str
    headers: dict[str, str]
    status: int = 0
    body_bytes: int = 0  # bytes of body sent back


@dataclass
class NewsServer:
    routes: dict[str, Route] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def requests_to(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def _handler(server: NewsServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            route = server.routes.get(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            received = Received(self.path, headers)
            server.received.append(received)
            if route is None:
                self._send(received, 404, b"not found", "text/plain")
                return
            time.sleep(route.delay_seconds)
            if route.location is not None:
                received.status = route.status
                self.send_response(route.status)
                self.send_header("Location", route.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = etag_of(route.body)
            modified = email.utils.formatdate(route.modified, usegmt=True)
            # RFC 9110: If-None-Match, when sent, decides alone.
            if "if-none-match" in headers:
                unchanged = headers["if-none-match"] == etag
            else:
                unchanged = headers.get("if-modified-since") == modified
            if route.validators and unchanged:
                received.status = 304
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            extra = {"ETag": etag, "Last-Modified": modified} if route.validators else {}
            self._send(received, route.status, route.body, route.content_type, extra, route)

        def _send(
            self,
            received: Received,
            status: int,
            body: bytes,
            content_type: str,
            extra: dict[str, str] | None = None,
            route: Route | None = None,
        ) -> None:
            received.status = status
            endless = route.endless_bytes if route else 0
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if route is None or route.length_header:
                self.send_header("Content-Length", str(len(body) + endless))
            else:
                self.send_header("Connection", "close")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            try:
                if route is not None and route.drip_seconds:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        received.body_bytes += 1
                        time.sleep(route.drip_seconds)
                else:
                    self.wfile.write(body)
                    received.body_bytes = len(body)
                chunk = b"x" * 65536
                while received.body_bytes - len(body) < endless:
                    self.wfile.write(chunk)
                    received.body_bytes += len(chunk)
            except OSError:  # the client hung up: what a bounded fetch does
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def news_server() -> Iterator[NewsServer]:
    state = NewsServer()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def rss(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 feed; each item: title, link, guid, date (RFC 822), description."""
    entries = "".join(
        "<item>"
        f"<title>{item['title']}</title>"
        + (f"<link>{item['link']}</link>" if "link" in item else "")
        + (f"<guid>{item['guid']}</guid>" if "guid" in item else "")
        + (f"<pubDate>{item['date']}</pubDate>" if "date" in item else "")
        + f"<description><![CDATA[{item.get('description', '')}]]></description>"
        "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.invalid/</link>"
        f"<description>{title}</description>{entries}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[dict[str, str]]) -> bytes:
    """An Atom 1.0 feed; each entry: title, link, id, updated (RFC 3339), content."""
    body = "".join(
        "<entry>"
        f"<title>{entry['title']}</title>"
        f'<link href="{entry["link"]}"/>'
        f"<id>{entry['id']}</id>"
        f"<updated>{entry['updated']}</updated>"
        f'<content type="html"><![CDATA[{entry.get("content", "")}]]></content>'
        "</entry>"
        for entry in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:test:{title}</id>"
        f"<updated>2023-01-30T00:00:00Z</updated>{body}</feed>"
    ).encode()


def article_page(title: str, paragraphs: list[str], *, date: str, canonical: str = "") -> bytes:
    """A news article page as sites publish them: metadata in the head, menus around."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    text = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{title} | The Test Times</title>{link}"
        f'<meta property="article:published_time" content="{date}T09:00:00Z">'
        '<meta name="author" content="Jane Reporter">'
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{text}</article>"
        "<footer>© The Test Times</footer></body></html>"
    ).encode()
