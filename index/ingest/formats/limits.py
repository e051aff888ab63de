"""The size bounds every reader shares, and the refusals that name them."""

from __future__ import annotations

from index.errors import IngestError

MAX_FILE_BYTES = 200_000_000  # refused before reading, whatever the configured limit says
MAX_TEXT_CHARS = 5_000_000  # as written: a bigger "article" is almost surely not one
# Repeating a table's header in each of its rows about doubles a real table (the 4 MB,
# 180,000-row benchmark table becomes 7.8 M characters); a table whose header is far longer
# than its cells would grow without bound, so the document text has its own limit.
MAX_DOCUMENT_CHARS = 3 * MAX_TEXT_CHARS


def check_length(filename: str, text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise IngestError(f"{filename} has more than {MAX_TEXT_CHARS:,} characters of text")


def too_long_once_written_out(filename: str) -> IngestError:
    return IngestError(
        f"{filename} has more than {MAX_DOCUMENT_CHARS:,} characters of text once each "
        "table row repeats its header"
    )
