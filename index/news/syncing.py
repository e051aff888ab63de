"""One sync of one feed: fetch it (conditionally), read its new or changed items, store them.

An item is read from the feed's own text when that holds an article (at least
`feeds.min_item_chars`), else from its page (when robots.txt allows; the feed's summary
when the page cannot be read). Before anything is stored, an item is matched against the
documents already there, by its link, then by the read document's canonical address and
its text's hash: the same wire story from two feeds is one document, and the second
feed's item only points to it ("also reported by"). A page added by hand (`index add URL`,
/add) that a feed's item links to is no other feed's report: the item is read and replaces
it, so the document takes the feed's date and shows in `latest` and time words. A feed's
new documents are added in one change, so questions see a feed's items arrive together.
A feed that moved for good (301, 308) is followed at its new address from then on.

A feed that fails (network, HTTP status, not a feed, hostile) is retried with backoff:
the sync interval, doubled after each failure in a row, at most MAX_BACKOFF.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.api import SHARED, DocumentInfo, FeedInfo, FeedSync, QabotError
from index.ingest.dates import parse_iso_date
from index.ingest.documents import Document, make_document
from index.news.cleaning import PageCleaner
from index.news.feed_parsing import FeedItem, ParsedFeed, parse_feed
from index.news.fetch import Fetched, Fetcher
from index.news.pages import ACCEPT, feed_body, page_document, url_doc_id
from index.news.stores.sqlite_feeds import FeedRecord, FeedStore
from index.settings import FeedSettings

log = logging.getLogger("qabot.feeds")
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
MAX_BACKOFF = dt.timedelta(hours=24)

AddDocuments = Callable[[Sequence[Document]], list[DocumentInfo]]


@dataclass
class KnownDocuments:
    """The stored documents by address and by text hash, kept current during a sync, and
    which of them some feed brought (the others were added by hand: a feed's item that
    links to one re-dates it instead of being "also reported")."""

    by_url: dict[str, str] = field(default_factory=dict)
    by_hash: dict[str, str] = field(default_factory=dict)
    from_feeds: set[str] = field(default_factory=set)
    infos: dict[str, DocumentInfo] = field(default_factory=dict)

    @classmethod
    def of(
        cls, documents: Sequence[DocumentInfo], from_feeds: set[str] | None = None
    ) -> KnownDocuments:
        known = cls(from_feeds=set(from_feeds or ()))
        for document in documents:
            if document.collection == SHARED:
                known.add(document.doc_id, document.url, document.content_hash)
                known.infos[document.doc_id] = document
        return known

    def add(self, doc_id: str, url: str | None, content_hash: str) -> None:
        if url:
            self.by_url.setdefault(url, doc_id)
        self.by_hash.setdefault(content_hash, doc_id)

    def stored(self, documents: Sequence[DocumentInfo]) -> None:
        """Documents a feed's sync has just stored: feed articles from now on."""
        for document in documents:
            self.infos[document.doc_id] = document
            self.from_feeds.add(document.doc_id)


@dataclass
class _Reading:
    """What a sync of one feed found so far."""

    new: list[Document] = field(default_factory=list)
    updated: list[Document] = field(default_factory=list)
    links: list[tuple[FeedItem, str | None]] = field(default_factory=list)  # item -> doc id
    unchanged: int = 0
    reported: list[str] = field(default_factory=list)  # documents another feed brought first
    skipped: list[str] = field(default_factory=list)


class FeedSyncer:
    def __init__(
        self,
        settings: FeedSettings,
        fetcher: Fetcher,
        store: FeedStore,
        add_documents: AddDocuments,
        cleaner: PageCleaner,
    ) -> None:
        self._settings = settings
        self._fetcher = fetcher
        self._store = store
        self._add_documents = add_documents
        self._cleaner = cleaner

    def sync(self, feed: FeedRecord, known: KnownDocuments, now: dt.datetime) -> FeedSync:
        """Fetch one feed and store what is new in it; never raises for the feed's faults
        (whatever the fetching, parsing or reading of its items raises), only for the
        index's own (storing)."""
        try:
            fetched = self._fetcher.get(
                feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=FEED_ACCEPT
            )
            feed = self._moved(feed, fetched)
            if fetched.not_modified:
                self._synced(feed, feed.title, feed.etag, feed.last_modified, now)
                return FeedSync(
                    feed=info_of(self._current(feed)), unchanged=feed.articles, not_modified=True
                )
            parsed = parse_feed(feed_body(fetched), feed.url, self._settings.max_items)
            reading = self._read_items(feed, parsed, known, now.date())
        except QabotError as error:
            return self._failed(feed, str(error), now)
        except Exception as error:  # a bug or a library's crash on this feed's content
            log.exception("feed %s could not be read", feed.url)
            return self._failed(feed, f"could not be read ({type(error).__name__})", now)
        # Cleaned again now that every page of the sync taught its site's template.
        new = self._store_documents([self._cleaner.clean(d) for d in reading.new])
        updated = self._store_documents([self._cleaner.clean(d) for d in reading.updated])
        known.stored(new + updated)
        for item, doc_id in reading.links:
            self._store.remember(feed.feed_id, item.guid, item.fingerprint, doc_id)
        self._synced(feed, parsed.title, fetched.etag, fetched.last_modified, now)
        if parsed.duplicates:
            reading.skipped.append(f"{parsed.duplicates} item(s) repeat an earlier GUID")
        if parsed.cut_off:
            reading.skipped.append(f"only the first {self._settings.max_items} items were read")
        reported = [known.infos[doc_id] for doc_id in reading.reported if doc_id in known.infos]
        return FeedSync(
            feed=info_of(self._current(feed)),
            new=new,
            updated=updated,
            unchanged=reading.unchanged,
            also_reported=len(reading.reported),
            reported=reported,
            skipped=reading.skipped,
        )

    def _moved(self, feed: FeedRecord, fetched: Fetched) -> FeedRecord:
        """A feed that moved for good (301, 308) is followed at its new address from now
        on, unless another followed feed has that address already."""
        moved_to = fetched.permanent_url
        if not moved_to or moved_to == feed.url:
            return feed
        if not self._store.move(feed.feed_id, moved_to):
            log.info("feed %s moved to %s, which is followed already", feed.url, moved_to)
            return feed
        log.info("feed %s moved to %s", feed.url, moved_to)
        return dataclasses.replace(feed, url=moved_to)

    def _read_items(
        self, feed: FeedRecord, parsed: ParsedFeed, known: KnownDocuments, today: dt.date
    ) -> _Reading:
        reading = _Reading()
        oldest = self._oldest_kept(today)
        for item in parsed.items:
            seen = self._store.item(feed.feed_id, item.guid)
            if seen is not None and seen.fingerprint == item.fingerprint:
                reading.unchanged += 1
                continue
            published = parse_iso_date(item.date)
            if oldest is not None and published is not None and published < oldest:
                reading.links.append((item, None))  # older than kept: seen, not stored
                continue
            linked = known.by_url.get(item.link or "") if seen is None else None
            if linked is not None and linked in known.from_feeds:
                reading.reported.append(linked)
                reading.links.append((item, linked))
                continue
            try:
                document = self._read(item, today)
            except QabotError as error:
                reading.skipped.append(f"{item.title or item.guid}: {error}")
                continue
            except Exception as error:  # a library's crash on this item's page
                log.exception("item %s of %s could not be read", item.guid, feed.url)
                reading.skipped.append(f"{item.title or item.guid}: {type(error).__name__}")
                continue
            document = self._cleaner.clean(document)
            previous = seen.doc_id if seen is not None else None
            twin = previous or linked or _twin(document, known)
            if twin is not None and twin in known.from_feeds and previous is None:
                reading.reported.append(twin)  # the same story, another feed's first
                reading.links.append((item, twin))
                continue
            if twin is not None:  # changed, or added by hand: the feed's item re-dates it
                document = dataclasses.replace(document, doc_id=twin)
                reading.updated.append(document)
            else:
                reading.new.append(document)
            known.add(document.doc_id, document.url, document.content_hash)
            if item.link:
                known.by_url.setdefault(item.link, document.doc_id)
            reading.links.append((item, document.doc_id))
        return reading

    def _read(self, item: FeedItem, today: dt.date) -> Document:
        """The item's article: its own text if long enough, else its page, else its text."""
        date = item.date or today.isoformat()
        name = item.title or item.link or item.guid
        own_text = len(item.text) >= self._settings.min_item_chars or not item.link
        if not own_text and item.link is not None:
            try:
                if not self._fetcher.robots_allow(item.link):
                    raise QabotError("robots.txt asks bots not to read the page")
                fetched = self._fetcher.get(item.link, accept=ACCEPT)
                return page_document(
                    fetched, title=item.title or None, date=date, cleaner=self._cleaner
                )
            except QabotError as error:
                if len(item.text) < 20:
                    raise
                log.info("reading %s from the feed's summary: %s", item.link, error)
        address = item.link or item.guid
        document = make_document(
            name,
            url_doc_id(address),
            item.title,
            date,
            item.text,
            source=address,
            url=item.link,
        )
        self._cleaner.learn(document)
        return document

    def _store_documents(self, documents: list[Document]) -> list[DocumentInfo]:
        if not documents:
            return []
        return self._add_documents(documents)

    def _oldest_kept(self, today: dt.date) -> dt.date | None:
        days = self._settings.keep_days
        return today - dt.timedelta(days=days) if days else None

    def _synced(
        self,
        feed: FeedRecord,
        title: str,
        etag: str | None,
        last_modified: str | None,
        now: dt.datetime,
    ) -> None:
        next_attempt = now + self._interval
        self._store.synced(
            feed.feed_id,
            title=title,
            etag=etag,
            last_modified=last_modified,
            next_attempt=next_attempt,
        )

    def _failed(self, feed: FeedRecord, error: str, now: dt.datetime) -> FeedSync:
        """Recorded and returned; logged at INFO only, as the caller reports it (a CLI line,
        the bot's log): one line per failure, not two."""
        backoff = min(self._interval * 2**feed.failures, MAX_BACKOFF)
        log.info("feed %s failed (%d in a row): %s", feed.url, feed.failures + 1, error)
        self._store.failed(feed.feed_id, error, now + backoff)
        return FeedSync(feed=info_of(self._current(feed)), error=error)

    @property
    def _interval(self) -> dt.timedelta:
        return dt.timedelta(minutes=self._settings.interval_minutes)

    def _current(self, feed: FeedRecord) -> FeedRecord:
        return next((f for f in self._store.feeds() if f.feed_id == feed.feed_id), feed)


def _twin(document: Document, known: KnownDocuments) -> str | None:
    """A stored document with this one's canonical address or text."""
    return known.by_url.get(document.url or "") or known.by_hash.get(document.content_hash)


def info_of(feed: FeedRecord) -> FeedInfo:
    return FeedInfo(
        feed_id=feed.feed_id,
        url=feed.url,
        title=feed.title,
        articles=feed.articles,
        last_synced=feed.last_synced,
        last_error=feed.last_error,
        failures=feed.failures,
        next_attempt=feed.next_attempt,
    )
