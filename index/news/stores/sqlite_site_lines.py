"""What qabot remembers of the pages it read, to learn each site's template: the keys of
every page's article lines (index/ingest/boilerplate.py: line_key) and of its short text
blocks. Never the text itself: 16 hex digits a line.

`SiteLines` is the protocol index/news/cleaning.py is written against; `SqliteSiteLines`
keeps them in feeds.sqlite beside the feed registry, index/news/stores/postgres_site_lines.py in
the database every worker shares. A site keeps its last `pages_kept` pages.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

LINE = "line"  # a line of the page's article text
BLOCK = "block"  # a short text block anywhere in the page
_BATCH = 500  # keys per query
_SCHEMA = """
CREATE TABLE IF NOT EXISTS site_pages (
    site TEXT NOT NULL,
    page TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (site, page)
);
CREATE TABLE IF NOT EXISTS site_lines (
    site TEXT NOT NULL,
    page TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (site, page, kind, key)
);
CREATE INDEX IF NOT EXISTS site_lines_by_key ON site_lines (kind, key);
"""


class SiteLines(Protocol):
    def record(
        self, site: str, page: str, lines: Iterable[str], blocks: Iterable[str], keep: int
    ) -> None:
        """A page's line and block keys (replacing what it had); the site's pages beyond
        its newest `keep` are forgotten."""
        ...

    def repeated_on_site(self, site: str, page: str, keys: Sequence[str], pages: int) -> set[str]:
        """The `keys` among the article lines of at least `pages` other pages of the site."""
        ...

    def common_to_sites(self, site: str, keys: Sequence[str], sites: int) -> set[str]:
        """The `keys` among the short blocks of pages of at least `sites` other sites."""
        ...

    def close(self) -> None: ...


class SqliteSiteLines:
    """`SiteLines` in one SQLite file; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def record(
        self, site: str, page: str, lines: Iterable[str], blocks: Iterable[str], keep: int
    ) -> None:
        rows = [(site, page, LINE, key) for key in set(lines)]
        rows += [(site, page, BLOCK, key) for key in set(blocks)]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM site_lines WHERE site=? AND page=?", (site, page))
                self._db.execute(
                    "INSERT OR REPLACE INTO site_pages VALUES (?, ?, ?)", (site, page, time.time())
                )
                self._db.executemany("INSERT OR IGNORE INTO site_lines VALUES (?, ?, ?, ?)", rows)
                self._forget_beyond(site, keep)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _forget_beyond(self, site: str, keep: int) -> None:
        old = self._db.execute(
            "SELECT page FROM site_pages WHERE site=? ORDER BY seen_at DESC LIMIT -1 OFFSET ?",
            (site, keep),
        ).fetchall()
        for (page,) in old:
            self._db.execute("DELETE FROM site_lines WHERE site=? AND page=?", (site, page))
            self._db.execute("DELETE FROM site_pages WHERE site=? AND page=?", (site, page))

    def repeated_on_site(self, site: str, page: str, keys: Sequence[str], pages: int) -> set[str]:
        found: set[str] = set()
        for batch in _batches(keys):
            marks = ",".join("?" * len(batch))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key FROM site_lines WHERE kind='{LINE}' AND site=? AND page<>? "
                    f"AND key IN ({marks}) GROUP BY key HAVING COUNT(DISTINCT page) >= ?",
                    (site, page, *batch, pages),
                ).fetchall()
            found.update(row[0] for row in rows)
        return found

    def common_to_sites(self, site: str, keys: Sequence[str], sites: int) -> set[str]:
        found: set[str] = set()
        for batch in _batches(keys):
            marks = ",".join("?" * len(batch))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key FROM site_lines WHERE kind='{BLOCK}' AND site<>? "
                    f"AND key IN ({marks}) GROUP BY key HAVING COUNT(DISTINCT site) >= ?",
                    (site, *batch, sites),
                ).fetchall()
            found.update(row[0] for row in rows)
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _batches(keys: Sequence[str]) -> Iterator[list[str]]:
    unique = sorted(set(keys))
    for start in range(0, len(unique), _BATCH):
        yield unique[start : start + _BATCH]
