"""Fetching web pages and feeds safely and politely.

Safe: only http and https; every address a host name resolves to is checked before
connecting, and the connection goes to that checked address (the name is not resolved a
second time, so a DNS answer cannot change between the check and the connection); a
loopback, private, link-local, multicast or otherwise non-public address is refused,
after every redirect too, unless `fetch.allow_private_hosts` is set. At most
MAX_REDIRECTS redirects; bodies larger than `fetch.max_bytes` are cut off and refused; a
fetch that takes longer than `fetch.timeout_seconds` in total (a server dripping a byte a
second) is ended.

How: httpcore, the transport under httpx, takes a network backend: ours resolves and
checks the name inside `connect_tcp`, then opens the socket to the checked address. TLS
still names and verifies the host (httpcore passes the URL's host as the server name).
httpx's own client offers no way to plug in a backend, so URLs are handled with
`httpx.URL` and requests made with httpcore's documented ConnectionPool. Responses are
asked for uncompressed (Accept-Encoding: identity): no decompression bomb to bound.

Polite: one request at a time per host (in this process), a User-Agent that names qabot,
conditional requests (ETag / Last-Modified), and robots.txt respected for article pages.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
import time
import urllib.robotparser
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from index.errors import FetchError
from index.settings import FetchSettings

MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 500_000  # Google reads the first 500 KiB of a robots.txt
ROBOTS_CACHE_SECONDS = 3600.0
ROBOTS_AGENT = "qabot"  # the name robots.txt rules address
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


@dataclass(frozen=True)
class Fetched:
    """One response: 200 with its body, or 304 (not modified) without one."""

    url: str  # the final address, after redirects
    status: int
    content_type: str  # media type, lower case, without parameters ("" when not given)
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # where a redirect points
    # The address to use from now on: the last one reached through permanent redirects
    # only (301, 308), so a moved feed is remembered where it moved to.
    permanent_url: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """Thread-safe; one per process is enough (it holds the per-host locks and robots.txt)."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._host_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET `url`, following redirects; FetchError says why it failed or was refused."""
        limit = max_bytes or self.settings.max_bytes
        deadline = time.monotonic() + self.settings.timeout_seconds
        current = checked_url(url)
        permanent: str | None = str(current)
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Accept": accept}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            response = self._request(current, headers, limit, deadline)
            if response.status not in _REDIRECTS:
                return dataclasses.replace(response, permanent_url=permanent)
            current = _redirect_target(current, response)
            permanent = str(current) if permanent and response.status in _PERMANENT else None
        raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times; giving up")

    def robots_allow(self, url: str) -> bool:
        """Whether the site's robots.txt lets qabot read `url` (none, or unreadable: yes;
        401 or 403: no, as urllib.robotparser reads it)."""
        parsed = checked_url(url)
        origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
        cached = self._robots.get(origin)
        if cached is None or time.monotonic() - cached[0] > ROBOTS_CACHE_SECONDS:
            cached = (time.monotonic(), self._read_robots(origin))
            self._robots[origin] = cached
        return cached[1].can_fetch(ROBOTS_AGENT, str(parsed))

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        rules = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        try:
            found = self.get(f"{origin}/robots.txt", max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as error:
            # 401 or 403: the site keeps its rules private, so nothing may be read (as
            # RobotFileParser.read decides); any other failure: as if there were no rules.
            rules.parse(["User-agent: *", "Disallow: /"] if error.status in (401, 403) else [])
            return rules
        rules.parse(found.body.decode("utf-8", "replace").splitlines())
        return rules

    def _request(
        self, url: httpx.URL, headers: dict[str, str], limit: int, deadline: float
    ) -> Fetched:
        host = url.host
        request_headers = [
            (b"Host", url.netloc),
            (b"User-Agent", self.settings.user_agent.encode()),
            (b"Accept-Encoding", b"identity"),
            *((name.encode(), value.encode()) for name, value in headers.items()),
        ]
        backend = _CheckedBackend(self.settings.allow_private_hosts, deadline, self._seconds)
        timeout = min(self.settings.timeout_seconds, 10.0)
        extensions = {
            "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        }
        with (
            self._one_at_a_time(host),
            httpcore.ConnectionPool(network_backend=backend, max_connections=1) as pool,
            _reported(str(url), deadline, self._seconds),
            pool.stream("GET", str(url), headers=request_headers, extensions=extensions) as reply,
        ):
            fields = _headers(reply.headers)
            if reply.status in _REDIRECTS or reply.status == 304:
                return _response(str(url), reply.status, fields, b"")
            if reply.status != 200:
                raise FetchError(f"{url} answered HTTP {reply.status}", status=reply.status)
            declared = fields.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(url, limit)
            body = _read_body(reply.iter_stream(), url, limit)
            return _response(str(url), reply.status, fields, body)

    @property
    def _seconds(self) -> float:
        return self.settings.timeout_seconds

    @contextmanager
    def _one_at_a_time(self, host: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._host_locks.setdefault(host.lower(), threading.Lock())
        with lock:
            yield


def checked_url(url: str) -> httpx.URL:
    """`url` parsed, if it is an absolute http(s) address; else FetchError saying why."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"{url!r} is not a web address ({exc})") from exc
    if parsed.scheme not in ("http", "https"):
        shown = parsed.scheme or "no scheme"
        raise FetchError(f"only http and https addresses can be read, not {shown}: {url}")
    if not parsed.host:
        raise FetchError(f"{url} names no host")
    return parsed


def check_address(host: str, address: str, allow_private: bool) -> None:
    """Refuse an address that is not on the public internet (unless allowed)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kinds = [
        kind
        for kind, test in (
            ("loopback", ip.is_loopback),
            ("link-local", ip.is_link_local),
            ("multicast", ip.is_multicast),
            ("unspecified", ip.is_unspecified),
            ("private", ip.is_private),
            ("reserved", ip.is_reserved),
            ("non-public", not ip.is_global),
        )
        if test
    ]
    if allow_private or not kinds:
        return
    kind = kinds[0]
    named = host if host == address else f"{host} resolves to {address}, which"
    article = "an" if kind[0] in "aeiou" else "a"
    raise FetchError(
        f"refused: {named} is {article} {kind} address; qabot reads only public web addresses "
        "(set fetch.allow_private_hosts: true to allow private ones)"
    )


def resolve_checked(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: every address `host` resolves to must pass the check
    (a name that resolves to a public and a private address is refused)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot find the host {host} ({exc})") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise FetchError(f"cannot find the host {host}")
    for address in addresses:
        check_address(host, address, allow_private)
    return addresses[0]


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to checked addresses, and ends every read past the deadline."""

    def __init__(self, allow_private: bool, deadline: float, seconds: float) -> None:
        self._allow_private = allow_private
        self._deadline = deadline
        self._seconds = seconds

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = resolve_checked(host, port, self._allow_private)
        timeout = _within(timeout, self._deadline, self._seconds)
        stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline, self._seconds)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float, seconds: float) -> None:
        self._inner = inner
        self._deadline = deadline
        self._seconds = seconds

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within(timeout, self._deadline, self._seconds))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within(timeout, self._deadline, self._seconds))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within(timeout, self._deadline, self._seconds)
        tls = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _DeadlineStream(tls, self._deadline, self._seconds)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _within(timeout: float | None, deadline: float, seconds: float) -> float:
    """The time left for one socket operation: its own timeout, cut at the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(f"took more than {seconds:g} s; giving up")
    return left if timeout is None else min(timeout, left)


@contextmanager
def _reported(url: str, deadline: float, seconds: float) -> Iterator[None]:
    """httpcore's errors as FetchErrors a person can read."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        if time.monotonic() >= deadline - 0.05:
            raise FetchError(f"{url} took more than {seconds:g} s; giving up") from exc
        raise FetchError(f"{url} did not answer in time ({type(exc).__name__})") from exc
    except httpcore.ConnectError as exc:
        raise FetchError(f"cannot connect to {url} ({exc or type(exc).__name__})") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise FetchError(f"{url} broke off the connection ({type(exc).__name__})") from exc
    except httpcore.UnsupportedProtocol as exc:
        raise FetchError(f"cannot read {url} ({exc})") from exc


def _read_body(chunks: Iterable[bytes], url: httpx.URL, limit: int) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(url, limit)
    return bytes(body)


def _too_large(url: httpx.URL, limit: int) -> FetchError:
    return FetchError(f"{url} is larger than {limit:,} bytes (fetch.max_bytes); not read")


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}


def _response(url: str, status: int, fields: dict[str, str], body: bytes) -> Fetched:
    media, _, parameters = fields.get("content-type", "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        key, _, value = parameter.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"' ").lower()
    return Fetched(
        url=url,
        status=status,
        content_type=media.strip().lower(),
        charset=charset,
        body=body,
        etag=fields.get("etag"),
        last_modified=fields.get("last-modified"),
        location=fields.get("location"),
    )


def _redirect_target(current: httpx.URL, response: Fetched) -> httpx.URL:
    """Where a redirect points, checked like the first address."""
    if not response.location:
        raise FetchError(f"{current} redirects without saying where (no Location)")
    try:
        target = current.join(response.location)
    except httpx.InvalidURL as exc:
        raise FetchError(f"{current} redirects to an invalid address ({exc})") from exc
    return checked_url(str(target))
