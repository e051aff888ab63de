"""Clean pages: how much article text is kept and how much clutter indexed, beside
trafilatura.extract on the same pages in the same run.

    python -m benchmarks.clean_pages [--pages ../shared/data/web-pages] [--questions]

The set is 200 real pages from trafilatura's benchmark (`cases.json`: for each page the
snippets that belong to its article, `with`, and the clutter that must not come back,
`without`). A snippet is kept when it occurs in the page's text (whitespace-normalised,
as trafilatura's own evaluation reads it). Rows:

- `trafilatura.extract`: its defaults, the baseline;
- qabot's extraction alone, in trafilatura's balanced mode with the widgets the page's
  markup names pruned (shipped: index/ingest/formats/page_clutter.py), without that
  pruning (before), and in `favor_recall` (what qabot used before that);
- the same, then cleaned: every page's lines and short blocks learned first (as a feed
  sync learns from all its pages before cleaning any), then each page cleaned
  (index/news/cleaning.py: lines repeated on the site's other pages, short lines many
  other sites' templates show). Nothing is learned from a page about itself.

With --questions each article snippet is also asked as a question of an index holding
every page's text (the real model; the span reader off, it does not move passages), and
a hit is a passage among the answer's holding the snippet. Figures: docs/news.md. The
pages are read from shared/ and never copied into the project.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import IngestError
from index.ingest.boilerplate import page_blocks
from index.ingest.documents import Document, make_document
from index.ingest.formats.web_page import parse_html_page
from index.news.cleaning import PageCleaner
from index.news.pages import url_doc_id
from index.news.stores.sqlite_site_lines import SqliteSiteLines
from index.settings import PageSettings
from qabot.config import PROJECT_ROOT, load_config

DEFAULT_PAGES = PROJECT_ROOT.parent / "shared" / "data" / "web-pages"


@dataclass(frozen=True)
class Case:
    url: str
    html: bytes
    article: list[str]  # `with`
    clutter: list[str]  # `without`


@dataclass(frozen=True)
class Row:
    name: str
    texts: list[str]
    seconds: float

    def kept(self, cases: Sequence[Case]) -> tuple[int, int]:
        return _count(cases, self.texts, lambda case: case.article)

    def clutter(self, cases: Sequence[Case]) -> tuple[int, int]:
        return _count(cases, self.texts, lambda case: case.clutter)


def load_cases(folder: Path) -> list[Case]:
    listed = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    return [
        Case(
            item["url"], (folder / "www" / item["page"]).read_bytes(), item["with"], item["without"]
        )
        for item in listed
    ]


def normalised(text: str) -> str:
    return " ".join(text.split())


def _count(
    cases: Sequence[Case], texts: Sequence[str], snippets: Callable[[Case], list[str]]
) -> tuple[int, int]:
    found = total = 0
    for case, text in zip(cases, texts, strict=True):
        flat = normalised(text)
        found += sum(normalised(snippet) in flat for snippet in snippets(case))
        total += len(snippets(case))
    return found, total


def trafilatura_row(cases: Sequence[Case]) -> Row:
    import trafilatura

    started = time.perf_counter()
    texts = [trafilatura.extract(case.html, url=case.url) or "" for case in cases]
    return Row("trafilatura.extract (defaults)", texts, time.perf_counter() - started)


def documents_of(
    cases: Sequence[Case], *, favor_recall: bool, prune_clutter: bool
) -> list[Document | None]:
    found: list[Document | None] = []
    for number, case in enumerate(cases):
        try:
            page = parse_html_page(
                f"p{number}",
                case.html,
                case.url,
                favor_recall=favor_recall,
                prune_clutter=prune_clutter,
            )
            found.append(
                make_document(
                    f"p{number}",
                    url_doc_id(case.url),
                    page.title,
                    page.date,
                    page.text,
                    source=case.url,
                    url=case.url,
                )
            )
        except IngestError:
            found.append(None)
    return found


def cleaned(cases: Sequence[Case], documents: Sequence[Document | None]) -> list[Document | None]:
    """Every page learned, then each cleaned, as one feed sync does."""
    with tempfile.TemporaryDirectory() as folder:
        lines = SqliteSiteLines(Path(folder) / "lines.sqlite")
        cleaner = PageCleaner(lines, PageSettings(pages_kept_per_site=1000))
        for case, document in zip(cases, documents, strict=True):
            if document is not None:
                cleaner.learn(document, page_blocks(case.html))
        result = [None if d is None else cleaner.clean(d) for d in documents]
        lines.close()
    return result


def ours(cases: Sequence[Case]) -> list[tuple[Row, list[Document | None]]]:
    rows = []
    for favor_recall, prune_clutter, label in (
        (False, True, "balanced, widgets pruned, shipped"),
        (False, False, "balanced, before"),
        (True, False, "favor_recall, before that"),
    ):
        started = time.perf_counter()
        documents = documents_of(cases, favor_recall=favor_recall, prune_clutter=prune_clutter)
        extracted = time.perf_counter() - started
        rows.append((Row(f"qabot extraction ({label})", _texts(documents), extracted), documents))
        started = time.perf_counter()
        clean = cleaned(cases, documents)
        seconds = extracted + time.perf_counter() - started
        rows.append((Row(f"  + repeated lines dropped ({label})", _texts(clean), seconds), clean))
    return rows


def _texts(documents: Sequence[Document | None]) -> list[str]:
    return ["" if document is None else document.text for document in documents]


def passage_hits(
    cases: Sequence[Case], documents: Sequence[Document | None]
) -> tuple[int, int, int]:
    """Article snippets asked as questions: (hit@1, hit@5, asked)."""
    from index.engine import Engine

    config = load_config()
    stored = [d for d in documents if d is not None]
    with tempfile.TemporaryDirectory() as folder:
        settings = config.engine_settings(Path(folder) / "index").with_changes(
            index={"default_corpus": None}, answer={"reader": False}
        )
        engine = Engine(settings, seed_default_corpus=False)
        try:
            engine.add_documents(stored)
            first = top = asked = 0
            for case in cases:
                for snippet in case.article:
                    passages = engine.answer(snippet).passages
                    held = [normalised(snippet) in normalised(p.text) for p in passages[:5]]
                    first += bool(held[:1] and held[0])
                    top += any(held)
                    asked += 1
        finally:
            engine.close()
    return first, top, asked


def as_documents(cases: Sequence[Case], texts: Sequence[str]) -> list[Document | None]:
    found: list[Document | None] = []
    for number, (case, text) in enumerate(zip(cases, texts, strict=True)):
        try:
            found.append(
                make_document(f"p{number}", url_doc_id(case.url), None, None, text, source=case.url)
            )
        except IngestError:
            found.append(None)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--questions", action="store_true", help="also ask each snippet")
    args = parser.parse_args()
    cases = load_cases(args.pages)
    sites = {urllib.parse.urlsplit(case.url).hostname for case in cases}
    print(f"{len(cases)} pages from {len(sites)} sites")
    baseline = trafilatura_row(cases)
    rows = [(baseline, as_documents(cases, baseline.texts)), *ours(cases)]
    print("\n| | article snippets kept | clutter snippets indexed | seconds |")
    print("|---|---|---|---|")
    for row, _ in rows:
        kept, total = row.kept(cases)
        clutter, clutter_total = row.clutter(cases)
        print(
            f"| {row.name} | {kept}/{total} ({kept / total:.1%}) | "
            f"{clutter}/{clutter_total} ({clutter / clutter_total:.1%}) | {row.seconds:.1f} |"
        )
    if args.questions:
        print("\n| | passage hit@1 | passage hit@5 |")
        print("|---|---|---|")
        for row, documents in (rows[0], rows[2]):
            first, top, asked = passage_hits(cases, documents)
            print(f"| {row.name.strip()} | {first / asked:.1%} | {top / asked:.1%} |")


if __name__ == "__main__":
    main()
