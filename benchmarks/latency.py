"""In-process question latency at one corpus size: qabot's engine.answer vs the naive pipeline.

qabot is measured first, alone, so the peak RSS reported is that of a process serving the
index (open + questions); then the naive pipeline is loaded and the two alternate run by
run, so both see the same machine noise.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import latencies_ms, median_of_runs, peak_rss_bytes, percentiles
from benchmarks.naive import NaivePipeline
from benchmarks.workload import Plan, settings_for
from index import Engine

WARMUP = 10


def latency(plan: Plan, index_dir: Path, profile_to: Path | None = None) -> dict[str, Any]:
    questions = plan.question_texts(plan.questions)
    started = time.perf_counter()
    engine = Engine(settings_for(index_dir))
    opened = time.perf_counter() - started
    try:
        first, first_ms = _first_answer(engine, questions[0])
        for question in questions[:WARMUP]:
            engine.answer(question)
        qabot_runs = [percentiles(latencies_ms(engine.answer, questions))]
        serving_rss = peak_rss_bytes()
        embed_runs = [percentiles(latencies_ms(lambda q: engine.embedder.encode([q]), questions))]
        naive = NaivePipeline(index_dir)
        try:
            for question in questions[:WARMUP]:
                naive.answer(question)
            naive_runs = []
            for _ in range(plan.runs):
                naive_runs.append(percentiles(latencies_ms(naive.answer, questions)))
                if len(qabot_runs) < plan.runs:
                    qabot_runs.append(percentiles(latencies_ms(engine.answer, questions)))
            naive_embed = percentiles(latencies_ms(lambda q: naive.embedder.encode([q]), questions))
        finally:
            naive.close()
        profile = _profile(engine, questions, profile_to) if profile_to else None
        stats = engine.stats()
    finally:
        engine.close()
    return {
        "chunks": stats.chunks,
        "documents": stats.documents,
        "vector_kind": _vector_kind(index_dir),
        "open_seconds": opened,
        "first_answer_ms": first_ms,
        "first_answer_confident": first,
        "qabot": median_of_runs(qabot_runs),
        "qabot_embed": median_of_runs(embed_runs),
        "naive": median_of_runs(naive_runs),
        "naive_embed": naive_embed,
        "runs": plan.runs,
        "questions": len(questions),
        "serving_peak_rss": serving_rss,
        "profile_top": profile,
    }


def _first_answer(engine: Engine, question: str) -> tuple[bool, float]:
    started = time.perf_counter()
    answer = engine.answer(question)
    return answer.confident, (time.perf_counter() - started) * 1000


def _profile(engine: Engine, questions: list[str], target: Path) -> list[dict[str, Any]]:
    """cProfile of one pass over the questions: the full text to `target`, the top in JSON."""
    profiler = cProfile.Profile()
    profiler.enable()
    for question in questions:
        engine.answer(question)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.getvalue(), encoding="utf-8")
    return _top_own_time(stats, len(questions))


def _top_own_time(stats: pstats.Stats, questions: int, limit: int = 12) -> list[dict[str, Any]]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in raw.items():
        rows.append(
            {
                "function": f"{Path(filename).name}:{line}({name})",
                "own_ms_per_question": own * 1000 / questions,
                "cumulative_ms_per_question": cumulative * 1000 / questions,
                "calls_per_question": calls / questions,
            }
        )
    rows.sort(key=lambda row: row["own_ms_per_question"], reverse=True)
    return rows[:limit]


def _vector_kind(index_dir: Path) -> str:
    import json

    pointer = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    manifest = json.loads((index_dir / pointer / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["vector_kind"])
