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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import latencies_ms, median_of_runs, peak_rss_bytes, percentiles
from benchmarks.naive import NaivePipeline
from benchmarks.workload import Plan, settings_for
from index import Engine

WARMUP = 5
PROFILED = 20  # questions under cProfile


def latency(plan: Plan, index_dir: Path, profile_to: Path | None = None) -> dict[str, Any]:
    questions = plan.question_texts(plan.questions)
    budget = plan.run_budget_s
    started = time.perf_counter()
    engine = Engine(settings_for(index_dir))
    opened = time.perf_counter() - started
    asked: dict[str, list[int]] = {"qabot": [], "naive": []}
    try:
        first, first_ms = _first_answer(engine, questions[0])
        latencies_ms(engine.answer, questions[:WARMUP], budget)
        qabot_runs = [_run(engine.answer, questions, budget, asked["qabot"])]
        serving_rss = peak_rss_bytes()
        embed = percentiles(latencies_ms(lambda q: engine.embedder.encode([q]), questions))
        naive = NaivePipeline(index_dir)
        try:
            latencies_ms(naive.answer, questions[:WARMUP], budget)
            naive_runs = []
            for _ in range(plan.runs):
                naive_runs.append(_run(naive.answer, questions, budget, asked["naive"]))
                if len(qabot_runs) < plan.runs:
                    qabot_runs.append(_run(engine.answer, questions, budget, asked["qabot"]))
            naive_embed = percentiles(latencies_ms(lambda q: naive.embedder.encode([q]), questions))
        finally:
            naive.close()
        profile = _profile(engine, questions[:PROFILED], profile_to) if profile_to else None
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
        "qabot_embed": embed,
        "naive": median_of_runs(naive_runs),
        "naive_embed": naive_embed,
        "runs": plan.runs,
        "questions": len(questions),
        "questions_asked": {name: min(counts) for name, counts in asked.items()},
        "serving_peak_rss": serving_rss,
        "profile_top": profile,
    }


def _run(
    call: Callable[[str], object], questions: list[str], budget: float, counts: list[int]
) -> dict[str, float]:
    cpu_started = time.process_time()
    samples = latencies_ms(call, questions, budget)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(samples)
    counts.append(len(samples))
    return {**percentiles(samples), "cpu_ms": cpu_ms}  # CPU time is less hurt by other load


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
