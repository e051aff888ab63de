"""Answer quality of the two retrieval backends, one after the other in one run.

    python -m benchmarks.backend_quality [--limit N]

`qabot eval` (qabot/evaluate.py `run_eval`) on squad-dev-a with the shipped config
(`retrieval.backend: faiss`) and with `retrieval.backend: qdrant` (a fresh collection in
qdrant-client's local mode: the server's Query API, prefetches, RRF fusion and IDF modifier,
computed in this process). Prints the Markdown table of docs/quality.md's backend section.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.quality import DATA
from qabot.config import load_config
from qabot.evaluate import EvalReport, ratio, run_eval

ROWS = [
    ("answer_hit", "answer hit"),
    ("passage_hit_at_1", "passage hit@1"),
    ("passage_hit_at_5", "passage hit@5"),
    ("mrr", "MRR (top 5)"),
    ("false_refusal", "false refusal"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="an evenly spread sample")
    args = parser.parse_args()
    config = load_config()
    reports: dict[str, EvalReport] = {}
    # one chunk store for both: the corpus is embedded once (the qdrant run reuses it)
    with tempfile.TemporaryDirectory(prefix="qabot-backends-") as scratch:
        for backend in ("faiss", "qdrant"):
            # run_eval puts a qdrant collection beside the index, whatever the path says
            engine = config.engine.with_changes(
                retrieval={"backend": backend}, qdrant={"path": Path(scratch)}
            )
            changed = config.model_copy(update={"engine": engine})
            reports[backend] = run_eval(
                changed,
                DATA / "questions.jsonl",
                DATA / "articles",
                limit=args.limit,
                index_dir=Path(scratch),
                progress=True,
            )
    print(table(reports))


def table(reports: dict[str, EvalReport]) -> str:
    faiss, qdrant = reports["faiss"], reports["qdrant"]
    lines = [
        f"{faiss.n:,} questions ({faiss.answerable:,} answerable), {faiss.chunks:,} chunks.",
        "",
        "| metric | faiss (default) | qdrant (local mode) | difference |",
        "|---|---|---|---|",
    ]
    for key, label in ROWS:
        a, b = getattr(faiss, key), getattr(qdrant, key)
        lines.append(f"| {label} | {ratio(a)} | {ratio(b)} | {b - a:+.3f} |")
    lines.append(
        f"| latency p50 / p95 (single question) | {faiss.latency_p50_ms:.1f} / "
        f"{faiss.latency_p95_ms:.1f} ms | {qdrant.latency_p50_ms:.1f} / "
        f"{qdrant.latency_p95_ms:.1f} ms | |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
