"""How long a feed sync takes: 100 new articles, then nothing new (304), then one new item.

    python -m benchmarks.feed_sync [--articles 100]

A local HTTP server (the tests' one) serves a feed whose items each link to an article
page of about 2,500 characters, read as a link would be (robots.txt, the page, trafilatura)
and embedded by the real model. The figures are in docs/news.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from index.engine import Engine
from index.news.desk import News
from qabot.config import load_config
from tests.support.news_server import NewsServer, Route, article_page, news_server, rss

PARAGRAPH = (
    "The harbour authority of town {n} said on Monday that the new breakwater, begun "
    "three years ago, will be finished in the spring. Engineers placed {n} concrete "
    "blocks this winter, and the fishing fleet will be able to shelter behind it during "
    "the autumn storms that closed the port for eleven days last year."
)


def serve(server: NewsServer, count: int) -> list[dict[str, str]]:
    items = []
    for n in range(count):
        path = f"/news/{n}"
        paragraphs = [PARAGRAPH.format(n=n)] * 3 + [f"Story {n} ends here, said the mayor."]
        day = f"2023-01-{1 + n % 28:02d}"
        server.routes[path] = Route(
            article_page(f"Breakwater {n} nearly done", paragraphs, date=day)
        )
        items.append(
            {
                "title": f"Breakwater {n} nearly done",
                "link": server.url(path),
                "guid": f"story-{n}",
                "description": "A short summary.",
            }
        )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100)
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory() as folder, news_server() as server:
        settings = config.engine_settings(Path(folder) / "index").with_changes(
            index={"default_corpus": None}, fetch={"allow_private_hosts": True}
        )
        engine = Engine(settings, seed_default_corpus=False)
        engine.warm_up()
        news = News(engine, settings)
        items = serve(server, args.articles)
        server.routes["/feed.xml"] = Route(rss("Bench", items), "application/rss+xml")
        news.add_feed(server.url("/feed.xml"))
        for label in ("new articles", "unchanged (304)"):
            started = time.perf_counter()
            [result] = news.sync(due_only=False)
            print(f"{label}: {len(result.new)} new in {time.perf_counter() - started:.1f} s")
        items.insert(0, serve(server, args.articles + 1)[-1])
        server.routes["/feed.xml"] = Route(rss("Bench", items), "application/rss+xml")
        started = time.perf_counter()
        [result] = news.sync(due_only=False)
        print(f"one new item: {len(result.new)} new in {time.perf_counter() - started:.1f} s")
        news.close()
        engine.close()


if __name__ == "__main__":
    main()
