"""Reading RSS (0.9x, 1.0, 2.0) and Atom feeds into items (OPML lists: index/news/opml.py).

feedparser does the reading; this module bounds what it is given. A feed that declares
XML entities is refused before parsing (entity expansion, "billion laughs", has no use in
a news feed), and only its first `max_items` items are parsed: feedparser took 38 s for a
feed of 100,000 items here and 0.15 s for its first 200, so the rest is cut off before
parsing (feeds list the newest first). Items are told apart by GUID (Atom's id), else
link; two items with one GUID keep the first.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import re
import time
from dataclasses import dataclass
from typing import Any

from index.errors import IngestError

# RSS <item>, Atom <entry>, each with a namespace prefix or not.
_ITEM_START = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(?:item|entry)[\s>/]")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK_END = re.compile(r"(?i)<(?:br|/p|/div|/li|/h[1-6]|/blockquote|/tr)\b[^>]{0,200}>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")


@dataclass(frozen=True)
class FeedItem:
    guid: str
    link: str | None
    title: str
    date: str | None  # published (or updated), YYYY-MM-DD in UTC
    text: str  # the item's own text (content, else summary), markup removed

    @property
    def fingerprint(self) -> str:
        """Changes when the item as the feed shows it changes: new items and changed ones
        are read, the others not even fetched."""
        parts = "\n".join([self.link or "", self.title, self.date or "", self.text])
        return hashlib.sha256(parts.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: list[FeedItem]
    duplicates: int = 0  # items whose GUID an earlier item had: dropped
    cut_off: bool = False  # more than max_items: the rest was not read


def parse_feed(body: bytes, url: str, max_items: int) -> ParsedFeed:
    """The items of a feed; IngestError when it is not one (or is hostile)."""
    import feedparser

    if not body.strip():
        raise IngestError(f"{url} answered with an empty body, not an RSS or Atom feed")
    refuse_entities(body, url)
    body, cut_off = _first_items(body, max_items)
    try:
        # Bytes, never a str: given a string that looks like an address, feedparser fetches it.
        parsed: Any = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=False)
    except Exception as exc:  # feedparser's own failure on odd input is still the feed's fault
        raise IngestError(f"{url} could not be read as a feed ({type(exc).__name__})") from exc
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.get("entries"):
        why = f" ({_short(problem)})" if problem else ""
        raise IngestError(f"{url} is not an RSS or Atom feed{why}")
    if not parsed.get("entries") and _is_malformed(problem):
        raise IngestError(f"{url} is not well-formed XML ({_short(problem)}); no items read")
    items: list[FeedItem] = []
    seen: set[str] = set()
    duplicates = 0
    for entry in parsed.entries[:max_items]:
        item = _item(entry)
        if item is None:
            continue
        if item.guid in seen:
            duplicates += 1
            continue
        seen.add(item.guid)
        items.append(item)
    title = _plain(parsed.get("feed", {}).get("title", "")) or url
    return ParsedFeed(title[:200], items, duplicates, cut_off)


def refuse_entities(body: bytes, name: str) -> None:
    if _ENTITY_DECLARATION.search(body):
        raise IngestError(
            f"{name} declares XML entities, which feeds have no use for and attacks do "
            "(entity expansion); not read"
        )


def _first_items(body: bytes, max_items: int) -> tuple[bytes, bool]:
    """The body up to its (max_items + 1)-th item: feedparser reads a feed cut there
    (it reports the missing end tags and parses the rest leniently)."""
    for number, match in enumerate(_ITEM_START.finditer(body)):
        if number == max_items:
            return body[: match.start()], True
    return body, False


def _item(entry: Any) -> FeedItem | None:
    link = (entry.get("link") or "").strip() or None
    title = _plain(entry.get("title", ""))
    content = entry.get("content") or []
    raw = content[0].get("value", "") if content else entry.get("summary", "")
    text = _plain(raw)
    guid = (entry.get("id") or "").strip() or link
    if guid is None:
        if not (title or text):
            return None
        guid = "sha256:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return FeedItem(guid[:1000], link, title[:500], _date(entry), text)


def _date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            moment = dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
            return moment.date().isoformat()
    return None


def _plain(markup: str) -> str:
    """Text of a feed's HTML (already sanitised by feedparser): blocks apart by a blank
    line, tags dropped, entities decoded."""
    text = _BLOCK_END.sub("\n\n", markup or "")
    text = html.unescape(_TAG.sub("", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _is_malformed(problem: object) -> bool:
    """An XML error (a feed cut short, a bad token): the lenient parse may have lost items.
    With items found it is read anyway, as feed readers do; without, it is refused."""
    import xml.sax

    return isinstance(problem, xml.sax.SAXException)


def _short(problem: object) -> str:
    return str(problem).splitlines()[0][:200] if str(problem) else type(problem).__name__
