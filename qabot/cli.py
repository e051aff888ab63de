"""The `qabot` command line: index documents, ask questions, chat, evaluate, serve the bot.

Heavy libraries are imported inside commands so `qabot --help` answers instantly.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from qabot.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from index import Answer, Engine

NOT_FOUND = "I couldn't find that in the articles I have."
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
    logging.getLogger("bm25s").setLevel(logging.WARNING)
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
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = commands.add_parser("ask", parents=[common, with_index], help="answer one question")
    ask.add_argument("question", help='the question, or "-" to read one question per line')
    ask.add_argument("--json", action="store_true", help="print JSON (one line per question)")
    ask.set_defaults(handler=_ask)

    chat = commands.add_parser(
        "chat", parents=[common, with_index], help="interactive questions with follow-ups"
    )
    chat.set_defaults(handler=_chat)

    index = commands.add_parser("index", parents=[common], help="manage indexed documents")
    actions = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common, with_index], help="add files or folders")
    add.add_argument("paths", nargs="+", type=Path)
    add.set_defaults(handler=_index_add)
    listing = actions.add_parser("list", parents=[common, with_index], help="list documents")
    listing.set_defaults(handler=_index_list)
    remove = actions.add_parser("remove", parents=[common, with_index], help="remove a document")
    remove.add_argument("doc_id")
    remove.set_defaults(handler=_index_remove)
    rebuild = actions.add_parser(
        "rebuild", parents=[common, with_index], help="re-embed everything"
    )
    rebuild.set_defaults(handler=_index_rebuild)
    check = actions.add_parser(
        "check", parents=[common, with_index], help="read the whole store; repair damage"
    )
    check.set_defaults(handler=_index_check)

    evaluate = commands.add_parser("eval", parents=[common], help="measure answer quality")
    evaluate.add_argument("questions", type=Path, help="questions.jsonl")
    evaluate.add_argument("--corpus", type=Path, required=True, help="folder of articles")
    evaluate.add_argument(
        "--limit", type=int, default=None, help="an evenly spread sample of N questions"
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_eval)

    serve = commands.add_parser("serve", parents=[common], help="run the Telegram bot")
    serve.set_defaults(handler=_serve)
    return parser


@contextmanager
def _engine(args: argparse.Namespace, config: Config) -> Iterator[Engine]:
    """The engine of `--index` (or the configured one), closed when the command ends."""
    from qabot.factory import open_engine

    index_dir = args.index.resolve() if getattr(args, "index", None) else None
    engine = open_engine(config, index_dir)
    try:
        yield engine
    finally:
        engine.close()


def _ask(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
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
    with _engine(args, config) as engine:
        print(CHAT_GREETING)
        while True:
            try:
                question = input("you> ").strip()
            except EOFError:
                break
            if not question:
                break
            answer = engine.answer(question, history[-config.answer.conversation_turns :])
            _print_answer(answer, as_json=False, passages=1)
            if answer.confident:
                history.append(Turn(question, answer.text))
    return 0


def _print_answer(answer: Answer, as_json: bool, passages: int = 3) -> None:
    text = answer.text if answer.confident else NOT_FOUND
    if as_json:
        payload = {
            "question": answer.question,
            "answer": text,
            "confident": answer.confident,
            "score": round(answer.score, 4),
            "topics": answer.topics,
            "passages": [asdict(p) for p in answer.passages],
        }
        print(json.dumps(payload, ensure_ascii=False))
        return
    print(text)
    if not answer.confident and answer.topics:
        print("The articles I have cover: " + "; ".join(answer.topics))
    for rank, passage in enumerate(answer.passages[:passages] if answer.confident else [], 1):
        dated = f", {passage.date}" if passage.date else ""
        print(f"\n[{rank}] {passage.title}{dated} ({passage.source})")
        print("    " + passage.text.replace("\n", "\n    "))


def _index_add(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
        added = engine.add_paths(args.paths, progress=True)
    for info in added:
        print(f"added {info.doc_id}: {info.title} ({info.chunks} chunks)")
    return 0


def _index_list(args: argparse.Namespace, config: Config) -> int:
    with _engine(args, config) as engine:
        documents = engine.documents()
        stats = engine.stats()
    for info in documents:
        dated = f" {info.date}" if info.date else ""
        print(f"{info.doc_id}\t{info.chunks} chunks{dated}\t{info.title}\t{info.source}")
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
    print(f"the chunk store was damaged: it was set aside and rebuilt ({summary})")
    return 1


def _eval(args: argparse.Namespace, config: Config) -> int:
    """qabot's own figures; `make eval` adds the baselines (python -m benchmarks.quality)."""
    from qabot.evaluate import run_eval

    report = run_eval(config, args.questions, args.corpus, limit=args.limit, progress=True)
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.format())
    return 0


def _serve(args: argparse.Namespace, config: Config) -> int:
    from qabot.serve import serve

    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
