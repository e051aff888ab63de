"""One writer at a time for an index folder: in this process and across processes.

A bot serving questions and a `qabot index add` in another terminal may both write the
same folder; the flock makes the second wait instead of interleaving their transactions.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriteLock:
    def __init__(self, folder: Path) -> None:
        self._path = folder / ".lock"
        self._thread_lock = threading.RLock()  # re-entrant: a repair may run inside a change

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock, open(self._path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
