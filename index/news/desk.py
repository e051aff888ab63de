"""Following the news: links and feeds read into the engine, and the newest articles.

`News` implements `index.api.NewsDesk` over an `Engine`: fetching and parsing run on the
caller's thread (the bot calls from a worker thread, never its event loop), storing and
embedding on the engine's writer thread. Feed state lives in `feeds.sqlite` beside the
index (index/news/stores/sqlite_feeds.py) unless the composition passes the workers' shared one
(index/news/stores/postgres_feeds.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from index.api import (
    SHARED,
    AddedLink,
    Digest,
    DigestItem,
    DocumentInfo,
    FeedInfo,
    FeedSync,
    LatestArticle,
    Scope,
)
from index.engine import Engine
from index.errors import IngestError, UnknownFeed
from index.ingest.dates import digest_period, parse_iso_date
from index.ingest.documents import Document
from index.ingest.formats.web_page import decode_page
from index.news.cleaning import PageCleaner
from index.news.digest import build_digest, mentions, stories_of
from index.news.discovery import advertised_feeds, no_feed_named
from index.news.feed_parsing import parse_feed
from index.news.fetch import Fetcher, checked_url
from index.news.pages import feed_body, page_kind, read_url
from index.news.stores.sqlite_feeds import FEED_STORE_FILE, FeedRecord, FeedStore, SqliteFeedStore
from index.news.stores.sqlite_site_lines import SiteLines, SqliteSiteLines
from index.news.syncing import FEED_ACCEPT, FeedSyncer, KnownDocuments, info_of
from index.settings import EngineSettings

log = logging.getLogger("qabot.feeds")
DIGEST_LIMIT = 20  # stories a digest lists; the rest are counted


class News:
    def __init__(
        self,
        engine: Engine,
        settings: EngineSettings,
        *,
        fetcher: Fetcher | None = None,
        feed_store: FeedStore | None = None,
        site_lines: SiteLines | None = None,
    ) -> None:
        """`feed_store` and `site_lines` default to feeds.sqlite in the index folder."""
        self._engine = engine
        self._settings = settings
        self._fetcher = fetcher or Fetcher(settings.fetch)
        self._feeds = feed_store or SqliteFeedStore(settings.index.dir / FEED_STORE_FILE)
        self._site_lines = site_lines or SqliteSiteLines(settings.index.dir / FEED_STORE_FILE)
        self._cleaner = PageCleaner(self._site_lines, settings.pages)
        self._syncer = FeedSyncer(
            settings.feeds, self._fetcher, self._feeds, self._add, self._cleaner
        )

    # ----- links -------------------------------------------------------------------------

    def add_url(self, url: str, collection: str = SHARED, keep: int | None = None) -> AddedLink:
        document = self._cleaner.clean(read_url(self._fetcher, url, collection, self._cleaner))
        stored = self._stored(document)
        if stored is not None:
            return AddedLink(stored, already=True)
        [info] = self._add([document])
        dropped = self._bound(collection, keep, info.doc_id) if keep else []
        return AddedLink(info, dropped)

    def _stored(self, document: Document) -> DocumentInfo | None:
        """The stored document this one would replace, when it is the same as read now."""
        for info in self._engine.documents():
            if info.doc_id == document.doc_id:
                same = (info.content_hash, info.title, info.date, info.url) == (
                    document.content_hash,
                    document.title,
                    document.date,
                    document.url,
                )
                return info if same else None
        return None

    def _bound(self, collection: str, keep: int, newest: str) -> list[DocumentInfo]:
        """Forget the collection's oldest documents beyond `keep` (never the one just
        read). The store lists documents in the order they were added."""
        held = [doc for doc in self._engine.documents() if doc.collection == collection]
        excess = len(held) - keep
        if excess <= 0:
            return []
        oldest = [doc.doc_id for doc in held if doc.doc_id != newest][:excess]
        return self._engine.remove_many(oldest)

    # ----- feeds -------------------------------------------------------------------------

    def feeds(self) -> list[FeedInfo]:
        return [info_of(feed) for feed in self._feeds.feeds()]

    def add_feed(self, url: str) -> FeedInfo:
        """Follow the feed at `url`, fetched once now to check that it is a feed; a web
        page's advertised feed (index/news/discovery.py). The feed is remembered where
        permanent redirects lead, so one feed reached by two addresses is followed once."""
        address = str(checked_url(url))
        fetched = self._fetcher.get(address, accept=FEED_ACCEPT)
        if page_kind(fetched) == "html":
            found = advertised_feeds(decode_page(fetched.body, fetched.charset), fetched.url)
            if not found:
                raise IngestError(no_feed_named(fetched.url))
            address = found[0]
            fetched = self._fetcher.get(address, accept=FEED_ACCEPT)
        parsed = parse_feed(feed_body(fetched), address, self._settings.feeds.max_items)
        return info_of(self._feeds.add(fetched.permanent_url or address, parsed.title))

    def remove_feed(self, url_or_id: str) -> FeedInfo:
        """Stop following a feed (by its address or id); its articles stay."""
        feed = self._find(url_or_id)
        self._feeds.remove(feed.feed_id)
        return info_of(feed)

    def sync(self, due_only: bool = True) -> list[FeedSync]:
        """Sync the feeds (those whose next attempt is due, or all), one after another;
        then forget feed articles older than `feeds.keep_days`.

        Each feed is held while it syncs (`FeedStore.claim`): one another sync holds (another
        worker's) is reported busy and left to it; one that became not due meanwhile (the
        other worker has just synced it) is skipped."""
        now = dt.datetime.now(dt.UTC)
        known = KnownDocuments.of(self._engine.documents(), self._feeds.feed_documents())
        results = []
        for listed in self._feeds.feeds():
            if due_only and not _due(listed, now):
                continue
            with self._feeds.claim(listed.feed_id) as feed:
                if feed is None:
                    results.append(FeedSync(feed=info_of(listed), busy=True))
                elif not due_only or _due(feed, now):
                    results.append(self._syncer.sync(feed, known, now))
        self._forget_old(now.date())
        return results

    def _find(self, url_or_id: str) -> FeedRecord:
        wanted = url_or_id.strip()
        for feed in self._feeds.feeds():
            if wanted in (feed.url, str(feed.feed_id)) or wanted.rstrip("/") == feed.url.rstrip(
                "/"
            ):
                return feed
        raise UnknownFeed(f"no followed feed has the address or id {wanted!r}")

    def _forget_old(self, today: dt.date) -> None:
        days = self._settings.feeds.keep_days
        if not days:
            return
        oldest = today - dt.timedelta(days=days)
        from_feeds = self._feeds.feed_documents()
        old = [
            doc.doc_id
            for doc in self._engine.documents()
            if doc.doc_id in from_feeds and (parse_iso_date(doc.date) or today) < oldest
        ]
        if old:
            log.info("forgetting %d feed article(s) older than %d days", len(old), days)
            self._engine.remove_many(old)
            for doc_id in old:
                self._feeds.forget_document(doc_id)

    # ----- the newest articles -----------------------------------------------------------

    def latest(
        self, limit: int = 10, collections: tuple[str, ...] | None = None
    ) -> list[LatestArticle]:
        dated = [
            doc
            for doc in self._engine.documents()
            if parse_iso_date(doc.date) is not None
            and (collections is None or doc.collection in collections)
        ]
        dated.reverse()  # the store lists them oldest added first: on one day, newest first
        dated.sort(key=lambda doc: doc.date or "", reverse=True)
        return [LatestArticle(doc, self.also_reported_by(doc.doc_id)) for doc in dated[:limit]]

    def also_reported_by(self, doc_id: str) -> list[str]:
        """The other feeds that carried the document's story (never its first reporter
        again, under another record or title of the same name)."""
        first, *others = self._feeds.reporting_feeds(doc_id) or [""]
        return [title for title in dict.fromkeys(others) if title != first]

    # ----- digests ----------------------------------------------------------------------

    def digest(
        self,
        start: dt.date | None,
        end: dt.date,
        collections: tuple[str, ...] | None = None,
        limit: int = DIGEST_LIMIT,
    ) -> Digest:
        documents = [
            doc
            for doc in self._engine.documents()
            if collections is None or doc.collection in collections
        ]
        return build_digest(
            documents,
            start,
            end,
            limit=limit,
            reporters=self._feeds.reporting_feeds,
            leads=self._engine.leads,
        )

    def stories(self, doc_ids: Sequence[str]) -> list[DigestItem]:
        wanted = set(doc_ids)
        documents = [doc for doc in self._engine.documents() if doc.doc_id in wanted]
        return stories_of(
            documents, reporters=self._feeds.reporting_feeds, leads=self._engine.leads
        )

    def mentioning(self, doc_ids: Sequence[str], keywords: Sequence[str]) -> set[str]:
        titles = {doc.doc_id: doc.title for doc in self._engine.documents()}
        texts = self._engine.texts([doc_id for doc_id in doc_ids if doc_id in titles])
        return {
            doc_id
            for doc_id, text in texts.items()
            if mentions(f"{titles[doc_id]}\n{text}", keywords)
        }

    def digest_for(self, question: str, scope: Scope | None = None) -> Digest | None:
        scope = scope or Scope()
        today = scope.today or dt.datetime.now(dt.UTC).date()
        period = digest_period(question, today)
        if period is None:
            return None
        return self.digest(period.start, period.end or today, scope.collections)

    def close(self) -> None:
        self._feeds.close()
        self._site_lines.close()

    def _add(self, documents: Sequence[Document]) -> list[DocumentInfo]:
        return self._engine.add_documents(documents)


def _due(feed: FeedRecord, now: dt.datetime) -> bool:
    if feed.next_attempt is None:
        return True
    return dt.datetime.fromisoformat(feed.next_attempt) <= now
