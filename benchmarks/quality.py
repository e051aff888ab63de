"""qabot beside the baselines, one run: docs/quality-run.md (docs/quality.md explains it).

    python -m benchmarks.quality [--limit N] [--report docs/quality-run.md]   (= make eval)

qabot's own figures come from `qabot eval` (qabot/evaluate.py); the baselines (BM25, dense,
RRF over paragraphs, benchmarks/baselines.py) are measured here, in the same run, so the
comparison is fair. The product never imports this module.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from benchmarks.baselines import run_baselines
from index.ingest.embedding import create_embedder
from qabot.config import load_config
from qabot.evaluate import EvalReport, ratio, run_eval

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "squad-dev-a"
REPRODUCE_COMMAND = "make eval   # python -m benchmarks.quality --report docs/quality-run.md"


BASELINE_NAMES = {
    "bm25": "BM25 (paragraphs)",
    "dense": "MiniLM + FAISS (paragraphs)",
    "fused": "BM25 + MiniLM, RRF",
}
SHARED_METRICS = [
    ("answer_hit", "answer hit"),
    ("answer_chars", "mean answer length (chars)"),
    ("passage_hit_at_1", "passage hit@1"),
    ("passage_hit_at_5", "passage hit@5"),
    ("mrr", "MRR (top 5)"),
]


def write_quality_report(
    report: EvalReport,
    baselines: Mapping[str, Mapping[str, float]] | None,
    path: Path,
    command: str = REPRODUCE_COMMAND,
) -> None:
    """Write the Markdown tables (qabot beside the baselines) that docs/quality.md explains."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_quality_report(report, baselines, command), encoding="utf-8")


def render_quality_report(
    report: EvalReport,
    baselines: Mapping[str, Mapping[str, float]] | None,
    command: str = REPRODUCE_COMMAND,
) -> str:
    others = dict(baselines or {})
    header = ["metric", "qabot", *(BASELINE_NAMES.get(name, name) for name in others)]
    rows = [
        [
            label,
            _figure(key, getattr(report, key)),
            *(_figure(key, others[name].get(key)) for name in others),
        ]
        for key, label in SHARED_METRICS
    ]
    lines = [
        "## Retrieval and answer quality",
        "",
        f"{report.n:,} questions ({report.answerable:,} answerable), "
        f"{report.documents} documents, {report.chunks:,} qabot chunks.",
        "",
        *_markdown_table(header, rows),
        "",
        "A hit is a gold answer string (case-insensitive, whitespace-normalised) inside the "
        "text: for qabot the short answer it shows (a refusal never hits) and its passages; for "
        "the baselines the best sentence of their first paragraph and their top-5 paragraphs. "
        "qabot's answer may join a neighbouring sentence (see its mean length), which makes a "
        "hit easier than for a single sentence.",
        "",
        "## Confidence and speed (qabot)",
        "",
        *_markdown_table(["metric", "value"], _qabot_rows(report)),
        "",
        "Reproduce:",
        "",
        "```sh",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def _qabot_rows(report: EvalReport) -> list[list[str]]:
    return [
        ["answered confidently", ratio(report.confident_rate)],
        ["false refusal (answerable, not confident)", ratio(report.false_refusal)],
        ["no-answer accuracy (unanswerable, not confident)", ratio(report.no_answer_accuracy)],
        [
            "latency p50 / p95 (single question)",
            f"{report.latency_p50_ms:.1f} / {report.latency_p95_ms:.1f} ms",
        ],
        ["batched throughput", f"{report.questions_per_second:.0f} questions/s"],
        ["index build", f"{report.index_seconds:.1f} s for {report.documents_embedded} documents"],
    ]


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _figure(key: str, value: float | None) -> str:
    if value is not None and key == "answer_chars":
        return f"{value:.0f}"
    return ratio(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DATA / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=DATA / "articles")
    parser.add_argument("--limit", type=int, default=None, help="an evenly spread sample")
    parser.add_argument("--report", type=Path, default=None, help="write the Markdown here")
    args = parser.parse_args()
    config = load_config()
    report = run_eval(config, args.questions, args.corpus, limit=args.limit, progress=True)
    embedder = create_embedder("onnx", config.engine.embedding.cache_dir)
    baselines = run_baselines(args.questions, args.corpus, embedder, limit=args.limit)
    print(report.format())
    for name, figures in baselines.items():
        print(f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    if args.report:
        write_quality_report(report, baselines, args.report)


if __name__ == "__main__":
    main()
