"""Opening the bot's SQLite file: in WAL mode, also when two processes open it at once.

Switching a file to WAL takes its lock, and SQLite does not wait for a lock another
connection holds during that switch (no busy handler): the second of two processes
opening a new file at once got "database is locked" (tests/bot/test_channel_state.py, an
old file upgraded by two processes). The switch is retried while the other one finishes.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

WAL_ATTEMPTS = 50
WAL_RETRY_SECONDS = 0.1  # the other process's switch and upgrade take milliseconds


def open_wal(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection (explicit transactions) to `path` in WAL mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    for attempt in range(1, WAL_ATTEMPTS + 1):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_ATTEMPTS:
                db.close()
                raise
            time.sleep(WAL_RETRY_SECONDS)
    db.execute("PRAGMA synchronous=NORMAL")
    return db
