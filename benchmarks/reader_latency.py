"""Question latency with the span reader (`answer.reader: true`, the default) beside without it.

The budget (index/answer/reading.py): the reader adds at most 15 ms p50 per question, in process on
2 cores, and the bot's micro-batches still pay off with it (one reader call per batch). Both
engines answer squad-dev-a (the one without the reader over a copy of the folder: two
engines never share one), warmed up (the reader's model loads on the first question), and
alternate run by run, so both see the same machine noise. Reported: single-question
p50/p95 both ways and the p50s' difference, batched throughput (answer_many of BATCH
questions) both ways, and the share of answers that carry a direct answer.
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path
from typing import Any

from benchmarks.measure import alternate_engines, median_of_runs
from benchmarks.workload import Plan, settings_for
from index import Engine

BATCH = 32  # questions per answer_many call, as the bot's micro-batches under load
BUDGET_MS = 15.0  # p50 the reader may add per question (index/answer/reading.py)


def reader_latency(plan: Plan, index_dir: Path) -> dict[str, Any]:
    questions = plan.question_texts(plan.questions)
    copy = plan.work_dir / "no-reader-squad"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index_dir, copy)
    reader = Engine(settings_for(index_dir))
    plain = Engine(settings_for(copy).with_changes(answer={"reader": False}))
    try:
        engines = {"reader": reader, "no_reader": plain}
        measured = alternate_engines(engines, questions, plan.runs, plan.run_budget_s, BATCH)
        runs = measured.runs
        figures = {name: median_of_runs(runs[name]) for name in engines}
        added = [
            with_reader["p50"] - without["p50"]
            for with_reader, without in zip(runs["reader"], runs["no_reader"], strict=True)
        ]
        return {
            "chunks": reader.stats().chunks,
            "questions": len(questions),
            "batch": BATCH,
            "budget_ms": BUDGET_MS,
            **figures,
            "added_p50_ms": figures["reader"]["p50"] - figures["no_reader"]["p50"],
            "added_p95_ms": figures["reader"]["p95"] - figures["no_reader"]["p95"],
            "added_p50_runs_ms": added,
            "added_p50_median_of_runs_ms": statistics.median(added),
            **{f"{name}_batch_qps": measured.batched_qps[name] for name in engines},
            **{f"{name}_direct_share": _direct_share(measured.answers[name]) for name in engines},
        }
    finally:
        reader.close()
        plain.close()


def _direct_share(answers: list[Any]) -> float:
    """The share of answers that carry a direct answer (the same every run)."""
    return sum(answer.direct is not None for answer in answers) / len(answers)
