"""The PostgreSQL schema (`state.backend: postgres`), as the ordered list of its migrations.

One database holds what several workers share: the engine's stored documents and chunk
store (`index/store/postgres.py`), the feed registry and sites' lines
(`index/news/stores/`), the bot's answer log, conversations, rate-limit windows and seen
updates (`bot/state/postgres.py`), its follows, alerts, link counts, channels and daily
digests (`bot/state/postgres_follows.py`, `postgres_channels.py`) and its inbox and shared
flood control (`bot/state/postgres_delivery.py`). The comments inside released migrations
name the modules as they were then.
A migration is applied once, in one transaction with its row in `schema_version`; never
edit one that was released, add the next (migration 2 is such a small one: documents' web
address and collection).

Every query names its columns (no SELECT *), so a worker of the previous release keeps
working while such a column is added.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "documents, chunk store, answer log, conversations, rate limits, seen updates",
        """
        -- The engine (index/postgres_store.py). `originals` holds each document's full text:
        -- the source of truth every worker can rebuild its index from. `documents`, `chunks`
        -- and `sentences` are the chunk store derived from it (vectors as float32 bytes).
        CREATE TABLE originals (
            doc_id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            date TEXT,
            source TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            saved_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        );
        CREATE TABLE index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents (
            doc_id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            date TEXT,
            source TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            added_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        );
        -- ids are never reused; writers hold one lock, so newer chunks have larger ids
        CREATE SEQUENCE chunk_ids;
        CREATE TABLE chunks (
            chunk_id BIGINT PRIMARY KEY DEFAULT nextval('chunk_ids'),
            doc_id TEXT NOT NULL REFERENCES documents ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            text TEXT NOT NULL,
            vector BYTEA NOT NULL
        );
        CREATE INDEX chunks_by_doc ON chunks (doc_id, ordinal);
        CREATE TABLE sentences (
            chunk_id BIGINT NOT NULL REFERENCES chunks ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            vector BYTEA NOT NULL,
            PRIMARY KEY (chunk_id, ordinal)
        );

        -- The bot (bot/postgres_state.py): the same answer log as bot/feedback.py's SQLite.
        CREATE TABLE answers (
            answer_id TEXT PRIMARY KEY,
            chat_id BIGINT,
            user_id BIGINT,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            confident BOOLEAN NOT NULL,
            passages JSONB NOT NULL,
            passages_shown INTEGER NOT NULL,
            latency_ms DOUBLE PRECISION NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX answers_created ON answers (created_at);
        CREATE TABLE answer_messages (
            chat_id BIGINT NOT NULL,
            message_id BIGINT NOT NULL,
            answer_id TEXT NOT NULL REFERENCES answers ON DELETE CASCADE,
            PRIMARY KEY (chat_id, message_id)
        );
        CREATE TABLE feedback (
            answer_id TEXT NOT NULL REFERENCES answers ON DELETE CASCADE,
            user_id BIGINT NOT NULL,
            vote SMALLINT NOT NULL CHECK (vote IN (-1, 1)),
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (answer_id, user_id)
        );
        CREATE TABLE conversation_turns (
            turn_id BIGSERIAL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX conversation_turns_by_chat ON conversation_turns (chat_id, turn_id);
        CREATE TABLE rate_windows (
            budget TEXT NOT NULL,
            key TEXT NOT NULL,
            events DOUBLE PRECISION[] NOT NULL,
            warned BOOLEAN NOT NULL DEFAULT false,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (budget, key)
        );
        CREATE TABLE seen_updates (
            update_id BIGINT PRIMARY KEY,
            seen_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX seen_updates_by_age ON seen_updates (seen_at);
        """,
    ),
    Migration(
        2,
        "documents: their web address and collection (links, feeds, a chat's own links)",
        """
        ALTER TABLE originals ADD COLUMN url TEXT,
            ADD COLUMN collection TEXT NOT NULL DEFAULT 'shared';
        ALTER TABLE documents ADD COLUMN url TEXT,
            ADD COLUMN collection TEXT NOT NULL DEFAULT 'shared';
        """,
    ),
    Migration(
        3,
        "follows, alerts, muted chats, links read; the feed registry",
        """
        -- The bot's news state (bot/postgres_news.py): the same tables as bot/follows.py's
        -- SQLite, plus `alert_days`, one row per chat and day, locked while an alert is
        -- claimed so that the daily cap holds across workers.
        CREATE TABLE follows (
            follow_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            topic TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            UNIQUE (chat_id, topic)
        );
        CREATE TABLE alerts (
            chat_id BIGINT NOT NULL,
            doc_id TEXT NOT NULL,
            day DATE NOT NULL,
            sent_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (chat_id, doc_id)
        );
        CREATE TABLE alert_days (
            chat_id BIGINT NOT NULL,
            day DATE NOT NULL,
            sent INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (chat_id, day)
        );
        CREATE TABLE muted_chats (
            chat_id BIGINT PRIMARY KEY,
            since TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        );
        CREATE TABLE links_read (
            chat_id BIGINT NOT NULL,
            day DATE NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (chat_id, day)
        );

        -- The feed registry (index/postgres_feed_store.py): the same as feeds.sqlite, one
        -- for every worker. A worker syncing a feed holds an advisory lock on its id.
        CREATE TABLE feeds (
            feed_id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_synced TIMESTAMPTZ,
            last_error TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            next_attempt TIMESTAMPTZ,
            added_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
        );
        CREATE TABLE feed_items (
            feed_id INTEGER NOT NULL REFERENCES feeds ON DELETE CASCADE,
            guid TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            doc_id TEXT,  -- NULL: forgotten (retention) or never readable
            seen_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (feed_id, guid)
        );
        CREATE INDEX feed_items_by_doc ON feed_items (doc_id);
        """,
    ),
    Migration(
        4,
        "issue 25: channel subscriptions, channel posts, daily digests; pages' repeated lines",
        """
        -- Channels (bot/state/postgres_channels.py): a chat or channel has a feed's new items
        -- posted to it; each document is posted once per chat, `folded` when the chat had
        -- its posts for the hour and the item went into the one folded message.
        CREATE TABLE channel_subscriptions (
            subscription_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            feed_url TEXT NOT NULL,
            keywords TEXT[] NOT NULL,
            since DATE NOT NULL,
            UNIQUE (chat_id, feed_url)
        );
        CREATE TABLE channel_posts (
            chat_id BIGINT NOT NULL,
            doc_id TEXT NOT NULL,
            posted_at TIMESTAMPTZ NOT NULL,
            folded BOOLEAN NOT NULL,
            PRIMARY KEY (chat_id, doc_id)
        );
        CREATE INDEX channel_posts_by_time ON channel_posts (chat_id, posted_at);
        -- Daily digests: each chat's hour (UTC) and the last day whose digest was sent.
        CREATE TABLE daily_digests (
            chat_id BIGINT PRIMARY KEY,
            hour SMALLINT NOT NULL CHECK (hour BETWEEN 0 AND 23),
            last_day DATE NOT NULL
        );
        -- Pages' repeated lines (index/news/stores/postgres_site_lines.py): per page read, the keys
        -- (hashes) of its article lines and short blocks, to learn each site's template.
        CREATE TABLE site_pages (
            site TEXT NOT NULL,
            page TEXT NOT NULL,
            seen_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (site, page)
        );
        CREATE TABLE site_lines (
            site TEXT NOT NULL,
            page TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('line', 'block')),
            key TEXT NOT NULL,
            PRIMARY KEY (site, page, kind, key),
            FOREIGN KEY (site, page) REFERENCES site_pages ON DELETE CASCADE
        );
        CREATE INDEX site_lines_by_key ON site_lines (kind, key);
        """,
    ),
    Migration(
        5,
        "the durable inbox of webhook updates; flood control shared by the workers",
        """
        -- The inbox (bot/state/postgres_delivery.py): each update received in webhook mode,
        -- stored before Telegram gets its 200 and held by one worker at a time until its
        -- lease runs out; `attempt` numbers the claims, so a worker taken over marks nothing.
        CREATE TABLE inbox (
            update_id BIGINT PRIMARY KEY,
            payload JSONB NOT NULL,
            received_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            deliveries INTEGER NOT NULL DEFAULT 1,
            worker TEXT,
            attempt INTEGER NOT NULL DEFAULT 1,
            lease_until TIMESTAMPTZ NOT NULL,
            reply_started_at TIMESTAMPTZ,
            done_at TIMESTAMPTZ
        );
        CREATE INDEX inbox_open ON inbox (lease_until) WHERE done_at IS NULL;
        CREATE INDEX inbox_by_age ON inbox (received_at);
        -- Flood control: per scope (the bot, a group) the send times booked, oldest first,
        -- as seconds since the epoch by the database's clock.
        CREATE TABLE flood_slots (
            scope TEXT PRIMARY KEY,
            booked DOUBLE PRECISION[] NOT NULL DEFAULT '{}',
            paused_until DOUBLE PRECISION NOT NULL DEFAULT 0
        );
        """,
    ),
    Migration(
        6,
        "issue 25: a daily digest's time zone",
        """
        -- A chat's digest comes at its hour in the IANA zone it chose (`/digest 8
        -- Europe/Berlin`); `last_day` is then that zone's date. Rows from before are UTC's.
        ALTER TABLE daily_digests ADD COLUMN zone TEXT NOT NULL DEFAULT 'UTC';
        """,
    ),
)
