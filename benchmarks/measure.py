"""Timing and memory helpers shared by every benchmark.

The machine is noisy (2 shared cores), so a figure is never one run: each run yields its own
percentiles and the report keeps the median of those across runs.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

T = TypeVar("T")
GIB = 1024**3
MIN_SAMPLES = 10


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of one run's latencies, in milliseconds."""
    values = np.asarray(samples_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(values.mean())}


def median_of_runs(runs: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Key by key, the median over runs (each run measured the same things)."""
    runs = list(runs)
    return {key: float(statistics.median(run[key] for run in runs)) for key in runs[0]}


def timed_ms(call: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - started) * 1000


def latencies_ms(
    call: Callable[[str], object], questions: Sequence[str], budget_s: float = float("inf")
) -> list[float]:
    """One run: each question answered in turn, its wall-clock time recorded.

    Past `budget_s` the run stops early (after at least MIN_SAMPLES questions), so a slow
    configuration costs minutes, not hours; the caller reports how many were asked.
    """
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for question in questions:
        if len(samples) >= MIN_SAMPLES and time.perf_counter() > deadline:
            break
        _, elapsed = timed_ms(lambda q=question: call(q))  # type: ignore[misc]
        samples.append(elapsed)
    return samples


class AnsweringEngine(Protocol):
    """What `alternate_engines` needs of index.Engine."""

    def answer(self, question: str) -> Any: ...

    def answer_many(self, requests: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]: ...


@dataclass(frozen=True)
class Alternated:
    """Engines measured turn by turn, by name: single-question percentiles of each run, the
    median run's batched questions/s, and the answers of the last batched run."""

    runs: dict[str, list[dict[str, float]]]
    batched_qps: dict[str, float]
    answers: dict[str, list[Any]]


def alternate_engines(
    engines: Mapping[str, AnsweringEngine],
    questions: Sequence[str],
    runs: int,
    budget_s: float,
    batch: int,
    warmup: int = 5,
) -> Alternated:
    """Warm each engine up, then per run: each answers the questions one at a time, then in
    batches of `batch` (answer_many, as the bot's micro-batches under load); the engines
    alternate run by run, so all see the same machine noise."""
    for engine in engines.values():
        latencies_ms(engine.answer, questions[:warmup])
    single: dict[str, list[dict[str, float]]] = {name: [] for name in engines}
    batched: dict[str, list[float]] = {name: [] for name in engines}
    answers: dict[str, list[Any]] = {}
    for _ in range(runs):
        for name, engine in engines.items():
            single[name].append(percentiles(latencies_ms(engine.answer, questions, budget_s)))
            started = time.perf_counter()
            answers[name] = [
                answer
                for begin in range(0, len(questions), batch)
                for answer in engine.answer_many(
                    [(q, ()) for q in questions[begin : begin + batch]]
                )
            ]
            batched[name].append(len(questions) / (time.perf_counter() - started))
    middle = {name: sorted(qps)[len(qps) // 2] for name, qps in batched.items()}
    return Alternated(single, middle, answers)


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (the kernel's high-water mark)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("nan")
