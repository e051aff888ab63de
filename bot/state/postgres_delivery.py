"""What several workers share about receiving and sending: the inbox and the flood slots.

`PostgresInbox` (`bot.state.protocols.Inbox`) keeps each update received in webhook mode in
the `inbox` table (qabot/migrations.py: the durable inbox's migration) from before its 200
until its reply is done, so an update accepted by a worker that dies is still there for
another one.
`PostgresFloodSlots` (`bot.state.protocols.FloodSlots`) books the moments the bot may send,
so N workers together stay within Telegram's limits for one bot.

Times are the database's (`clock_timestamp()`), the one clock every worker shares. Each
method is one transaction; the bot calls them off the event loop (bot/state/calls.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.state.protocols import Claim, ClaimedUpdate

DONE_KEPT = dt.timedelta(days=2)  # a redelivery comes within minutes; Telegram keeps 24 h
PRUNE_EVERY = 1000  # updates accepted between two deletions of old ones (per worker)
_LEASE = "clock_timestamp() + make_interval(secs => %s)"
_NOW = "extract(epoch FROM clock_timestamp())"


class PostgresInbox:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._accepted = 0

    def accept(
        self, update_id: int, payload: dict[str, Any], worker: str, lease: float
    ) -> Claim | None:
        """One INSERT ... ON CONFLICT: a redelivery only counts one more delivery."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO inbox (update_id, payload, worker, lease_until)"
                f" VALUES (%s, %s, %s, {_LEASE}) ON CONFLICT (update_id)"
                " DO UPDATE SET deliveries = inbox.deliveries + 1"
                " RETURNING xmax = 0, attempt",
                (update_id, Jsonb(payload), worker, lease),
            ).fetchone()
            self._accepted += 1
            if self._accepted % PRUNE_EVERY == 0:
                conn.execute(
                    "DELETE FROM inbox WHERE done_at IS NOT NULL"
                    " AND received_at < clock_timestamp() - %s",
                    (DONE_KEPT,),
                )
        assert row is not None
        inserted, attempt = row
        return Claim(update_id, int(attempt)) if inserted else None

    def take_over(self, worker: str, lease: float, limit: int) -> list[ClaimedUpdate]:
        """Rows locked with SKIP LOCKED: workers looking at once take different updates."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"UPDATE inbox i SET worker = %s, attempt = i.attempt + 1, lease_until = {_LEASE}"
                " FROM (SELECT update_id, worker FROM inbox"
                "       WHERE done_at IS NULL AND lease_until < clock_timestamp()"
                "       ORDER BY update_id LIMIT %s FOR UPDATE SKIP LOCKED) old"
                " WHERE i.update_id = old.update_id"
                " RETURNING i.update_id, i.attempt, i.payload, old.worker,"
                " i.reply_started_at IS NOT NULL",
                (worker, lease, limit),
            ).fetchall()
        return [
            ClaimedUpdate(Claim(int(update_id), int(attempt)), payload, previous, bool(started))
            for update_id, attempt, payload, previous, started in sorted(rows)
        ]

    def renew(self, claims: Sequence[Claim], lease: float) -> None:
        if not claims:
            return
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE inbox SET lease_until = {_LEASE}"
                " FROM unnest(%s::bigint[], %s::int[]) AS held(update_id, attempt)"
                " WHERE inbox.update_id = held.update_id AND inbox.attempt = held.attempt"
                " AND inbox.done_at IS NULL",
                (lease, [c.update_id for c in claims], [c.attempt for c in claims]),
            )

    def start_reply(self, claim: Claim, lease: float) -> bool:
        """The lease is renewed too: a reply being sent is not taken over meanwhile."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "UPDATE inbox SET reply_started_at = coalesce(reply_started_at, clock_timestamp()),"
                f" lease_until = greatest(lease_until, {_LEASE})"
                " WHERE update_id = %s AND attempt = %s AND done_at IS NULL RETURNING 1",
                (lease, claim.update_id, claim.attempt),
            ).fetchone()
        return row is not None

    def finish(self, claim: Claim) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE inbox SET done_at = clock_timestamp()"
                " WHERE update_id = %s AND attempt = %s AND done_at IS NULL",
                (claim.update_id, claim.attempt),
            )

    def release(self, claim: Claim, after: float) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE inbox SET lease_until = {_LEASE}"
                " WHERE update_id = %s AND attempt = %s AND done_at IS NULL",
                (after, claim.update_id, claim.attempt),
            )


class PostgresFloodSlots:
    """Per scope one row with the send times booked in the last window: a booking locks
    the rows of its scopes (in name order, so two bookings never wait on each other in a
    circle), takes the earliest moment each allows, and appends it."""

    PAUSE_SCOPE = "bot"  # the row whose `paused_until` holds every worker back

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def reserve(self, scopes: Sequence[tuple[str, int, float]]) -> float:
        limits = {name: (limit, window) for name, limit, window in scopes}
        names = sorted({*limits, self.PAUSE_SCOPE})
        with self._pool.connection() as conn:
            now = float(_first(conn.execute(f"SELECT {_NOW}").fetchone()))
            conn.execute(
                "INSERT INTO flood_slots (scope) SELECT unnest(%s::text[])"
                " ON CONFLICT (scope) DO NOTHING",
                (names,),
            )
            rows = conn.execute(
                "SELECT scope, booked, paused_until FROM flood_slots WHERE scope = ANY(%s)"
                " ORDER BY scope FOR UPDATE",
                (names,),
            ).fetchall()
            at = now
            kept: dict[str, list[float]] = {}
            for name, booked, paused_until in rows:
                at = max(at, float(paused_until))
                if name not in limits:
                    continue
                limit, window = limits[name]
                kept[name] = [t for t in booked if t > now - window]
                if len(kept[name]) >= limit:
                    at = max(at, kept[name][-limit] + window)
            for name, booked in kept.items():
                conn.execute(
                    "UPDATE flood_slots SET booked = %s WHERE scope = %s",
                    ([*booked, at][-limits[name][0] :], name),
                )
        return at - now

    def pause(self, seconds: float) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO flood_slots (scope, paused_until)"
                f" VALUES (%s, {_NOW} + %s) ON CONFLICT (scope) DO UPDATE"
                " SET paused_until = greatest(flood_slots.paused_until, excluded.paused_until)",
                (self.PAUSE_SCOPE, seconds),
            )


def _first(row: Any) -> Any:
    assert row is not None
    return row[0]
