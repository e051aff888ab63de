"""One benchmark phase in a fresh process, so its memory peak and imports are its own.

`python -m benchmarks.worker PHASE PLAN_JSON [CHUNKS] [--reuse]` prints the phase's result as the
last line of stdout, prefixed with RESULT_PREFIX. With --reuse, a build phase whose index
is already there and current answers {"reused": true} instead of building again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from benchmarks.workload import ROOT, Plan

RESULT_PREFIX = "RESULT "


def _phases(reuse: bool) -> dict[str, Callable[[Plan, int], dict[str, Any]]]:
    from benchmarks import (
        builds,
        coldstart,
        concurrency,
        embedders,
        endtoend,
        latency,
        qdrant_latency,
        reader_latency,
        recall,
    )

    return {
        "squad-build": lambda plan, _: builds.squad_build(plan, reuse),
        "squad-build-naive": lambda plan, _: builds.squad_build_naive(plan),
        "synthetic-build": lambda plan, n: builds.synthetic_build(plan, n, reuse),
        "synthetic-build-naive": builds.synthetic_build_naive,
        "incremental-add": builds.incremental_add,
        "latency": lambda plan, n: latency.latency(
            plan, _index(plan, n), plan.work_dir / "profiles" / f"answer-{n}.txt"
        ),
        "concurrency": lambda plan, n: concurrency.concurrency(plan, _index(plan, n)),
        "bot": lambda plan, _: endtoend.bot_throughput(plan, plan.squad_index),
        "cold-start": lambda plan, _: coldstart.cold_starts(plan),
        "embedders": lambda plan, _: embedders.embedding_backends(plan),
        "recall": recall.hnsw_recall,
        "qdrant-latency": lambda plan, _: qdrant_latency.qdrant_latency(plan, plan.squad_index),
        "reader-latency": lambda plan, _: reader_latency.reader_latency(plan, plan.squad_index),
    }


def _index(plan: Plan, chunks: int) -> Any:
    return plan.squad_index if chunks == 0 else plan.synthetic_index(chunks)


def _engine_fingerprint() -> str:
    """A hash of index/*.py: phases measured on different engine code can be told apart."""
    sources = sorted((ROOT / "index").glob("*.py"))
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources))
    return digest.hexdigest()[:12]


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    reuse = "--reuse" in argv
    argv = [arg for arg in argv if arg != "--reuse"]
    phase, plan = argv[0], Plan.from_json(argv[1])
    chunks = int(argv[2]) if len(argv) > 2 else 0
    engine = _engine_fingerprint()
    result = _phases(reuse)[phase](plan, chunks)
    print(RESULT_PREFIX + json.dumps({**result, "engine_sources": engine}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
