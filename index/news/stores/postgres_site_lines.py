"""`index.news.stores.sqlite_site_lines.SiteLines` in PostgreSQL (`state.backend: postgres`): every
worker learns from the pages any of them read. Tables `site_pages` and `site_lines` of
qabot/migrations.py; a page's keys are replaced in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from psycopg_pool import ConnectionPool

from index.news.stores.sqlite_site_lines import BLOCK, LINE


class PostgresSiteLines:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def record(
        self, site: str, page: str, lines: Iterable[str], blocks: Iterable[str], keep: int
    ) -> None:
        rows = [(site, page, LINE, key) for key in set(lines)]
        rows += [(site, page, BLOCK, key) for key in set(blocks)]
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM site_lines WHERE site = %s AND page = %s", (site, page))
            conn.execute(
                "INSERT INTO site_pages (site, page) VALUES (%s, %s) ON CONFLICT (site, page)"
                " DO UPDATE SET seen_at = clock_timestamp()",
                (site, page),
            )
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO site_lines (site, page, kind, key) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    rows,
                )
            conn.execute(
                "DELETE FROM site_pages WHERE site = %s AND page IN (SELECT page FROM site_pages"
                " WHERE site = %s ORDER BY seen_at DESC OFFSET %s)",
                (site, site, keep),
            )  # their lines go with them (ON DELETE CASCADE)

    def repeated_on_site(self, site: str, page: str, keys: Sequence[str], pages: int) -> set[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key FROM site_lines WHERE kind = %s AND site = %s AND page <> %s"
                " AND key = ANY(%s) GROUP BY key HAVING count(DISTINCT page) >= %s",
                (LINE, site, page, list(set(keys)), pages),
            ).fetchall()
        return {row[0] for row in rows}

    def common_to_sites(self, site: str, keys: Sequence[str], sites: int) -> set[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key FROM site_lines WHERE kind = %s AND site <> %s AND key = ANY(%s)"
                " GROUP BY key HAVING count(DISTINCT site) >= %s",
                (BLOCK, site, list(set(keys)), sites),
            ).fetchall()
        return {row[0] for row in rows}

    def close(self) -> None:
        """The pool belongs to whoever opened it (qabot/factory.py)."""
