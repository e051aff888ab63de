"""Keep the bot token (and the webhook secret) out of every log line.

The token is part of every Bot API URL, so httpx's request log and some exception texts
carry it. Redaction happens in a log-record factory, at the moment a record is created:
that covers every logger and every handler, including ones added later (a filter on one
logger would miss records propagated from its children, and handler filters miss new
handlers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from urllib.parse import quote

REDACTED = "[REDACTED]"

_TRACEBACK_FORMATTER = logging.Formatter()


class SecretRedactor:
    """Replaces each secret (and its URL-encoded form) with a placeholder."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def redact_record(self, record: logging.LogRecord) -> None:
        """Render the message now and store only the redacted text (args can hold URLs)."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the secret in the error report
            message = f"{record.msg!s} {record.args!s}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.redact(_TRACEBACK_FORMATTER.formatException(record.exc_info))
            # Formatters print exc_text; dropping exc_info stops any of them re-rendering
            # the raw exception, whose message may hold a URL with the token.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


def install_log_redaction(secrets: Iterable[str | None]) -> Callable[[], None]:
    """Redact `secrets` from every log record from now on; returns a function that undoes it."""
    redactor = SecretRedactor(secrets)
    previous = logging.getLogRecordFactory()

    def make_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.redact_record(record)
        return record

    logging.setLogRecordFactory(make_record)

    def uninstall() -> None:
        if logging.getLogRecordFactory() is make_record:
            logging.setLogRecordFactory(previous)

    return uninstall
