"""Errors the engine raises with messages fit to show a person as they are."""


class QabotError(Exception):
    """Base class: the message is polite, specific and safe to show to a user."""


class IngestError(QabotError):
    """A file could not be turned into a document (bad format, too large, encrypted...)."""


class UnknownDocument(QabotError, KeyError):
    """No stored document has this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown document"


class IndexCorrupt(QabotError):
    """The on-disk index is damaged, stale or from another format; it must be rebuilt."""


class ModelUnavailable(QabotError):
    """The embedding model's weights are not installed locally (they are never downloaded)."""


class FetchError(QabotError):
    """A web address could not be fetched: refused (private address, robots.txt, not
    http), unreachable, too slow, too large, or an HTTP error (its `status`)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UnknownFeed(QabotError, KeyError):
    """No followed feed has this address or id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown feed"
