"""Fetching safely over real HTTP: private addresses refused unless allowed, redirects
bounded and checked, hostile servers ended in bounded time and memory, pages read by what
they are (article, PDF, image), robots.txt respected, and nothing indexed lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import EngineSettings
from index.errors import FetchError, IngestError
from index.news.fetch import Fetcher, check_address
from index.settings import FetchSettings
from tests.support.ingest_samples import text_pdf
from tests.support.news_server import NewsServer, Route, article_page, news_server
from tests.support.news_support import NewsDesk, news_desk, serve_story

pytest_plugins = ("tests.support.engine_fixtures",)


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


@pytest.fixture
def desk(base_settings: EngineSettings, tmp_path: Path) -> Iterator[NewsDesk]:
    with news_desk(base_settings, tmp_path / "index", fetch={"timeout_seconds": 3}) as opened:
        yield opened


def local_fetcher(**settings: object) -> Fetcher:
    return Fetcher(FetchSettings.model_validate({"allow_private_hosts": True, **settings}))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata address
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
    ],
)
def test_non_public_addresses_are_refused_and_say_why(address: str, kind: str) -> None:
    with pytest.raises(FetchError, match=f"is an? {kind} address") as refused:
        check_address("news.example", address, allow_private=False)
    assert "fetch.allow_private_hosts" in str(refused.value)
    check_address("news.example", address, allow_private=True)  # the operator's choice


def test_public_addresses_pass() -> None:
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"):
        check_address("news.example", address, allow_private=False)


def test_a_local_server_is_refused_before_any_request(server: NewsServer) -> None:
    serve_story(server, "/news/volcano")
    fetcher = Fetcher(FetchSettings())
    for url in (server.url("/news/volcano"), f"http://localhost:{server.port}/news/volcano"):
        with pytest.raises(FetchError, match="loopback address"):
            fetcher.get(url)
    assert server.received == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/file", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("example.com/news", "only http and https"),
        ("http://", "names no host"),
    ],
)
def test_only_http_and_https_addresses(url: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason):
        Fetcher(FetchSettings()).get(url)


def test_redirects_are_followed_checked_and_bounded(server: NewsServer) -> None:
    serve_story(server, "/news/bees")
    server.routes["/short"] = Route(status=301, location="/news/bees")
    server.routes["/loop"] = Route(status=302, location="/loop")
    server.routes["/to-ftp"] = Route(status=302, location="ftp://127.0.0.1/secret")
    chain = [f"/hop{n}" for n in range(7)]
    for here, there in zip(chain, [*chain[1:], "/news/bees"], strict=True):
        server.routes[here] = Route(status=307, location=there)
    fetcher = local_fetcher()
    assert fetcher.get(server.url("/short")).url == server.url("/news/bees")
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        fetcher.get(server.url("/loop"))
    assert len(server.requests_to("/loop")) == 6
    with pytest.raises(FetchError, match="only http and https"):
        fetcher.get(server.url("/to-ftp"))
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        fetcher.get(server.url("/hop0"))
    assert fetcher.get(server.url("/hop2")).status == 200  # five redirects are fine


def test_a_server_that_drips_is_cut_off_at_the_deadline(server: NewsServer) -> None:
    server.routes["/drip"] = Route(b"<html>" + b"x" * 100, drip_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match="more than 2 s"):
        local_fetcher(timeout_seconds=2).get(server.url("/drip"))
    assert time.monotonic() - started < 4


def test_a_1_gb_body_is_refused_without_reading_it(server: NewsServer) -> None:
    server.routes["/huge"] = Route(b"<html>", endless_bytes=1 << 30)
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 10,000,000 bytes"):
        local_fetcher().get(server.url("/huge"))
    assert time.monotonic() - started < 5


def test_a_body_longer_than_announced_is_cut_at_the_limit(server: NewsServer) -> None:
    server.routes["/endless"] = Route(b"<html>", endless_bytes=1 << 30, length_header=False)
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 100,000 bytes"):
        local_fetcher(max_bytes=100_000).get(server.url("/endless"))
    assert time.monotonic() - started < 5


def test_conditional_get_gets_304_without_a_body(server: NewsServer) -> None:
    serve_story(server, "/news/storm")
    fetcher = local_fetcher()
    first = fetcher.get(server.url("/news/storm"))
    again = fetcher.get(server.url("/news/storm"), etag=first.etag)
    assert again.not_modified and again.body == b""
    assert server.received[-1].headers["if-none-match"] == first.etag
    assert server.received[-1].body_bytes == 0
    assert "qabot" in server.received[-1].headers["user-agent"]


def test_a_link_is_read_with_its_title_date_author_and_canonical_address(
    desk: NewsDesk, server: NewsServer
) -> None:
    canonical = server.url("/news/storm")
    server.routes["/news/storm?utm_source=chat"] = Route(
        article_page(
            "Storm floods Lisbon streets",
            ["A winter storm flooded streets in central Lisbon on Tuesday."],
            date="2023-01-31",
            canonical=canonical,
        )
    )
    added = desk.news.add_url(server.url("/news/storm?utm_source=chat"))
    document = added.document
    assert (document.title, document.date, document.url) == (
        "Storm floods Lisbon streets",
        "2023-01-31",
        canonical,
    )
    byline = desk.engine.answer("Jane Reporter storm Lisbon").passages
    assert any("By Jane Reporter." in passage.text for passage in byline)  # the author


def test_a_pdf_link_is_read_as_a_pdf(desk: NewsDesk, server: NewsServer) -> None:
    pdf = text_pdf([["Harbour report", "The new harbour wall in Porto is 800 metres long."]])
    server.routes["/report.pdf"] = Route(pdf, content_type="application/pdf")
    document = desk.news.add_url(server.url("/report.pdf")).document
    assert document.url == server.url("/report.pdf")
    assert "800 metres" in desk.engine.answer("How long is the harbour wall in Porto?").text


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="image/png"), "is an image"),
        (Route(b"GIF89a" + b"\x00" * 50, content_type="application/octet-stream"), "is an image"),
        (Route(b"\x00\x01binary", content_type="application/zip"), "not a web page, a PDF"),
        (Route(b"<rss version='2.0'><channel></channel></rss>", "application/rss+xml"), "feed"),
        (Route(b"<html><head><script>x()</script></head></html>"), "no article text"),
        (Route(b"gone", status=404), "HTTP 404"),
        (Route(b"oops", status=500), "HTTP 500"),
    ],
)
def test_what_is_not_an_article_is_refused_and_nothing_is_lost(
    desk: NewsDesk, server: NewsServer, route: Route, reason: str
) -> None:
    serve_story(server, "/news/bees")
    kept = desk.news.add_url(server.url("/news/bees")).document
    server.routes["/bad"] = route
    with pytest.raises((FetchError, IngestError), match=reason):
        desk.news.add_url(server.url("/bad"))
    assert [d.doc_id for d in desk.engine.documents()] == [kept.doc_id]
    assert desk.engine.answer("How much did honeybee colonies in London grow?").confident


def test_a_page_in_an_invalid_encoding_is_still_read(desk: NewsDesk, server: NewsServer) -> None:
    page = article_page(
        "Café reopens in Coimbra",
        ["The café on Rua Ferreira Borges reopened after a year of repairs to its roof."],
        date="2023-01-28",
    ).replace(b"caf\xc3\xa9", b"caf\xe9")  # Latin-1 bytes in a page declared UTF-8
    server.routes["/cafe"] = Route(page, content_type="text/html; charset=utf-8")
    document = desk.news.add_url(server.url("/cafe")).document
    assert document.date == "2023-01-28"
    assert "reopened" in desk.engine.answer("What reopened on Rua Ferreira Borges?").text


def test_robots_txt_is_respected_for_article_pages(desk: NewsDesk, server: NewsServer) -> None:
    serve_story(server, "/news/volcano")
    server.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /news/\n", content_type="text/plain"
    )
    with pytest.raises(FetchError, match=r"robots\.txt"):
        desk.news.add_url(server.url("/news/volcano"))
    assert server.requests_to("/news/volcano") == []


def test_a_chat_collection_keeps_its_newest_links(
    base_settings: EngineSettings, tmp_path: Path, server: NewsServer
) -> None:
    with news_desk(base_settings, tmp_path / "index") as limited:
        for path in ("/news/volcano", "/news/bees", "/news/storm"):
            serve_story(server, path)
        first = limited.news.add_url(server.url("/news/volcano"), "chat:9", keep=2)
        second = limited.news.add_url(server.url("/news/bees"), "chat:9", keep=2)
        assert first.dropped == [] and second.dropped == []
        third = limited.news.add_url(server.url("/news/storm"), "chat:9", keep=2)
        assert [d.doc_id for d in third.dropped] == [first.document.doc_id]
        held = [d.title for d in limited.engine.documents() if d.collection == "chat:9"]
        assert held == ["Honeybees return to London parks", "Storm floods Lisbon streets"]
