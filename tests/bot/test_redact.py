"""The bot token never reaches a log line, whoever logs it and however."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.transport.redact import REDACTED, install_log_redaction

TOKEN = "123456:AAE-secret_Token"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    uninstall = install_log_redaction([TOKEN, None, "webhook-secret"])
    try:
        yield stream
    finally:
        uninstall()
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_token_in_messages_args_and_url_objects_is_redacted(log_output: io.StringIO) -> None:
    import httpx

    url = httpx.URL(f"https://api.telegram.org/bot{TOKEN}/getUpdates")
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST", url, "HTTP/1.1 200 OK")
    logging.getLogger("any.child.logger").warning(
        f"direct {TOKEN} and encoded 123456%3AAAE-secret_Token"
    )
    logging.getLogger().error("secret header %s", "webhook-secret")
    output = log_output.getvalue()
    assert TOKEN not in output and "%3AAAE-secret_Token" not in output
    assert "webhook-secret" not in output
    assert output.count(REDACTED) == 4
    assert f"https://api.telegram.org/bot{REDACTED}/getUpdates" in output


def test_token_in_tracebacks_is_redacted(log_output: io.StringIO) -> None:
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        logging.getLogger("telegram.ext.Application").exception("boom")
    output = log_output.getvalue()
    assert "RuntimeError" in output and "Traceback" in output
    assert TOKEN not in output


def test_uninstall_restores_plain_records() -> None:
    uninstall = install_log_redaction([TOKEN])
    uninstall()
    record = logging.getLogRecordFactory()("x", logging.INFO, "f", 1, TOKEN, None, None)
    assert record.getMessage() == TOKEN
