"""Repeated lines learned and dropped (index/news/cleaning.py over feeds.sqlite's site
lines): a site's template line on its pages, a short line many sites' templates show,
never the page's own text, never more than three quarters of a page."""

from __future__ import annotations

from pathlib import Path

from index.ingest.boilerplate import line_key, page_blocks, without_lines
from index.ingest.documents import Document, make_document
from index.news.cleaning import PageCleaner
from index.news.stores.sqlite_site_lines import SqliteSiteLines
from index.settings import PageSettings

PLACES = ["Porto", "Lisbon", "Faro", "Braga", "Evora", "Coimbra", "Aveiro", "Sines", "Tavira"]


def article(n: int) -> str:
    """A page's own line."""
    return f"The harbour wall in {PLACES[n]} is long, the port authority said on Monday."


def page(url: str, *lines: str) -> Document:
    return make_document(url, url, "Harbour", None, "\n\n".join(lines), source=url, url=url)


def test_lines_keys_ignore_case_years_and_bullets() -> None:
    assert line_key("© 2023 The Times. All rights reserved.") == line_key(
        "  © 2024 the times. all rights reserved"
    )
    assert line_key("• Share this:") == line_key("Share this")
    assert line_key("2023") == "" and line_key("Share this") != line_key("Share that")
    assert line_key("The Dow rose 120 points.") != line_key("The Dow rose 95 points.")


def test_a_site_template_line_and_a_common_short_line_are_dropped(tmp_path: Path) -> None:
    lines = SqliteSiteLines(tmp_path / "feeds.sqlite")
    cleaner = PageCleaner(lines, PageSettings())
    promo = "Subscribe now to our eNATION edition and read every page as it was printed."
    pages = [page(f"https://www.nation.example/{n}", article(n=n), promo) for n in range(3)]
    for document in pages:
        cleaner.learn(document)
    for other in ("a.example", "b.example", "c.example"):
        cleaner.learn(
            page(f"https://{other}/x", "x" * 30),
            page_blocks(
                b"<html><body><div>Advertisement</div><p>Their own text here.</p></body></html>"
            ),
        )
    [first, *_] = [cleaner.clean(document) for document in pages]
    assert first.text == article(n=0) and promo not in first.text
    assert first.content_hash != pages[0].content_hash
    ad = page("https://nation.example/4", article(n=4), "Advertisement", article(n=5))
    assert "Advertisement" not in cleaner.clean(ad).text
    # Two pages are not a template yet; another site's lines are not this one's.
    alone = page("https://other.example/1", article(n=8), promo)
    assert cleaner.clean(alone).text == alone.text
    lines.close()


def test_a_page_keeps_a_quarter_of_its_text_whatever_repeats() -> None:
    text = "\n".join(["Repeated line one here.", "Repeated line two here.", "Own."])
    keys = [line_key("Repeated line one here."), line_key("Repeated line two here.")]
    assert without_lines(text, keys) == (text, 0)
    assert without_lines(text, keys[:1]) == ("Repeated line two here.\nOwn.", 1)


def test_a_site_keeps_its_newest_pages_only(tmp_path: Path) -> None:
    lines = SqliteSiteLines(tmp_path / "feeds.sqlite")
    for n in range(5):
        lines.record("nation.example", f"p{n}", ["k"], [], keep=3)
    assert lines.repeated_on_site("nation.example", "new", ["k"], 3) == {"k"}
    assert lines.repeated_on_site("nation.example", "new", ["k"], 4) == set()
    lines.close()
