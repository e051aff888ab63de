"""The `qabot` command line: index documents, ask questions, chat, evaluate, serve the bot.

Heavy libraries are imported inside commands so `qabot --help` answers instantly.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from bot import messages
from qabot.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from index import Answer, Engine
    from index.api import FeedInfo, FeedSync, NewsDesk
    from qabot.factory import Backends

EMPTY_QUESTION_STATUS = 2  # like any other usage error: the message is on stderr
CHAT_GREETING = (
    "Ask about the articles; follow-up questions are understood. Empty line or Ctrl-D quits."
)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(getattr(args, "config", None))
        return int(args.handler(args, config))
    except BrokenPipeError:  # e.g. `qabot ask --json - | head`
        sys.stderr.close()
        return 0
    except ConfigError as exc:
        print(f"qabot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from index import QabotError

        if isinstance(exc, QabotError):
            print(f"qabot: {exc}", file=sys.stderr)
            return 1
        raise


def _parser() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command is not reset by the command's parser.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--config", type=Path, help="config file (default: config.yaml)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    with_index = argparse.ArgumentParser(add_help=False)
    with_index.add_argument("--index", type=Path, default=None, help="index folder to use")

    parser = argparse.ArgumentParser(
        prog="qabot",
        parents=[common],
        description="Answer questions about articles with the passages that answer them.",
        epilog=_examples("qabot"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            parents=[common, *parents],
            help=help,
            epilog=_examples(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    ask = command("ask", "answer one question", with_index)
    ask.add_argument("question", help='the question, or "-" to read one question per line')
    ask.add_argument("--json", action="store_true", help="print JSON (one line per question)")
    ask.set_defaults(handler=_ask)

    chat = command("chat", "interactive questions with follow-ups", with_index)
    chat.set_defaults(handler=_chat)

    index = command("index", "manage indexed documents")
    actions = index.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        return actions.add_parser(
            name,
            parents=[common, with_index],
            help=help,
            epilog=_examples(f"index {name}"),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    add = action("add", "add files, folders or web addresses")
    add.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    add.add_argument(
        "--with-default-corpus",
        action="store_true",
        help="also put the shipped articles (index.default_corpus) into an empty index",
    )
    add.set_defaults(handler=_index_add)
    action("list", "list documents").set_defaults(handler=_index_list)
    remove = action("remove", "remove a document")
    remove.add_argument("doc_id")
    remove.set_defaults(handler=_index_remove)
    action("rebuild", "re-embed everything").set_defaults(handler=_index_rebuild)
    action("check", "read the whole store; repair damage").set_defaults(handler=_index_check)

    evaluate = command("eval", "measure answer quality")
    evaluate.add_argument("questions", type=Path, help="questions.jsonl")
    evaluate.add_argument("--corpus", type=Path, required=True, help="folder of articles")
    evaluate.add_argument(
        "--limit", type=int, default=None, help="an evenly spread sample of N questions"
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_eval)

    report = command("report", "what people asked, what was refused, their votes")
    report.add_argument(
        "--days", type=_positive, default=14, help="how many days back (default 14)"
    )
    report.add_argument("--png", type=Path, default=None, help="also write the chart to FILE")
    report.set_defaults(handler=_report)

    feeds = command("feeds", "follow RSS and Atom feeds")
    feed_actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")

    def feed_action(name: str, help: str) -> argparse.ArgumentParser:
        return feed_actions.add_parser(
            name,
            parents=[common, with_index],
            help=help,
            epilog=_examples(f"feeds {name}"),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    feed_add = feed_action("add", "follow feeds (addresses, or OPML files listing them)")
    feed_add.add_argument("feeds", nargs="+", metavar="URL_OR_OPML")
    feed_add.set_defaults(handler=_feeds_add)
    feed_action("list", "the feeds followed, with their last errors").set_defaults(
        handler=_feeds_list
    )
    feed_remove = feed_action("remove", "stop following a feed (its articles stay)")
    feed_remove.add_argument("feed", metavar="URL_OR_ID")
    feed_remove.set_defaults(handler=_feeds_remove)
    feed_action("sync", "read every feed once, then exit").set_defaults(handler=_feeds_sync)

    latest = command("latest", "the newest articles, with their dates", with_index)
    latest.add_argument("--limit", type=_positive, default=10, help="how many (default 10)")
    latest.set_defaults(handler=_latest)

    command("serve", "run the Telegram bot").set_defaults(handler=_serve)

    database = command("db", "the PostgreSQL database of state.backend: postgres")
    db_actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    db_actions.add_parser(
        "upgrade",
        parents=[common],
        help="create or migrate its tables",
        epilog=_examples("db upgrade"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).set_defaults(handler=_db_upgrade)
    return parser


EXAMPLES = {
    "qabot": [
        'qabot ask "what charges does Gutierrez Reed face"',
        "qabot index add articles/ --index data/news",
        "qabot serve --config /etc/qabot/config.yaml",
    ],
    "ask": [
        'qabot ask "what charges does Gutierrez Reed face"',
        'qabot ask --json "how long could Baldwin go to jail"',
        "qabot ask --json - < questions.txt",
    ],
    "chat": ["qabot chat", "qabot chat --index data/news"],
    "index": ["qabot index add articles/", "qabot index list", "qabot index remove DOC_ID"],
    "index add": [
        "qabot index add article.pdf notes.md",
        "qabot index add https://example.com/news/story.html",
        "qabot index add mine.txt --with-default-corpus",
    ],
    "index list": ["qabot index list", "qabot index list --index data/news"],
    "index remove": [
        "qabot index list   # the first column is the DOC_ID",
        "qabot index remove DOC_ID",
    ],
    "index rebuild": ["qabot index rebuild", "qabot index rebuild --index data/news"],
    "index check": ["qabot index check", "qabot index check --index data/news || echo repaired"],
    "eval": [
        "qabot eval questions.jsonl --corpus articles/",
        "qabot eval questions.jsonl --corpus articles/ --limit 200 --json",
    ],
    "feeds": ["qabot feeds add https://example.com/rss.xml", "qabot feeds sync"],
    "feeds add": [
        "qabot feeds add https://example.com/rss.xml",
        "qabot feeds add subscriptions.opml",
    ],
    "feeds list": ["qabot feeds list", "qabot feeds list --index data/news"],
    "feeds remove": [
        "qabot feeds list   # the first column is the ID",
        "qabot feeds remove 3",
        "qabot feeds remove https://example.com/rss.xml",
    ],
    "feeds sync": ["qabot feeds sync", "qabot feeds sync --config /etc/qabot/config.yaml"],
    "latest": ["qabot latest", "qabot latest --limit 30"],
    "report": ["qabot report", "qabot report --days 30", "qabot report --png stats.png"],
    "serve": [
        "TELEGRAM_BOT_TOKEN=123456:ABC... qabot serve",
        "qabot serve --config /etc/qabot/config.yaml -v",
    ],
    "db": ["QABOT_DATABASE_URL=postgresql://qabot@db/qabot qabot db upgrade --config prod.yaml"],
    "db upgrade": [
        "QABOT_DATABASE_URL=postgresql://qabot@db/qabot qabot db upgrade --config prod.yaml"
    ],
}


def _examples(command: str) -> str:
    """The end of a command's --help (RawDescriptionHelpFormatter keeps the lines as written)."""
    return "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[command])


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qabot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


@contextmanager
def _engine(
    args: argparse.Namespace, config: Config, *, seed_default_corpus: bool = False
) -> Iterator[Engine]:
    """The engine of `--index` (or the configured one), closed when the command ends.

    The shipped articles go into an empty index only for commands that ask questions (or
    when asked): `index add FILE --index NEW` holds FILE alone.
    """
    with _backends_and_engine(args, config, seed_default_corpus) as (_, engine):
        yield engine


@contextmanager
def _backends_and_engine(
    args: argparse.Namespace, config: Config, seed_default_corpus: bool
) -> Iterator[tuple[Backends, Engine]]:
    """`_engine`, with the backends it was opened over."""
    from qabot.factory import Backends, open_engine

    index_dir = args.index.resolve() if getattr(args, "index", None) else None
    backends = Backends.open(config)
    try:
        engine = open_engine(
            config, index_dir, backends=backends, seed_default_corpus=seed_default_corpus
        )
        try:
            yield backends, engine
        finally:
            engine.close()
    finally:
        backends.close()


def _ask(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config, seed_default_corpus=True) as engine:
        if not args.question.strip():
            print(_ask_me(engine), file=sys.stderr)
            return EMPTY_QUESTION_STATUS
        if args.question == "-":
            for line in sys.stdin:
                if line.strip():
                    _print_answer(engine.answer(line.strip()), as_json=args.json)
                    sys.stdout.flush()
        else:
            _print_answer(engine.answer(args.question), as_json=args.json)
    return 0


def _chat(args: argparse.Namespace, config: Config) -> int:
    from index import Turn

    history: list[Turn] = []
    with _engine(args, config, seed_default_corpus=True) as engine:
        print(CHAT_GREETING)
        while True:
            try:
                question = input("you> ").strip()
            except EOFError:
                break
            if not question:
                break
            answer = engine.answer(question, history[-config.engine.answer.conversation_turns :])
            _print_answer(answer, as_json=False, passages=1)
            if answer.confident:
                history.append(Turn(question, answer.text))
    return 0


def _ask_me(engine: Engine) -> str:
    return messages.ask_me([document.title for document in engine.documents() if document.title])


def _print_answer(answer: Answer, as_json: bool, passages: int = 3) -> None:
    text = answer.text if answer.confident else messages.NOT_FOUND
    if as_json:
        payload = {
            "question": answer.question,
            "answer": text,
            "direct": answer.direct,
            "confident": answer.confident,
            "score": round(answer.score, 4),
            "topics": answer.topics,
            "closest": asdict(answer.closest) if answer.closest else None,
            "passages": [asdict(p) for p in answer.passages],
        }
        print(json.dumps(payload, ensure_ascii=False))
        return
    if answer.direct:
        print(_bold(answer.direct))
    print(text)
    if not answer.confident and answer.topics:
        print(f"{messages.TOPICS_INTRO} " + "; ".join(answer.topics))
    shown = answer.passages[:passages] if answer.confident else []
    if answer.closest is not None:
        print(f"\n{messages.CLOSEST}")
        shown = [answer.closest]
    for rank, passage in enumerate(shown, 1):
        dated = f", {passage.date}" if passage.date else ""
        print(f"\n[{rank}] {passage.title}{dated} ({passage.source})")
        print("    " + passage.text.replace("\n", "\n    "))


def _bold(text: str) -> str:
    """Bold on a terminal; plain where the output is read by a program or a file."""
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text


def _index_add(args: argparse.Namespace, config: Config) -> int:
    """Files and folders first (parsed together), then each web address."""
    urls = [item for item in args.paths if _is_url(item)]
    paths = [Path(item) for item in args.paths if not _is_url(item)]
    with _news(args, config, seed_default_corpus=args.with_default_corpus) as (engine, news):
        added = engine.add_paths(paths, progress=True) if paths else []
        for url in urls:
            added.append(news.add_url(url).document)
    for info in added:
        print(f"added {info.doc_id}: {info.title} ({info.chunks} chunks)")
    return 0


def _is_url(item: str) -> bool:
    return "://" in item


def _index_list(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
        documents = engine.documents()
        stats = engine.stats()
    for info in documents:
        dated = f" {info.date}" if info.date else ""
        print(
            f"{info.doc_id}\t{info.chunks} chunks{dated}\t{info.collection}\t{info.title}"
            f"\t{info.source}"
        )
    print(f"{stats.documents} documents, {stats.chunks} chunks, {stats.bytes_on_disk / 1e6:.1f} MB")
    return 0


def _index_remove(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
        info = engine.remove(args.doc_id)
    print(f"removed {info.doc_id}: {info.title}")
    return 0


def _index_rebuild(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
        stats = engine.rebuild(progress=True)
    print(f"rebuilt: {stats.documents} documents, {stats.chunks} chunks")
    return 0


def _index_check(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
        sound = engine.check()
        stats = engine.stats()
    summary = f"{stats.documents} documents, {stats.chunks} chunks"
    if sound:
        print(f"the index is sound: {summary}")
        return 0
    print(f"the index was damaged and is repaired, the log says how ({summary})")
    return 1


@contextmanager
def _news(
    args: argparse.Namespace, config: Config, *, seed_default_corpus: bool = False
) -> Iterator[tuple[Engine, NewsDesk]]:
    """The engine of `--index` and the links and feeds over it, closed at the end."""
    from qabot.factory import open_news

    with (
        _backends_and_engine(args, config, seed_default_corpus) as (backends, engine),
        closing(open_news(config, engine, backends)) as news,
    ):
        yield engine, news


def _feeds_add(args: argparse.Namespace, config: Config) -> int:
    """Each argument is a feed's address or an OPML file listing feeds."""
    from qabot.factory import feeds_listed_in

    addresses: list[str] = []
    for item in args.feeds:
        if _is_url(item):
            addresses.append(item)
        else:
            path = Path(item)
            if not path.is_file():
                print(f"qabot: {item} is neither a web address nor an OPML file", file=sys.stderr)
                return 1
            addresses.extend(feeds_listed_in(path.read_bytes(), item))
    failed = 0
    with _news(args, config) as (_, news):
        for address in addresses:
            try:
                feed = news.add_feed(address)
            except Exception as exc:
                from index import QabotError

                if len(addresses) == 1 or not isinstance(exc, QabotError):
                    raise
                print(f"qabot: {address}: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(f"following {feed.feed_id}: {feed.title} ({feed.url})")
    return 1 if failed else 0


def _feeds_list(args: argparse.Namespace, config: Config) -> int:
    with _news(args, config) as (_, news):
        feeds = news.feeds()
    if not feeds:
        print("no feeds followed yet: qabot feeds add URL")
    for feed in feeds:
        print(_feed_line(feed))
    return 0


def _feed_line(feed: FeedInfo) -> str:
    synced = f"synced {feed.last_synced}" if feed.last_synced else "never synced"
    plural = "s" if feed.articles != 1 else ""
    line = f"{feed.feed_id}\t{feed.title}\t{feed.url}\t{feed.articles} article{plural}, {synced}"
    if feed.last_error:
        line += (
            f"\n\tfailed {feed.failures} time(s) in a row: {feed.last_error}"
            f"\n\tnext attempt {feed.next_attempt}"
        )
    return line


def _feeds_remove(args: argparse.Namespace, config: Config) -> int:
    with _news(args, config) as (_, news):
        feed = news.remove_feed(args.feed)
    print(f"stopped following {feed.feed_id}: {feed.title}; its articles stay in the index")
    return 0


def _feeds_sync(args: argparse.Namespace, config: Config) -> int:
    """Every feed once, whether due or not; failures are reported, not fatal."""
    with _news(args, config) as (_, news):
        results = news.sync(due_only=False)
    if not results:
        print("no feeds followed yet: qabot feeds add URL")
    for result in results:
        print(_sync_line(result))
    new = sum(len(r.new) for r in results)
    updated = sum(len(r.updated) for r in results)
    unchanged = sum(r.unchanged for r in results)
    failed = sum(r.failed for r in results)
    print(f"{new} new, {updated} updated, {unchanged} unchanged, {failed} failed")
    return 0


def _sync_line(result: FeedSync) -> str:
    title = result.feed.title
    if result.error is not None:
        return f"{title}: failed: {result.error}"
    if result.busy:
        return f"{title}: skipped, another worker is syncing it"
    if result.not_modified:
        return f"{title}: not modified"
    counts = f"{len(result.new)} new, {len(result.updated)} updated, {result.unchanged} unchanged"
    line = f"{title}: {counts}"
    if result.also_reported:
        line += f", {result.also_reported} already reported by another feed"
    return "\n  ".join([line, *result.skipped])


def _latest(args: argparse.Namespace, config: Config) -> int:
    with _news(args, config) as (_, news):
        articles = news.latest(args.limit)
    if not articles:
        print("no dated articles yet")
    for article in articles:
        document = article.document
        also = (
            f" (also reported by {', '.join(article.also_reported_by)})"
            if article.also_reported_by
            else ""
        )
        print(f"{document.date}\t{document.title}{also}\t{document.url or document.source}")
    return 0


def _eval(args: argparse.Namespace, config: Config) -> int:
    """qabot's own figures; `make eval` adds the baselines (python -m benchmarks.quality)."""
    from qabot.evaluate import run_eval

    report = run_eval(config, args.questions, args.corpus, limit=args.limit, progress=True)
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.format())
    return 0


def _report(args: argparse.Namespace, config: Config) -> int:
    """What /stats and /unanswered show, from the bot's answer log."""
    import datetime as dt

    from bot.ops.reports import latency_line, unanswered, usage_report
    from qabot.factory import Backends
    from qabot.serve import open_answer_log

    with closing(Backends.open(config)) as backends:
        log = open_answer_log(config, backends)
        if log is None:
            path = config.telegram.state_db
            print(f"qabot: no answers logged yet: `qabot serve` writes {path}", file=sys.stderr)
            return 1
        today = dt.datetime.now(dt.UTC).date()
        with closing(log):
            report = usage_report(log, today, args.days)
            groups = unanswered(log, today, args.days)
            latency = latency_line(log.stats())
    print("\n".join([*report.summary(), latency, "", *report.table(), ""]))
    if groups:
        print("\n".join([messages.UNANSWERED_INTRO, *(f"  {group.line()}" for group in groups)]))
    else:
        print(messages.NOTHING_UNANSWERED)
    if args.png is not None:
        from bot.view.charts import usage_chart

        args.png.write_bytes(usage_chart(report))
        print(f"\nchart written to {args.png}")
    return 0


def _db_upgrade(args: argparse.Namespace, config: Config) -> int:
    """Create or migrate the tables (every command that opens the database does it too)."""
    from qabot.database import MIGRATIONS, open_pool, schema_state

    if config.state.backend != "postgres":
        print("qabot: state.backend is not postgres: no database to upgrade", file=sys.stderr)
        return 2
    pool = open_pool(config.state)  # brings the schema up to date
    try:
        state = schema_state(pool)
    finally:
        pool.close()
    print(f"the database schema is at version {state.current} (latest {MIGRATIONS[-1].version})")
    return 0


def _serve(args: argparse.Namespace, config: Config) -> int:
    from qabot.serve import serve

    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
