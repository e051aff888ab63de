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
