"""Throughput under concurrency: N askers, each asking its questions one after another.

Three servers of the same questions over the same index:
  qabot           engine.answer_async (micro-batched embedding, one answering thread)
  qabot-unbatched engine.answer in asyncio's default thread pool, one question per call
  naive           the naive pipeline in the same thread pool (torch encode per request)
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import median_of_runs, percentiles
from benchmarks.naive import NaivePipeline
from benchmarks.workload import Plan, settings_for
from index import Engine

Ask = Callable[[str], Awaitable[object]]


def questions_per_asker(askers: int, total: int) -> int:
    """About `total` questions per level, at least two per asker (one is no sequence)."""
    return max(2, math.ceil(total / askers))


async def load_test(
    ask: Ask, questions: list[str], askers: int, each: int, budget_s: float = float("inf")
) -> dict[str, float]:
    """Start `askers` tasks at once; each asks `each` questions in turn. q/s and latency.

    After `budget_s` no asker starts another question (each finishes at least one), so a
    slow server is measured on fewer questions instead of stalling the run.
    """
    latencies: list[float] = []
    deadline = time.perf_counter() + budget_s

    async def asker(number: int) -> None:
        for turn in range(each):
            if turn and time.perf_counter() > deadline:
                return
            question = questions[(number * each + turn) % len(questions)]
            started = time.perf_counter()
            await ask(question)
            latencies.append((time.perf_counter() - started) * 1000)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(asker(number) for number in range(askers)))
    elapsed = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(latencies)  # all threads
    return {
        "qps": len(latencies) / elapsed,
        "answered": len(latencies),
        "cpu_ms": cpu_ms,
        **percentiles(latencies),
    }


def concurrency(plan: Plan, index_dir: Path) -> dict[str, Any]:
    questions = plan.question_texts(max(plan.concurrency_questions, plan.questions))
    engine = Engine(settings_for(index_dir))
    naive = NaivePipeline(index_dir)
    servers: dict[str, Ask] = {
        "qabot": engine.answer_async,
        "qabot_unbatched": lambda q: asyncio.to_thread(engine.answer, q),
        "naive": lambda q: asyncio.to_thread(naive.answer, q),
    }
    try:
        return asyncio.run(_all_levels(plan, servers, questions))
    finally:
        naive.close()
        engine.close()


async def _all_levels(plan: Plan, servers: dict[str, Ask], questions: list[str]) -> dict[str, Any]:
    for ask in servers.values():  # warm up every path (and the thread pool)
        await load_test(ask, questions, 4, 2)
    levels: dict[str, Any] = {}
    runs = plan.runs
    for askers in plan.askers:
        each = questions_per_asker(askers, plan.concurrency_questions)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for _ in range(runs):  # servers alternate within each run: same noise for all
            for name, ask in servers.items():
                results[name].append(
                    await load_test(ask, questions, askers, each, plan.load_budget_s)
                )
        levels[str(askers)] = {
            "questions_per_asker": each,
            **{name: median_of_runs(runs_of) for name, runs_of in results.items()},
        }
    return {"levels": levels, "runs": runs}
