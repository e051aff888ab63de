"""Question latency with `retrieval.backend: qdrant` beside the default FAISS, on squad-dev-a.

Qdrant runs in qdrant-client's local mode (in this process, exact search in NumPy), not as
a server: the figures show what the engine's side of the Query API costs (building the
requests, reading back both vectors, re-scoring), not a server's HNSW or the network. The
two engines read one chunk store (the qdrant one a copy of the folder, its collection filled
from the stored vectors) and alternate run by run, so both see the same machine noise.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient

from benchmarks.measure import alternate_engines, median_of_runs
from benchmarks.workload import Plan, settings_for
from index import Engine
from index.search.qdrant import QdrantCollection

LABEL = "Qdrant local mode (in-process), not a server"
BATCH = 32  # questions per answer_many call, as the bot's micro-batches under load


def qdrant_latency(plan: Plan, index_dir: Path) -> dict[str, Any]:
    questions = plan.question_texts(plan.questions)
    copy = plan.work_dir / "qdrant-squad"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index_dir, copy)
    client = QdrantClient(path=str(plan.work_dir / "qdrant-local"))
    collection = QdrantCollection(client, "bench")
    client.delete_collection("bench")
    settings = settings_for(copy).with_changes(
        retrieval={"backend": "qdrant"}, qdrant={"path": plan.work_dir / "qdrant-local"}
    )
    faiss = Engine(settings_for(index_dir))
    started = time.perf_counter()
    qdrant = Engine(settings, collection=collection)  # fills the collection from the store
    fill_seconds = time.perf_counter() - started
    try:
        engines = {"faiss": faiss, "qdrant": qdrant}
        measured = alternate_engines(engines, questions, plan.runs, plan.run_budget_s, BATCH)
        return {
            "label": LABEL,
            "chunks": faiss.stats().chunks,
            "questions": len(questions),
            "fill_seconds": fill_seconds,
            **{name: median_of_runs(measured.runs[name]) for name in engines},
            **{f"{name}_batch_qps": measured.batched_qps[name] for name in engines},
        }
    finally:
        faiss.close()
        qdrant.close()
        client.close()
