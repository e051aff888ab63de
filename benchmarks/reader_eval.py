"""Score the span reader on the held-out articles, given the gold paragraph, and time it.

    python -m benchmarks.reader_eval [--int8 PATH] [--fp32 PATH] [--out data/reader/eval.json]

For the fp32 graph of the shipped run (data/reader/inner/, never shipped: 90 MB) and the
int8 one (index/answer/models/):
- EM and F1 (official SQuAD normalisation) of the best span over the answerable questions of
  the held-out articles, read in their gold paragraph; also with refusals at the calibrated
  threshold, a refused answerable question counting 0;
- the share of unanswerable (squad2-unanswerable-a) and of answerable questions refused at
  several thresholds of null score - best span score;
- latency per question reading 1, 3 and 5 passages of ~1,000 chars (the chunker's size, with
  the sentence before), alone and in micro-batches of 4 questions;
- F1 and refusals by question type, with examples the reader gets wrong.
Held-out articles are only ever scored here, with the recipe fixed beforehand.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.train_reader import (
    WORK,
    Item,
    answerable_items,
    article_names,
    article_paragraphs,
    content_words,
    exact_match,
    f1_score,
    inner_split,
    refusal_curve,
    split_articles,
    unanswerable_items,
)
from index.answer.span_reader import (
    DEFAULT_MODEL,
    ReaderInput,
    Reading,
    SpanReader,
    Window,
    answer_sentence,
)
from index.ingest.chunking import chunk_text, split_sentences

THRESHOLDS = (-6.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
TYPES = ("who", "when", "where", "how many", "how much", "why", "which", "how", "what")


def question_type(question: str) -> str:
    """The first wh-phrase of the question (SQuAD questions often put it mid-sentence)."""
    lowered = re.sub(
        r"\b(what|which|in what|in which) (year|date|century|decade|month)\b",
        "when",
        question.lower(),
    )
    found = [(m.start(), t) for t in TYPES for m in re.finditer(rf"\b{t}\b", lowered)]
    if not found:
        return "other"
    at = min(position for position, _ in found)
    # "how many" and "how much" before "how" at the same position
    return next(t for t in TYPES if (at, t) in found)


def read_all(reader: SpanReader, items: Sequence[Item], batch: int = 8) -> list[Reading]:
    readings: list[Reading] = []
    for begin in range(0, len(items), batch):
        group = items[begin : begin + batch]
        readings += reader.read([ReaderInput(i.question, i.context) for i in group])
    return readings


def quality(items: Sequence[Item], readings: Sequence[Reading], threshold: float) -> dict[str, Any]:
    """Figures of one model: answers, refusal curve, per-type breakdown and failures."""
    rows: list[dict[str, Any]] = []
    for item, reading in zip(items, readings, strict=True):
        text = "" if reading.best is None else item.context[reading.best.start : reading.best.end]
        refused = reading.margin > threshold
        row: dict[str, Any] = {
            "id": item.qid,
            "kind": item.kind,
            "type": question_type(item.question),
            "question": item.question,
            "prediction": text,
            "margin": reading.margin,
            "refused": refused,
        }
        if item.kind != "unanswerable":
            row["answers"] = item.answers
            row["em"] = exact_match(text, item.answers)
            row["f1"] = f1_score(text, item.answers)
        rows.append(row)
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    by_type: dict[str, Any] = {}
    for kind in (*TYPES, "other"):
        group = [r for r in answerable if r["type"] == kind]
        if group:
            by_type[kind] = {
                "questions": len(group),
                "em": float(np.mean([r["em"] for r in group])),
                "f1": float(np.mean([r["f1"] for r in group])),
                "refused": float(np.mean([r["refused"] for r in group])),
            }
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "em": float(np.mean([r["em"] for r in answerable])),
        "f1": float(np.mean([r["f1"] for r in answerable])),
        "threshold": threshold,
        "em_with_refusals": float(np.mean([r["em"] * (not r["refused"]) for r in answerable])),
        "f1_with_refusals": float(np.mean([r["f1"] * (not r["refused"]) for r in answerable])),
        "answerable_refused": float(np.mean([r["refused"] for r in answerable])),
        "unanswerable_refused": float(np.mean([r["refused"] for r in unanswerable]))
        if unanswerable
        else 0.0,
        "refusal_curve": refusal_curve(
            [r["margin"] for r in answerable], [r["margin"] for r in unanswerable], THRESHOLDS
        ),
        "by_type": by_type,
        "rows": rows,
    }


@dataclass(frozen=True)
class Passage:
    """A chunk as the pipeline would pass it: sentence before + chunk text (~1,000 chars)."""

    paragraph: int
    text: str


def article_passages(name: str) -> list[Passage]:
    """The article chunked like the index does (1,000 chars, whole sentences)."""
    paragraphs = article_paragraphs(name)
    text = "\n\n".join(paragraphs)
    starts = np.cumsum([0] + [len(p) + 2 for p in paragraphs])
    sentences = split_sentences(text)
    passages = []
    for chunk in chunk_text(text, 1000):
        before = [s for s in sentences if s.end <= chunk.start]
        prefix = text[before[-1].start : before[-1].end] + " " if before else ""
        paragraph = int(np.searchsorted(starts, chunk.start, side="right")) - 1
        passages.append(Passage(paragraph, prefix + chunk.text))
    return passages


def passages_for(
    items: Sequence[Item], count: int, cache: dict[str, list[Passage]]
) -> list[list[str]]:
    """Per question `count` passages of its article: its gold paragraph's chunk holding an
    answer (or its first chunk), then the chunks sharing most words with the question, as
    retrieval would rank them (they may hold the answer too)."""
    result = []
    for item in items:
        pool = cache.setdefault(item.article, article_passages(item.article))
        own = [p for p in pool if p.paragraph == item.paragraph] or pool[:1]
        gold = next((p for p in own if any(a in p.text for a in item.answers)), own[0])
        asked = content_words(item.question)
        others = sorted(
            (p for p in pool if p is not gold),
            key=lambda p: -len(asked & content_words(p.text)),
        )
        result.append([p.text for p in [gold, *others[: count - 1]]])
    return result


def multi_passage(
    reader: SpanReader, items: Sequence[Item], count: int, threshold: float
) -> dict[str, Any]:
    """Read `count` passages per question and pick one span, as the pipeline will: by the
    best span score or by the smallest margin (span against its passage's no-answer);
    refuse when every passage's margin exceeds the threshold."""
    cache: dict[str, list[Passage]] = {}
    groups = passages_for(items, count, cache)
    rows: dict[str, list[dict[str, float]]] = {"score": [], "margin": []}
    refused: dict[str, list[float]] = {"answerable": [], "unanswerable": []}
    for begin in range(0, len(items), 4):
        batch = list(zip(items[begin : begin + 4], groups[begin : begin + 4], strict=True))
        inputs = [ReaderInput(item.question, text) for item, texts in batch for text in texts]
        readings = iter(reader.read(inputs))
        for item, texts in batch:
            read = [(text, next(readings)) for text in texts]
            answered = [(text, r) for text, r in read if r.best is not None]
            no = all(r.margin > threshold for _, r in read)
            kind = "unanswerable" if item.kind == "unanswerable" else "answerable"
            refused[kind].append(float(no))
            if kind == "unanswerable" or not answered:
                continue
            for rule, key in (
                ("score", lambda pair: -pair[1].best.score),
                ("margin", lambda pair: pair[1].margin),
            ):
                text, reading = min(answered, key=key)
                assert reading.best is not None
                span = text[reading.best.start : reading.best.end]
                start, end = answer_sentence(text, reading.best)
                sentence = text[start:end]
                f1 = f1_score(span, item.answers)
                rows[rule].append(
                    {
                        "em": exact_match(span, item.answers),
                        "f1": f1,
                        "f1_with_refusals": 0.0 if no else f1,
                        "hit": float(any(a in sentence for a in item.answers)),
                        "gold_passage": float(text == texts[0]),
                    }
                )
    result: dict[str, Any] = {
        "passages": count,
        "answerable_refused": float(np.mean(refused["answerable"])),
        "unanswerable_refused": float(np.mean(refused["unanswerable"]))
        if refused["unanswerable"]
        else 0.0,
    }
    for rule, found in rows.items():
        result[rule] = {key: float(np.mean([r[key] for r in found])) for key in found[0]}
    return result


def latency(
    reader: SpanReader, items: Sequence[Item], counts: Sequence[int], repeats: int
) -> dict[str, Any]:
    """ms per question for `count` passages, one question per call and 4 per call."""
    sample = random.Random(7).sample(list(items), min(repeats, len(items)))
    cache: dict[str, list[Passage]] = {}
    figures: dict[str, Any] = {}
    for count in counts:
        passages = passages_for(sample, count, cache)
        tokens = [
            sum(len(reader._tokenizer.encode(p).ids) for p in ps) + count * 16 for ps in passages
        ]
        reader.read([ReaderInput(sample[0].question, p) for p in passages[0]])  # warm up
        alone = []
        for item, group in zip(sample, passages, strict=True):
            started = time.perf_counter()
            reader.read([ReaderInput(item.question, p) for p in group])
            alone.append((time.perf_counter() - started) * 1000)
        batched = []
        for begin in range(0, len(sample) - 3, 4):
            inputs = [
                ReaderInput(sample[k].question, p)
                for k in range(begin, begin + 4)
                for p in passages[k]
            ]
            started = time.perf_counter()
            reader.read(inputs)
            batched.append((time.perf_counter() - started) * 1000 / 4)
        figures[str(count)] = {
            "tokens_per_question_mean": float(np.mean(tokens)),
            "p50_ms": float(np.percentile(alone, 50)),
            "p95_ms": float(np.percentile(alone, 95)),
            "batch4_p50_ms_per_question": float(np.percentile(batched, 50)),
        }
    return figures


def latency_by_tokens(
    reader: SpanReader, sizes: Sequence[int] = (64, 128, 192, 256, 384)
) -> dict[str, float]:
    """ms of one model run over one window of n tokens: what a token budget buys."""
    rng = np.random.default_rng(3)
    figures = {}
    for size in sizes:
        ids = [101, *rng.integers(2000, 20000, size - 2).tolist(), 102]
        window = Window(ids, [0] * 12 + [1] * (size - 12), 12, [(0, 0)] * (size - 13))
        reader.logits([window])
        times = []
        for _ in range(20):
            started = time.perf_counter()
            reader.logits([window])
            times.append((time.perf_counter() - started) * 1000)
        figures[str(size)] = float(np.percentile(times, 50))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles",
        choices=("held-out", "inner"),
        default="held-out",
        help="inner: the inner validation articles, to choose rules with the inner model",
    )
    parser.add_argument("--int8", type=Path, default=None, help="default: the shipped model")
    parser.add_argument(
        "--fp32", type=Path, default=None, help="default: data/reader/inner/ (the shipped run)"
    )
    parser.add_argument("--out", type=Path, default=None, help="default: data/reader/eval*.json")
    parser.add_argument("--latency-questions", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    training, held_out = split_articles(article_names())
    inner = args.articles == "inner"
    articles = inner_split(training)[1] if inner else held_out
    work = WORK / "inner"  # the shipped reader is the inner run (benchmarks/train_reader.py)
    int8 = args.int8 or (work / "reader-int8.onnx" if inner else DEFAULT_MODEL)
    fp32 = args.fp32 or work / "reader-fp32-fused.onnx"
    out = args.out or WORK / ("eval-inner.json" if inner else "eval.json")
    items = [i for i in answerable_items(articles) if i.spans] + unanswerable_items(articles)
    answerable = [i for i in items if i.kind == "answerable"]
    report: dict[str, Any] = {
        "articles": articles,
        "load_average_before": os.getloadavg(),
        "models": {},
    }
    for name, path in (("int8", int8), ("fp32", fp32)):
        if not path.is_file():
            print(f"skipping {name}: {path} not found")
            continue
        reader = SpanReader(path, threads=args.threads)
        started = time.perf_counter()
        readings = read_all(reader, items)
        elapsed = time.perf_counter() - started
        figures = quality(items, readings, reader.null_threshold)
        figures["size_mb"] = path.stat().st_size / 1e6
        figures["read_all_seconds"] = elapsed
        figures["passages"] = [
            multi_passage(reader, items, count, reader.null_threshold) for count in (1, 3, 5)
        ]
        figures["latency"] = latency(reader, answerable, (1, 3, 5), args.latency_questions)
        figures["latency_one_window_by_tokens_p50_ms"] = latency_by_tokens(reader)
        report["models"][name] = figures
        _print(name, path, figures)
    report["load_average_after"] = os.getloadavg()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwritten {out}")
    return 0


def _print(name: str, path: Path, f: dict[str, Any]) -> None:
    print(f"\n== {name}: {path} ({f['size_mb']:.1f} MB)")
    print(
        f"gold paragraph, {f['answerable']} answerable: EM {f['em']:.3f} F1 {f['f1']:.3f}; "
        f"refusing at margin > {f['threshold']:.2f}: EM {f['em_with_refusals']:.3f} "
        f"F1 {f['f1_with_refusals']:.3f}, answerable refused {f['answerable_refused']:.1%}, "
        f"unanswerable ({f['unanswerable']}) refused {f['unanswerable_refused']:.1%}"
    )
    print("threshold  answerable refused  unanswerable refused")
    for point in f["refusal_curve"]:
        print(
            f"{point['threshold']:9.1f}  {point['answerable_refused']:18.1%}  "
            f"{point['unanswerable_refused']:20.1%}"
        )
    print("type        questions    EM     F1   refused")
    for kind, t in f["by_type"].items():
        print(f"{kind:10} {t['questions']:10} {t['em']:.3f}  {t['f1']:.3f}  {t['refused']:7.1%}")
    print("passages  rule    EM     F1   F1 w/ refusals  answer-hit  gold passage chosen")
    for point in f["passages"]:
        for rule in ("score", "margin"):
            r = point[rule]
            print(
                f"{point['passages']:8}  {rule:6} {r['em']:.3f}  {r['f1']:.3f}  "
                f"{r['f1_with_refusals']:14.3f}  {r['hit']:10.3f}  {r['gold_passage']:.3f}"
            )
        print(
            f"          refused: answerable {point['answerable_refused']:.1%}, "
            f"unanswerable {point['unanswerable_refused']:.1%}"
        )
    print("passages  tokens/question  p50 ms  p95 ms  batch-of-4 p50 ms/question")
    for count, t in f["latency"].items():
        print(
            f"{count:>8}  {t['tokens_per_question_mean']:15.0f}  {t['p50_ms']:6.1f}  "
            f"{t['p95_ms']:6.1f}  {t['batch4_p50_ms_per_question']:10.1f}"
        )
    print(
        "one window, p50 ms by tokens: "
        + ", ".join(f"{n}: {ms:.1f}" for n, ms in f["latency_one_window_by_tokens_p50_ms"].items())
    )
    misses: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in f["rows"]:
        if row["kind"] != "unanswerable" and row["f1"] == 0 and len(misses[row["type"]]) < 3:
            misses[row["type"]].append(row)
    print("some misses (F1 0):")
    for kind, rows in misses.items():
        for row in rows:
            print(f"  [{kind}] {row['question']} -> {row['prediction']!r} (gold {row['answers']})")


if __name__ == "__main__":
    raise SystemExit(main())
