"""OPML, the file feed readers exchange their subscriptions in: read (`qabot feeds add
subscriptions.opml`) and written (`qabot feeds export > subscriptions.opml`)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence

from index.api import FeedInfo
from index.errors import IngestError
from index.news.feed_parsing import refuse_entities


def opml_feed_urls(data: bytes, name: str) -> list[str]:
    """The feed addresses (xmlUrl) an OPML file lists, in order, each once."""
    refuse_entities(data, name)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise IngestError(f"{name} is not a readable OPML file ({exc})") from exc
    urls = [
        outline.get("xmlUrl", "").strip()
        for outline in root.iter("outline")
        if outline.get("xmlUrl", "").strip()
    ]
    if not urls:
        raise IngestError(f"{name} lists no feeds (no outline with an xmlUrl)")
    return list(dict.fromkeys(urls))


def feeds_opml(feeds: Sequence[FeedInfo], now: dt.datetime | None = None) -> bytes:
    """An OPML 2.0 document listing `feeds`, as feed readers import it."""
    opml = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(opml, "head")
    ElementTree.SubElement(head, "title").text = "qabot subscriptions"
    moment = now or dt.datetime.now(dt.UTC)
    ElementTree.SubElement(head, "dateCreated").text = moment.strftime("%a, %d %b %Y %H:%M:%S %z")
    body = ElementTree.SubElement(opml, "body")
    for feed in feeds:
        ElementTree.SubElement(
            body, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url
        )
    ElementTree.indent(opml)
    return ElementTree.tostring(opml, encoding="utf-8", xml_declaration=True) + b"\n"
