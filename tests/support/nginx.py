"""A real nginx in front of the bot's webhook workers, started by the test that needs it.

The Debian package `nginx` (.ci/run installs it) runs from a folder of its own: its
configuration, pid file, logs and temporary files all there, nothing of the system's used.
It balances the workers round-robin with passive health checks, as an operator would:

- a worker that refuses the connection, times out or answers 502/503/504 is skipped for
  that request (`proxy_next_upstream`, POSTs included: an update is stored once however
  often it is delivered) and counted as failed; `max_fails` failures mark it down for
  `fail_timeout` seconds;
- when every worker failed the request, nginx answers 502/503/504 itself, and Telegram (the
  test's stand-in) delivers the update again later.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

NGINX = "/usr/sbin/nginx"
START_TIMEOUT = 10.0

CONFIG = """\
{user}
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream workers {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://workers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
            proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;
            proxy_next_upstream_tries {tries};
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """The nginx to run; skipped without one, except in CI, which must have it."""
    found = shutil.which("nginx") or (NGINX if os.path.exists(NGINX) else None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("nginx is not installed: .ci/run installs the Debian package")
    pytest.skip("nginx is not installed (apt-get install nginx)")


@asynccontextmanager
async def nginx_in_front(
    folder: Path,
    port: int,
    upstream_ports: Sequence[int],
    *,
    max_fails: int = 1,
    fail_timeout: int = 1,  # nginx takes whole seconds here
) -> AsyncIterator[str]:
    """nginx listening on 127.0.0.1:`port`, balancing `upstream_ports`; yields its URL."""
    binary = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(
        f"        server 127.0.0.1:{upstream} max_fails={max_fails} fail_timeout={fail_timeout}s;"
        for upstream in upstream_ports
    )
    config = folder / "nginx.conf"
    config.write_text(
        CONFIG.format(
            user="user root;" if os.geteuid() == 0 else "",
            prefix=folder,
            port=port,
            servers=servers,
            tries=len(upstream_ports),
        ),
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        binary, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _until_listening(url, process)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGQUIT)  # graceful: finishes the requests in progress
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def error_log(folder: Path) -> str:
    path = folder / "error.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


async def _until_listening(url: str, process: asyncio.subprocess.Process) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            if process.returncode is not None:
                raise AssertionError(f"nginx exited with status {process.returncode}")
            try:
                await client.get(f"{url}/nginx-started")
                return
            except httpx.TransportError:
                assert loop.time() < deadline, "nginx never listened"
                await asyncio.sleep(0.05)
