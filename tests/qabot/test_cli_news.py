"""The command line follows the news as an operator would use it: `qabot feeds add`,
`feeds sync` (twice, the feed gaining an item between), `ask --json` with dates and
addresses, `feeds list`, `latest`, `index add URL` beside files, and the refusal of a
private address without `fetch.allow_private_hosts`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from qabot.cli import main
from tests.conftest import PROJECT_ROOT
from tests.support.news_server import NewsServer, Route, news_server, rss
from tests.support.news_support import serve_feed, serve_story

pytestmark = pytest.mark.model  # the command line opens the real engine and model


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


def write_config(folder: Path, *, allow_private: bool) -> Path:
    settings = {
        "index": {"dir": str(folder / "index"), "default_corpus": None},
        "embedding": {"cache_dir": str(PROJECT_ROOT / "data" / "models")},
        "fetch": {"allow_private_hosts": allow_private},
    }
    path = folder / f"config-{allow_private}.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_feeds_add_sync_ask_and_sync_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: NewsServer
) -> None:
    config = str(write_config(tmp_path, allow_private=True))
    items = [serve_story(server, "/news/volcano"), serve_story(server, "/news/bees")]
    feed = serve_feed(server, "/feed.xml", items, "The Test Times")

    code, out, _ = run(capsys, "feeds", "add", feed, "--config", config)
    assert code == 0 and "following 1: The Test Times" in out
    code, out, _ = run(capsys, "feeds", "sync", "--config", config)
    assert code == 0 and out.splitlines()[-1] == "2 new, 0 updated, 0 unchanged, 0 failed"

    code, out, _ = run(
        capsys, "ask", "--json", "Which volcano erupted near Reykjavik?", "--config", config
    )
    answer = json.loads(out)
    assert code == 0 and answer["confident"] and "Fagradalsfjall" in answer["answer"]
    first = answer["passages"][0]
    assert (first["date"], first["url"]) == ("2023-01-29", server.url("/news/volcano"))

    items.insert(0, serve_story(server, "/news/storm"))
    serve_feed(server, "/feed.xml", items, "The Test Times")
    code, out, _ = run(capsys, "feeds", "sync", "--config", config)
    assert code == 0
    assert "The Test Times: 1 new, 0 updated, 2 unchanged" in out
    assert len(server.requests_to("/news/volcano")) == 1  # the old items were not read again

    code, out, _ = run(capsys, "latest", "--config", config)
    assert [line.split("\t")[:2] for line in out.splitlines()] == [
        ["2023-01-31", "Storm floods Lisbon streets"],
        ["2023-01-30", "Honeybees return to London parks"],
        ["2023-01-29", "Volcano erupts near Reykjavik"],
    ]
    code, out, _ = run(capsys, "feeds", "list", "--config", config)
    assert "The Test Times" in out and "3 articles" in out


def test_a_private_address_is_refused_without_the_setting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: NewsServer
) -> None:
    config = str(write_config(tmp_path, allow_private=False))
    feed = serve_feed(server, "/feed.xml", [serve_story(server, "/news/bees")], "Local")
    code, out, err = run(capsys, "feeds", "add", feed, "--config", config)
    assert code == 1 and out == ""
    assert "loopback address" in err and "fetch.allow_private_hosts" in err
    assert server.received == []
    code, _, err = run(capsys, "index", "add", server.url("/news/bees"), "--config", config)
    assert code == 1 and "loopback address" in err


def test_index_add_takes_files_and_links_together(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: NewsServer
) -> None:
    config = str(write_config(tmp_path, allow_private=True))
    serve_story(server, "/news/storm")
    note = tmp_path / "harbour.txt"
    note.write_text("Harbour news\n\nThe new harbour wall in Porto is 800 metres long.\n")
    opml = tmp_path / "subscriptions.opml"
    server.routes["/feed.xml"] = Route(b"<html>not a feed</html>")
    opml.write_text(
        f'<opml version="2.0"><body><outline xmlUrl="{server.url("/feed.xml")}"/></body></opml>'
    )
    code, out, _ = run(
        capsys, "index", "add", str(note), server.url("/news/storm"), "--config", config
    )
    assert code == 0 and "Harbour news" in out and "Storm floods Lisbon streets" in out
    code, out, _ = run(capsys, "index", "list", "--config", config)
    assert out.count("\tshared\t") == 2
    code, _, err = run(capsys, "feeds", "add", str(opml), "--config", config)
    assert code == 1 and "not an RSS or Atom feed" in err


def test_sync_failures_digests_export_and_removal_by_address(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: NewsServer
) -> None:
    config = str(write_config(tmp_path, allow_private=True))
    items = [serve_story(server, path) for path in ("/news/volcano", "/news/bees", "/news/storm")]
    feed = serve_feed(server, "/feed.xml", items, "The Test Times")
    server.routes["/"] = Route(
        f'<html><head><link rel="alternate" type="application/rss+xml" href="{feed}">'
        "</head><body><p>Front page</p></body></html>".encode()
    )
    code, out, _ = run(capsys, "feeds", "add", server.url("/"), "--config", config)
    assert code == 0 and f"following 1: The Test Times ({feed}, the feed" in out
    server.routes["/empty.xml"] = Route(rss("Fine at first", []), "application/rss+xml")
    assert run(capsys, "feeds", "add", server.url("/empty.xml"), "--config", config)[0] == 0
    server.routes["/empty.xml"] = Route(b"", "application/rss+xml")

    code, out, err = run(capsys, "feeds", "sync", "--config", config)
    assert code == 1  # a feed failed; the others were synced and the summary printed
    assert out.splitlines()[-1] == "3 new, 0 updated, 0 unchanged, 1 failed"
    assert (out + err).count("empty body") == 1  # its line, and no second WARNING line
    server.routes["/empty.xml"] = Route(rss("Fine again", []), "application/rss+xml")
    code, out, _ = run(capsys, "feeds", "sync", "--config", config)
    assert code == 0
    assert out.splitlines()[-1] == "0 new, 0 updated, 3 unchanged, 0 failed (1 feed not modified)"

    code, out, _ = run(capsys, "digest", "--since", "2023-01-30", "--config", config)
    assert code == 0 and out.splitlines()[0] == "2 stories since 2023-01-30:"
    assert "2023-01-31\tStorm floods Lisbon streets · The Test Times" in out
    assert "A winter storm flooded streets in central Lisbon" in out
    code, out, _ = run(capsys, "ask", "--json", "What's new?", "--config", config)
    titles = [item["document"]["title"] for item in json.loads(out)["digest"]["items"]]
    assert titles[0] == "Storm floods Lisbon streets" and len(titles) == 3

    code, out, _ = run(capsys, "feeds", "export", "--config", config)
    assert code == 0 and f'xmlUrl="{feed}"' in out and out.startswith("<?xml")

    code, out, _ = run(capsys, "index", "add", server.url("/news/storm"), "--config", config)
    assert code == 0 and out.startswith("already indexed ")
    code, out, _ = run(capsys, "index", "remove", server.url("/news/storm"), "--config", config)
    assert code == 0 and "removed" in out and "Storm floods Lisbon streets" in out
